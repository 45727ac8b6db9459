// What the kernel model needs from the CPU, named as the SDM names the state. The emulator
// implements it on Unicorn (emulator/cpu/x86_cpu.ts); the model never sees the engine itself.

export const GPR64 = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const;
export type Reg =
  | (typeof GPR64)[number] | "rip" | "rflags"
  | "eax" | "ebx" | "ecx" | "edx" | "esi" | "edi" | "ebp" | "esp" | "eip" | "eflags"
  | "cs" | "ss" | "ds" | "es" | "fs" | "gs" | "fs_base" | "gs_base"
  | "cr0" | "cr2" | "cr3" | "cr4";

/** A descriptor-table register (GDTR, IDTR) or a segment-ish one (TR, LDTR) with its hidden part. */
export interface TableReg { selector: number; base: bigint; limit: number; flags: number }

export interface RegBatch {
  /** The values, in the order the batch was made with; read() fills them, write() sends them. */
  readonly values: BigUint64Array;
  /** The batch's storage: the 8-byte values, then the x87/SSE state if the batch carries it. */
  readonly raw: Buffer;
  read(): BigUint64Array;
  write(): void;
  /** A batch over the same storage without the registers at these indexes (ones only ever read). */
  without(skip: readonly number[]): RegBatch;
}

export interface CpuContext { readonly __cpuContext: true }

export interface Cpu {
  readonly bits: 64 | 32;
  /** Guest physical memory, mapped at physical address 0; the model owns its layout. */
  readonly phys: Buffer;
  get(reg: Reg): bigint;
  set(reg: Reg, value: bigint | number): void;
  /**
   * Registers moved together, one engine call each way; with `xstate`, the x87/SSE state that
   * xsave() moves comes after them in the same call.
   */
  batch(regs: readonly Reg[], opts?: { xstate?: boolean }): RegBatch;
  rdmsr(msr: number): bigint;
  wrmsr(msr: number, value: bigint): void;
  getTable(reg: "gdtr" | "idtr" | "tr" | "ldtr"): TableReg;
  setTable(reg: "gdtr" | "idtr" | "tr" | "ldtr", v: TableReg): void;
  /**
   * The x87/SSE state (what XSAVE/XRSTOR move). A kernel entry that restores the CPL 0 context
   * would otherwise clobber it, and user code expects it preserved across a syscall.
   */
  xsave(into: Buffer): void;
  xrstor(from: Buffer): void;
  readonly xstateSize: number;
  /** A snapshot of the whole register file (not memory). */
  saveContext(into?: CpuContext): CpuContext;
  restoreContext(ctx: CpuContext): void;
  /** After a page-table entry was changed or removed (INVLPG / CR3 reload). */
  flushTlb(): void;
  /** After code bytes changed under already-translated code. */
  flushCode(): void;
  /** Ends the current run of the CPU after the current instruction. */
  stop(): void;
  /** Calls fn before the instruction at `address` executes (a narrow trap, not a tracer). */
  onExecute(address: bigint, fn: () => void): void;
  /** `syscall` / `sysenter`: the hook replaces the instruction; RIP is the instruction's address. */
  onInstruction(insn: "syscall" | "sysenter", fn: () => void): void;
  /** Interrupts and exceptions the CPU raised (vector number); the model delivers them. */
  onInterrupt(fn: (vector: number) => void): void;
}

/** MSR numbers (SDM vol. 4; Linux arch/x86/include/asm/msr-index.h). */
export const MSR = {
  EFER: 0xc0000080,
  STAR: 0xc0000081,
  LSTAR: 0xc0000082,
  CSTAR: 0xc0000083,
  SYSCALL_MASK: 0xc0000084,
  FS_BASE: 0xc0000100,
  GS_BASE: 0xc0000101,
  KERNEL_GS_BASE: 0xc0000102,
  IA32_SYSENTER_CS: 0x174,
  IA32_SYSENTER_ESP: 0x175,
  IA32_SYSENTER_EIP: 0x176,
} as const;

export const EFER_SCE = 1n << 0n;
export const EFER_LME = 1n << 8n;
export const EFER_LMA = 1n << 10n;
export const EFER_NX = 1n << 11n;
