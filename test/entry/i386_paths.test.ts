// The native i386 kernel's entry paths (--kernel i386) through the model, observed from hooks on the kernel text and from guest
// memory: `int $0x80` (the IDT gate, the frame the delivery pushed, the TSS stack, CPL 0 and back
// to 3 through iret), exceptions and INT n that the gate refuses, SYSENTER from the vDSO's
// __kernel_vsyscall and SYSEXIT to its landing pad, glibc's choice between the two, and the vDSO
// clock functions that never enter the kernel.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Machine, type MachineOptions } from "../../emulator/machine.js";
import { MSR } from "../../kernel-model/cpu.js";
import { LinuxI386 } from "../../kernel-model/linux_i386.js";
import { HAVE_NASM, hasTool, nasmElf32 } from "../cpu/nasm.js";
import { ROOT } from "../run/cli.js";

const BIN32 = join(ROOT, "samples", "bin", "i386");
const __USER_CS = 0x73, __USER_DS = 0x7b;
const SIGTRAP = 5, SIGSEGV = 11;

async function machine(path: string, opts: MachineOptions = {}): Promise<Machine & { kernel: LinuxI386 }> {
  // the native 32-bit kernel (IA32 emulation, the default, is test/entry/compat_paths.test.ts)
  const m = await Machine.create(path, { env: [], deterministic: true, warnUnimplemented: false, captureOutput: true, kernel: "i386", ...opts });
  if (!(m.kernel instanceof LinuxI386)) throw new Error(`${path} is not an i386 program`);
  return m as Machine & { kernel: LinuxI386 };
}

const sym = (m: Machine, name: string) => {
  const s = m.image.symbols.find((x) => x.name === name);
  if (!s) throw new Error(`no symbol ${name}`);
  return s.value;
};

// getpid through int $0x80 with known EFLAGS (CF, PF, ZF, SF, DF, OF and IF set), then exit(0).
const INT80_GUEST = `
bits 32
global _start
global after_int80:function
section .text
_start:
	push	0xed7			; OF DF IF SF ZF AF PF CF and the always-1 bit
	popfd
	mov	eax, 20			; getpid
	int	0x80
after_int80:
	cld
	mov	eax, 1			; exit
	xor	ebx, ebx
	int	0x80
`;
const INT81_GUEST = `
bits 32
global _start
section .text
_start:
	int	0x81			; IDT gate DPL 0 < CPL 3: #GP, SIGSEGV
	mov	eax, 1
	mov	ebx, 7
	int	0x80
`;
const INT3_GUEST = `
bits 32
global _start
section .text
_start:
	int3				; #BP through a DPL 3 gate: SIGTRAP
	mov	eax, 1
	mov	ebx, 7
	int	0x80
`;

const canBuild = HAVE_NASM && hasTool("ld");
if (!canBuild) console.warn("i386_paths: nasm or ld missing (apt-get install nasm binutils): the built guests are skipped");

