// The root of procfs (fs/proc/root.c): /proc/self, /proc/thread-self, a directory per guest
// process, and the machine-wide files. Names the model does not serve (cpuinfo, sys/...) come
// from the host's /proc where there is one; numeric names never do (they are host processes).

import { DT_DIR, DT_LNK, DT_REG } from "../fcntl.js";
import type { DirEntry } from "../file.js";
import { procPidLookup, pidDirIno, type ProcBaseEnv } from "./base.js";
import { showMeminfo } from "./meminfo.js";
import type { ProcNode } from "./proc_file.js";
import { showLoadavg, showProcStat, showUptime } from "./uptime.js";

export const PROC_ROOT_INO = 1n;
const PROC_SELF_INO = 0xfffffffbn;
const PROC_THREAD_SELF_INO = 0xfffffffan;

/** The machine-wide text files, with their inode numbers (small, below any process's). */
const FILES: { name: string; ino: bigint; make: (env: ProcBaseEnv) => string }[] = [
  { name: "meminfo", ino: 0x10n, make: (env) => showMeminfo(env.source) },
  { name: "uptime", ino: 0x11n, make: (env) => showUptime(env.source) },
  { name: "loadavg", ino: 0x12n, make: (env) => showLoadavg(env.source) },
  { name: "stat", ino: 0x13n, make: (env) => showProcStat(env.source) },
];

/** The entries the model puts in /proc: the machine-wide ones, then one directory per process. */
export function procRootEntries(env: ProcBaseEnv): DirEntry[] {
  return [
    { name: "self", ino: PROC_SELF_INO, type: DT_LNK },
    { name: "thread-self", ino: PROC_THREAD_SELF_INO, type: DT_LNK },
    { name: "mounts", ino: 0x14n, type: DT_LNK },
    ...FILES.map((f) => ({ name: f.name, ino: f.ino, type: DT_REG })),
    ...env.source.tasks().map((t) => ({ name: String(t.pid), ino: pidDirIno(t.pid), type: DT_DIR })),
  ];
}

/**
 * proc_root_lookup: what the model serves at `path` (below /proc) for the process `pid`;
 * undefined for names it leaves to the host's /proc; "enoent" for a pid that is no guest's.
 */
export function procLookup(env: ProcBaseEnv, path: string, pid: number): ProcNode | "enoent" | undefined {
  const rest = path.slice("/proc/".length);
  const first = rest.split("/")[0];
  if (rest === "self") return { kind: "link", ino: PROC_SELF_INO, target: String(pid) };
  if (rest === "thread-self") return { kind: "link", ino: PROC_THREAD_SELF_INO, target: `${pid}/task/${pid}` };
  if (rest === "mounts") return { kind: "link", ino: 0x14n, target: "self/mounts" };
  const file = FILES.find((f) => f.name === rest);
  if (file) return { kind: "file", ino: file.ino, mode: 0o444, content: () => Buffer.from(file.make(env), "latin1") };
  if (!/^\d+$/.test(first)) return undefined;
  const task = env.source.task(Number(first));
  if (!task) return "enoent";
  return procPidLookup(env, task, rest.slice(first.length), env.source.task(pid)) ?? "enoent";
}
