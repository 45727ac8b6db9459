// The kernel model's Cpu (kernel-model/cpu.ts) on a Unicorn x86 engine.

import type { Cpu, CpuContext, Reg, RegBatch, TableReg } from "../../kernel-model/cpu.js";
import { UC, Unicorn, UnicornContext } from "./unicorn.js";
import { StopRequest } from "./stop_request.js";
import { Watchdog } from "./watchdog.js";

const REG_IDS: Record<Reg, number> = {
  rax: UC.UC_X86_REG_RAX, rbx: UC.UC_X86_REG_RBX, rcx: UC.UC_X86_REG_RCX, rdx: UC.UC_X86_REG_RDX,
  rsi: UC.UC_X86_REG_RSI, rdi: UC.UC_X86_REG_RDI, rbp: UC.UC_X86_REG_RBP, rsp: UC.UC_X86_REG_RSP,
  r8: UC.UC_X86_REG_R8, r9: UC.UC_X86_REG_R9, r10: UC.UC_X86_REG_R10, r11: UC.UC_X86_REG_R11,
  r12: UC.UC_X86_REG_R12, r13: UC.UC_X86_REG_R13, r14: UC.UC_X86_REG_R14, r15: UC.UC_X86_REG_R15,
  rip: UC.UC_X86_REG_RIP, rflags: UC.UC_X86_REG_RFLAGS,
  eax: UC.UC_X86_REG_EAX, ebx: UC.UC_X86_REG_EBX, ecx: UC.UC_X86_REG_ECX, edx: UC.UC_X86_REG_EDX,
  esi: UC.UC_X86_REG_ESI, edi: UC.UC_X86_REG_EDI, ebp: UC.UC_X86_REG_EBP, esp: UC.UC_X86_REG_ESP,
  eip: UC.UC_X86_REG_EIP, eflags: UC.UC_X86_REG_EFLAGS,
  cs: UC.UC_X86_REG_CS, ss: UC.UC_X86_REG_SS, ds: UC.UC_X86_REG_DS, es: UC.UC_X86_REG_ES,
  fs: UC.UC_X86_REG_FS, gs: UC.UC_X86_REG_GS, fs_base: UC.UC_X86_REG_FS_BASE, gs_base: UC.UC_X86_REG_GS_BASE,
  cr0: UC.UC_X86_REG_CR0, cr2: UC.UC_X86_REG_CR2, cr3: UC.UC_X86_REG_CR3, cr4: UC.UC_X86_REG_CR4,
};
/** Bytes per x87/SSE register in a batch (the widest, XMM and the 80-bit ST registers, fit). */
const XSTATE_SLOT = 16;
const TABLE_IDS = { gdtr: UC.UC_X86_REG_GDTR, idtr: UC.UC_X86_REG_IDTR, tr: UC.UC_X86_REG_TR, ldtr: UC.UC_X86_REG_LDTR };

class Ctx extends UnicornContext implements CpuContext {
  declare readonly __cpuContext: true;
}

export class X86Cpu implements Cpu {
  readonly uc: Unicorn;
  /** The first exception a hook threw: emulation was stopped and run() rethrows it. */
  private hookError: unknown;

  private readonly xstate: ReturnType<Unicorn["batch"]>;
  readonly xstateSize: number;
  /** The registers xsave() moves: XMM, x87, their control and status words (16-byte slots). */
  private readonly xstateRegs: number[];

  constructor(readonly bits: 64 | 32, readonly phys: Buffer) {
    this.uc = new Unicorn(bits === 64 ? "64" : "32");
    this.uc.mapHostMemory(0n, phys);
    const xmm = Array.from({ length: bits === 64 ? 16 : 8 }, (_, i) => UC[`UC_X86_REG_XMM${i}` as keyof typeof UC] as number);
    const st = Array.from({ length: 8 }, (_, i) => UC[`UC_X86_REG_ST${i}` as keyof typeof UC] as number);
    this.xstateRegs = [...xmm, ...st, UC.UC_X86_REG_MXCSR, UC.UC_X86_REG_FPCW, UC.UC_X86_REG_FPSW, UC.UC_X86_REG_FPTAG];
    this.xstate = this.uc.batch([], this.xstateRegs, XSTATE_SLOT);
    this.xstateSize = this.xstate.raw.length;
  }

