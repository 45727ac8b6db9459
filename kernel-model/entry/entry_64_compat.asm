; IA32 emulation: how a 32-bit program running in compatibility mode (CS = __USER32_CS) enters
; the x86-64 kernel and leaves it. After Linux arch/x86/entry/entry_64_compat.S: three ways in,
;   int $0x80        IDT vector 128, a DPL 3 gate       -> entry_INT80_compat   -> iretq
;   sysenter (Intel) IA32_SYSENTER_CS/ESP/EIP           -> entry_SYSENTER_compat -> sysretl
;   syscall (AMD)    IA32_CSTAR, CS/SS from IA32_STAR   -> entry_SYSCALL_compat  -> sysretl
; each building the same 64-bit struct pt_regs as entry_SYSCALL_64 and calling a "C" function
; (do_int80_syscall_32, do_SYSENTER_32, do_fast_syscall_32: TypeScript behind a model call)
; that dispatches through ia32_sys_call_table. The two fast paths return with SYSRETL to the
; vDSO's int80_landing_pad, which pops the ECX, EDX and EBP that __kernel_vsyscall saved: the
; 64-bit kernel never uses SYSEXIT.
;
; Included by entry_64.asm (it is part of the same kernel text; build.sh assembles that file).

; struct pt_regs offsets from its lowest address (arch/x86/include/asm/ptrace.h, 64-bit)
%define PT_RBP		(4 * 8)
%define PT_RBX		(5 * 8)
%define PT_RAX		(10 * 8)
%define PT_ORIG_RAX	(15 * 8)
%define PT_RIP		(16 * 8)
%define PT_EFLAGS	(18 * 8)
%define PT_RSP		(19 * 8)

; arch/x86/include/uapi/asm/processor-flags.h (uapi/asm/processor-flags.ts)
%define X86_EFLAGS_FIXED	0x00000002
%define X86_EFLAGS_TF		0x00000100
%define X86_EFLAGS_NT		0x00004000
%define X86_EFLAGS_AC		0x00040000

