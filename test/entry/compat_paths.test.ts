// IA32 emulation, the default for 32-bit programs: the task runs in compatibility mode
// (CS = __USER32_CS) under the x86-64 kernel, and each of its three ways in is checked where the
// CPU state says it: int $0x80 through the 64-bit IDT's vector 128 into entry_INT80_compat and
// iretq back; SYSENTER (Intel) through the SYSENTER MSRs into entry_SYSENTER_compat and SYSCALL
// (AMD) through IA32_CSTAR into entry_SYSCALL_compat, both back with SYSRETL to the vDSO's
// landing pad; the other vendor's instruction is #UD. Native runs of the same programs (this
// machine's kernel is an x86-64 one, its CPU an Intel) are the oracle where they apply.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Machine, type MachineOptions } from "../../emulator/machine.js";
import * as L from "../../kernel-model/boot/layout_64.js";
import { MSR } from "../../kernel-model/cpu.js";
import { LinuxX86_64 } from "../../kernel-model/linux_x86_64.js";
import { HAVE_NASM, hasTool, nasmElf32, nasmElf64 } from "../cpu/nasm.js";
import { CLI, ROOT, ensureDist } from "../run/cli.js";

const BIN32 = join(ROOT, "samples", "bin", "i386");
const BUSYBOX32 = join(ROOT, ".cache", "corpus", "i386", "busybox");
const HAVE_BUSYBOX = existsSync(BUSYBOX32);
const SIGILL = 4;
const isIntelHost = /GenuineIntel/.test(existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "");

async function machine(path: string, opts: MachineOptions = {}): Promise<Machine & { kernel: LinuxX86_64 }> {
  const m = await Machine.create(path, { env: [], deterministic: true, warnUnimplemented: false, captureOutput: true, ...opts });
  if (!(m.kernel instanceof LinuxX86_64) || !m.kernel.compat) throw new Error(`${path}: not a compat task on the x86-64 kernel`);
  return m as Machine & { kernel: LinuxX86_64 };
}

// getpid through int $0x80, then exit(0)
const INT80 = `
bits 32
global _start
global after_int80:function
_start:
	mov	eax, 20
	int	0x80
after_int80:
	mov	eax, 1
	xor	ebx, ebx
	int	0x80
`;
// a fast-syscall instruction outside the vDSO, then exit(7) if it ever returns there
const RAW = (insn: string) => `
bits 32
global _start
_start:
	mov	eax, 20
	${insn}
	mov	eax, 1
	mov	ebx, 7
	int	0x80
`;

// a 64-bit program using int $0x80: the 32-bit ABI (i386 write = 4, exit = 1), as on Linux
const INT80_FROM_64 = `
bits 64
global _start
section .text
_start:
	mov	eax, 4
	mov	ebx, 1
	mov	ecx, msg
	mov	edx, len
	int	0x80
	mov	eax, 1
	mov	ebx, 5
	int	0x80
section .data
msg:	db "int 0x80 from 64-bit code", 10
len	equ $ - msg
`;

const canBuild = HAVE_NASM && hasTool("ld");

