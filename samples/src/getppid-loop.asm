; getppid-loop: N getppid() calls with the raw `syscall` instruction, then exit(0).
; N = argv[1] (decimal), 1000000 when absent. getppid has no arguments and
; cannot fail, so the loop measures the bare cost of one kernel round trip.
bits 64

%define __NR_getppid 110
%define __NR_exit    60

section .text
global _start
_start:
        mov     ebx, 1000000            ; default N
        cmp     qword [rsp], 2
        jb      .loop_start
        mov     rsi, [rsp + 16]         ; argv[1]
        xor     ebx, ebx
.digit:
        movzx   eax, byte [rsi]
        sub     eax, '0'
        cmp     eax, 9
        ja      .loop_start
        imul    rbx, rbx, 10
        add     rbx, rax
        inc     rsi
        jmp     .digit

.loop_start:
        test    rbx, rbx
        jz      .done
.loop:                                  ; rbx survives: syscall clobbers only rax, rcx, r11
        mov     eax, __NR_getppid
        syscall
        dec     rbx
        jnz     .loop
.done:
        mov     eax, __NR_exit
        xor     edi, edi
        syscall
