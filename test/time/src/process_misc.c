// What a process inherits and a few calls around it: the umask and host name, a closed stdin,
// CPU affinity on a machine with CPU 0, a huge MAP_NORESERVE mapping, the raw futex call (i386:
// the time32 entry), and on i386 the old signal calls (sigaction, sigprocmask, sigpending,
// sigsuspend, signal, sgetmask, ssetmask) made directly.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static volatile int got1, got2;
static void on_usr1(int s) { (void)s; got1++; }
static void on_usr2(int s) { (void)s; got2++; }

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  mode_t m = umask(0);
  umask(m);
  printf("umask %03o\n", (unsigned)m);
  struct utsname u;
  uname(&u);
  char h[256];
  gethostname(h, sizeof h);
  printf("nodename %s, gethostname agrees %d\n", u.nodename, strcmp(h, u.nodename) == 0);

  char c;
  errno = 0;
  long r = read(0, &c, 1);
  printf("read(0) = %ld, errno %d\n", r, errno);

  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(0, &s);
  printf("setaffinity {0} = %d\n", sched_setaffinity(0, sizeof s, &s));
  CPU_ZERO(&s);
  sched_getaffinity(0, sizeof s, &s);
  printf("getaffinity: %d CPU, CPU 0 %d\n", CPU_COUNT(&s), CPU_ISSET(0, &s) != 0);
  CPU_ZERO(&s);
  errno = 0;
  r = sched_setaffinity(0, sizeof s, &s);
  printf("setaffinity {} = %ld, errno %d\n", r, errno);
  CPU_SET(63, &s);
  errno = 0;
  r = sched_setaffinity(0, sizeof s, &s);
  printf("setaffinity {63} = %ld, errno %d\n", r, errno);
  errno = 0;
  r = sched_setaffinity(999999, sizeof s, &s);
  printf("setaffinity of no process = %ld, errno %d\n", r, errno);

  size_t len = sizeof(void *) == 8 ? (size_t)1 << 40 : (size_t)3 << 29;
  char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("mmap MAP_NORESERVE of %zu MiB: %s\n", len >> 20, p == MAP_FAILED ? strerror(errno) : "ok");
  if (p != MAP_FAILED) {
    p[0] = 1;
    p[len - 1] = 2;
    int first = p[0], last = p[len - 1];
    printf("touched %d %d, ", first, last);
    printf("munmap %d\n", munmap(p, len));
  }

  int word = 5;
  errno = 0;
  r = syscall(SYS_futex, &word, FUTEX_WAIT, 6, NULL, NULL, 0);
  printf("futex wait on a changed word = %ld, errno %d\n", r, errno);
  r = syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0);
  printf("futex wake = %ld\n", r);

#ifdef __i386__
  struct { void (*handler)(int); unsigned long mask, flags; void (*restorer)(void); } act = {on_usr1, 0, 0, 0}, old;
  printf("sigaction = %ld\n", syscall(SYS_sigaction, SIGUSR1, &act, &old));
  printf("old handler default %d\n", old.handler == SIG_DFL);
  kill(getpid(), SIGUSR1);
  printf("usr1 handled %d\n", got1);
  syscall(SYS_sigaction, SIGUSR1, NULL, &old);
  printf("read back: handler is ours %d, flags %#lx\n", old.handler == on_usr1, old.flags);

  unsigned long set = 1UL << (SIGUSR2 - 1), oset = 0, pend = 0;
  printf("sigprocmask = %ld\n", syscall(SYS_sigprocmask, SIG_BLOCK, &set, &oset));
  printf("signal(SIGUSR2) old = %ld\n", syscall(SYS_signal, SIGUSR2, on_usr2));
  kill(getpid(), SIGUSR2);
  syscall(SYS_sigpending, &pend);
  printf("pending usr2 %d, got2 %d, sgetmask has usr2 %d\n", (pend & set) != 0, got2, (syscall(SYS_sgetmask) & set) != 0);
  errno = 0;
  r = syscall(SYS_sigsuspend, 0, 0, 0UL);
  printf("sigsuspend = %ld, errno %d, got2 %d\n", r, errno, got2);
  printf("mask restored %d\n", (syscall(SYS_sgetmask) & set) != 0);
  syscall(SYS_sigaction, SIGUSR2, NULL, &old);
  printf("signal() was one-shot: default again %d\n", old.handler == SIG_DFL);
  printf("ssetmask(0) old has usr2 %d, now %ld\n", (syscall(SYS_ssetmask, 0) & set) != 0, syscall(SYS_sgetmask));
#endif
  return 0;
}
