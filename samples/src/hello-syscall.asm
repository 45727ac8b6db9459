; hello-syscall: the smallest x86-64 program that talks to the kernel.
; No libc: the `syscall` instruction with the x86-64 syscall ABI
; (rax = number, rdi/rsi/rdx = arguments, rax = result; rcx and r11 are clobbered).
bits 64
default rel

%define __NR_write 1
%define __NR_exit  60

section .rodata
msg:    db "hello from syscall", 10
msg_len equ $ - msg

section .text
global _start
_start:
        mov     eax, __NR_write
        mov     edi, 1                  ; fd = stdout
        lea     rsi, [msg]
        mov     edx, msg_len
        syscall

        mov     eax, __NR_exit
        xor     edi, edi                ; status 0
        syscall
