; hello-int80: the i386 legacy syscall gate, `int $0x80`.
; eax = number, ebx/ecx/edx = arguments, eax = result (i386 numbers: write 4, exit 1).
bits 32

%define __NR_exit  1
%define __NR_write 4

section .rodata
msg:    db "hello from int 0x80", 10
msg_len equ $ - msg

section .text
global _start
_start:
        mov     eax, __NR_write
        mov     ebx, 1
        mov     ecx, msg
        mov     edx, msg_len
        int     0x80

        mov     eax, __NR_exit
        xor     ebx, ebx
        int     0x80
