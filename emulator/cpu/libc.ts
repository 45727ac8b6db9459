// The host C library, loaded through koffi once per thread (libcLibrary(): `sysgate serve`'s
// sockets bind their calls from it too), and the functions the engine's side of sysgate calls
// (guest RAM, the watchdog's timer, the stop-request code page, the engine library's early
// load), bound once. Linux with glibc only: elsewhere both answer null and each caller has its
// fallback. The host is x86-64 Linux as the guest is, so its constants are kernel-model/uapi's.

import koffi, { type LibraryHandle } from "koffi";

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

let library: LibraryHandle | null | undefined;

/** libc.so.6, loaded on first use; null where there is none. */
export function libcLibrary(): LibraryHandle | null {
  if (library !== undefined) return library;
  library = null;
  if (process.platform !== "linux") return library;
  try {
    library = koffi.load("libc.so.6");
  } catch {
    // not glibc
  }
  return library;
}

let libc: HostLibc | null | undefined;

export function hostLibc(): HostLibc | null {
  if (libc !== undefined) return libc;
  libc = null;
  const lib = libcLibrary();
  if (!lib) return libc;
  try {
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
    // a glibc too old to hold timer_create and dlsym itself
  }
  return libc;
}
