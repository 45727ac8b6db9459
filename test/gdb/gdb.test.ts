// Real gdb sessions through sysgate's remote stub: into the kernel's entry stubs and back, at
// CPL 0 and 3, for each way a syscall enters the kernel; catch syscall; exits; fork following.
// Expected values come from the architecture (selectors, the instruction bytes) and the
// samples' documented behaviour, not from sysgate's own output.

import { describe, expect, it } from "vitest";
import { HAVE_GDB, gdbSession, kernelElf, sample } from "./session.js";

// gdb's `while` steps one instruction until the two bytes at the PC are the given opcode
const stepUntil = (opcode: number) => [`while *(unsigned short *)$pc != ${opcode}`, "  stepi", "end"];
const SYSCALL = 0x050f, INT80 = 0x80cd, SYSENTER = 0x340f; // 0f 05, cd 80, 0f 34, little-endian

describe.skipIf(!HAVE_GDB)("gdb through sysgate -g", () => {
  it("x86-64: stepi on syscall lands on entry_SYSCALL_64 at CPL 0, the sysretq brings it back after the syscall at CPL 3", async () => {
    const k = kernelElf(64);
    const r = await gdbSession(sample("x86_64/hello-syscall"), [], [
      `add-symbol-file ${k}`,
      ...stepUntil(SYSCALL),
      `printf "USER cs=%#x pc=%#lx\\n", $cs, $pc`,
      "stepi",
      `printf "STUB cs=%#x\\n", $cs`,
      "x/i $pc",
      "info symbol $pc",
      "x/2gx $rsp",
      "break entry_SYSRETQ",
      "continue",
      "x/i $pc",
      "stepi",
      `printf "BACK cs=%#x pc=%#lx\\n", $cs, $pc`,
      "info registers rip rsp rcx r11 eflags cs ss fs_base",
      "continue",
    ]);
    const user = /USER cs=(0x\w+) pc=(0x\w+)/.exec(r.gdb);
    expect(user, r.gdb).not.toBeNull();
    expect(user![1]).toBe("0x33"); // __USER_CS, RPL 3
    expect(r.gdb).toContain("STUB cs=0x10"); // __KERNEL_CS, CPL 0
    expect(r.gdb).toMatch(/<entry_SYSCALL_64>:\s+swapgs/);
    expect(r.gdb).toMatch(/entry_SYSCALL_64 in section \.text/);
    expect(r.gdb).toMatch(/<entry_SYSRETQ>:\s+sysretq/);
    const back = /BACK cs=(0x\w+) pc=(0x\w+)/.exec(r.gdb);
    expect(back![1]).toBe("0x33");
    expect(BigInt(back![2])).toBe(BigInt(user![2]) + 2n); // the instruction after the 2-byte syscall
    expect(r.gdb).toMatch(/fs_base\s+0x/);
    expect(r.gdb).toMatch(/exited normally/);
    expect(r.stdout).toBe("hello from syscall\n");
    expect(r.status).toBe(0);
  });

  it("x86-64 glibc: break main, catch syscall write stops at entry and at return inside the kernel, the exit status is the guest's", async () => {
    const k = kernelElf(64);
    const r = await gdbSession(sample("x86_64/hello-glibc"), [], [
      `add-symbol-file ${k}`,
      "break main",
      "continue",
      "catch syscall write",
      "continue",
      `printf "ENTRY cs=%#x orig_rax=%d\\n", $cs, $orig_rax`,
      "x/i $pc",
      "continue",
      `printf "RETURN cs=%#x\\n", $cs`,
      "delete",
      "continue",
    ]);
    expect(r.gdb).toMatch(/Breakpoint 1, .*main \(\)/);
    expect(r.gdb).toMatch(/Catchpoint 2 \(call to syscall write\)/);
    expect(r.gdb).toContain("ENTRY cs=0x10 orig_rax=1");
    expect(r.gdb).toMatch(/call\s+0x\w+ <do_syscall_64>/);
    expect(r.gdb).toMatch(/Catchpoint 2 \(returned from syscall write\)/);
    expect(r.gdb).toContain("RETURN cs=0x10");
    expect(r.stdout).toBe("hello from glibc\n");
    expect(r.status).toBe(0);
  });

  it("the guest's exit status reaches gdb and sysgate's own", async () => {
    const r = await gdbSession(sample("x86_64/exit-code"), ["7"], ["continue"]);
    expect(r.gdb).toMatch(/exited with code 07/);
    expect(r.status).toBe(7);
  });

  // the native 32-bit kernel (--kernel i386); a 32-bit task under the x86-64 kernel is a 64-bit target
  it("i386 (--kernel i386): int $0x80 steps into entry_INT80_32 through the IDT gate, iret comes back at CPL 3", async () => {
    const k = kernelElf(32);
    const r = await gdbSession(sample("i386/hello-int80"), [], [
      `add-symbol-file ${k}`,
      ...stepUntil(INT80),
      `printf "USER cs=%#x pc=%#x\\n", $cs, $pc`,
      "stepi",
      `printf "STUB cs=%#x\\n", $cs`,
      "x/i $pc",
      `x/5wx $esp`,
      ...[`while ($cs & 3) == 0`, "  stepi", "end"],
      `printf "BACK cs=%#x pc=%#x\\n", $cs, $pc`,
      "info registers",
      "continue",
    ], { sysgateArgs: ["--kernel", "i386"] });
    const user = /USER cs=(0x\w+) pc=(0x\w+)/.exec(r.gdb);
    expect(user![1]).toBe("0x73"); // i386 __USER_CS
    expect(r.gdb).toContain("STUB cs=0x60"); // i386 __KERNEL_CS
    expect(r.gdb).toMatch(/<entry_INT80_32>:/);
    // the frame the CPU pushed: EIP (after int $0x80), CS, EFLAGS, ESP, SS
    const frame = new RegExp(`0x${(BigInt(user![2]) + 2n).toString(16).padStart(8, "0")}\\s+0x00000073`);
    expect(r.gdb).toMatch(frame);
    const back = /BACK cs=(0x\w+) pc=(0x\w+)/.exec(r.gdb);
    expect(back![1]).toBe("0x73");
    expect(BigInt(back![2])).toBe(BigInt(user![2]) + 2n);
    expect(r.gdb).toMatch(/eip\s+0x/);
    expect(r.stdout).toBe("hello from int 0x80\n");
    expect(r.status).toBe(0);
  });

  it("i386 (--kernel i386): sysenter in __kernel_vsyscall steps into entry_SYSENTER_32, sysexit returns into the vDSO", async () => {
    const k = kernelElf(32);
    const r = await gdbSession(sample("i386/hello-vsyscall"), [], [
      `add-symbol-file ${k}`,
      ...stepUntil(SYSENTER),
      `printf "USER cs=%#x\\n", $cs`,
      "stepi",
      `printf "STUB cs=%#x\\n", $cs`,
      "x/i $pc",
      ...[`while ($cs & 3) == 0`, "  stepi", "end"],
      `printf "BACK cs=%#x\\n", $cs`,
      "continue",
    ], { sysgateArgs: ["--kernel", "i386"] });
    expect(r.gdb).toContain("USER cs=0x73");
    expect(r.gdb).toContain("STUB cs=0x60");
    expect(r.gdb).toMatch(/<entry_SYSENTER_32>:/);
    expect(r.gdb).toContain("BACK cs=0x73");
    expect(r.stdout).toBe("hello from __kernel_vsyscall\n");
    expect(r.status).toBe(0);
  });

  it("follow-fork-mode child: gdb attaches to the child, follows its exec to the end; the parent runs on", async () => {
    const r = await gdbSession(sample("x86_64/fork-pipe-exec"), [], [
      "set follow-fork-mode child",
      "catch fork",
      "continue",
      "continue",
      "continue",
    ]);
    expect(r.gdb).toMatch(/Catchpoint 1 \(forked process (\d+)\)/);
    expect(r.gdb).toMatch(/Attaching after .* fork to child/);
    expect(r.gdb).toMatch(/is executing new program: .*fork-pipe-exec/);
    expect(r.stdout).toContain("hello from the exec'd child (argv[1] = child)");
    expect(r.stdout).toContain("aborter killed by signal 6");
    expect(r.status).toBe(0);
  });

  it("follow-fork-mode parent: the child is detached and runs free, breakpoints stay in the parent", async () => {
    const r = await gdbSession(sample("x86_64/fork-pipe-exec"), [], [
      "set follow-fork-mode parent",
      "catch fork",
      "continue",
      "delete",
      "break waitpid",
      "continue",
      "info inferiors",
      "delete",
      "continue",
    ]);
    expect(r.gdb).toMatch(/Catchpoint 1 \(forked process \d+\)/);
    expect(r.gdb).toMatch(/Detaching after fork from child process/);
    expect(r.gdb).toMatch(/Breakpoint 2, .*waitpid/);
    expect(r.gdb).toMatch(/exited normally/);
    expect(r.stdout).toContain("child exited 0");
    expect(r.status).toBe(0);
  });

  it("gdb going away kills the guest, and sysgate says so", async () => {
    const r = await gdbSession(sample("x86_64/getppid-loop"), ["1000"], ["stepi", "detach"]);
    // detach lets the program run to its end
    expect(r.status).toBe(0);
    const k = await gdbSession(sample("x86_64/getppid-loop"), ["1000"], ["stepi", "kill"]);
    expect(k.stderr).toMatch(/killed by gdb/);
    expect(k.status).toBe(128 + 9);
  });
});
