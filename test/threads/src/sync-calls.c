/* sync-calls.c: the system calls language runtimes use to wait and wake, made from one thread
 * (and a forked child), for the threads corpus: futex, epoll, eventfd, non-blocking pipes,
 * madvise, sched_yield, sched_getaffinity, prlimit64. Each line printed is a call and what it
 * answered; run natively and through sysgate, the two outputs must be the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0) printf("%s = -1 %s\n", what, strerrorname_np(errno));
  else printf("%s = %ld\n", what, r);
}

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *t, uint32_t *uaddr2, uint32_t val3) {
  return syscall(SYS_futex, uaddr, op, val, t, uaddr2, val3);
}

static void futexes(void) {
  static uint32_t word = 5, other = 7;
  struct timespec short_wait = {0, 2000000};
  show("futex WAIT wrong value", futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0));
  show("futex WAIT timeout", futex(&word, FUTEX_WAIT_PRIVATE, 5, &short_wait, NULL, 0));
  show("futex WAIT shared timeout", futex(&word, FUTEX_WAIT, 5, &short_wait, NULL, 0));
  struct timespec now, bad = {0, 1000000000};
  show("futex WAIT bad timespec", futex(&word, FUTEX_WAIT_PRIVATE, 5, &bad, NULL, 0));
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 1000000;
  if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  show("futex WAIT_BITSET absolute monotonic", futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &now, NULL, FUTEX_BITSET_MATCH_ANY));
  clock_gettime(CLOCK_REALTIME, &now);
  now.tv_sec -= 1; /* already past */
  show("futex WAIT_BITSET absolute realtime (past)",
       futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &now, NULL, FUTEX_BITSET_MATCH_ANY));
  show("futex WAIT_BITSET bitset 0", futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0));
  show("futex WAKE nobody", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  show("futex WAKE_BITSET bitset 0", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0));
  show("futex WAKE unaligned", futex((uint32_t *)((char *)&word + 1), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  show("futex WAIT unmapped", futex((uint32_t *)16, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
  show("futex WAKE with CLOCK_REALTIME", futex(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0));
  show("futex CMP_REQUEUE wrong value", futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &other, 4));
  show("futex CMP_REQUEUE", futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &other, 5));
  show("futex REQUEUE", futex(&word, FUTEX_REQUEUE_PRIVATE, 1, (void *)1, &other, 0));
  show("futex WAKE_OP add", futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &other,
                                  FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 7)));
  printf("other after ADD 3: %u\n", other);
  show("futex WAKE_OP shifted or", futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &other,
                                         FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_GT, 100)));
  printf("other after OR 1<<4: %u\n", other);
  show("futex WAKE_OP bad op", futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &other, FUTEX_OP(7, 0, 0, 0)));
  show("futex unknown op", futex(&word, 99, 0, NULL, NULL, 0));
}

