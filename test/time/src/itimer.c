// alarm, setitimer, getitimer: handlers, periodic re-arming, the values read back, the errors,
// fork's child without timers, and SIGALRM's default action.
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int alarms, profs;
static void on_alarm(int s) { (void)s; alarms++; }
static void on_prof(int s) { (void)s; profs++; }

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  signal(SIGALRM, on_alarm);
  // SIGALRM blocked until sigsuspend waits, so a loaded machine that takes a second to print
  // cannot spend the alarm before the wait begins
  sigset_t alrm, old;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, &old);
  printf("alarm(5) = %u\n", alarm(5));
  printf("alarm(1) = %u\n", alarm(1));
  int r = sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, 0);
  printf("sigsuspend = %d, alarms %d\n", r, alarms);

  struct itimerval it = {{0, 20000}, {0, 50000}}, cur;
  setitimer(ITIMER_REAL, &it, 0);
  while (alarms < 4) pause();
  getitimer(ITIMER_REAL, &cur);
  printf("interval %ld.%06ld, value within it %d\n", (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 20000);
  struct itimerval zero = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &zero, &cur);
  printf("old interval %ld\n", (long)cur.it_interval.tv_usec);
  getitimer(ITIMER_REAL, &cur);
  printf("disarmed %ld %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec, (long)cur.it_interval.tv_usec);

  struct itimerval bad = {{0, 0}, {0, 1000000}};
  printf("bad usec: %d\n", setitimer(ITIMER_REAL, &bad, 0));
  printf("bad which: %d\n", setitimer(7, &zero, 0));

  // ITIMER_PROF counts CPU time: a loop of syscalls uses some
  signal(SIGPROF, on_prof);
  struct itimerval prof = {{0, 0}, {0, 10000}};
  setitimer(ITIMER_PROF, &prof, 0);
  while (!profs) getppid();
  printf("profs %d\n", profs);

  alarm(10);
  pid_t pid = fork();
  if (pid == 0) { printf("child: alarm(0) = %u\n", alarm(0)); _exit(0); }
  waitpid(pid, 0, 0);
  printf("parent: alarm(0) = %u\n", alarm(0));

  signal(SIGALRM, SIG_DFL);
  alarm(1);
  pause();
  return 3;
}
