; exit-code: exit with the status given in argv[1] (decimal), print nothing.
; No libc: argc/argv are read from the initial stack that execve built
; ([rsp] = argc, [rsp+8] = argv[0], [rsp+16] = argv[1], ...).
bits 64

%define __NR_exit 60

section .text
global _start
_start:
        xor     edi, edi                ; status 0 when argv[1] is missing
        cmp     qword [rsp], 2
        jb      .exit
        mov     rsi, [rsp + 16]         ; argv[1]
.digit:
        movzx   eax, byte [rsi]
        sub     eax, '0'
        cmp     eax, 9
        ja      .exit                   ; stops at the NUL (or any non-digit)
        imul    edi, edi, 10
        add     edi, eax
        inc     rsi
        jmp     .digit
.exit:
        mov     eax, __NR_exit          ; the kernel keeps the low 8 bits
        syscall