describe.skipIf(!canBuild)("int $0x80: IDT vector 128 into entry_INT80_32 and iret back", () => {
  let dir: string;
  const exe = (n: string) => join(dir, n);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sysgate-i386-"));
    nasmElf32(INT80_GUEST, exe("int80"));
    nasmElf32(INT81_GUEST, exe("int81"));
    nasmElf32(INT3_GUEST, exe("int3"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the delivery pushes EIP, CS, EFLAGS, ESP, SS on the TSS.esp0 stack and enters at CPL 0; iret returns at CPL 3", async () => {
    const m = await machine(exe("int80"));
    try {
      const k = m.kernel, cpu = m.cpu, mem = k.phys.mem;
      const esp0 = () => BigInt(mem.readUInt32LE(k.kernelPa(k.boot.tss.va + 4n))); // TSS.esp0
      const atStub: { cs: bigint; ss: bigint; esp: bigint; frame: number[]; d: NonNullable<LinuxI386["lastInt80"]>; esp0: bigint }[] = [];
      cpu.onExecute(k.text.sym("entry_INT80_32"), () => {
        const d = k.lastInt80!;
        const pa = k.kernelPa(d.frame);
        atStub.push({ cs: cpu.get("cs"), ss: cpu.get("ss"), esp: cpu.get("esp"), d, esp0: esp0(),
          frame: [0, 1, 2, 3, 4].map((i) => mem.readUInt32LE(pa + 4 * i)) });
      });
      const back: { cs: bigint; ss: bigint; esp: bigint }[] = [];
      const after = sym(m, "after_int80");
      cpu.onExecute(after, () => back.push({ cs: cpu.get("cs"), ss: cpu.get("ss"), esp: cpu.get("esp") }));

      expect(m.run()).toMatchObject({ code: 0 });
      expect(atStub.length).toBe(2); // getpid, exit
      const { cs, ss, esp, d, frame, esp0: sp0 } = atStub[0];
      expect(d.vector).toBe(0x80);
      expect(d.cplBefore).toBe(3);
      expect(d.gate.offset).toBe(k.text.sym("entry_INT80_32"));
      // lowest address first: EIP, CS, EFLAGS, ESP, SS
      const [eip, pushedCs, eflags, userEsp, pushedSs] = frame;
      expect(BigInt(eip)).toBe(after);
      expect(pushedCs).toBe(__USER_CS);
      expect(eflags & 0xed7).toBe(0xed7);
      expect(eflags & 0x3000).toBe(0); // IOPL 0
      expect(pushedSs).toBe(__USER_DS);
      expect(BigInt(userEsp)).toBe(back[0].esp); // the user ESP is what iret put back
      expect(BigInt(userEsp)).toBe(d.userSp);
      // the stack switch: the frame is the top 20 bytes of the stack TSS.esp0 names
      expect(d.stackTop).toBe(sp0);
      expect(d.frame).toBe(sp0 - 20n);
      expect(esp).toBe(d.frame);
      expect(sp0 >= 0xc0000000n).toBe(true);
      // CPL 0 in the stub, with the kernel's code and stack segments
      expect(Number(cs) & 3).toBe(0);
      expect(Number(cs)).toBe(0x60); // __KERNEL_CS
      expect(Number(ss) & 3).toBe(0);
      // and CPL 3 after iret
      expect(back.length).toBe(1);
      expect(Number(back[0].cs)).toBe(__USER_CS);
      expect(Number(back[0].ss)).toBe(__USER_DS);
      expect(k.lastSyscall?.slot?.name).toBe("exit");
    } finally {
      m.close();
    }
  });

  it("the IDT in guest memory: vector 0x80 is a DPL 3 gate to entry_INT80_32; only 3 (#BP) and 4 (#OF) are DPL 3 besides", async () => {
    const m = await machine(exe("int80"));
    try {
      const k = m.kernel, mem = k.phys.mem;
      const idtr = m.cpu.getTable("idtr");
      expect(BigInt(idtr.base)).toBe(k.boot.idt.va);
      expect(idtr.limit).toBe(256 * 8 - 1);
      const dpl3: number[] = [];
      for (let v = 0; v < 256; v++) {
        const pa = k.kernelPa(k.boot.idt.va + BigInt(v * 8));
        const b5 = mem[pa + 5];
        if ((b5 >> 5) & 3) {
          expect((b5 >> 5) & 3, `vector ${v}`).toBe(3);
          dpl3.push(v);
        }
      }
      expect(dpl3).toEqual([3, 4, 0x80]);
      const pa = k.kernelPa(k.boot.idt.va + 0x80n * 8n);
      const offset = BigInt(mem.readUInt16LE(pa) | (mem.readUInt16LE(pa + 6) << 16)) & 0xffffffffn;
      expect(offset).toBe(k.text.sym("entry_INT80_32"));
      expect(mem.readUInt16LE(pa + 2)).toBe(0x60); // selector __KERNEL_CS
      expect(mem[pa + 5] & 0x80).toBe(0x80); // present
      expect([0xe, 0xf]).toContain(mem[pa + 5] & 0xf); // a 32-bit interrupt or trap gate
    } finally {
      m.close();
    }
  });

  it("int $0x81 from user mode: the DPL 0 gate refuses, #GP, SIGSEGV", async () => {
    const m = await machine(exe("int81"));
    try {
      const st = m.run();
      expect(st).toMatchObject({ signal: SIGSEGV });
      expect(m.kernel.lastInterrupt?.vector).toBe(13); // delivered as #GP, not as vector 0x81
      expect(m.kernel.lastInterrupt?.errorCode).toBe(0x81n * 8n + 2n); // IDT index, IDT bit
    } finally {
      m.close();
    }
  });

  it("int3: #BP through its DPL 3 gate, SIGTRAP", async () => {
    const m = await machine(exe("int3"));
    try {
      expect(m.run()).toMatchObject({ signal: SIGTRAP });
      expect(m.kernel.lastInterrupt?.vector).toBe(3);
      expect(m.kernel.lastInterrupt?.cplBefore).toBe(3);
    } finally {
      m.close();
    }
  });
});

