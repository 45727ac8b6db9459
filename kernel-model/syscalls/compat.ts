// The compat entry points of syscall_32.tbl (its fifth column) that ia32_sys_call_table dispatches
// to when a 32-bit task runs under the x86-64 kernel (IA32 emulation). In Linux a compat_sys_*
// routine converts the 32-bit layouts (compat_ulong_t, struct compat_timeval, compat_sigset_t,
// struct compat_statfs, ...) to the kernel's own and back. In this model the native routine of
// the same row already reads and writes the i386 layouts whenever the calling task's ABI is i386
// (the native i386 kernel's sys_* entries need exactly those layouts), so a compat entry that no
// family defines itself (compat_sys_open, compat_sys_ioctl, compat_sys_ia32_fstat64 ... do) is
// that row's native routine, with the support status it declared, reached under its compat name.
// Examples: compat_sys_rt_sigaction (struct compat_sigaction), compat_sys_ia32_mmap (struct
// mmap_arg_struct32, as old_mmap), compat_sys_ia32_clone (CLONE_BACKWARDS argument order).

import { syscallTableFor } from "../tables/syscall_tbl.js";
import type { SyscallFamily, SyscallImpl } from "./types.js";

/** The compat entries the families leave out, each the native routine of its syscall_32.tbl row. */
export function compatFamily(native: SyscallFamily): SyscallFamily {
  const out: Record<string, SyscallImpl> = {};
  for (const row of syscallTableFor("i386")) {
    if (!row.compat || native[row.compat] || out[row.compat]) continue;
    const impl = row.entry ? native[row.entry] : undefined;
    if (impl) out[row.compat] = impl;
  }
  return out;
}
