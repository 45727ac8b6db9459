// `sysgate step` end to end: the real CLI in a real terminal (tmux), driven by keys, read back
// from the screen. One syscall per entry path: SYSCALL, int $0x80, sysenter via the vDSO.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { kernelText } from "../../kernel-model/entry/kernel_text.js";
import { ROOT, ensureDist } from "../run/cli.js";
import { Terminal, hasTmux } from "./tmux.js";

// the kernel text's addresses, as its nasm map gives them
const hex = (v: bigint) => v.toString(16);
const ENTRY_SYSCALL_64 = hex(kernelText("entry_64").sym("entry_SYSCALL_64"));
const ENTRY_INT80_32 = hex(kernelText("entry_32").sym("entry_INT80_32"));

if (!hasTmux) console.warn("test/ui/step_tmux: tmux is not installed, skipping the terminal tests (apt-get install tmux)");

let term: Terminal | undefined;
afterEach(() => { term?.close(); term = undefined; });

const screenWith = (want: string) => term!.screenWith(want, 15000);
/** `before`: sysgate's options (before the ELF); `args`: the guest's. */
async function start(sample: string, before: string[] = [], ...args: string[]): Promise<void> {
  const path = sample.startsWith(".") ? sample : join("samples", "bin", sample);
  term = await Terminal.start([...before, path, ...args], 100, 30, true);
}
const keys = (k: string) => term!.send(k);

describe.skipIf(!hasTmux)("sysgate step in tmux", () => {
  beforeAll(() => ensureDist());

  it("x86-64: a write through SYSCALL, LSTAR and entry_SYSCALL_64 on screen, then the output", async () => {
    await start("x86_64/hello-syscall");
    keys("n");
    const s = await screenWith("next syscall: write");
    expect(s).toContain('write(1, "hello from syscall\\n", 19) ...');
    expect(s).toContain(`LSTAR ${ENTRY_SYSCALL_64}`);
    expect(s).toContain("<entry_SYSCALL_64>");
    keys("i");
    await screenWith("▶ stub    entry_SYSCALL_64");
    keys("i");
    const t = await screenWith('write(1, "hello from syscall\\n", 1… = 19');
    expect(t).toContain("pt_regs at ffffffff82008f58");
    keys("c");
    await screenWith("program ended: exit status 0");
    keys("q");
    // the alternate screen is gone once sysgate has ended (however long its exit takes on a busy machine)
    await term!.until((s) => !s.includes("Entry path"), "the screen without the UI", 15000);
  });

  it("i386 under IA32 emulation (the default): int $0x80 into entry_INT80_compat, back by iretq", async () => {
    await start("i386/hello-int80");
    keys("n");
    const s = await screenWith("next syscall: write");
    expect(s).toContain("i386 on x86-64, compat");
    expect(s).toContain("INT 0x80: IDT vector 128");
    expect(s).toContain("<entry_INT80_compat>");
    keys("o");
    const t = await screenWith("back in user mode");
    expect(t).toContain("return  iretq");
  });

  it("i386 (--kernel i386): int $0x80 through IDT vector 128", async () => {
    await start("i386/hello-int80", ["--kernel", "i386"]);
    keys("n");
    const s = await screenWith("next syscall: write");
    expect(s).toContain("INT 0x80: IDT vector 128");
    expect(s).toContain(`IDT[128] → 60:${ENTRY_INT80_32} DPL 3`);
    expect(s).toContain("<entry_INT80_32>");
    keys("o");
    const t = await screenWith("back in user mode");
    expect(t).toContain("return  iret");
  });

  it("i386: sysenter from __kernel_vsyscall, the SYSENTER MSRs", async () => {
    await start("i386/hello-vsyscall", ["--kernel", "i386"]);
    keys("n");
    await screenWith("next syscall: write at __kernel_vsyscall");
    keys("i");
    const s = await screenWith(`SYSENTER_EIP ${hex(kernelText("entry_32").sym("entry_SYSENTER_32"))}`);
    expect(s).toContain("then sysenter at __kernel_vsyscall+0x5");
    expect(s).toContain("<entry_SYSENTER_32>");
  });

  const busybox = join(ROOT, ".cache/corpus/amd64/busybox");
  it.skipIf(!existsSync(busybox))("busybox sh: a child's syscall with its pid, then the SIGUSR1 handler frame on the way out of kill", async () => {
    await start("./.cache/corpus/amd64/busybox", ["--deterministic"], "sh", "-c", 'echo a | cat; trap "echo t" USR1; kill -USR1 $$');
    keys("b");
    await screenWith("break on syscall");
    keys("write");
    keys("Enter");
    await screenWith("breakpoint on write");
    keys("c");
    const s = await screenWith("breakpoint: write");
    expect(s).toContain("sysgate step busybox (x86-64) │ pid 1001 │ paused");
    expect(s).toContain('[pid  1001] write(1, "a\\n", 2) ...');
    expect(s).toContain("Entry path: SYSCALL (x86-64) pid 1001");
    keys("b");
    await screenWith("break on syscall");
    keys("kill");
    keys("Enter");
    await screenWith("breakpoint on kill");
    keys("c");
    await screenWith("breakpoint: kill");
    keys("i");
    await screenWith("▶ stub");
    keys("i");
    const t = await screenWith("▶ signal  SIGUSR1 → handler");
    expect(t).toContain("[pid  1000] --- SIGUSR1 {si_signo=SIGUS");
    expect(t).toContain("frame at 7fffffff");
    expect(t).toContain("· return  iretq");
  });
});
