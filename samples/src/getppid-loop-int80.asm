; getppid-loop-int80: N getppid() calls through `int $0x80`, then exit(0).
; N = argv[1] (decimal), 1000000 when absent.
bits 32

%define __NR_exit    1
%define __NR_getppid 64

section .text
%include "i386-auxv.inc"

global _start
_start:
        mov     ebx, 1000000            ; default N
        cmp     dword [esp], 2
        jb      .loop_start
        mov     esi, [esp + 8]          ; argv[1]
        call    parse_decimal
        mov     ebx, eax
.loop_start:
        test    ebx, ebx
        jz      .done
.loop:
        mov     eax, __NR_getppid
        int     0x80                    ; every register but eax survives
        dec     ebx
        jnz     .loop
.done:
        mov     eax, __NR_exit
        xor     ebx, ebx
        int     0x80