; PUSH_AND_CLEAR_REGS with regs->ax = -ENOSYS and regs->cx taken from %1 (the SYSCALL path:
; the CPU put the return address in ECX, so __kernel_vsyscall moved the user's ECX to EBP).
%macro PUSH_COMPAT_REGS 1
	push	rdi				; pt_regs->di
	push	rsi				; pt_regs->si
	push	rdx				; pt_regs->dx
	push	%1				; pt_regs->cx
	push	-ENOSYS				; pt_regs->ax
	push	r8
	push	r9
	push	r10
	push	r11
	push	rbx				; pt_regs->bx: the first argument
	push	rbp				; pt_regs->bp: the sixth
	push	r12
	push	r13
	push	r14
	push	r15
%endmacro

; ---------------------------------------------------------------------------------------------
; entry_SYSENTER_compat: where IA32_SYSENTER_EIP points. SYSENTER (modelled) loaded CS from
; IA32_SYSENTER_CS (64-bit code), SS = CS + 8, RSP from IA32_SYSENTER_ESP and cleared IF; it
; saved nothing. The user ESP is in EBP (__kernel_vsyscall's `movl %esp, %ebp`) and the return
; address is the vDSO's: do_SYSENTER_32 and do_fast_syscall_32 fill in pt_regs->sp and ->ip.
global entry_SYSENTER_compat
entry_SYSENTER_compat:
	swapgs					; GS base := per-CPU area
	mov	rsp, [gs:PER_CPU_TOP_OF_STACK]
	push	__USER_DS			; pt_regs->ss
	push	0				; pt_regs->sp: do_SYSENTER_32 takes it from bp
	pushfq					; pt_regs->flags (IF is clear: SYSENTER cleared it)
	push	__USER32_CS			; pt_regs->cs
	push	0				; pt_regs->ip: do_fast_syscall_32 puts the landing pad here
global entry_SYSENTER_compat_after_hwframe
entry_SYSENTER_compat_after_hwframe:
	mov	eax, eax			; the syscall number is 32 bits: zero-extend
	push	rax				; pt_regs->orig_ax
	PUSH_COMPAT_REGS rcx
	cld
	; SYSENTER filters no flags (SDM: it clears only IF, VM and RF): the user's NT, AC and TF are
	; still set here. pt_regs->flags keeps them for the return; the kernel clears them in its
	; own RFLAGS. With TF set the CPU single-stepped every instruction up to here (#DB in
	; kernel mode, which exc_debug ignores in this range: is_sysenter_singlestep).
	test	dword [rsp + PT_EFLAGS], X86_EFLAGS_NT | X86_EFLAGS_AC | X86_EFLAGS_TF
	jnz	.sysenter_fix_flags
.sysenter_flags_fixed:
	mov	rdi, rsp			; struct pt_regs *regs
	call	do_SYSENTER_32			; true if SYSRETL can be used
	test	al, al
	jz	compat_restore_regs_and_iret
	jmp	sysret32_from_system_call
.sysenter_fix_flags:
	push	X86_EFLAGS_FIXED
	popfq
	jmp	.sysenter_flags_fixed
global __end_entry_SYSENTER_compat
__end_entry_SYSENTER_compat:

; ---------------------------------------------------------------------------------------------
; entry_SYSCALL_compat: where IA32_CSTAR points (AMD; Intel CPUs raise #UD for SYSCALL outside
; 64-bit mode). SYSCALL (modelled) put the return address in ECX and RFLAGS in R11, masked
; RFLAGS with IA32_FMASK and loaded CS/SS from IA32_STAR[47:32]. RSP is still the user's.
global entry_SYSCALL_compat
entry_SYSCALL_compat:
	swapgs
	mov	r8d, esp			; stash the user ESP
	mov	rsp, [gs:PER_CPU_TOP_OF_STACK]
	push	__USER_DS			; pt_regs->ss
	push	r8				; pt_regs->sp
	push	r11				; pt_regs->flags
	push	__USER32_CS			; pt_regs->cs
	push	rcx				; pt_regs->ip (do_fast_syscall_32 moves it to the landing pad)
global entry_SYSCALL_compat_after_hwframe
entry_SYSCALL_compat_after_hwframe:
	mov	eax, eax
	push	rax				; pt_regs->orig_ax
	PUSH_COMPAT_REGS rbp			; the user's ECX, moved to EBP by __kernel_vsyscall
	mov	rdi, rsp
	call	do_fast_syscall_32		; true if SYSRETL can be used
	test	al, al
	jz	compat_restore_regs_and_iret

	; Opportunistic SYSRETL, shared with the SYSENTER path. It sets EIP from ECX, RFLAGS from
	; R11, CS = IA32_STAR[63:48] + 0 and SS = + 8 (RPL 3): __USER32_CS and __USER_DS. ECX then
	; differs from regs->cx, which the landing pad's `popl %ecx` puts right.
global sysret32_from_system_call
sysret32_from_system_call:
	mov	rbx, [rsp + PT_RBX]
	mov	rbp, [rsp + PT_RBP]
	mov	r11, [rsp + PT_EFLAGS]		; regs->flags
	mov	rcx, [rsp + PT_RIP]		; regs->ip: the landing pad
	add	rsp, PT_RAX			; skip r15 .. r8: the user's are still in the registers
	pop	rax				; regs->ax: the return value
	pop	rdx				; (regs->cx: skipped)
	pop	rdx
	pop	rsi
	pop	rdi
	mov	rsp, [rsp + PT_RSP - PT_ORIG_RAX]	; regs->sp
	xor	r8d, r8d			; r8-r10 held kernel values: no leaks
	xor	r9d, r9d
	xor	r10d, r10d
	swapgs
global entry_SYSRETL_compat
entry_SYSRETL_compat:
	sysret				; 0f 07 without REX.W: SYSRETL, back to compatibility mode

; The IRET path, for returns SYSRETL cannot do (a signal frame, a failed argument fetch).
compat_restore_regs_and_iret:
	POP_REGS
	add	rsp, 8				; orig_ax
	jmp	swapgs_restore_regs_and_return_to_usermode

; ---------------------------------------------------------------------------------------------
; entry_INT80_compat: IDT vector 128, a DPL 3 interrupt gate (idt_setup_traps: SYSG). The CPU
; (modelled) switched to TSS.RSP0 and pushed SS, RSP, RFLAGS, CS, RIP. Linux copies that frame
; from its entry trampoline stack to the thread stack; here TSS.RSP0 is the thread stack.
; `int $0x80` works from 64-bit code too, and means the 32-bit ABI there as well.
global entry_INT80_compat
entry_INT80_compat:
	swapgs
	mov	eax, eax
	push	rax				; pt_regs->orig_ax
	PUSH_COMPAT_REGS rcx
	mov	rdi, rsp
	call	do_int80_syscall_32
	POP_REGS
	add	rsp, 8				; orig_ax
	jmp	swapgs_restore_regs_and_return_to_usermode

; The C functions of the compat entry (arch/x86/entry/common.c), model calls.
trap do_int80_syscall_32
trap do_fast_syscall_32
trap do_SYSENTER_32
