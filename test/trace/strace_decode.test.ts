// sysgate trace against the host's strace -f on the calls strace decodes per option or per
// struct: prctl's options, rt_sigtimedwait's siginfo and the signal it returns, the epoll calls
// and their events, TIOCSPGRP/TIOCGPGRP (programs/strace_decode.c, both ABIs), and the same
// lines from a program no one here wrote: Debian's tini supervising busybox sh.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, ensureDist } from "../run/cli.js";
import { nativeLine, oursLine, perProcess } from "./strace_lines.js";

const HAVE_STRACE = spawnSync("strace", ["-V"]).status === 0;
const TINI = join(ROOT, ".cache/tini/amd64/tini-static");
const BB = { 64: join(ROOT, ".cache/corpus/amd64/busybox"), 32: join(ROOT, ".cache/corpus/i386/busybox") } as const;
let dir = "";
const bin: Partial<Record<64 | 32, string>> = {};

beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), "sysgate-decode-"));
  for (const bits of [64, 32] as const) {
    const out = join(dir, `decode${bits}`);
    const r = spawnSync("gcc", [...(bits === 32 ? ["-m32"] : []), "-static", "-O1", "-o", out, join(ROOT, "test/trace/programs/strace_decode.c")]);
    if (r.status === 0) bin[bits] = out;
  }
}, 120_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** Both traces of `argv`, per process; `first` finds the first process's pid in ours (its lines carry none at first). */
function traces(argv: string[], first: RegExp): { native: string[][]; ours: string[][] } {
  const nOut = join(dir, "n.txt"), sOut = join(dir, "s.txt");
  const env = { LANG: "C" };
  spawnSync("strace", ["-f", "-o", nOut, ...argv], { env, stdio: ["ignore", "ignore", "ignore"] });
  spawnSync(process.execPath, [CLI, "trace", "-f", "-o", sOut, ...argv], { env, stdio: ["ignore", "ignore", "ignore"] });
  const text = readFileSync(sOut, "latin1");
  // the first process's group is the host shell's natively (no process of the trace)
  const pgrp = (t: string) => t.replace(/getpgrp\(\) += \d+/, "getpgrp() = PGRP").replace(/TIOCSPGRP, \[\d+\]/, "TIOCSPGRP, [PGRP]");
  return {
    native: perProcess(pgrp(readFileSync(nOut, "latin1")), nativeLine),
    ours: perProcess(pgrp(text), oursLine(Number(first.exec(text)?.[1] ?? 0))),
  };
}

describe.skipIf(!HAVE_STRACE)("sysgate trace decodes as strace -f does", () => {
  for (const bits of [64, 32] as const) {
    it(`prctl, rt_sigtimedwait, epoll and the pgrp ioctls, line by line (${bits}-bit)`, () => {
      if (!bin[bits]) return; // no compiler for this ABI here
      const { native, ours } = traces([bin[bits]!], /getpid\(\) += (\d+)/);
      expect(ours).toEqual(native);
      const all = ours.flat();
      for (const line of [
        "prctl(PR_SET_PDEATHSIG, SIGKILL) = 0", "prctl(PR_GET_PDEATHSIG, [SIGKILL]) = 0", "prctl(PR_GET_CHILD_SUBREAPER, [1]) = 0",
        'prctl(PR_SET_NAME, "a-name-longer-t"...) = 0', 'prctl(PR_GET_NAME, "a-name-longer-t") = 0',
        "rt_sigtimedwait([USR1 CHLD], {si_signo=SIGUSR1, si_code=SI_USER, si_pid=PID0, si_uid=" + (process.getuid?.() ?? 0) + "}, {tv_sec=1, tv_nsec=0}, 8) = 10 (SIGUSR1)",
        "rt_sigtimedwait([USR1 CHLD], NULL, NULL, 8) = 10 (SIGUSR1)",
        "epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLRDHUP, data={u32=7, u64=4294967303}}) = 0",
        "ioctl(3, TIOCSPGRP, [PGRP]) = -1 ENOTTY (Inappropriate ioctl for device)",
      ]) expect(all).toContain(line);
      expect(all.some((l) => /^rt_sigtimedwait\(\[USR1 CHLD\], \{si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=PID2, .*si_status=SIGTERM/.test(l))).toBe(true);
      expect(all.some((l) => /^epoll_pwait\(5, \[\{events=EPOLLOUT, .*\], 4, -1, NULL, 8\) = 2$/.test(l))).toBe(true);
    }, 120_000);
  }

  for (const bits of [64, 32] as const) {
    it.skipIf(!existsSync(TINI) || !existsSync(BB[bits]))(`tini -s -- busybox sh (${bits}-bit): its prctl, rt_sigtimedwait and ioctl lines`, () => {
      const { native, ours } = traces([TINI, "-s", "--", BB[bits], "sh", "-c", "exit 3"], /getppid\(\) += (\d+)/);
      const decoded = (t: string[][]) => t.map((p) => p.filter((l) => /^(prctl|rt_sigtimedwait|ioctl)\(/.test(l)));
      expect(decoded(ours)).toEqual(decoded(native));
      expect(decoded(native).flat()).toContain("prctl(PR_SET_CHILD_SUBREAPER, 1) = 0");
      expect(decoded(native).flat().some((l) => l.endsWith("= 17 (SIGCHLD)"))).toBe(true);
    }, 120_000);
  }
});
