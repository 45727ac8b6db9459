// The host C library's functions the engine's side of sysgate calls through koffi (guest RAM,
// the watchdog's timer, the stop-request code page, the engine library's early load), bound once
// per thread. Linux with glibc only: elsewhere hostLibc() answers null and each caller has its
// fallback. The host is x86-64 Linux as the guest is, so its constants are kernel-model/uapi's.

import koffi from "koffi";

type Fn = (...a: unknown[]) => unknown;

export interface HostLibc {
  mmap: Fn; munmap: Fn; madvise: Fn; mprotect: Fn;
  /** dlopen, with koffi's `.async` to call it on a thread of libuv's pool. */
  dlopen: Fn & { async: (...a: unknown[]) => void };
  dlsym: Fn;
  timer_create: (clock: number, sevp: Buffer, out: unknown[]) => number;
  timer_settime: (timer: unknown, flags: number, value: Buffer, old: Buffer | null) => number;
  timer_delete: (timer: unknown) => number;
}

export const RTLD_NOW = 2, RTLD_NOLOAD = 4;

let libc: HostLibc | null | undefined;

export function hostLibc(): HostLibc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== "linux") return libc;
  try {
    const lib = koffi.load("libc.so.6");
    libc = {
      mmap: lib.func("void *mmap(void *addr, size_t len, int prot, int flags, int fd, intptr_t off)"),
      munmap: lib.func("int munmap(void *addr, size_t len)"),
      madvise: lib.func("int madvise(void *addr, size_t len, int advice)"),
      mprotect: lib.func("int mprotect(void *addr, size_t len, int prot)"),
      dlopen: lib.func("void *dlopen(const char *file, int mode)") as HostLibc["dlopen"],
      dlsym: lib.func("void *dlsym(void *handle, const char *name)"),
      timer_create: lib.func("int timer_create(int clockid, void *sevp, _Out_ void **timerid)") as HostLibc["timer_create"],
      timer_settime: lib.func("int timer_settime(void *timerid, int flags, void *value, void *old)") as HostLibc["timer_settime"],
      timer_delete: lib.func("int timer_delete(void *timerid)") as HostLibc["timer_delete"],
    };
  } catch {
    // not glibc, or one too old to hold timer_create and dlsym itself
  }
  return libc;
}
