; sysgate's x86-64 kernel text: the machine code that runs at CPL 0 between a user program's
; SYSCALL and the SYSRETQ that returns to it. It follows Linux arch/x86/entry/entry_64.S
; (entry_SYSCALL_64) and arch/x86/kernel/head_64.S in spirit, reduced to what the model needs.
; The C parts of Linux (do_syscall_64 ...) are TypeScript in sysgate: each is a model call here
; (`int n`, then `ret`: model_call.inc) where the model takes over, reads pt_regs and writes regs->ax.
;
; Assemble with kernel-model/entry/build.sh (nasm -f bin); the bytes and the symbol map are
; committed, and test/entry/entry_bytes.test.ts checks that they are reproducible.

BITS 64
DEFAULT REL
[map symbols entry_64.map]

%include "layout_64.inc"
%include "idt_vectors.inc"
%include "model_call.inc"

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
	model_call
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
; Exceptions (arch/x86/include/asm/idtentry.h, entry_64.S idtentry). The CPU, modelled by the
; kernel model as Unicorn does not deliver through the IDT, has switched to the TSS stack and
; pushed SS, RSP, RFLAGS, CS, RIP and, for some vectors, an error code. The stub completes
; pt_regs (the error code sits in orig_ax; -1 where the CPU pushed none), calls the handler
; and returns with a real iretq.

%macro PUSH_REGS 0
	push	rdi
	push	rsi
	push	rdx
	push	rcx
	push	rax
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
%endmacro

%macro POP_REGS 0
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
	pop	rax
	pop	rcx
	pop	rdx
	pop	rsi
	pop	rdi
%endmacro

%define PT_REGS_ORIG_AX	(15 * 8)

; idtentry vector, asm_name, handler, has_error_code
%macro idtentry 4
global %2
%2:
%if %4 == 0
	push	-1			; pt_regs->orig_ax: no error code
%endif
	test	byte [rsp + 16], 3	; pt_regs->cs: interrupted user mode?
	jz	%%from_kernel
	swapgs
%%from_kernel:
	PUSH_REGS
	mov	rdi, rsp			; struct pt_regs *regs
	mov	rsi, [rsp + PT_REGS_ORIG_AX]	; unsigned long error_code
	call	%3
	POP_REGS
	add	rsp, 8				; the error code
	test	byte [rsp + 8], 3		; returning to user mode?
	jz	%%to_kernel
	swapgs
%%to_kernel:
	iretq
%endmacro

for_each_idt_vector idtentry_for
idtentry LOCAL_TIMER_VECTOR, asm_sysvec_apic_timer_interrupt, sysvec_apic_timer_interrupt, 0

; A vector nothing handles (the model never delivers one): stop here.
global asm_exc_unhandled
asm_exc_unhandled:
	hlt
	jmp	asm_exc_unhandled

; ---------------------------------------------------------------------------------------------
; The C functions of the entry code, each a model call (model_call.inc), then `ret`.
trap do_syscall_64
for_each_idt_vector trap_for
trap sysvec_apic_timer_interrupt

%include "entry_64_compat.asm"

global __entry_text_end
__entry_text_end:
