// The engine behaviours the kernel model is built on (ARCHITECTURE.md, "Facts about the engine"), each measured on the
// Unicorn class directly with tiny nasm programs. If an engine update changes one of them, the
// model's transitions (kernel-model/entry/*) are wrong and this file says which assumption broke.

import { afterEach, describe, expect, it } from "vitest";
import { UC, Unicorn } from "../../emulator/cpu/unicorn.js";
import { X86Cpu } from "../../emulator/cpu/x86_cpu.js";
import { MSR } from "../../kernel-model/cpu.js";
import { HAVE_NASM, nasmBin } from "./nasm.js";

// Physical layout of the test machine (paging is off unless a test turns it on, so these low
// addresses are used as they are).
const GDT = 0x1000n;
const KCODE = 0x2000n;
const UCODE = 0x3000n;
const DATA = 0x5000n; // made supervisor-only in the paging test
const UDATA = 0x6000n;
const KSTACK = 0x9000n;
const USTACK = 0xa000n;
const PML4 = 0x10000n;

const KERNEL_CS = 0x10, KERNEL_DS = 0x18, USER32_CS = 0x23, USER_DS = 0x2b, USER_CS = 0x33;

let open: Unicorn[] = [];
afterEach(() => {
  for (const u of open) u.close();
  open = [];
});

function machine(): { uc: Unicorn; mem: Buffer } {
  const mem = Buffer.alloc(2 << 20);
  const uc = new Unicorn("64");
  uc.mapHostMemory(0n, mem);
  open.push(uc);
  return { uc, mem };
}

/** A GDT laid out as Linux's x86-64 one: null, (unused), kernel CS/DS, user32 CS, user DS, user CS. */
function loadLinuxGdt(uc: Unicorn, mem: Buffer): void {
  // base 0, limit 0xfffff, G=1; access byte P|DPL|S|type, flags L (64-bit code) or D/B (32-bit)
  const desc = (access: number, flags: number) => (BigInt(flags) << 52n) | (BigInt(access) << 40n) | (0xfn << 48n) | 0xffffn;
  const g = Number(GDT);
  mem.writeBigUInt64LE(desc(0x9a, 0xa), g + KERNEL_CS); // DPL 0 code, L=1
  mem.writeBigUInt64LE(desc(0x92, 0xc), g + KERNEL_DS); // DPL 0 data
  mem.writeBigUInt64LE(desc(0xfa, 0xc), g + (USER32_CS & ~3)); // DPL 3 code, D=1 (compat mode)
  mem.writeBigUInt64LE(desc(0xf2, 0xc), g + (USER_DS & ~3)); // DPL 3 data
  mem.writeBigUInt64LE(desc(0xfa, 0xa), g + (USER_CS & ~3)); // DPL 3 code, L=1
  uc.writeMmr(UC.UC_X86_REG_GDTR, { selector: 0, base: GDT, limit: 16 * 8 - 1, flags: 0 });
}

/** Kernel code at KCODE that enters user mode at UCODE with a real `iretq` (ss, rsp, rflags, cs, rip). */
const IRET_TO_USER = `
BITS 64
org ${KCODE}
	push ${USER_DS}
	push ${USTACK}
	push 0x202
	push ${USER_CS}
	push ${UCODE}
global iret_insn
iret_insn:
	iretq
`;

const load = (mem: Buffer, at: bigint, code: Buffer) => code.copy(mem, Number(at));
const cpl = (uc: Unicorn) => uc.read(UC.UC_X86_REG_CS) & 3;

