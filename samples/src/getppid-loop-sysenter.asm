; getppid-loop-sysenter: N getppid() calls through `call __kernel_vsyscall`
; (the vDSO entry found through AT_SYSINFO, which uses SYSENTER on Intel CPUs),
; falling back to int $0x80 without AT_SYSINFO. N = argv[1], 1000000 when absent.
bits 32

%define __NR_exit    1
%define __NR_getppid 64

section .text
%include "i386-auxv.inc"

global _start
_start:
        mov     esi, esp
        mov     eax, AT_SYSINFO
        call    auxv_lookup
        mov     edi, eax                ; 0 when absent

        mov     ebx, 1000000            ; default N
        cmp     dword [esp], 2
        jb      .loop_start
        mov     esi, [esp + 8]          ; argv[1]
        call    parse_decimal
        mov     ebx, eax
.loop_start:
        test    ebx, ebx
        jz      .done
        test    edi, edi
        jz      .loop_int80
.loop:
        mov     eax, __NR_getppid
        call    edi                     ; preserves every register but eax
        dec     ebx
        jnz     .loop
        jmp     .done
.loop_int80:
        mov     eax, __NR_getppid
        int     0x80
        dec     ebx
        jnz     .loop_int80
.done:
        mov     eax, __NR_exit
        xor     ebx, ebx
        test    edi, edi
        jz      .exit_int80
        call    edi
.exit_int80:
        int     0x80
