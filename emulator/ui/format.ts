// Text helpers shared by the step session and the panels: hex of a fixed width, strace-style
// syscall lines, and reading guest virtual memory through the page tables (a debugger's view
// that, unlike MmStruct.peek, never faults pages in and also reaches the kernel half).

import type { Machine } from "../machine.js";
import { PAGE_SIZE } from "../../kernel-model/mm/phys.js";

export const hex = (v: bigint | number, width = 0): string => {
  const s = BigInt(v) < 0n ? "-" + (-BigInt(v)).toString(16) : BigInt(v).toString(16);
  return s.padStart(width, "0");
};
export const hx = (v: bigint | number): string => "0x" + hex(v);

/** How many arguments strace prints for the syscalls small programs use (default 3). */
const ARG_COUNT: Record<string, number> = {
  exit: 1, exit_group: 1, close: 1, brk: 1, uname: 1, set_tid_address: 1, getpid: 0, gettid: 0,
  getuid: 0, getgid: 0, geteuid: 0, getegid: 0, getppid: 0, getuid32: 0, getgid32: 0, geteuid32: 0, getegid32: 0,
  arch_prctl: 2, set_thread_area: 1, set_robust_list: 2, clock_gettime: 2, clock_gettime64: 2, gettimeofday: 2,
  time: 1, munmap: 2, fstat: 2, fstat64: 2, dup: 1, dup2: 2, pipe: 1, pipe2: 2, readlink: 3, readlinkat: 4,
  openat: 4, open: 3, mmap: 6, mmap2: 6, mprotect: 3, rt_sigaction: 4, rt_sigprocmask: 4, prlimit64: 4,
  newfstatat: 4, fstatat64: 4, statx: 5, getrandom: 3, rseq: 4, ioctl: 3, lseek: 3, _llseek: 5, getcwd: 2,
  writev: 3, readv: 3, pread64: 4, pwrite64: 4, sendfile: 4, sendfile64: 4, getdents64: 3, prctl: 5,
  ugetrlimit: 2, getrlimit: 2, madvise: 3, futex: 6, nanosleep: 2, clock_nanosleep: 4, sched_yield: 0,
};
export const argCount = (name: string | undefined): number => (name && name in ARG_COUNT ? ARG_COUNT[name] : 3);

/** An argument as strace shows an integer or a pointer: small numbers in decimal. */
export function fmtArg(v: bigint, bits: 64 | 32): string {
  const s = BigInt.asIntN(bits, v);
  if (s > -4096n && s < 0x10000n) return s.toString();
  return hx(BigInt.asUintN(bits, v));
}

/** A result: `19`, `-1 ENOENT (-2)` style is left to errno names the caller knows; here `-2`. */
export function fmtResult(v: bigint | undefined, bits: 64 | 32): string {
  if (v === undefined) return "?";
  const s = BigInt.asIntN(bits, v);
  return s < 0n || s < 0x10000n ? s.toString() : hx(BigInt.asUintN(bits, v));
}

export function straceLine(name: string | undefined, nr: number, args: readonly bigint[], result: bigint | undefined, bits: 64 | 32): string {
  const n = argCount(name);
  return `${name ?? `syscall_${nr}`}(${args.slice(0, n).map((a) => fmtArg(a, bits)).join(", ")}) = ${fmtResult(result, bits)}`;
}

/** Bytes of guest virtual memory (user or kernel half) as the CPU's page walk finds them; stops short at an unmapped page. */
export function readVirtual(m: Machine, va: bigint, len: number): Buffer {
  const mem = m.kernel.phys.mem;
  const pgd = m.task.mm.pgd;
  const out: Buffer[] = [];
  let got = 0;
  while (got < len) {
    const a = va + BigInt(got);
    const pte = pgd.lookup(a & ~BigInt(PAGE_SIZE - 1));
    if (!pte) break;
    const off = Number(a & BigInt(PAGE_SIZE - 1));
    const n = Math.min(PAGE_SIZE - off, len - got);
    out.push(mem.subarray(pte.pa + off, pte.pa + off + n));
    got += n;
  }
  return Buffer.concat(out, got);
}

/** Pads or cuts a line to exactly `w` columns (panels never wrap). */
export const fit = (s: string, w: number): string => (s.length > w ? s.slice(0, Math.max(0, w - 1)) + "…" : s.padEnd(w));
