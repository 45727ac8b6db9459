// What the tracer knows about each syscall, by the name the kernel's .tbl gives it: the kind of
// each argument (how to print it, and whether it is read at entry or written by the kernel and
// read at exit), how to print the result, and strace's trace classes (-e trace=%file ...).
//
// Argument kinds (a `:N` suffix names the argument holding a length):
//   d int, ld long, lu unsigned long, x hex, p pointer (NULL), fd, dirfd (AT_FDCWD), off signed
//   64-bit offset, path (a file name, never cut), str (a string, cut at -s), ibuf:N (input buffer
//   of length argN), oflags, mode, prot, mflags, mmoff / mmoff2 (bytes / pages), atflags,
//   faflags, sxflags, sxmask, acc, sig, whence, clock, tflags, grnd, how, rlres, rlim_in,
//   rlim64_in, ts_in, ts64_in, sigset_in:N, sa_in, mremap, pflags (pipe2/dup3 flags), wopts
//   (wait options), madv (madvise advice), udesc (struct user_desc), iov_in:N (an iovec array of argN entries), argv, envp (execve's arrays),
//   pint_in (`[N]`, an int passed in), comm (a task name, at most 15 bytes), pdsig (PR_SET_PDEATHSIG's signal), epctl, epflags,
//   epevent_in (struct epoll_event)
// A `@N` suffix takes the value from argument N instead of the kind's own position (_llseek).
// Output kinds (read at exit; the bare pointer when the call failed):
//   obuf (length = result), obufx (the same in \x form), ostr (NUL-terminated), stat, stat64,
//   statx, ts, ts64, tv, uts, rlim, rlim64, sigset_out:N, sa_out, fds2, loff (`[N]`), plong (`[0x..]`), pint / puint
//   (`[N]`), psig (`[SIGKILL]`), pcomm (a task name), siginfo (siginfo_t), epevents (the epoll_events filled: result entries),
//   wstatus (`[{WIFEXITED(s) && ...}]`), iov_out:N (what readv filled), dents (`/* N entries */`)
// rt_sigreturn / sigreturn print the signal mask the frame restores (`{mask=[...]}`, from the user
// stack the tracer saw at the transition).
// Result kinds: d (decimal, default), x (hex: addresses), o (octal: umask), ? (does not return).

export type TraceClass = "file" | "desc" | "process" | "memory" | "signal" | "network" | "ipc" | "creds" | "clock" | "pure" | "stat";

export interface SyscallDesc {
  args: string[];
  ret: "d" | "x" | "o" | "?";
  classes: readonly TraceClass[];
}

const CLASS_LETTERS: Record<string, TraceClass> = {
  F: "file", D: "desc", P: "process", M: "memory", S: "signal", N: "network", I: "ipc", C: "creds", K: "clock", U: "pure", T: "stat",
};