describe.skipIf(!HAVE_NASM)("Unicorn x86-64 engine facts the model relies on", () => {
  it("(a) a UC_HOOK_INSN syscall hook sees RIP at the instruction; execution then continues at RIP+2", () => {
    const { uc, mem } = machine();
    // syscall (0f 05); inc rbx; then `until` stops at the end
    const code = nasmBin(`BITS 64\norg ${KCODE}\n\tsyscall\n\tinc rbx\nend:\n`);
    load(mem, KCODE, code);
    const seen: bigint[] = [];
    uc.hookInsn(UC.UC_X86_INS_SYSCALL, () => seen.push(uc.readBig(UC.UC_X86_REG_RIP)));
    uc.write(UC.UC_X86_REG_RCX, 0x1111);
    uc.write(UC.UC_X86_REG_RBX, 0);
    expect(uc.start(KCODE, KCODE + BigInt(code.length))).toBe(UC.UC_ERR_OK);
    expect(seen).toEqual([KCODE]);
    expect(uc.read(UC.UC_X86_REG_RBX)).toBe(1); // the instruction after the 2-byte syscall ran
    // the engine did not perform SYSCALL's transition itself: RCX is not the return address
    expect(uc.read(UC.UC_X86_REG_RCX)).toBe(0x1111);
  });

  it("(a) without a hook `syscall` is a 2-byte no-op (no RCX/R11/RIP change)", () => {
    const { uc, mem } = machine();
    const code = nasmBin(`BITS 64\norg ${KCODE}\n\tsyscall\n\tinc rbx\nend:\n`);
    load(mem, KCODE, code);
    uc.write(UC.UC_X86_REG_RCX, 0x1111);
    uc.write(UC.UC_X86_REG_R11, 0x2222);
    uc.writeMsr(MSR.LSTAR, 0x4000n);
    expect(uc.start(KCODE, KCODE + BigInt(code.length))).toBe(UC.UC_ERR_OK);
    expect(uc.read(UC.UC_X86_REG_RBX)).toBe(1);
    expect(uc.read(UC.UC_X86_REG_RCX)).toBe(0x1111);
    expect(uc.read(UC.UC_X86_REG_R11)).toBe(0x2222);
    expect(uc.readBig(UC.UC_X86_REG_RIP)).toBe(KCODE + BigInt(code.length));
  });

  it("(b) writing RIP = X inside the hook continues at X+2; uc_emu_stop in the hook leaves RIP after the instruction", () => {
    const { uc, mem } = machine();
    const code = nasmBin(`
BITS 64
org ${KCODE}
	syscall
	mov r12d, 0xbad		; runs only if the RIP write were ignored
	jmp done
	times 0x100-($-$$) nop
target:				; X
	jmp short wrong		; 2 bytes: landing on X itself would take this
	mov r12d, 0x600d	; X + 2
	jmp done
wrong:
	mov r12d, 0xdead
	times 0x200-($-$$) nop
done:
`);
    load(mem, KCODE, code);
    const X = KCODE + 0x100n, DONE = KCODE + 0x200n;
    uc.hookInsn(UC.UC_X86_INS_SYSCALL, () => uc.write(UC.UC_X86_REG_RIP, X));
    expect(uc.start(KCODE, DONE)).toBe(UC.UC_ERR_OK);
    expect(uc.read(UC.UC_X86_REG_R12)).toBe(0x600d);

    const { uc: uc2, mem: mem2 } = machine();
    load(mem2, KCODE, code);
    uc2.hookInsn(UC.UC_X86_INS_SYSCALL, () => uc2.stop());
    expect(uc2.start(KCODE, DONE)).toBe(UC.UC_ERR_OK);
    expect(uc2.readBig(UC.UC_X86_REG_RIP)).toBe(KCODE + 2n);
    expect(uc2.read(UC.UC_X86_REG_R12)).toBe(0);
  });

  describe("(c) privilege changes need a GDT and guest instructions", () => {
    it("`iretq` to a CS of RPL 3 drops to CPL 3, where `hlt` raises #GP (13) through UC_HOOK_INTR", () => {
      const { uc, mem } = machine();
      loadLinuxGdt(uc, mem);
      load(mem, KCODE, nasmBin(IRET_TO_USER));
      load(mem, UCODE, nasmBin(`BITS 64\norg ${UCODE}\n\tnop\n\thlt\n`));
      uc.write(UC.UC_X86_REG_RSP, KSTACK);
      expect(cpl(uc)).toBe(0); // Unicorn starts at CPL 0
      let userCs = -1;
      uc.hookCode(UCODE, UCODE, () => { userCs = uc.read(UC.UC_X86_REG_CS); });
      const intr: { n: number; rip: bigint; cs: number }[] = [];
      uc.hookIntr((n) => {
        intr.push({ n, rip: uc.readBig(UC.UC_X86_REG_RIP), cs: uc.read(UC.UC_X86_REG_CS) });
        uc.stop();
      });
      uc.start(KCODE);
      expect(userCs).toBe(USER_CS);
      expect(userCs & 3).toBe(3);
      expect(uc.read(UC.UC_X86_REG_SS)).toBe(USER_DS);
      expect(uc.readBig(UC.UC_X86_REG_RSP)).toBe(USTACK);
      expect(intr).toEqual([{ n: 13, rip: UCODE + 1n, cs: USER_CS }]);
    });

    it("`sysretq` with EFER.SCE set drops to CPL 3 with CS = STAR[63:48]+16, SS = STAR[63:48]+8, RIP = RCX, RFLAGS = R11", () => {
      const { uc, mem } = machine();
      loadLinuxGdt(uc, mem);
      uc.writeMsr(MSR.EFER, uc.readMsr(MSR.EFER) | 1n);
      expect(uc.readMsr(MSR.EFER) & 1n).toBe(1n); // Unicorn 2.0 could not set SCE
      uc.writeMsr(MSR.STAR, (BigInt(USER32_CS & ~3) << 48n) | (BigInt(KERNEL_CS) << 32n));
      load(mem, KCODE, nasmBin(`BITS 64\norg ${KCODE}\n\tmov rcx, ${UCODE}\n\tmov r11, 0x246\n\to64 sysret\n`));
      load(mem, UCODE, nasmBin(`BITS 64\norg ${UCODE}\n\tnop\n\thlt\n`));
      uc.write(UC.UC_X86_REG_RSP, KSTACK);
      let at: { cs: number; ss: number; rflags: number } | undefined;
      uc.hookCode(UCODE, UCODE, () => {
        at = { cs: uc.read(UC.UC_X86_REG_CS), ss: uc.read(UC.UC_X86_REG_SS), rflags: uc.read(UC.UC_X86_REG_RFLAGS) };
      });
      const intr: number[] = [];
      uc.hookIntr((n) => { intr.push(n); uc.stop(); });
      uc.start(KCODE);
      expect(at).toEqual({ cs: USER_CS, ss: USER_DS, rflags: 0x246 });
      expect(intr).toEqual([13]); // hlt at CPL 3
    });
  });

  it("(d) uc_context_restore of a CPL 0 context inside a syscall hook at CPL 3 brings CPL back to 0; execution goes on at the RIP written after it (+2)", () => {
    const { uc, mem } = machine();
    loadLinuxGdt(uc, mem);
    const K = KCODE + 0x100n;
    load(mem, KCODE, nasmBin(`${IRET_TO_USER}
	times 0x102-($-$$) nop	; K + 2: privileged work that #GPs at CPL 3
	mov rax, cr0
	mov rbx, 0x4b4b
done:
`));
    load(mem, UCODE, nasmBin(`BITS 64\norg ${UCODE}\n\tsyscall\n\tud2\n`));
    uc.write(UC.UC_X86_REG_RSP, KSTACK);
    const ctx = uc.contextAlloc();
    // save at CPL 0 just before the iretq (kernel CS loaded, kernel stack)
    const iretAt = KCODE + BigInt(nasmBin(IRET_TO_USER).length - 2);
    uc.hookCode(iretAt, iretAt, () => uc.contextSave(ctx));
    let inHook: { cs: number; afterRestore: number } | undefined;
    uc.hookInsn(UC.UC_X86_INS_SYSCALL, () => {
      const cs = uc.read(UC.UC_X86_REG_CS);
      uc.contextRestore(ctx);
      inHook = { cs, afterRestore: uc.read(UC.UC_X86_REG_CS) };
      uc.write(UC.UC_X86_REG_RIP, K);
    });
    let csAtK2 = -1;
    uc.hookCode(K + 2n, K + 2n, () => { csAtK2 = uc.read(UC.UC_X86_REG_CS); });
    const intr: number[] = [];
    uc.hookIntr((n) => { intr.push(n); uc.stop(); });
    const doneAt = K + 2n + 3n + 7n; // mov rax,cr0 (3 bytes) + mov rbx,imm32 (7 bytes)
    expect(uc.start(KCODE, doneAt)).toBe(UC.UC_ERR_OK);
    expect(intr).toEqual([]);
    expect(inHook).toEqual({ cs: USER_CS, afterRestore: expect.any(Number) });
    expect(inHook!.afterRestore & 3).toBe(0);
    expect(csAtK2 & 3).toBe(0);
    expect(uc.read(UC.UC_X86_REG_RBX)).toBe(0x4b4b); // mov rax, cr0 did not fault: really CPL 0
    uc.contextFree(ctx);
  });

  it("(e) `int $0x80` calls UC_HOOK_INTR with intno 0x80, RIP already past the instruction, nothing pushed", () => {
    const { uc, mem } = machine();
    load(mem, KCODE, nasmBin(`BITS 64\norg ${KCODE}\n\tint 0x80\n\tnop\n`));
    uc.write(UC.UC_X86_REG_RSP, KSTACK);
    const seen: { n: number; rip: bigint; rsp: bigint }[] = [];
    uc.hookIntr((n) => {
      seen.push({ n, rip: uc.readBig(UC.UC_X86_REG_RIP), rsp: uc.readBig(UC.UC_X86_REG_RSP) });
      uc.stop();
    });
    uc.start(KCODE);
    expect(seen).toEqual([{ n: 0x80, rip: KCODE + 2n, rsp: KSTACK }]);

    // without a hook, emulation ends with UC_ERR_EXCEPTION
    const { uc: bare, mem: bareMem } = machine();
    load(bareMem, KCODE, nasmBin(`BITS 64\norg ${KCODE}\n\tint 0x80\n\tnop\n`));
    expect(bare.start(KCODE)).toBe(UC.UC_ERR_EXCEPTION);
  });

  it("(f) with 4-level paging, a CPL 3 read of a supervisor page raises #PF (14) with CR2 = the address", () => {
    const { uc, mem } = machine();
    loadLinuxGdt(uc, mem);
    // identity-map the first 2 MiB with 4 KiB pages, all user-accessible except DATA
    const P = 1n, RW = 2n, US = 4n;
    const pml4 = Number(PML4), pdpt = pml4 + 0x1000, pd = pml4 + 0x2000, pt = pml4 + 0x3000;
    mem.writeBigUInt64LE(BigInt(pdpt) | P | RW | US, pml4);
    mem.writeBigUInt64LE(BigInt(pd) | P | RW | US, pdpt);
    mem.writeBigUInt64LE(BigInt(pt) | P | RW | US, pd);
    for (let i = 0; i < 512; i++) mem.writeBigUInt64LE(BigInt(i * 0x1000) | P | RW | (BigInt(i * 0x1000) === DATA ? 0n : US), pt + i * 8);
    mem.writeBigUInt64LE(0x5a5an, Number(DATA));
    mem.writeBigUInt64LE(0x7777n, Number(UDATA));
    uc.write(UC.UC_X86_REG_CR3, PML4);
    uc.write(UC.UC_X86_REG_CR4, uc.readBig(UC.UC_X86_REG_CR4) | 0x20n); // PAE
    uc.writeMsr(MSR.EFER, uc.readMsr(MSR.EFER) | (1n << 8n) | (1n << 10n)); // LME, LMA
    uc.write(UC.UC_X86_REG_CR0, uc.readBig(UC.UC_X86_REG_CR0) | 0x80000001n); // PG | PE
    // the kernel reads the supervisor page itself (allowed at CPL 0), then goes to user mode
    const kernel = IRET_TO_USER.replace("org " + KCODE, `org ${KCODE}\n\tmov r13, [abs ${DATA}]`);
    load(mem, KCODE, nasmBin(kernel));
    load(mem, UCODE, nasmBin(`BITS 64\norg ${UCODE}\n\tmov r14, [abs ${UDATA}]\n\tmov r15, [abs ${DATA}]\n\tnop\n`));
    uc.write(UC.UC_X86_REG_RSP, KSTACK);
    const faults: { n: number; cr2: bigint; cs: number }[] = [];
    uc.hookIntr((n) => {
      faults.push({ n, cr2: uc.readBig(UC.UC_X86_REG_CR2), cs: uc.read(UC.UC_X86_REG_CS) });
      uc.stop();
    });
    uc.start(KCODE);
    expect(uc.readBig(UC.UC_X86_REG_CR0) & 0x80000000n).toBe(0x80000000n);
    expect(uc.read(UC.UC_X86_REG_R13)).toBe(0x5a5a); // CPL 0 may read it
    expect(uc.read(UC.UC_X86_REG_R14)).toBe(0x7777); // CPL 3 may read a user page
    expect(faults).toEqual([{ n: 14, cr2: DATA, cs: USER_CS }]);
    expect(uc.read(UC.UC_X86_REG_R15)).toBe(0); // the read did not happen
  });

  describe("(g) a JS exception thrown inside a hook", () => {
    const SRC = `BITS 64\norg ${KCODE}\n\tsyscall\n\tinc rbx\n\tinc rbx\n`;

    it("through the raw binding: koffi holds it while emulation goes on, and start() rethrows it", () => {
      const { uc, mem } = machine();
      const code = nasmBin(SRC);
      load(mem, KCODE, code);
      uc.hookInsn(UC.UC_X86_INS_SYSCALL, () => { throw new Error("raw hook boom"); });
      expect(() => uc.start(KCODE, KCODE + BigInt(code.length))).toThrow("raw hook boom");
      // the rest of the code ran: the engine never saw the exception
      expect(uc.read(UC.UC_X86_REG_RBX)).toBe(2);
    });

    it("through X86Cpu: emulation stops at once, run() rethrows it, and the CPU stays usable", () => {
      const phys = Buffer.alloc(2 << 20);
      const cpu = new X86Cpu(64, phys);
      try {
        nasmBin(SRC).copy(phys, Number(KCODE));
        let calls = 0;
        cpu.onInstruction("syscall", () => {
          if (calls++ === 0) throw new Error("hook boom");
        });
        expect(() => cpu.run(KCODE)).toThrow("hook boom");
        expect(cpu.get("rbx")).toBe(0n); // stopped right after the syscall
        expect(cpu.get("rip")).toBe(KCODE + 2n);
        // the process is alive and the CPU runs again: the next run goes to the end
        cpu.set("rbx", 0n);
        expect(cpu.run(KCODE, 3)).toBe(UC.UC_ERR_OK);
        expect(cpu.get("rbx")).toBe(2n);
        expect(calls).toBe(2);
      } finally {
        cpu.close();
      }
    });
  });
});
