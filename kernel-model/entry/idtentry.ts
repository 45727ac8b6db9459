// The exception vectors the kernel text has entry stubs for (Linux arch/x86/include/asm/
// idtentry.h and trap_init/idt_setup_traps): stub, C handler, whether the CPU pushes an error
// code, and the gate's DPL (user code may `int3` and `into`, nothing else below 32).

export interface IdtEntry {
  vector: number;
  /** The stub the IDT gate points at. */
  stub: string;
  /** The "C" handler the stub calls: a model call handled in TypeScript (model_call.inc). */
  handler: string;
  errorCode: boolean;
  dpl: 0 | 3;
}

const e = (vector: number, name: string, errorCode: boolean, dpl: 0 | 3 = 0): IdtEntry =>
  ({ vector, stub: `asm_exc_${name}`, handler: `exc_${name}`, errorCode, dpl });

export const IDT_TRAPS: readonly IdtEntry[] = [
  e(0, "divide_error", false), e(1, "debug", false), e(3, "int3", false, 3), e(4, "overflow", false, 3),
  e(5, "bounds", false), e(6, "invalid_op", false), e(7, "device_not_available", false), e(8, "double_fault", true),
  e(10, "invalid_tss", true), e(11, "segment_not_present", true), e(12, "stack_segment", true),
  e(13, "general_protection", true), e(14, "page_fault", true), e(16, "coprocessor_error", false),
  e(17, "alignment_check", true), e(18, "machine_check", false), e(19, "simd_coprocessor_error", false),
];

/** LOCAL_TIMER_VECTOR (arch/x86/include/asm/irq_vectors.h), as idt_vectors.inc defines it. */
export const LOCAL_TIMER_VECTOR = 0xec;

/**
 * The local APIC timer's interrupt (idt_setup_apic_and_irq_gates): the tick that makes a task
 * running in user mode enter the kernel, which then delivers its pending signals on the way back
 * (LinuxKernel.kick_process).
 */
export const APIC_TIMER: IdtEntry = {
  vector: LOCAL_TIMER_VECTOR, stub: "asm_sysvec_apic_timer_interrupt", handler: "sysvec_apic_timer_interrupt", errorCode: false, dpl: 0,
};

export const idtEntryFor = (vector: number): IdtEntry | undefined =>
  vector === LOCAL_TIMER_VECTOR ? APIC_TIMER : IDT_TRAPS.find((t) => t.vector === vector);