// name: "kinds | result kind | classes"
const SPEC: Record<string, string> = {
  read: "fd obuf lu||D", write: "fd ibuf:2 lu||D", readv: "fd iov_out:2 d||D", writev: "fd iov_in:2 d||D",
  pread64: "fd obuf lu off||D", pwrite64: "fd ibuf:2 lu off||D",
  open: "path oflags||FD", openat: "dirfd path oflags||FD", creat: "path mode||FD", close: "fd||D",
  stat: "path stat||FT", lstat: "path stat||FT", fstat: "fd stat||DT", newfstatat: "dirfd path stat atflags||FDT",
  stat64: "path stat64||FT", lstat64: "path stat64||FT", fstat64: "fd stat64||DT", fstatat64: "dirfd path stat64 atflags||FDT",
  statx: "dirfd path sxflags sxmask statx||FDT",
  lseek: "fd off whence||D", mmap: "p lu prot mflags fd mmoff|x|DM", mmap2: "p lu prot mflags fd mmoff2|x|DM",
  mprotect: "p lu prot||M", munmap: "p lu||M", brk: "p|x|M", mremap: "p lu lu mremap p|x|M", madvise: "p lu madv||M",
  msync: "p lu d||M", mlock: "p lu||M", munlock: "p lu||M", mincore: "p lu p||M",
  rt_sigaction: "sig sa_in sa_out lu||S", rt_sigprocmask: "how sigset_in:3 sigset_out:3 lu||S", rt_sigreturn: "||S", sigreturn: "||S",
  sigaltstack: "p p||S", rt_sigsuspend: "sigset_in:1 lu||S", rt_sigpending: "sigset_out:1 lu||S",
  rt_sigtimedwait: "sigset_in:3 p ts_in lu||S", rt_sigtimedwait_time64: "sigset_in:3 p ts64_in lu||S", pause: "||S",
  kill: "d sig||SP", tkill: "d sig||SP", tgkill: "d d sig||SP", alarm: "lu||",
  access: "path acc||F", faccessat: "dirfd path acc||FD", faccessat2: "dirfd path acc faflags||FD",
  pipe: "fds2||D", pipe2: "fds2 pflags||D", dup: "fd||D", dup2: "fd fd||D", dup3: "fd fd pflags||D",
  getpid: "||U", getppid: "||U", gettid: "||U", getpgrp: "||U", setsid: "||", getsid: "d||", getpgid: "d||", setpgid: "d d||",
  getuid: "||CU", geteuid: "||CU", getgid: "||CU", getegid: "||CU", getuid32: "||CU", geteuid32: "||CU", getgid32: "||CU", getegid32: "||CU",
  setuid: "d||C", setgid: "d||C", setuid32: "d||C", setgid32: "d||C", getgroups: "d p||C", getgroups32: "d p||C",
  getresuid: "p p p||C", getresgid: "p p p||C", getresuid32: "p p p||C", getresgid32: "p p p||C",
  nanosleep: "ts_in p||", clock_nanosleep: "clock tflags ts_in p||", clock_nanosleep_time64: "clock tflags ts64_in p||",
  clock_gettime: "clock ts||K", clock_getres: "clock ts||K", clock_settime: "clock ts_in||K",
  clock_gettime64: "clock ts64||K", clock_getres_time64: "clock ts64||K", gettimeofday: "tv p||K", time: "p||K",
  getcwd: "ostr lu||F", chdir: "path||F", fchdir: "fd||D", mkdir: "path mode||F", mkdirat: "dirfd path mode||FD",
  rmdir: "path||F", unlink: "path||F", unlinkat: "dirfd path atflags||FD", rename: "path path||F",
  renameat: "dirfd path dirfd path||FD", renameat2: "dirfd path dirfd path x||FD", link: "path path||F",
  linkat: "dirfd path dirfd path atflags||FD", symlink: "path path||F", symlinkat: "path dirfd path||FD",
  readlink: "path obuf lu||F", readlinkat: "dirfd path obuf lu||FD", chmod: "path mode||F", fchmod: "fd mode||D",
  fchmodat: "dirfd path mode||FD", chown: "path d d||F", lchown: "path d d||F", fchown: "fd d d||D",
  fchownat: "dirfd path d d atflags||FD", umask: "mode|o|", truncate: "path off||F", ftruncate: "fd off||D",
  truncate64: "path off||F", ftruncate64: "fd off||D", utimensat: "dirfd path p atflags||FD",
  mknod: "path mode x||F", mknodat: "dirfd path mode x||FD", statfs: "path p||F", fstatfs: "fd p||D",
  getdents: "fd dents lu||D", getdents64: "fd dents64 lu||D", sendfile: "fd fd loff lu||D", sendfile64: "fd fd loff lu||D",
  fsync: "fd||D", fdatasync: "fd||D", flock: "fd d||D", poll: "p d d||D", close_range: "fd fd x||D",
  exit: "d|?|P", exit_group: "d|?|P", wait4: "d wstatus wopts p||P", waitpid: "d wstatus wopts||P", fork: "||P", vfork: "||P",
  execve: "path argv envp||FP", uname: "uts||", olduname: "p||", sysinfo: "p||", times: "p||", getrusage: "d p||",
  getrlimit: "rlres rlim||", ugetrlimit: "rlres rlim||", setrlimit: "rlres rlim_in||", prlimit64: "d rlres rlim64_in rlim64||",
  getrandom: "obufx lu grnd||", set_tid_address: "p||", set_robust_list: "p lu||", get_robust_list: "d p p||",
  rseq: "p x d x||", set_thread_area: "udesc||", get_thread_area: "p||", sched_yield: "||", sched_getaffinity: "d lu p||",
  getcpu: "p p p||", membarrier: "d d||", arch_prctl: "||P", prctl: "||", ioctl: "||D", fcntl: "||D", fcntl64: "||D",
  clone: "||P", clone3: "||P", futex: "||", _llseek: "||D", socketcall: "d p||N",
  epoll_create: "d||D", epoll_create1: "epflags||D", epoll_ctl: "||D", epoll_wait: "fd epevents d d||D",
  epoll_pwait: "fd epevents d d sigset_in:5 lu||D", epoll_pwait2: "fd epevents d ts64_in sigset_in:5 lu||D",
};

const TABLE = new Map<string, SyscallDesc>();
for (const [name, spec] of Object.entries(SPEC)) {
  const [args, ret, cls] = spec.split("|");
  TABLE.set(name, {
    args: args.trim() ? args.trim().split(/\s+/) : [],
    ret: (ret || "d") as SyscallDesc["ret"],
    classes: [...cls].map((c) => CLASS_LETTERS[c]),
  });
}

/** The description of a syscall by name, undefined when the tracer has none (raw hex then). */
export function describeSyscall(name: string): SyscallDesc | undefined {
  return TABLE.get(name);
}

/** Every name the tracer decodes. */
export function describedSyscalls(): string[] {
  return [...TABLE.keys()];
}

/** Syscalls of a strace class (`%file` → "file"); `%%stat` → "stat". */
export function syscallsOfClass(cls: TraceClass): string[] {
  return [...TABLE].filter(([, d]) => d.classes.includes(cls)).map(([n]) => n);
}