  xsave(into: Buffer): void {
    this.xstate.read();
    this.xstate.raw.copy(into);
  }
  xrstor(from: Buffer): void {
    from.copy(this.xstate.raw);
    this.xstate.write();
  }

  get(reg: Reg): bigint { return this.uc.readBig(REG_IDS[reg]); }
  set(reg: Reg, value: bigint | number): void {
    if (reg === "cr2") {
      // Unicorn 2.1.1 stores a CR2 write into CR3 as well (measured: test/cpu/engine.test.ts);
      // put CR3 back so a page fault's address does not replace the page-table root.
      const cr3 = this.uc.readBig(UC.UC_X86_REG_CR3);
      this.uc.write(REG_IDS.cr2, value);
      this.uc.write(UC.UC_X86_REG_CR3, cr3);
      return;
    }
    this.uc.write(REG_IDS[reg], value);
  }
  batch(regs: readonly Reg[], opts?: { xstate?: boolean }): RegBatch {
    return this.uc.batch(regs.map((r) => REG_IDS[r]), opts?.xstate ? this.xstateRegs : [], XSTATE_SLOT);
  }
  rdmsr(msr: number): bigint { return this.uc.readMsr(msr); }
  wrmsr(msr: number, value: bigint): void { this.uc.writeMsr(msr, value); }
  getTable(reg: keyof typeof TABLE_IDS): TableReg { return this.uc.readMmr(TABLE_IDS[reg]); }
  setTable(reg: keyof typeof TABLE_IDS, v: TableReg): void { this.uc.writeMmr(TABLE_IDS[reg], v); }

  saveContext(into?: CpuContext): CpuContext {
    const ctx = (into as Ctx | undefined) ?? new Ctx(this.uc.contextAlloc().handle);
    this.uc.contextSave(ctx);
    return ctx;
  }
  restoreContext(ctx: CpuContext): void { this.uc.contextRestore(ctx as Ctx); }
  flushTlb(): void { this.uc.flushTlb(); }
  /**
   * A TB flush costs in proportion to the translation buffer (a few ms at TCG_BUFFER_SIZE), and
   * hooks set up before a CPU first runs (a tracer's, the stepping UI's, those of every exec'ed
   * process) asked for one each: before the first run there is no translated code to drop.
   */
  flushCode(): void {
    if (this.translated) this.uc.flushTb();
  }
  /** Whether the engine has run, and so may hold translated code. */
  private translated = false;
  stop(): void { this.uc.stop(); }

  /**
   * Every hook body runs inside this: an exception stops the CPU instead of being lost in koffi.
   * One argument at most and no rest parameters: two hooks run on every syscall.
   */
  private guard<A>(fn: (a: A) => void): (a: A) => void {
    return (a: A) => {
      try {
        fn(a);
      } catch (e) {
        this.hookError ??= e;
        this.uc.stop();
      }
    };
  }
  onExecute(address: bigint, fn: () => void): void {
    this.uc.hookTrap(address, this.guard<void>(fn));
  }
  /** Can a run be bounded by a block budget (the stop-request word's)? Otherwise by an instruction count. */
  get blockSlicing(): boolean {
    return this.stopRequest() !== undefined;
  }
  /** Can a run be bounded by time (a POSIX timer and the stop-request word)? Otherwise runs are bounded by block counts. */
  get timeSlicing(): boolean {
    if (this.watchdog === undefined) {
      const stop = this.stopRequest();
      this.watchdog = stop ? Watchdog.open(stop) ?? null : null;
    }
    return this.watchdog !== null;
  }

