// The compat entry points of syscall_32.tbl (its fifth column) that ia32_sys_call_table dispatches
// to when a 32-bit task runs under the x86-64 kernel (IA32 emulation). In Linux a compat_sys_*
// routine converts the 32-bit layouts (compat_ulong_t, struct compat_timeval, compat_sigset_t,
// struct compat_statfs, ...) to the kernel's own and back. In this model the routines these map
// to already read and write the i386 layouts whenever the calling task's ABI is i386 (the native
// i386 kernel needs exactly those layouts in its sys_* entries), so each compat entry here is
// that same conversion reached under its compat name. Entries whose family defines its own
// compat routine (compat_sys_open, compat_sys_ioctl, compat_sys_ia32_fstat64, ...) are not
// repeated here.

import type { SyscallFamily, SyscallImpl } from "./types.js";

/** compat entry point -> the native entry whose routine does its conversion (syscall_32.tbl rows). */
export const COMPAT_ENTRIES: Readonly<Record<string, string>> = {
  compat_sys_execve: "sys_execve",
  compat_sys_execveat: "sys_execveat",
  compat_sys_times: "sys_times",
  compat_sys_setrlimit: "sys_setrlimit",
  compat_sys_getrlimit: "sys_getrlimit",
  compat_sys_getrusage: "sys_getrusage",
  compat_sys_gettimeofday: "sys_gettimeofday",
  compat_sys_old_select: "sys_old_select",
  compat_sys_select: "sys_select",
  compat_sys_pselect6_time32: "sys_pselect6_time32",
  compat_sys_pselect6_time64: "sys_pselect6",
  compat_sys_ppoll_time32: "sys_ppoll_time32",
  compat_sys_ppoll_time64: "sys_ppoll",
  compat_sys_ia32_mmap: "sys_old_mmap", // struct mmap_arg_struct32 (arch/x86/kernel/sys_ia32.c)
  compat_sys_statfs: "sys_statfs",
  compat_sys_fstatfs: "sys_fstatfs",
  compat_sys_statfs64: "sys_statfs64",
  compat_sys_fstatfs64: "sys_fstatfs64",
  compat_sys_wait4: "sys_wait4",
  compat_sys_waitid: "sys_waitid",
  compat_sys_sysinfo: "sys_sysinfo",
  compat_sys_sigreturn: "sys_sigreturn",
  compat_sys_rt_sigreturn: "sys_rt_sigreturn",
  compat_sys_ia32_clone: "sys_clone", // CLONE_BACKWARDS argument order, as on i386
  compat_sys_rt_sigaction: "sys_rt_sigaction",
  compat_sys_rt_sigprocmask: "sys_rt_sigprocmask",
  compat_sys_rt_sigpending: "sys_rt_sigpending",
  compat_sys_rt_sigsuspend: "sys_rt_sigsuspend",
  compat_sys_sigaltstack: "sys_sigaltstack",
  compat_sys_sched_getaffinity: "sys_sched_getaffinity",
  compat_sys_set_robust_list: "sys_set_robust_list",
  compat_sys_get_robust_list: "sys_get_robust_list",
  compat_sys_arch_prctl: "sys_arch_prctl",
};

/** The compat family over the merged native routines (index.ts adds it to the others). */
export function compatFamily(native: SyscallFamily): SyscallFamily {
  const out: Record<string, SyscallImpl> = {};
  for (const [compat, entry] of Object.entries(COMPAT_ENTRIES)) {
    if (native[compat]) throw new Error(`syscalls: ${compat} is implemented twice (compat.ts and its family)`);
    const impl = native[entry];
    if (!impl) throw new Error(`syscalls: ${compat} maps to ${entry}, which nothing implements`);
    out[compat] = impl;
  }
  return out;
}
