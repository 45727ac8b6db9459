// The rows of issue 9 (one CPU and one physical memory per kernel, copy-on-write fork): the
// busybox shell loop of 200 command substitutions, fork+exit+wait round trips per second, and
// the host memory an idle forked child costs. Each next to native and qemu-user in the same run.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Machine } from "../../emulator/machine.js";
import { BUSYBOX_AMD64, CLI, type BenchContext, type Measured, type Row, wall, which } from "./compare.js";

const LOOP = "i=0; while [ $i -lt 200 ]; do x=$(echo x); i=$((i+1)); done; echo $i $x";

const shellLoop: Row = {
  name: "busybox sh: 200 x=$(echo x)",
  target: "<= qemu-user",
  measure(ctx) {
    const args = ["sh", "-c", LOOP];
    const check = (out: string) => (out === "200 x\n" ? undefined : `unexpected output '${out.slice(0, 40)}'`);
    return {
      sysgate: wall(process.execPath, [CLI, "run", "-q", BUSYBOX_AMD64, ...args], ctx.repeat, {}, check),
      native: wall(BUSYBOX_AMD64, args, ctx.repeat, {}, check),
      qemu: ctx.qemu ? wall(ctx.qemu, [BUSYBOX_AMD64, ...args], ctx.repeat, {}, check) : undefined,
    };
  },
};

/** fork(); the child exits at once; the parent waits for it: N times (x86-64, no libc). */
const FORK_LOOP = `
BITS 64
global _start
section .text
_start:
	mov rbx, [rsp+16]	; argv[1]: the count, in decimal
	xor r12, r12
.digit:	movzx eax, byte [rbx]
	test eax, eax
	jz .loop
	imul r12, r12, 10
	lea r12, [r12 + rax - '0']
	inc rbx
	jmp .digit
.loop:	test r12, r12
	jz .done
	mov eax, 57		; fork
	syscall
	test rax, rax
	jnz .parent
	mov eax, 60		; exit(0)
	xor edi, edi
	syscall
.parent:
	mov rdi, -1		; wait4(-1, NULL, 0, NULL)
	xor esi, esi
	xor edx, edx
	xor r10d, r10d
	mov eax, 61
	syscall
	dec r12
	jmp .loop
.done:	mov eax, 60
	xor edi, edi
	syscall
`;

const forkRoundTrips: Row = {
  name: "fork+exit+wait round trips",
  target: "(rate in the note)",
  measure(ctx): Measured {
    const n = ctx.option("--forks", 2000);
    const bin = join(ctx.dir, "fork-loop");
    if (!which("nasm") || !which("ld")) return { sysgate: "needs nasm and ld" };
    writeFileSync(`${bin}.asm`, FORK_LOOP);
    if (spawnSync("nasm", ["-f", "elf64", "-o", `${bin}.o`, `${bin}.asm`]).status !== 0) return { sysgate: "nasm failed" };
    if (spawnSync("ld", ["-static", "-o", bin, `${bin}.o`]).status !== 0) return { sysgate: "ld failed" };
    const m: Measured = {
      sysgate: wall(process.execPath, [CLI, "run", "-q", bin, String(n)], ctx.repeat),
      native: wall(bin, [String(n)], ctx.repeat),
      qemu: ctx.qemu ? wall(ctx.qemu, [bin, String(n)], ctx.repeat) : undefined,
    };
    const rate = (c: Measured["sysgate"]) => (typeof c === "object" ? `${Math.round(n / c.wall).toLocaleString("en-US")}/s` : "-");
    return { ...m, note: `${n} forks: sysgate ${rate(m.sysgate)}, native ${rate(m.native)}, qemu-user ${rate(m.qemu)} (wall, start-up included)` };
  },
};

/**
 * Host memory per idle forked child: busybox sh starts N `sleep` children; when the last one is
 * asleep the run pauses and the host's resident memory and the guest's frames in use are compared
 * with the moment of the first fork.
 */
/**
 * A full collection before each reading, so RSS counts what the children keep, not garbage: `gc`
 * from --expose-gc, or the same function switched on from inside when node was started without it.
 */
function fullGc(): () => void {
  if (global.gc) return global.gc as () => void;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

const idleChild: Row = {
  name: "host memory per idle forked child",
  target: "<= 256 KiB + pages written",
  async measure(ctx): Promise<Measured> {
    const n = ctx.option("--children", 100); // under RLIMIT_NPROC (half of --max-procs)
    const m = await Machine.create(BUSYBOX_AMD64, {
      argv: ["busybox", "sh", "-c", `i=0; while [ $i -lt ${n} ]; do sleep 1000 & i=$((i+1)); done; wait`],
      captureOutput: true, stdin: "", warnUnimplemented: false,
    });
    const gc = fullGc();
    try {
      let before: { rss: number; frames: number } | undefined;
      let sleeping = 0;
      m.hooks.on("process", (e) => {
        if (e.action === "fork" && !before) {
          gc();
          before = { rss: process.memoryUsage().rss, frames: m.kernel.phys.framesInUse };
        }
      });
      m.hooks.on("syscall_entry", (e) => {
        if (e.pid !== m.task.pid && /nanosleep/.test(e.name ?? "") && ++sleeping === n) e.pause();
      });
      const r = m.run();
      if (!r.paused || !before) return { sysgate: `did not pause (${JSON.stringify(r)})` };
      gc();
      const rss = (process.memoryUsage().rss - before.rss) / n / 1024;
      const frames = (m.kernel.phys.framesInUse - before.frames) / n;
      return {
        sysgate: `${rss.toFixed(0)} KiB`,
        note: `${n} sleeping children: ${rss.toFixed(0)} KiB of host memory each (RSS), ${frames.toFixed(1)} guest frames each ` +
          `(${(frames * 4).toFixed(0)} KiB: page tables, kernel stack and the pages the child wrote)`,
      };
    } finally {
      m.close();
    }
  },
};

export const PROCESS_ROWS: Row[] = [shellLoop, forkRoundTrips, idleChild];
export type { BenchContext };