describe.skipIf(!canBuild)("int $0x80 from compatibility mode: vector 128 of the 64-bit IDT, entry_INT80_compat, iretq", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sysgate-compat-"));
    nasmElf32(INT80, join(dir, "int80"));
    nasmElf32(RAW("syscall"), join(dir, "raw-syscall"));
    nasmElf32(RAW("sysenter"), join(dir, "raw-sysenter"));
    nasmElf64(INT80_FROM_64, join(dir, "int80-64"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the CPU pushes the 64-bit frame (RIP, CS 0x23, RFLAGS, RSP, SS 0x2b) on TSS.RSP0 and enters at CPL 0; iretq returns to compat mode", async () => {
    const m = await machine(join(dir, "int80"));
    try {
      const k = m.kernel, cpu = m.cpu, mem = k.phys.mem;
      const stub = k.text.sym("entry_INT80_compat");
      const at: { cs: bigint; rsp: bigint; frame: bigint[] }[] = [];
      cpu.onExecute(stub, () => {
        const rsp = cpu.get("rsp"), pa = k.kernelPa(rsp);
        at.push({ cs: cpu.get("cs"), rsp, frame: [0, 1, 2, 3, 4].map((i) => mem.readBigUInt64LE(pa + 8 * i)) });
      });
      const back: { cs: bigint; ss: bigint; rsp: bigint; rax: bigint }[] = [];
      const after = m.image.symbols.find((s) => s.name === "after_int80")!.value;
      cpu.onExecute(after, () => back.push({ cs: cpu.get("cs"), ss: cpu.get("ss"), rsp: cpu.get("rsp"), rax: cpu.get("rax") }));
      expect(m.run()).toMatchObject({ code: 0 });
      expect(at.length).toBe(2); // getpid, exit
      const d = k.ia32.lastInt80!;
      expect(d.gate).toMatchObject({ offset: stub, dpl: 3, selector: L.__KERNEL_CS });
      expect(Number(at[0].cs)).toBe(L.__KERNEL_CS);
      const [rip, cs, , rsp, ss] = at[0].frame;
      expect(rip).toBe(after);
      expect(Number(cs)).toBe(L.__USER32_CS);
      expect(Number(ss)).toBe(L.__USER_DS);
      expect(at[0].rsp).toBe(k.boot.stackTop - 40n); // TSS.RSP0, five 8-byte words
      expect(back).toEqual([{ cs: BigInt(L.__USER32_CS), ss: BigInt(L.__USER_DS), rsp, rax: BigInt(m.task.pid) }]);
      expect(k.lastSyscall?.slot?.name).toBe("exit");
    } finally {
      m.close();
    }
  });

  it("a 64-bit program's int $0x80 takes the same gate and the 32-bit ABI (ia32_sys_call_table), as natively", async () => {
    const exe = join(dir, "int80-64");
    const m = await Machine.create(exe, { env: [], deterministic: true, warnUnimplemented: false, captureOutput: true });
    const stubs: string[] = [];
    m.hooks.on("entry_stub", (e) => stubs.push(e.stub));
    try {
      const st = m.run();
      const n = spawnSync(exe, { encoding: "utf8" });
      expect({ out: m.stdout.toString(), code: st.code }).toEqual({ out: n.stdout, code: n.status });
      expect(stubs).toEqual(["entry_INT80_compat", "entry_INT80_compat"]);
    } finally {
      m.close();
    }
  });

  it("the 64-bit IDT: vector 0x80 a DPL 3 gate to entry_INT80_compat; only #BP and #OF besides", async () => {
    const m = await machine(join(dir, "int80"));
    try {
      const k = m.kernel, mem = k.phys.mem;
      const dpl3: number[] = [];
      for (let v = 0; v < 256; v++) if ((mem[k.kernelPa(k.boot.idt.va + BigInt(v * 16)) + 5] >> 5) & 3) dpl3.push(v);
      expect(dpl3).toEqual([3, 4, 0x80]);
    } finally {
      m.close();
    }
  });

  it("--cpu intel: SYSCALL outside 64-bit mode is #UD (SIGILL), as natively on an Intel CPU", async () => {
    const m = await machine(join(dir, "raw-syscall"), { cpu: "intel" });
    try {
      expect(m.run()).toMatchObject({ signal: SIGILL });
      expect(m.kernel.lastInterrupt?.vector).toBe(6);
      expect(m.kernel.lastSyscall).toBeUndefined();
    } finally {
      m.close();
    }
    if (isIntelHost) expect(spawnSync(join(dir, "raw-syscall")).signal).toBe("SIGILL");
  });

  it("--cpu amd: SYSENTER in long mode (compatibility mode too) is #UD (SIGILL)", async () => {
    const m = await machine(join(dir, "raw-sysenter"), { cpu: "amd" });
    try {
      expect(m.run()).toMatchObject({ signal: SIGILL });
      expect(m.kernel.lastInterrupt?.vector).toBe(6);
    } finally {
      m.close();
    }
  });
});

