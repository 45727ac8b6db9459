// A process signals itself with SIGTERM while its only thread that can take it spins in user mode
// and never enters the kernel: the signal is fatal, so the whole process ends at once (natively
// the spinning CPU is kicked out of user mode). Expected: killed by SIGTERM, "not reached" never.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void *spin(void *arg) {
  for (volatile unsigned long i = 0;; i++) ;
  return arg;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, spin, NULL); // the spinner does not block SIGTERM
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL); // this thread does: only the spinner can take it
  printf("ready\n");
  fflush(stdout);
  kill(getpid(), SIGTERM);
  pthread_join(t, NULL);
  printf("not reached\n");
  return 0;
}
