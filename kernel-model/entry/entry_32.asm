; sysgate's i386 kernel text: what runs at CPL 0 between a 32-bit program's `int $0x80` or
; `sysenter` and the `iret` or `sysexit` that returns to it. After Linux arch/x86/entry/entry_32.S
; (entry_INT80_32, entry_SYSENTER_32, SAVE_ALL/RESTORE_REGS), reduced to what the model needs.
; The C functions (do_int80_syscall_32, do_fast_syscall_32, exc_*) are TypeScript: each is a
; model call here (model_call.inc). Built by build.sh; bytes and map are committed.

BITS 32
[map symbols entry_32.map]

%include "layout_32.inc"
%include "idt_vectors.inc"
%include "model_call.inc"

org KERNEL_TEXT_START

; struct pt_regs (arch/x86/include/asm/ptrace.h, 32-bit): offsets from the lowest address
%define PT_EBX		0
%define PT_ECX		4
%define PT_EDX		8
%define PT_ORIG_EAX	44
%define PT_EIP		48
%define PT_OLDESP	60

; ---------------------------------------------------------------------------------------------
; startup_32: GDTR, IDTR, CR0/CR3/CR4, EFER and the SYSENTER MSRs were loaded by the model;
; what needs instructions is reloading the segment registers and the task register.
global startup_32
startup_32:
	jmp	__KERNEL_CS:.reload_cs
.reload_cs:
	mov	eax, __KERNEL_DS
	mov	ss, eax
	mov	eax, __USER_DS		; Linux/i386 keeps the flat user data segment in DS/ES
	mov	ds, eax
	mov	es, eax
	xor	eax, eax
	mov	fs, eax
	mov	gs, eax
	mov	eax, GDT_ENTRY_TSS * 8
	ltr	ax
	; The first switch to user mode: the model saves this state as the context every kernel
	; entry starts from, then builds an iret frame (eip, cs, eflags, esp, ss) on the stack.
global boot_user_switch
boot_user_switch:
	model_call
	iret

; SAVE_ALL: complete pt_regs below orig_ax (the segment slots are 32 bits wide).
%macro SAVE_ALL 0
	cld
	push	gs
	push	fs
	push	es
	push	ds
	push	eax			; pt_regs->ax
	push	ebp
	push	edi
	push	esi
	push	edx
	push	ecx
	push	ebx
%endmacro

%macro RESTORE_REGS 0
	pop	ebx
	pop	ecx
	pop	edx
	pop	esi
	pop	edi
	pop	ebp
	pop	eax
	pop	ds
	pop	es
	pop	fs
	pop	gs
	add	esp, 4			; orig_ax
%endmacro

; ---------------------------------------------------------------------------------------------
; entry_INT80_32: IDT vector 128, a DPL 3 gate. The CPU (modelled) has switched to the stack in
; TSS.esp0 and pushed SS, ESP, EFLAGS, CS and EIP (the instruction after `int $0x80`).
global entry_INT80_32
entry_INT80_32:
	push	eax			; pt_regs->orig_ax: the syscall number
	SAVE_ALL
	mov	eax, esp		; regparm(3): struct pt_regs *regs
	call	do_int80_syscall_32
	RESTORE_REGS
global entry_INT80_32_iret
entry_INT80_32_iret:
	iret

; ---------------------------------------------------------------------------------------------
; entry_SYSENTER_32: where IA32_SYSENTER_EIP points. The CPU (modelled) loaded CS from
; IA32_SYSENTER_CS, SS from it + 8, ESP from IA32_SYSENTER_ESP and cleared IF. SYSENTER saves
; nothing: __kernel_vsyscall left the user ESP in EBP, and the return address is the vDSO's.
global entry_SYSENTER_32
entry_SYSENTER_32:
	push	__USER_DS		; pt_regs->ss
	push	ebp			; pt_regs->sp
	pushfd				; pt_regs->flags
	or	dword [esp], X86_EFLAGS_IF	; user mode ran with interrupts on
	push	__USER_CS		; pt_regs->cs
	push	0			; pt_regs->ip: do_fast_syscall_32 puts the vDSO landing pad here
	push	eax			; pt_regs->orig_ax
	SAVE_ALL
	mov	eax, esp		; struct pt_regs *regs
	call	do_fast_syscall_32	; true if SYSEXIT can be used
	test	eax, eax
	jz	sysenter_restore_all

	; SYSEXIT: EIP from EDX, ESP from ECX (SDM vol. 2B, SYSEXIT)
	mov	edx, [esp + PT_EIP]
	mov	ecx, [esp + PT_OLDESP]
	pop	ebx
	add	esp, 8			; pt_regs->cx and ->dx: the vDSO pops the user's own
	pop	esi
	pop	edi
	pop	ebp
	pop	eax
	pop	ds
	pop	es
	pop	fs
	pop	gs
	add	esp, 12			; orig_ax, ip, cs
	popfd				; pt_regs->flags
global entry_SYSEXIT_32
entry_SYSEXIT_32:
	sysexit
sysenter_restore_all:			; the IRET path, for returns SYSEXIT cannot do
	RESTORE_REGS
global entry_SYSENTER_32_iret
entry_SYSENTER_32_iret:
	iret

; ---------------------------------------------------------------------------------------------
; Exceptions (as in entry_64.asm, with 32-bit frames): the stub completes pt_regs with the error
; code in orig_ax (-1 where the CPU pushed none), calls the handler and returns with iret.
%macro idtentry 4	; vector, asm_name, handler, has_error_code
global %2
%2:
%if %4 == 0
	push	-1
%endif
	SAVE_ALL
	mov	eax, esp		; struct pt_regs *regs
	mov	edx, [esp + PT_ORIG_EAX]	; unsigned long error_code
	call	%3
	RESTORE_REGS
	iret
%endmacro

for_each_idt_vector idtentry_for
idtentry LOCAL_TIMER_VECTOR, asm_sysvec_apic_timer_interrupt, sysvec_apic_timer_interrupt, 0

global asm_exc_unhandled
asm_exc_unhandled:
	hlt
	jmp	asm_exc_unhandled

; ---------------------------------------------------------------------------------------------
; The C functions, each a model call (model_call.inc), then `ret`.
trap do_int80_syscall_32
trap do_fast_syscall_32
for_each_idt_vector trap_for
trap sysvec_apic_timer_interrupt

global __entry_text_end
__entry_text_end:
