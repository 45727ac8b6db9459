; sysgate's x86-64 kernel text: the machine code that runs at CPL 0 between a user program's
; SYSCALL and the SYSRETQ that returns to it. It follows Linux arch/x86/entry/entry_64.S
; (entry_SYSCALL_64) and arch/x86/kernel/head_64.S in spirit, reduced to what the model needs.
; The C parts of Linux (do_syscall_64 ...) are TypeScript in sysgate: each is a one-instruction
; trap address here (a `ret`) where the model takes over, reads pt_regs and writes regs->ax.
;
; Assemble with kernel-model/entry/build.sh (nasm -f bin); the bytes and the symbol map are
; committed, and test/entry/entry_bytes.test.ts checks that they are reproducible.

BITS 64
DEFAULT REL
[map symbols entry_64.map]

%include "layout_64.inc"

org KERNEL_TEXT_START

; ---------------------------------------------------------------------------------------------
; startup_64: the first kernel instructions. The model has already loaded GDTR, IDTR, CR3, CR4,
; CR0 and the MSRs (as Linux's early boot and syscall_init() do), so what is left is what only
; instructions can do: reload CS with a far return, the data segments, and the task register.
global startup_64
startup_64:
	lea	rax, [rel .reload_cs]
	push	__KERNEL_CS
	push	rax
	o64 retf			; retfq
.reload_cs:
	mov	eax, __KERNEL_DS
	mov	ss, eax
	xor	eax, eax		; Linux runs with null DS/ES/FS/GS selectors in 64-bit mode
	mov	ds, eax
	mov	es, eax
	mov	eax, GDT_ENTRY_TSS * 8
	ltr	ax
	mov	rsp, [gs:PER_CPU_TOP_OF_STACK]
	; The first switch to user mode. The model saves this CPU state as the context every later
	; kernel entry starts from, then builds an iretq frame (ss, rsp, rflags, cs, rip) here.
global boot_user_switch
boot_user_switch:
	nop
	swapgs				; user GS base in, per-CPU base parked in KERNEL_GS_BASE
	iretq

; ---------------------------------------------------------------------------------------------
; entry_SYSCALL_64: where IA32_LSTAR points. The CPU (modelled by the kernel model, as Unicorn
; does not perform the transition) has put the user RIP in RCX and RFLAGS in R11, masked RFLAGS
; with IA32_FMASK, and loaded CS/SS from IA32_STAR[47:32] at CPL 0. RSP is still the user's.
global entry_SYSCALL_64
entry_SYSCALL_64:
	swapgs				; GS base := per-CPU area
	mov	[gs:PER_CPU_USER_RSP], rsp	; Linux keeps it in cpu_tss_rw.sp2
	mov	rsp, [gs:PER_CPU_TOP_OF_STACK]

	; Build struct pt_regs on the kernel stack (arch/x86/include/asm/ptrace.h), highest field first.
	push	__USER_DS			; pt_regs->ss
	push	qword [gs:PER_CPU_USER_RSP]	; pt_regs->sp
	push	r11				; pt_regs->flags
	push	__USER_CS			; pt_regs->cs
	push	rcx				; pt_regs->ip
global entry_SYSCALL_64_after_hwframe
entry_SYSCALL_64_after_hwframe:
	push	rax				; pt_regs->orig_ax
	push	rdi				; PUSH_AND_CLEAR_REGS
	push	rsi
	push	rdx
	push	rcx
	push	-ENOSYS				; pt_regs->ax
	push	r8
	push	r9
	push	r10
	push	r11
	push	rbx
	push	rbp
	push	r12
	push	r13
	push	r14
	push	r15

	mov	rdi, rsp			; struct pt_regs *regs
	movsxd	rsi, eax			; int nr
	call	do_syscall_64			; returns true if SYSRET can be used

	; POP_REGS: what the service routine left in pt_regs goes back to the registers.
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	rbp
	pop	rbx
	pop	r11
	pop	r10
	pop	r9
	pop	r8
	test	al, al
	pop	rax				; regs->ax: the return value
	pop	rcx
	pop	rdx
	pop	rsi
	pop	rdi
	lea	rsp, [rsp + 8]			; skip orig_ax; RSP now at the hardware frame (ip)
	jz	swapgs_restore_regs_and_return_to_usermode

	; syscall_return_via_sysret: SYSRETQ takes RIP from RCX and RFLAGS from R11.
	mov	rcx, [rsp]			; regs->ip
	mov	r11, [rsp + 16]			; regs->flags
	mov	rsp, [rsp + 24]			; regs->sp
	swapgs
global entry_SYSRETQ
entry_SYSRETQ:
	o64 sysret			; sysretq

	; The IRET path, for returns SYSRET cannot do (non-canonical RIP, a changed CS/SS, RF/TF set).
swapgs_restore_regs_and_return_to_usermode:
	swapgs
global entry_IRETQ
entry_IRETQ:
	iretq

; ---------------------------------------------------------------------------------------------
; The C functions of the entry code, each a trap the model handles in TypeScript.
global do_syscall_64
do_syscall_64:
	ret

; Exceptions and interrupts from user mode arrive in the model through the engine, not through
; these gates; the IDT points every vector here so that its contents are real and inspectable.
global asm_exc_unhandled
asm_exc_unhandled:
	hlt
	jmp	asm_exc_unhandled

global __entry_text_end
__entry_text_end:
