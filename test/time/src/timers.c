// POSIX timers, timerfd and signalfd: signals with SI_TIMER and the timer's value, overruns,
// SIGEV_NONE, absolute CLOCK_REALTIME expiries, expiry counts read from a timerfd (blocking,
// non-blocking, through poll), and signals read from a signalfd (from kill, from a child, from
// a timer, through select).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int got, got_code, got_value, got_overrun = -1;
static void on_usr1(int s, siginfo_t *si, void *u) {
  (void)s; (void)u;
  got++; got_code = si->si_code; got_value = si->si_value.sival_int;
  if (got_overrun < 0) got_overrun = si->si_overrun;
}
static void sleep_ms(long ms) { struct timespec ts = {0, ms * 1000000}; nanosleep(&ts, 0); }

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);

  // ---- POSIX timers
  struct sigevent sev = {0};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 42;
  timer_t t;
  printf("timer_create = %d\n", timer_create(CLOCK_MONOTONIC, &sev, &t));
  // SIGUSR1 stays blocked until sigsuspend waits for it: no expiry is lost before the wait
  sigset_t usr1, none;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &usr1, 0);
  struct itimerspec its = {{0, 0}, {0, 300000000}}, cur; // long enough to read it back armed on a busy machine
  timer_settime(t, 0, &its, 0);
  timer_gettime(t, &cur);
  printf("armed %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 300000000);
  sigsuspend(&none);
  sigprocmask(SIG_UNBLOCK, &usr1, 0);
  printf("got %d, si_code %d (SI_TIMER %d), value %d\n", got, got_code, SI_TIMER, got_value);
  timer_gettime(t, &cur);
  printf("after expiry: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

  sigprocmask(SIG_BLOCK, &usr1, 0);
  struct itimerspec per = {{0, 10000000}, {0, 10000000}};
  timer_settime(t, 0, &per, 0);
  sleep_ms(55);
  got = 0;
  got_overrun = -1;
  sigprocmask(SIG_UNBLOCK, &usr1, 0);
  printf("periodic: delivered %d, si_overrun >= 3 %d\n", got >= 1, got_overrun >= 3);
  timer_delete(t);
  errno = 0;
  int r = timer_gettime(t, &cur);
  printf("gettime after delete = %d, errno %d\n", r, errno);

  sev.sigev_notify = SIGEV_NONE;
  timer_t t2;
  timer_create(CLOCK_REALTIME, &sev, &t2);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct itimerspec abs = {{0, 0}, {now.tv_sec + 100, now.tv_nsec}};
  timer_settime(t2, TIMER_ABSTIME, &abs, 0);
  timer_gettime(t2, &cur);
  printf("absolute: about 100 s left %d\n", cur.it_value.tv_sec >= 98 && cur.it_value.tv_sec <= 100);
  errno = 0;
  r = timer_create(12345, &sev, &t2);
  printf("bad clock = %d, errno %d\n", r, errno);

  // ---- timerfd
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  uint64_t n = 0;
  errno = 0;
  r = read(fd, &n, 8);
  printf("empty read = %d, errno %d; cloexec %d\n", r, errno, fcntl(fd, F_GETFD));
  struct itimerspec tf = {{0, 10000000}, {0, 20000000}};
  timerfd_settime(fd, 0, &tf, 0);
  struct pollfd p = {fd, POLLIN, 0};
  int pr = poll(&p, 1, 1000);
  printf("poll = %d, revents %#x\n", pr, p.revents);
  read(fd, &n, 8);
  printf("ticks >= 1: %d\n", n >= 1);
  sleep_ms(35);
  read(fd, &n, 8);
  printf("after 35 ms: ticks >= 3: %d\n", n >= 3);
  errno = 0;
  r = read(fd, &n, 4);
  printf("short read = %d, errno %d\n", r, errno);
  close(fd);

  int fd2 = timerfd_create(CLOCK_REALTIME, 0);
  clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += 50000000;
  if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  struct itimerspec tabs = {{0, 0}, now};
  timerfd_settime(fd2, TFD_TIMER_ABSTIME, &tabs, 0);
  r = read(fd2, &n, 8);
  printf("blocking read = %d, ticks %llu\n", r, (unsigned long long)n);
  timerfd_gettime(fd2, &cur);
  printf("one-shot done: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
  errno = 0;
  r = timerfd_settime(0, 0, &tf, 0);
  printf("timerfd_settime on stdin: %d, errno %d\n", r, errno);

  // ---- signalfd
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR2);
  sigprocmask(SIG_BLOCK, &m, 0);
  int sfd = signalfd(-1, &m, SFD_NONBLOCK);
  struct signalfd_siginfo si;
  errno = 0;
  r = read(sfd, &si, sizeof si);
  printf("empty signalfd read = %d, errno %d\n", r, errno);
  kill(getpid(), SIGUSR2);
  struct pollfd sp = {sfd, POLLIN, 0};
  r = poll(&sp, 1, 0);
  printf("poll = %d, revents %#x\n", r, sp.revents);
  r = read(sfd, &si, sizeof si);
  printf("read = %d, signo %u, code %d, pid is mine %d\n", r, si.ssi_signo, si.ssi_code, si.ssi_pid == (uint32_t)getpid());

  int sfd2 = signalfd(-1, &m, 0);
  pid_t child = fork();
  if (child == 0) { sleep_ms(20); kill(getppid(), SIGUSR2); _exit(0); }
  r = read(sfd2, &si, sizeof si);
  printf("blocking read = %d, signo %u, from the child %d\n", r, si.ssi_signo, si.ssi_pid == (uint32_t)child);
  waitpid(child, 0, 0);

  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  sev.sigev_value.sival_int = 7;
  timer_t t3;
  timer_create(CLOCK_MONOTONIC, &sev, &t3);
  struct itimerspec once = {{0, 0}, {0, 10000000}};
  timer_settime(t3, 0, &once, 0);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(sfd, &rd);
  r = select(sfd + 1, &rd, 0, 0, 0);
  printf("select = %d, set %d\n", r, FD_ISSET(sfd, &rd) != 0);
  read(sfd, &si, sizeof si);
  printf("timer via signalfd: signo %u, code %d, int %d, overrun %u\n", si.ssi_signo, si.ssi_code, si.ssi_int, si.ssi_overrun);
  printf("update mask: %d\n", signalfd(sfd, &usr1, 0) == sfd);
  errno = 0;
  r = signalfd(fd2, &m, 0);
  printf("signalfd on a timerfd: %d, errno %d\n", r, errno);
  errno = 0;
  r = signalfd(-1, &m, 0x10);
  printf("bad flags: %d, errno %d\n", r, errno);
  return 0;
}
