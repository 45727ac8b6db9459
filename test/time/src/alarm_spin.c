// SIGALRM for a process that computes without a system call: with a handler, which re-arms the
// alarm until it has run three times; without one (argument "fatal"), which ends the process.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
  (void)sig;
  if (++alarms < 3) alarm(1);
}

int main(int argc, char **argv) {
  volatile unsigned long i = 0;
  if (argc > 1 && strcmp(argv[1], "fatal") == 0) {
    alarm(1);
    for (;;) i++;
  }
  signal(SIGALRM, on_alarm);
  alarm(1);
  while (alarms < 3) i++;
  printf("alarms %d\n", (int)alarms);
  return 0;
}
