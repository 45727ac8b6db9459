; hello-vsyscall: i386 syscalls through the vDSO's __kernel_vsyscall.
; The kernel announces its address in the auxiliary vector as AT_SYSINFO; calling it
; with the int $0x80 register convention lets the vDSO pick the fastest entry
; (SYSENTER on Intel, SYSCALL on AMD, int $0x80 otherwise). Without AT_SYSINFO we say so
; and use int $0x80 directly.
bits 32

%define __NR_exit  1
%define __NR_write 4

section .rodata
msg:      db "hello from __kernel_vsyscall", 10
msg_len   equ $ - msg
nomsg:    db "no AT_SYSINFO, using int 0x80", 10
nomsg_len equ $ - nomsg

section .text
%include "i386-auxv.inc"

global _start
_start:
        mov     esi, esp
        mov     eax, AT_SYSINFO
        call    auxv_lookup
        test    eax, eax
        jz      .no_vsyscall
        mov     edi, eax                ; __kernel_vsyscall preserves every register but eax

        mov     eax, __NR_write
        mov     ebx, 1
        mov     ecx, msg
        mov     edx, msg_len
        call    edi

        mov     eax, __NR_exit
        xor     ebx, ebx
        call    edi
        hlt                             ; not reached

.no_vsyscall:
        mov     eax, __NR_write
        mov     ebx, 1
        mov     ecx, nomsg
        mov     edx, nomsg_len
        int     0x80
        mov     eax, __NR_exit
        xor     ebx, ebx
        int     0x80