describe("sysenter: __kernel_vsyscall into entry_SYSENTER_32 and sysexit to the landing pad", () => {
  it("hello-vsyscall: ESP/EIP from the MSRs at the stub; SYSEXIT lands on the vDSO pad with the user ESP; the output is right", async () => {
    const m = await machine(join(BIN32, "hello-vsyscall"));
    try {
      const k = m.kernel, cpu = m.cpu, vdso = m.vdso!;
      expect(vdso).toBeDefined();
      const pad = vdso.base + BigInt(vdso.image.sysenterReturn!);
      expect(k.vdsoLandingPad).toBe(pad);
      const msrEsp = cpu.rdmsr(MSR.IA32_SYSENTER_ESP), msrEip = cpu.rdmsr(MSR.IA32_SYSENTER_EIP);
      expect(msrEip).toBe(k.text.sym("entry_SYSENTER_32"));
      expect(Number(cpu.rdmsr(MSR.IA32_SYSENTER_CS))).toBe(0x60);
      const atStub: { esp: bigint; eip: bigint; cs: bigint }[] = [];
      cpu.onExecute(msrEip, () => atStub.push({ esp: cpu.get("esp"), eip: cpu.get("eip"), cs: cpu.get("cs") }));
      const atPad: { eip: bigint; esp: bigint; cs: bigint; userEsp: bigint | undefined }[] = [];
      cpu.onExecute(pad, () => atPad.push({ eip: cpu.get("eip"), esp: cpu.get("esp"), cs: cpu.get("cs"), userEsp: k.lastSysenter?.userEsp }));

      const st = m.run();
      expect(st).toMatchObject({ code: 0 });
      expect(m.stdout.toString()).toBe("hello from __kernel_vsyscall\n");
      expect(k.lastSysenter).toBeDefined();
      expect(atStub.length).toBe(2); // write, exit
      for (const s of atStub) {
        expect(s.esp).toBe(msrEsp);
        expect(s.eip).toBe(msrEip);
        expect(Number(s.cs) & 3).toBe(0);
      }
      // the write returned through SYSEXIT (the exit never returns)
      expect(atPad.length).toBe(1);
      expect(atPad[0].eip).toBe(pad);
      expect(atPad[0].esp).toBe(atPad[0].userEsp);
      expect(Number(atPad[0].cs)).toBe(__USER_CS);
    } finally {
      m.close();
    }
  });

  // KNOWN BUG (kernel-model/entry/sysenter_32.ts): in Unicorn's 32-bit SYSENTER hook EIP is not
  // synced to the instruction: it reads as the start of the translation block (here the entry of
  // __kernel_vsyscall, 2+1+1+2 bytes before `sysenter`), so lastSysenter.userEip and the
  // `instruction` event's address name the wrong instruction. Remove `.fails` once fixed.
  it("lastSysenter.userEip is the address of the `sysenter` instruction in __kernel_vsyscall", async () => {
    const m = await machine(join(BIN32, "hello-vsyscall"));
    try {
      expect(m.run()).toMatchObject({ code: 0 });
      const vdso = m.vdso!;
      const pad = vdso.base + BigInt(vdso.image.sysenterReturn!);
      const at = m.kernel.lastSysenter!.userEip;
      expect(at > vdso.sym("__kernel_vsyscall") && at < pad).toBe(true);
      expect(m.readMemory(at, 2)).toEqual(Buffer.from([0x0f, 0x34])); // the bytes of `sysenter`
    } finally {
      m.close();
    }
  });

  it("hello-vsyscall without a vDSO says so and uses int $0x80", async () => {
    const m = await machine(join(BIN32, "hello-vsyscall"), { vdso: false });
    try {
      expect(m.run()).toMatchObject({ code: 0 });
      expect(m.stdout.toString()).toBe("no AT_SYSINFO, using int 0x80\n");
      expect(m.kernel.lastSysenter).toBeUndefined();
    } finally {
      m.close();
    }
  });

  /** Entries at each i386 stub over a whole run. */
  async function entries(path: string, args: string[], opts: MachineOptions) {
    const m = await machine(path, { argv: [path, ...args], ...opts });
    try {
      const k = m.kernel;
      const n = { sysenter: 0, int80: 0 };
      m.cpu.onExecute(k.text.sym("entry_SYSENTER_32"), () => n.sysenter++);
      m.cpu.onExecute(k.text.sym("entry_INT80_32"), () => n.int80++);
      const st = m.run();
      return { ...n, st, out: m.stdout.toString() };
    } finally {
      m.close();
    }
  }

  const busybox32 = join(ROOT, ".cache", "corpus", "i386", "busybox");
  const target = existsSync(busybox32) ? busybox32 : join(BIN32, "hello-glibc-32");
  const args = target === busybox32 ? ["echo", "hi"] : [];
  const out = target === busybox32 ? "hi\n" : "hello from glibc i386\n";
  it(`glibc i386 (${target === busybox32 ? "busybox echo" : "hello-glibc-32, busybox not fetched"}): sysenter with AT_SYSINFO, int $0x80 without`, async () => {
    const withVdso = await entries(target, args, {});
    expect(withVdso.st).toMatchObject({ code: 0 });
    expect(withVdso.out).toBe(out);
    expect(withVdso.sysenter).toBeGreaterThan(3);
    // glibc's static startup makes its first calls (TLS setup) before it has read AT_SYSINFO
    expect(withVdso.int80).toBeLessThan(withVdso.sysenter);

    const without = await entries(target, args, { vdso: false });
    expect(without.st).toMatchObject({ code: 0 });
    expect(without.out).toBe(out);
    expect(without.sysenter).toBe(0);
    expect(without.int80).toBe(withVdso.sysenter + withVdso.int80); // the same syscalls, all through the gate
  });
});

