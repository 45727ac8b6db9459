// Sleepers a signal wakes: rt_sigsuspend, and read on an empty pipe with a handler without and
// with SA_RESTART (that handler feeds the pipe, so the restarted read finds a byte). Linux's
// sleeper wakes inside its syscall and the signal is delivered on the syscall's way out: EINTR,
// or the restart SA_RESTART asks for, and sigsuspend's caller mask back only after the handler.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int got;
static int p[2], feed;
static void on_alrm(int s) {
  (void)s;
  got++;
  if (feed) write(p[1], "x", 1);
}

static void arm(int restart) {
  struct sigaction sa = {0};
  sa.sa_handler = on_alrm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, 0);
  struct itimerval it = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &it, 0);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  pipe(p);
  // sigsuspend: SIGALRM blocked until the wait, so the one expiry cannot come before it
  sigset_t al, none;
  sigemptyset(&al);
  sigaddset(&al, SIGALRM);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &al, 0);
  arm(0);
  int r = sigsuspend(&none);
  int e = errno;
  sigprocmask(SIG_UNBLOCK, &al, 0);
  printf("sigsuspend = %d, errno %d, handled %d\n", r, e, got);

  char c = 0;
  got = 0;
  arm(0);
  r = read(p[0], &c, 1);
  e = errno;
  printf("read, no SA_RESTART = %d, errno %d, handled %d\n", r, e, got);

  got = 0;
  feed = 1;
  arm(1);
  errno = 0;
  r = read(p[0], &c, 1);
  e = errno;
  printf("read, SA_RESTART = %d (%c), errno %d, handled %d\n", r, r == 1 ? c : '-', e, got);
  return 0;
}