  /**
   * The word other threads set to stop this engine at its next block (stop_request.ts), or
   * undefined where the host has none. Its block hook costs a few ns per translated block, so it
   * is installed on first use, with the engine stopped (code translated before is dropped);
   * `shared`, at that first use, is the buffer to use (StopRequest).
   */
  stopRequest(shared?: SharedArrayBuffer): StopRequest | undefined {
    if (this.stopReq === undefined) {
      this.stopReq = StopRequest.install(this.uc, shared) ?? null;
      if (this.stopReq && this.translated) this.uc.flushTb();
    }
    return this.stopReq ?? undefined;
  }
  onInstruction(insn: "syscall" | "sysenter", fn: () => void): void {
    this.uc.hookInsn(insn === "syscall" ? UC.UC_X86_INS_SYSCALL : UC.UC_X86_INS_SYSENTER, this.guard<void>(fn));
  }
  onInterrupt(fn: (vector: number) => void): void {
    this.uc.hookIntr(this.guard(fn));
  }

  /**
   * Whether the translated code counts instructions: Unicorn counts only in code translated while
   * a counted run is going on, and drops all of it when a run is not counted.
   */
  private countingCode = false;

  /** What bounds a timed run: made at the first one; null where the host has none. */
  private watchdog: Watchdog | null | undefined;
  /** The stop-request word (stopRequest()): made at first use; null where the host has none. */
  private stopReq: StopRequest | null | undefined;

  /**
   * Runs the CPU from `pc` until a stop (the model's, or one requested through stopRequest()),
   * `count` instructions, `timeoutUs` microseconds (only when timeSlicing says so) or the start of
   * the `blocks`-th block (only when blockSlicing says so; budgetSpent tells whether it came); 0
   * is no limit. Returns the engine's error code (0 when it stopped on request, a limit was
   * reached or the time was up), rethrowing any exception a hook raised.
   * Counted and uncounted runs each translate the code their way: the first counted run after
   * uncounted ones flushes what was translated without counting (a few ms), or the count would
   * miss the instructions of that code; the first uncounted run after counted ones has Unicorn
   * flush the counting code.
   */
  run(pc: bigint, count = 0, timeoutUs = 0, blocks = 0): number {
    this.hookError = undefined;
    if (blocks > 0 && !this.blockSlicing) throw new Error("X86Cpu.run: a block budget, and no stop-request word");
    this.stopReq?.setBudget(blocks);
    if (count > 0 && !this.countingCode) {
      if (this.translated) this.uc.flushTb();
      this.countingCode = true;
    } else if (count === 0) this.countingCode = false;
    this.translated = true;
    let rc: number;
    this.stopReq?.clearTimer(); // a late request from the last timed run's timer: not for this run
    if (timeoutUs > 0) {
      if (!this.timeSlicing) throw new Error("X86Cpu.run: a time limit, and no watchdog");
      const w = this.watchdog!;
      w.arm(timeoutUs);
      try {
        rc = this.uc.start(pc, 0n, count);
      } finally {
        w.disarm();
      }
    } else rc = this.uc.start(pc, 0n, count);
    // a requested stop came before a block: resume at its first instruction (with a code hook
    // installed, the engine leaves RIP where it was last written: ENGINE.md)
    const at = this.stopReq?.takeStopAddress();
    if (at !== undefined) this.set(this.bits === 64 ? "rip" : "eip", at);
    if (this.hookError !== undefined) {
      const e = this.hookError;
      this.hookError = undefined;
      throw e;
    }
    return rc;
  }

  /** Did the last run end because its block budget was used up? */
  get budgetSpent(): boolean {
    return this.stopReq?.budgetSpent ?? false;
  }

  close(): void {
    this.watchdog?.close(); // before the engine goes: a timer's request may be on its way to its word
    this.uc.close();
  }
}