describe("the vDSO clock functions enter no kernel", () => {
  const expected = JSON.parse(readFileSync(join(ROOT, "samples", "expected.json"), "utf8")) as { runs: { bin: string; args: string[]; stdout?: string; status?: number }[] };
  const CLOCK = /^(clock_gettime|clock_gettime64|gettimeofday|time)$/;
  const samples = ["x86_64/clock-read", "x86_64/clock-read-musl", "i386/clock-read-32", "i386/clock-read-musl-32",
    "x86_64/vdso-gettimeofday", "i386/vdso-gettimeofday-32"];
  for (const bin of samples) {
    const e = expected.runs.find((r) => r.bin === bin)!;
    it(`${bin}: no clock syscall, expected output`, async () => {
      expect(e, `${bin} in expected.json`).toBeDefined();
      const path = join(ROOT, "samples", "bin", bin);
      const m = await Machine.create(path, { argv: [path, ...e.args], env: [], warnUnimplemented: false, captureOutput: true });
      try {
        const seen: string[] = [];
        m.hooks.on("syscall_entry", (ev) => seen.push(ev.name ?? `#${ev.nr}`));
        const vdsoCalls: string[] = [];
        m.hooks.on("vdso", (ev) => vdsoCalls.push(ev.function));
        const st = m.run();
        expect(st).toMatchObject({ code: e.status ?? 0 });
        expect(m.stdout.toString()).toBe(e.stdout);
        expect(seen.length).toBeGreaterThan(0); // the hook does see this program's syscalls
        expect(seen.filter((n) => CLOCK.test(n))).toEqual([]);
        expect(vdsoCalls.some((f) => /gettime|gettimeofday|time/.test(f)), vdsoCalls.join(",")).toBe(true);
      } finally {
        m.close();
      }
    });
  }
});
