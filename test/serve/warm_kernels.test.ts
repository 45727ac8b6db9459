// Warm kernels (emulator/warm_kernels.ts): runs one after another in one booted kernel, as
// `sysgate serve`'s runners make them. Each run must behave as a run on a machine of its own
// (native runs and fresh machines are the oracle), and what the kernel keeps between runs
// (translated code, page-cache frames) must never show: a program rebuilt in place runs its new
// code, and a frame that held one run's code runs the next run's bytes when it is reused.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Machine, type MachineOptions } from "../../emulator/machine.js";
import { DEFAULT_WARM_LIMITS, WarmKernels } from "../../emulator/warm_kernels.js";
import { RECENT_CHANGE_MS } from "../../kernel-model/mm/filemap.js";
import { HAVE_NASM, nasmElf64 } from "../cpu/nasm.js";
import { elfCase } from "../fuzz/elf_mutate.js";
import { FUZZ_MEMORY } from "../fuzz/outcome.js";
import { syscallCase } from "../fuzz/syscall_prog.js";
import { ROOT } from "../run/cli.js";

const BB = join(ROOT, ".cache", "corpus", "amd64", "busybox");
const EXIT_CODE = join(ROOT, "samples", "bin", "x86_64", "exit-code");
const native = process.platform === "linux" && process.arch === "x64";
const dir = mkdtempSync(join(tmpdir(), "sysgate-warm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PHYS = 64 << 20;

// mmap(0x10000000, RWX, MAP_FIXED), write `mov eax, N; ret` with N from argv[1], call it, exit with eax
const JIT = join(dir, "jit");
if (HAVE_NASM) {
  nasmElf64(`bits 64
global _start
_start:
        mov     rsi, [rsp + 16]
        movzx   ebx, byte [rsi]
        sub     ebx, '0'
        mov     eax, 9
        mov     edi, 0x10000000
        mov     esi, 4096
        mov     edx, 7
        mov     r10d, 0x32
        mov     r8, -1
        xor     r9d, r9d
        syscall
        mov     byte [rax], 0xb8
        mov     dword [rax + 1], ebx
        mov     byte [rax + 5], 0xc3
        call    rax
        mov     edi, eax
        mov     eax, 60
        syscall
`, JIT);
}

/** One run to its end on a kernel from `warm`: its exit, output and the machine's view before it ran. */
async function run(warm: WarmKernels | undefined, program: string, argv: string[], opts: MachineOptions = {}) {
  // (a small physical memory: every machine reserves it, and a test process that holds many
  // gigabytes of reservations may be refused a fork, nasm's below)
  const m = await Machine.create(program, { argv: [program, ...argv], captureOutput: true, stdin: "", warn: () => {}, warm, physMemory: PHYS, cwd: dir, ...opts });
  try {
    const kernel = m.kernel;
    const textFrame = m.task.mm.pgd.lookup(0x401000n)?.pa;
    const st = m.runToEnd();
    return { st, out: m.stdout.toString(), kernel, textFrame, framesInUse: () => kernel.phys.framesInUse };
  } finally {
    m.close();
  }
}

/** exit-code with its `imul edi, edi, 10` made `imul edi, edi, 16`: the same size and layout, other code. */
function exitCodeBase16(): Buffer {
  const b = Buffer.from(readFileSync(EXIT_CODE));
  const at = b.indexOf(Buffer.from([0x6b, 0xff, 0x0a]));
  expect(b.indexOf(Buffer.from([0x6b, 0xff, 0x0a]), at + 1)).toBe(-1);
  b[at + 2] = 0x10;
  return b;
}

/** Rewrites the file in place (same inode, same size), as a build that writes its output over the old one. */
function rewrite(path: string, bytes: Buffer): void {
  writeFileSync(path, bytes, { mode: 0o755 }); // O_TRUNC on the same inode
}

/** Waits until files written now are old enough for the page cache (mm/filemap.ts mappingKey). */
const settle = () => new Promise((resolve) => setTimeout(resolve, RECENT_CHANGE_MS + 50));

describe("warm kernels", () => {
  it("a second run takes the booted kernel, and frames come back to what one run leaves", async () => {
    if (!existsSync(BB)) return void console.warn(`skipped: ${BB} missing`);
    const warm = new WarmKernels();
    const script = ["sh", "-c", "echo $(echo a; echo b) | cat; true"];
    const first = await run(warm, BB, script);
    expect(first.st).toEqual({ code: 0 });
    expect(warm.size).toBe(1);
    // what stays in use: the kernel's own frames, the kernel stacks of as many tasks as ran at
    // once, and busybox's pages in the page cache
    const afterOne = first.framesInUse();
    for (let i = 0; i < 5; i++) {
      const r = await run(warm, BB, script);
      expect(r.st).toEqual({ code: 0 });
      expect(r.out).toBe("a b\n");
      expect(r.kernel).toBe(first.kernel);
      expect(r.framesInUse()).toBe(afterOne);
    }
    warm.close();
  });

  it("32-bit and 64-bit programs, IA32 emulation and the native i386 kernel, one after another: each kind of kernel is kept", async () => {
    const BB32 = join(ROOT, ".cache", "corpus", "i386", "busybox");
    if (!existsSync(BB) || !existsSync(BB32)) return void console.warn("skipped: busybox missing");
    const script = ["sh", "-c", `echo $(echo hi | cat) $(${BB32} echo 32) $(${BB} echo 64 2>&1 | cut -c1-3)`];
    const warm = new WarmKernels();
    const seen = new Map<string, unknown>();
    for (const [bb, opts] of [[BB32, {}], [BB, {}], [BB32, { kernel: "i386" }], [BB32, {}], [BB32, { kernel: "i386" }], [BB, {}]] as const) {
      const r = await run(warm, bb, script, opts);
      const kind = "kernel" in opts ? "i386" : "x86_64";
      const want = native ? spawnSync(bb, script, { encoding: "utf8" }).stdout : undefined;
      if (kind === "x86_64") {
        expect(r.st).toEqual({ code: 0 });
        if (want !== undefined) expect(r.out).toBe(want);
      } else {
        // a 64-bit program cannot run on the i386 kernel (sh then reads it as a script: in `dir`)
        expect(r.out).toMatch(/^hi 32 /);
      }
      expect(seen.get(kind) ?? r.kernel).toBe(r.kernel);
      seen.set(kind, r.kernel);
    }
    warm.close();
  });

  it("a deterministic run on a warm kernel prints what it prints on a machine of its own (pids, clocks, randomness)", async () => {
    if (!existsSync(BB)) return void console.warn(`skipped: ${BB} missing`);
    const script = "echo $$ $PPID; sleep 0.01 & wait; echo $!; date +%s; head -c 8 /dev/urandom | od -An -tx1; cat /proc/uptime; ls /proc | grep -c '^[0-9]'";
    const opts = { deterministic: true, seed: 7n };
    const cold = await run(undefined, BB, ["sh", "-c", script], opts);
    const warm = new WarmKernels();
    await run(warm, BB, ["sh", "-c", "umask 077; cd /; ulimit -n 50; trap '' INT; sleep 0.02 & echo $!"], opts);
    const again = await run(warm, BB, ["sh", "-c", script], opts);
    expect(again.kernel).not.toBe(cold.kernel);
    expect(again.out).toBe(cold.out);
    expect(again.st).toEqual(cold.st);
    warm.close();
  });

  it("a program rewritten in place between two runs runs its new code", async () => {
    const prog = join(dir, "prog");
    rewrite(prog, readFileSync(EXIT_CODE));
    await settle();
    const warm = new WarmKernels();
    const a = await run(warm, prog, ["12"]);
    expect(a.st).toEqual({ code: 12 });
    expect((await run(warm, prog, ["12"])).textFrame).toBe(a.textFrame); // from the page cache
    rewrite(prog, exitCodeBase16());
    await settle();
    if (native) expect(spawnSync(prog, ["12"]).status).toBe(18);
    const b = await run(warm, prog, ["12"]);
    expect(b.kernel).toBe(a.kernel);
    expect(b.st).toEqual({ code: 18 });
    warm.close();
  });

  it("a program file changed a moment ago is not cached (its times may be shared with the next file); an older one is", async () => {
    // The host stamps file times from a clock that moves in ticks and gives a freed inode number
    // to the next new file, so a program replaced at once may look like the one before it in
    // every field of stat: files changed within RECENT_CHANGE_MS have no page-cache key.
    const warm = new WarmKernels();
    const prog = join(dir, "fresh");
    writeFileSync(prog, readFileSync(EXIT_CODE), { mode: 0o755 });
    const first = await run(warm, prog, ["12"]);
    const second = await run(warm, prog, ["12"]);
    expect(second.kernel).toBe(first.kernel);
    expect(second.textFrame).not.toBe(first.textFrame); // read for each run, not shared
    await settle();
    const third = await run(warm, prog, ["12"]);
    const fourth = await run(warm, prog, ["12"]);
    expect(fourth.textFrame).toBe(third.textFrame); // old enough: one page-cache frame for both
    expect([first.st, second.st, third.st, fourth.st]).toEqual(Array(4).fill({ code: 12 }));
    warm.close();
  });

  it("mutated ELF files and random syscall programs end as they do on a machine of their own", async () => {
    // the fuzzer's cases (test/fuzz), each run on a fresh machine and on a warm kernel that ran the ones before
    const warm = new WarmKernels();
    const outcome = async (bytes: Buffer, pool: WarmKernels | undefined) => {
      const root = mkdtempSync(join(tmpdir(), "sysgate-warm-case-"));
      try {
        writeFileSync(join(root, "prog"), bytes, { mode: 0o755 });
        let m: Machine;
        try {
          m = await Machine.create(join(root, "prog"), { root, memoryLimit: FUZZ_MEMORY, stdin: "", argv: ["/prog"], env: ["PATH=/"],
            warn: () => {}, warnUnimplemented: false, captureOutput: true, physMemory: PHYS, warm: pool });
        } catch (e) {
          return `refused: ${(e as Error).message.replaceAll(root, "ROOT")}`;
        }
        try {
          return `${JSON.stringify(m.runToEnd())} ${m.stdout.toString("hex")} ${m.stderr.toString("hex")}`;
        } finally {
          m.close();
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    };
    const cases = [
      ...Array.from({ length: 40 }, (_, i) => elfCase(ROOT, 11, i).bytes),
      ...Array.from({ length: 15 }, (_, i) => syscallCase("x86_64", 12, i, 40).bytes),
      ...Array.from({ length: 15 }, (_, i) => syscallCase("i386", 13, i, 40).bytes),
    ];
    for (const bytes of cases) expect(await outcome(bytes, warm)).toBe(await outcome(bytes, undefined));
    warm.close();
  }, 120_000);

  it("a frame that held one run's code, reused at the same address for another program's, runs the new bytes", async () => {
    // No page cache and no code frames kept between runs: the first program's text frame is
    // freed after a translation flush. Which frame the second program's text gets is the
    // allocator's choice: the freed frame is put `depth` deep in its free list, deeper each try,
    // until the second program's text lands on it.
    const progA = join(dir, "a"), progB = join(dir, "b");
    writeFileSync(progA, readFileSync(EXIT_CODE), { mode: 0o755 });
    writeFileSync(progB, exitCodeBase16(), { mode: 0o755 });
    await settle(); // (their pages are then page-cache pages)
    let landed = false;
    for (let depth = 0; depth < 40 && !landed; depth++) {
      const warm = new WarmKernels({ ...DEFAULT_WARM_LIMITS, cachePages: 0, quarantinedFrames: 0 });
      const a = await run(warm, progA, ["12"]);
      expect(a.st).toEqual({ code: 12 });
      const phys = a.kernel.phys;
      const held: number[] = [];
      for (let pa = phys.allocFrame(); ; pa = phys.allocFrame()) {
        expect(phys.isCode(pa)).toBe(false); // (the flush made every frame usable)
        held.push(pa);
        if (pa === a.textFrame) break;
      }
      const others = held.slice(0, -1);
      for (let i = 0; i < depth; i++) others.push(phys.allocFrame());
      phys.putPage(a.textFrame!);
      for (const pa of others.reverse()) phys.putPage(pa);
      const b = await run(warm, progB, ["12"]);
      expect(b.kernel).toBe(a.kernel);
      expect(b.st).toEqual({ code: 18 });
      landed = b.textFrame === a.textFrame;
      warm.close();
    }
    expect(landed).toBe(true);
  });

  it.skipIf(!HAVE_NASM)("JIT-like code: an executable page written by one run and another at the same address", async () => {
    const jit = JIT;
    if (native) expect(spawnSync(jit, ["5"]).status).toBe(5);
    for (const limits of [DEFAULT_WARM_LIMITS, { ...DEFAULT_WARM_LIMITS, cachePages: 0, quarantinedFrames: 0 }]) {
      const warm = new WarmKernels(limits);
      for (const n of [5, 9, 3, 9]) expect((await run(warm, jit, [String(n)])).st).toEqual({ code: n });
      warm.close();
    }
  });

  it("a guest's background child is killed with the run and the kernel is kept; a run ended by a hook is not", async () => {
    if (!existsSync(BB)) return void console.warn(`skipped: ${BB} missing`);
    const warm = new WarmKernels();
    const t0 = Date.now();
    const bg = await run(warm, BB, ["sh", "-c", "sleep 30 & echo started"], { deterministic: false });
    expect(bg.out).toBe("started\n");
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(warm.size).toBe(1);
    const ps = await run(warm, BB, ["sh", "-c", "cat /proc/[0-9]*/comm"], { deterministic: false });
    expect(ps.kernel).toBe(bg.kernel);
    expect(ps.out).not.toMatch(/sleep/);
    // a run that used a hook point leaves its traps in the CPU: its kernel is not kept
    const m = await Machine.create(BB, { argv: [BB, "true"], captureOutput: true, stdin: "", warn: () => {}, warm, physMemory: PHYS });
    m.hooks.on("syscall_entry", () => {});
    m.runToEnd();
    m.close();
    expect(warm.size).toBe(0);
    warm.close();
  });
});