static void epolls(void) {
  int p[2], q[2];
  struct epoll_event ev, out[8];
  int ep = epoll_create1(EPOLL_CLOEXEC);
  show("epoll_create1", ep >= 0 ? 0 : -1);
  show("epoll_create1 bad flags", epoll_create1(1));
  show("epoll_create 0", epoll_create(0));
  pipe2(p, O_NONBLOCK);
  pipe(q);
  ev.events = EPOLLIN; ev.data.u64 = 0x1111222233334444ULL;
  show("epoll_ctl ADD pipe", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  show("epoll_ctl ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  show("epoll_ctl MOD absent", epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &ev));
  show("epoll_ctl DEL absent", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));
  show("epoll_ctl itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
  show("epoll_ctl bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev));
  int reg = open("/proc/self/exe", O_RDONLY);
  show("epoll_ctl regular file", epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev));
  show("epoll_ctl on a non-epoll fd", epoll_ctl(p[1], EPOLL_CTL_ADD, q[0], &ev));
  show("epoll_ctl bad op", epoll_ctl(ep, 9, q[0], &ev));
  show("epoll_wait empty, timeout 0", epoll_wait(ep, out, 8, 0));
  show("epoll_wait empty, timeout 5ms", epoll_wait(ep, out, 8, 5));
  show("epoll_wait maxevents 0", epoll_wait(ep, out, 0, 0));
  write(p[1], "ab", 2);
  int n = epoll_wait(ep, out, 8, -1);
  show("epoll_wait level", n);
  printf("  events %#x data %#llx\n", out[0].events, (unsigned long long)out[0].data.u64);
  show("epoll_wait level again", epoll_wait(ep, out, 8, 0));
  ev.events = EPOLLIN | EPOLLET; ev.data.u32 = 7;
  show("epoll_ctl MOD to edge", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
  show("epoll_wait edge", epoll_wait(ep, out, 8, 0));
  show("epoll_wait edge again", epoll_wait(ep, out, 8, 0));
  write(p[1], "c", 1);
  show("epoll_wait edge after a write", epoll_wait(ep, out, 8, 0));
  ev.events = EPOLLIN | EPOLLONESHOT; ev.data.u32 = 8;
  show("epoll_ctl MOD to oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
  show("epoll_wait oneshot", epoll_wait(ep, out, 8, 0));
  show("epoll_wait oneshot disarmed", epoll_wait(ep, out, 8, 0));
  ev.events = EPOLLOUT; ev.data.u32 = 9;
  show("epoll_ctl ADD write end", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
  n = epoll_wait(ep, out, 8, 0);
  show("epoll_wait write end", n);
  printf("  events %#x data %u\n", out[0].events, out[0].data.u32);
  show("epoll_ctl DEL write end", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
  int ep2 = epoll_create1(0);
  ev.events = EPOLLIN; ev.data.u32 = 10;
  show("epoll_ctl nest", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev));
  show("epoll_ctl loop", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev));
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  int ep3 = epoll_create1(0);
  show("epoll_ctl EXCLUSIVE on epoll", epoll_ctl(ep2, EPOLL_CTL_ADD, ep3, &ev));
  show("epoll_ctl EXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev));
  show("epoll_ctl MOD EXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &ev));
  /* hang-up: the last writer goes */
  close(q[1]);
  n = epoll_wait(ep, out, 8, 0);
  show("epoll_wait after the writer closed", n);
  for (int i = 0; i < n; i++) printf("  events %#x\n", out[i].events);
  /* a child writes while the parent sleeps in epoll_pwait */
  int c[2];
  pipe(c);
  ev.events = EPOLLIN; ev.data.u32 = 11;
  show("epoll_ctl ADD pipe to a fresh set", epoll_ctl(ep3, EPOLL_CTL_ADD, c[0], &ev));
  pid_t pid = fork();
  if (pid == 0) { usleep(2000); write(c[1], "x", 1); _exit(0); }
  sigset_t none;
  sigemptyset(&none);
  n = epoll_pwait(ep3, out, 8, 60000, &none); /* long: a loaded machine may be slow to start the child */
  show("epoll_pwait woken by a child", n);
  for (int i = 0; i < n; i++) printf("  data %u\n", out[i].data.u32);
  waitpid(pid, NULL, 0);
  struct { int64_t sec, nsec; } ts = {0, 1000000}; /* struct __kernel_timespec, also on i386 */
  char buf[4];
  read(c[0], buf, 1);
  show("epoll_pwait2 timeout", syscall(SYS_epoll_pwait2, ep3, out, 8, &ts, NULL, 8));
  show("epoll_wait on the nested set", epoll_wait(ep2, out, 8, 0));
  printf("  data %u\n", out[0].data.u32);
  close(ep); close(ep2); close(ep3); close(reg);
}

static void eventfds(void) {
  uint64_t v;
  int e = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
  show("eventfd2", e >= 0 ? 0 : -1);
  show("eventfd2 bad flags", eventfd(0, 0x40));
  show("read", read(e, &v, 8));
  printf("  value %llu\n", (unsigned long long)v);
  show("read empty nonblocking", read(e, &v, 8));
  show("read short buffer", read(e, &v, 4));
  v = 0xffffffffffffffffULL;
  show("write ULLONG_MAX", write(e, &v, 8));
  v = 0xfffffffffffffffeULL;
  show("write the maximum", write(e, &v, 8));
  v = 1;
  show("write past the maximum", write(e, &v, 8));
  close(e);
  int s = eventfd(2, EFD_SEMAPHORE);
  show("semaphore read", read(s, &v, 8));
  printf("  value %llu\n", (unsigned long long)v);
  show("semaphore read", read(s, &v, 8));
  fcntl(s, F_SETFL, O_NONBLOCK);
  show("semaphore read empty", read(s, &v, 8));
  fcntl(s, F_SETFL, 0);
  pid_t pid = fork();
  if (pid == 0) { usleep(2000); v = 41; write(s, &v, 8); _exit(0); }
  show("blocking semaphore read woken by a child", read(s, &v, 8));
  waitpid(pid, NULL, 0);
  close(s);
}

static void pipes(void) {
  int p[2];
  char buf[70000];
  show("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
  show("read empty", read(p[0], buf, 10));
  memset(buf, 'x', sizeof buf);
  long total = 0, r;
  while ((r = write(p[1], buf, 4096)) > 0) total += r;
  printf("filled %ld bytes\n", total);
  show("write full", r);
  show("fcntl F_GETFL read end", fcntl(p[0], F_GETFL) & (O_NONBLOCK | O_ACCMODE));
  close(p[0]); close(p[1]);
  pipe(p);
  show("fcntl F_SETFL O_NONBLOCK", fcntl(p[0], F_SETFL, O_NONBLOCK));
  show("read empty after F_SETFL", read(p[0], buf, 10));
  close(p[0]); close(p[1]);
}

static void memory(void) {
  size_t len = 4 * 4096;
  char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(m, 0x5a, len);
  show("madvise DONTNEED", madvise(m + 4096, 2 * 4096, MADV_DONTNEED));
  printf("bytes after DONTNEED: %d %d %d %d\n", m[0], m[4096], m[3 * 4096 - 1], m[3 * 4096]);
  show("madvise unaligned", madvise(m + 1, 4096, MADV_DONTNEED));
  show("madvise bad advice", madvise(m, 4096, 1234));
  show("madvise HUGEPAGE", madvise(m, len, MADV_HUGEPAGE));
  munmap(m + 4096, 4096);
  show("madvise over a hole", madvise(m, len, MADV_WILLNEED));
  munmap(m, len);
  /* a reservation of many gigabytes that costs nothing until touched */
  size_t big = sizeof(void *) == 8 ? (64ULL << 30) : (1UL << 30);
  char *r = mmap(NULL, big, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  show("big PROT_NONE reservation", r == MAP_FAILED ? -1 : 0);
  show("mprotect a page of it", mprotect(r + big / 2, 4096, PROT_READ | PROT_WRITE));
  r[big / 2] = 1;
  printf("touched: %d\n", r[big / 2]);
  munmap(r, big);
}

static void scheduling(void) {
  cpu_set_t set;
  show("sched_yield", sched_yield());
  long n = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
  printf("sched_getaffinity = %s\n", n > 0 ? "size" : "error");
  show("sched_getaffinity short", syscall(SYS_sched_getaffinity, 0, 1, &set));
  struct rlimit rl;
  show("prlimit64 NOFILE", prlimit(0, RLIMIT_NOFILE, NULL, &rl));
  show("getrlimit STACK", getrlimit(RLIMIT_STACK, &rl));
}

static char altstack[65536];
static volatile int on_alt, got_code, got_pid_ok, handled;

static void onstack_handler(int sig) {
  char here;
  (void)sig;
  on_alt = &here >= altstack && &here < altstack + sizeof altstack;
}

static void info_handler(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  got_code = si->si_code;
  got_pid_ok = si->si_pid == getpid();
}

static void count_handler(int sig) { (void)sig; handled++; }

static void signals(void) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  /* unknown flag bits are dropped from what is stored (the SA_UNSUPPORTED probe of Linux 5.11) */
  sa.sa_handler = count_handler;
  sa.sa_flags = SA_RESTART | 0x400;
  show("sigaction with an unknown flag", sigaction(SIGUSR1, &sa, NULL));
  sigaction(SIGUSR1, NULL, &old);
  printf("  flags kept: restart %d, unknown %d\n", !!(old.sa_flags & SA_RESTART), !!(old.sa_flags & 0x400));
  show("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
  show("sigaction signal 0", sigaction(0, &sa, NULL));
  show("rt_sigaction bad sigsetsize", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4));
  /* SA_ONSTACK: the handler runs on the alternate stack */
  stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
  show("sigaltstack", sigaltstack(&ss, NULL));
  sa.sa_handler = onstack_handler;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("SA_ONSTACK handler on the alternate stack: %d\n", on_alt);
  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  on_alt = -1;
  raise(SIGUSR2);
  printf("handler without SA_ONSTACK on the alternate stack: %d\n", on_alt);
  /* SA_SIGINFO: raise() is tgkill, so si_code is SI_TKILL and si_pid the caller */
  sa.sa_sigaction = info_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("SA_SIGINFO: si_code %d, si_pid is ours %d\n", got_code, got_pid_ok);
  /* thread-directed signals: the thread must be in the group named */
  show("tgkill our own thread, signal 0", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0));
  show("tgkill a thread of another group", syscall(SYS_tgkill, getpid() + 1, syscall(SYS_gettid), 0));
  show("tgkill tid 0", syscall(SYS_tgkill, getpid(), 0, 0));
  show("tkill tid -1", syscall(SYS_tkill, -1, 0));
  show("tkill ourselves, signal 0", syscall(SYS_tkill, syscall(SYS_gettid), 0));
  /* a signal pending when epoll_pwait unblocks it ends the wait with EINTR, SA_RESTART or not */
  sigset_t block, none;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, NULL);
  raise(SIGUSR1);
  int ep = epoll_create1(0);
  struct epoll_event out;
  sigemptyset(&none);
  show("epoll_pwait with a pending signal (SA_RESTART)", epoll_pwait(ep, &out, 1, -1, &none));
  printf("  handled %d\n", handled);
  sa.sa_handler = count_handler;
  sa.sa_flags = 0;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  struct timespec ts = {5, 0};
  show("ppoll with a pending signal", ppoll(NULL, 0, &ts, &none));
  printf("  handled %d\n", handled);
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  close(ep);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  futexes();
  epolls();
  eventfds();
  pipes();
  memory();
  scheduling();
  signals();
  return 0;
}
