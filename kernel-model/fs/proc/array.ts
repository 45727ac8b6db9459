// /proc/<pid>/stat and /proc/<pid>/status (fs/proc/array.c): a process's state, ids, memory and signals.

import type { ProcTask } from "./task_view.js";
import { vmSizes } from "./task_mmu.js";

const STATE_NAMES = { R: "R (running)", S: "S (sleeping)", Z: "Z (zombie)" } as const;
const sigset = (s: bigint): string => (s & 0xffffffffffffffffn).toString(16).padStart(16, "0");
const kb = (pages: bigint | number): string => `${(BigInt(pages) * 4n).toString().padStart(8)} kB`;

/** proc_pid_status. */
export function showStatus(t: ProcTask): string {
  const c = t.cred;
  const lines = [
    `Name:\t${t.comm}`,
    `Umask:\t${t.umask.toString(8).padStart(4, "0")}`,
    `State:\t${STATE_NAMES[t.state]}`,
    `Tgid:\t${t.tgid}`, "Ngid:\t0", `Pid:\t${t.pid}`, `PPid:\t${t.ppid}`, "TracerPid:\t0",
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`,
    `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`,
    "FDSize:\t64", "Groups:\t ",
    `NStgid:\t${t.tgid}`, `NSpid:\t${t.pid}`, `NSpgid:\t${t.pgid}`, `NSsid:\t${t.sid}`,
  ];
  if (t.mm) {
    const s = vmSizes(t.mm);
    const rss = BigInt(t.mm.residentPages);
    lines.push(`VmPeak:\t${kb(s.size)}`, `VmSize:\t${kb(s.size)}`, `VmLck:\t${kb(0)}`, `VmPin:\t${kb(0)}`,
      `VmHWM:\t${kb(rss)}`, `VmRSS:\t${kb(rss)}`, `RssAnon:\t${kb(rss)}`, `RssFile:\t${kb(0)}`, `RssShmem:\t${kb(0)}`,
      `VmData:\t${kb(s.data - s.stack)}`, `VmStk:\t${kb(s.stack)}`, `VmExe:\t${kb(s.exe)}`, `VmLib:\t${kb(0)}`,
      `VmPTE:\t${kb(0)}`, `VmSwap:\t${kb(0)}`, `HugetlbPages:\t${kb(0)}`, "CoreDumping:\t0", "THP_enabled:\t1");
  }
  lines.push(`Threads:\t${t.threads}`, "SigQ:\t0/63448",
    `SigPnd:\t${sigset(t.sigPending)}`, `ShdPnd:\t${sigset(t.sigShared)}`, `SigBlk:\t${sigset(t.sigBlocked)}`,
    `SigIgn:\t${sigset(t.sigIgnored)}`, `SigCgt:\t${sigset(t.sigCaught)}`,
    `CapInh:\t${sigset(0n)}`, `CapPrm:\t${sigset(0n)}`, `CapEff:\t${sigset(0n)}`, "CapBnd:\t000001ffffffffff", `CapAmb:\t${sigset(0n)}`,
    "NoNewPrivs:\t0", "Seccomp:\t0", "Seccomp_filters:\t0",
    "Cpus_allowed:\t1", "Cpus_allowed_list:\t0",
    "voluntary_ctxt_switches:\t0", "nonvoluntary_ctxt_switches:\t0");
  return lines.join("\n") + "\n";
}

/** do_task_stat: the 52 fields of /proc/<pid>/stat; times the model does not keep print as 0. */
export function showStat(t: ProcTask): string {
  const mm = t.mm;
  const s = mm ? vmSizes(mm) : undefined;
  const f: (string | number | bigint)[] = [
    t.pid, `(${t.comm})`, t.state, t.ppid, t.pgid, t.sid,
    0, -1, 4194304, // tty_nr, tpgid, flags (PF_RANDOMIZE)
    0, 0, 0, 0, 0, 0, 0, 0, // minflt cminflt majflt cmajflt utime stime cutime cstime
    20, 0, t.threads, 0, 0, // priority nice num_threads itrealvalue starttime
    (s?.size ?? 0n) * 4096n, mm?.residentPages ?? 0, 18446744073709551615n,
    0, 0, mm?.startStack ?? 0n, 0, 0, // startcode endcode startstack kstkesp kstkeip
    (t.sigPending | t.sigShared) & 0x7fffffffn, t.sigBlocked & 0x7fffffffn, t.sigIgnored & 0x7fffffffn, t.sigCaught & 0x7fffffffn,
    0, 0, 0, 17, 0, 0, 0, 0, 0, 0, // wchan nswap cnswap exit_signal processor rt_priority policy blkio guest cguest
    0, 0, mm?.startBrk ?? 0n, 0, 0, 0, 0, 0, // start_data end_data start_brk arg_start arg_end env_start env_end exit_code
  ];
  return f.join(" ") + "\n";
}