describe("the fast entries from __kernel_vsyscall, back with SYSRETL to the landing pad", () => {
  for (const cpu of ["intel", "amd"] as const) {
    const insn = cpu === "intel" ? "sysenter" : "syscall";
    it(`--cpu ${cpu}: ${insn} to ${insn === "sysenter" ? "entry_SYSENTER_compat (IA32_SYSENTER_*)" : "entry_SYSCALL_compat (IA32_CSTAR)"}, sysretl to int80_landing_pad with the user ESP`, async () => {
      const m = await machine(join(BIN32, "hello-vsyscall"), { cpu });
      try {
        const k = m.kernel, c = m.cpu, vdso = m.vdso!;
        const pad = vdso.base + BigInt(vdso.image.sysenterReturn!);
        expect(k.ia32.landingPad).toBe(pad);
        // the patched vDSO: the vendor's instruction right before the int $0x80
        expect(m.readMemory(pad - 4n, 2)).toEqual(Buffer.from(insn === "sysenter" ? [0x0f, 0x34] : [0x0f, 0x05]));
        const target = insn === "sysenter" ? c.rdmsr(MSR.IA32_SYSENTER_EIP) : c.rdmsr(MSR.CSTAR);
        expect(target).toBe(k.text.sym(insn === "sysenter" ? "entry_SYSENTER_compat" : "entry_SYSCALL_compat"));
        const atStub: { cs: bigint; rsp: bigint }[] = [];
        c.onExecute(target, () => atStub.push({ cs: c.get("cs"), rsp: c.get("rsp") }));
        let sysretl = 0;
        c.onExecute(k.text.sym("entry_SYSRETL_compat"), () => sysretl++);
        const atPad: { cs: bigint; ss: bigint; esp: bigint; userSp: bigint }[] = [];
        c.onExecute(pad, () => atPad.push({ cs: c.get("cs"), ss: c.get("ss"), esp: c.get("rsp"), userSp: k.ia32.lastTransition!.userSp }));

        expect(m.run()).toMatchObject({ code: 0 });
        expect(m.stdout.toString()).toBe("hello from __kernel_vsyscall\n");
        expect(atStub.length).toBe(2); // write, exit
        for (const s of atStub) expect(Number(s.cs)).toBe(L.__KERNEL_CS);
        if (insn === "sysenter") expect(atStub[0].rsp).toBe(c.rdmsr(MSR.IA32_SYSENTER_ESP));
        expect(k.ia32.lastTransition?.insn).toBe(insn);
        expect(sysretl).toBe(1); // the write came back by SYSRETL; exit never returns
        expect(atPad).toEqual([{ cs: BigInt(L.__USER32_CS), ss: BigInt(L.__USER_DS), esp: atPad[0].userSp, userSp: atPad[0].userSp }]);
      } finally {
        m.close();
      }
    });
  }
});

describe.skipIf(!HAVE_BUSYBOX)("a 32-bit glibc program under IA32 emulation (busybox i386)", () => {
  beforeAll(() => ensureDist());
  const sysgate = (args: string[]) => spawnSync(process.execPath, [CLI, "run", ...args], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } });
  const native = (args: string[]) => spawnSync(BUSYBOX32, args, { encoding: "utf8", env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } });

  it("uname -m says x86_64 and linux32 uname -m says i686, as natively; the native i386 kernel says i686", () => {
    for (const args of [["uname", "-m"], ["linux32", "uname", "-m"]]) {
      const n = native(args);
      expect(n.status).toBe(0);
      const s = sysgate([BUSYBOX32, ...args]);
      expect(s.stdout, s.stderr).toBe(n.stdout);
    }
    expect(native(["uname", "-m"]).stdout).toBe("x86_64\n");
    expect(sysgate(["--kernel", "i386", BUSYBOX32, "uname", "-m"]).stdout).toBe("i686\n");
  });

  it("the same lines give the same output natively, under IA32 emulation (intel, amd) and on the native i386 kernel", () => {
    const lines = [["sh", "-c", "echo a; x=$(echo b); echo $x; exit 3"], ["seq", "1", "50"], ["printf", "%s-%d\\n", "x", "42"]];
    for (const args of lines) {
      const n = native(args);
      for (const opts of [[], ["--cpu", "amd"], ["--kernel", "i386"]]) {
        const s = sysgate([...opts, BUSYBOX32, ...args]);
        expect({ out: s.stdout, status: s.status }, `${opts.join(" ")} ${args.join(" ")}: ${s.stderr}`).toEqual({ out: n.stdout, status: n.status });
      }
    }
  });

  it("compat layout: stack below IA32_PAGE_OFFSET, vDSO below the compat mmap base, TLS in GDT entry 12 (%gs = 0x63)", async () => {
    const m = await machine(BUSYBOX32, { argv: ["busybox", "true"] });
    try {
      let gs: bigint | undefined;
      m.hooks.on("syscall_exit", (e) => { if (e.name === "exit_group") return; gs = m.cpu.get("gs"); });
      const sp = m.task.mm.startStack;
      expect(sp < L.IA32_PAGE_OFFSET && sp > L.IA32_PAGE_OFFSET - (64n << 20n)).toBe(true);
      expect(m.vdso!.base < L.MMAP_BASE_COMPAT && m.vdso!.base > 0xf0000000n).toBe(true);
      expect(m.run()).toMatchObject({ code: 0 });
      expect(gs).toBe(BigInt(L.GDT_ENTRY_TLS_MIN * 8 + 3));
    } finally {
      m.close();
    }
  });

  it("sysgate trace says what strace says of a 32-bit tracee under a 64-bit kernel; not on the native i386 kernel", () => {
    const hello = join(BIN32, "hello-int80");
    const trace = (opts: string[]) => spawnSync(process.execPath, [CLI, "trace", "--deterministic", ...opts, hello], { encoding: "utf8" }).stderr.split("\n");
    expect(trace([])[1]).toBe("[ Process PID=1000 runs in 32 bit mode. ]");
    expect(trace(["--kernel", "i386"]).some((l) => l.includes("32 bit mode"))).toBe(false);
    if (hasTool("strace")) {
      const s = spawnSync("strace", [hello], { encoding: "utf8" });
      if (s.status === 0) expect(s.stderr.split("\n")[1]).toMatch(/^\[ Process PID=\d+ runs in 32 bit mode\. \]$/);
    }
  });

  it("a 64-bit shell runs the 32-bit program on the same CPU: exec changes the task's mode, not its kernel", async () => {
    const bb64 = join(ROOT, ".cache", "corpus", "amd64", "busybox");
    if (!existsSync(bb64)) return;
    const script = `${BUSYBOX32} uname -m; ${BUSYBOX32} linux32 uname -m; echo done`;
    const m = await Machine.create(bb64, { argv: ["busybox", "sh", "-c", script], env: [], deterministic: true, warnUnimplemented: false, captureOutput: true });
    try {
      const kernels = new Set<unknown>();
      m.hooks.on("syscall_entry", (e) => { const t = m.kstate.sched.tasks.get(e.pid); if (t) kernels.add(t.machine); });
      const st = m.run();
      const n = spawnSync(bb64, ["sh", "-c", script], { encoding: "utf8" });
      expect({ out: m.stdout.toString(), code: st.code }).toEqual({ out: n.stdout, code: n.status });
      expect(kernels.size).toBe(1); // one x86-64 kernel, one engine, both ABIs
    } finally {
      m.close();
    }
  });

  it("--kernel i386 cannot run a 64-bit program: one clear error", () => {
    const s = spawnSync(process.execPath, [CLI, "run", "--kernel", "i386", join(ROOT, "samples", "bin", "x86_64", "hello-syscall")], { encoding: "utf8" });
    expect(s.status).not.toBe(0);
    expect(s.stderr).toMatch(/64-bit program needs the x86-64 kernel/);
    expect(s.stderr).not.toMatch(/^\s+at /m);
  });
});
