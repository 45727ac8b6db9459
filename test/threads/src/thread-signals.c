/* thread-signals.c: process-directed signals in a threaded process (complete_signal). A signal
 * sent to the process goes to the main thread unless it blocks it, else to a thread that does
 * not; a signal every thread blocks waits in the process's pending set, which every thread sees;
 * a thread-directed one stays with its thread; a thread waiting in sigwaitinfo takes what the
 * others block, and sigtimedwait gives up with EAGAIN. Prints what it saw; the status is 0 when every
 * check held, else the number of the first that failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile pid_t handled_by;
static volatile int second_ready, second_go, second_done;
static pid_t second_tid;
static sigset_t seen_by_second;

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void on_signal(int sig) {
  (void)sig;
  handled_by = gettid_();
}

static void wait_for(volatile int *flag) {
  while (!*flag) sched_yield();
}

static void *second(void *arg) {
  (void)arg;
  second_tid = gettid_();
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL); /* this thread takes SIGUSR1; main blocks it */
  second_ready = 1;
  while (!handled_by) pause();
  wait_for(&second_go);
  sigpending(&seen_by_second); /* SIGUSR2, blocked everywhere, pending for the process */
  second_done = 1;
  return NULL;
}

static siginfo_t waited;
static volatile int waiter_ready;

static void *waiter(void *arg) {
  sigset_t *set = arg;
  waiter_ready = 1;
  return (void *)(long)sigwaitinfo(set, &waited);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &s, NULL); /* the new thread inherits both */

  pthread_t t;
  if (pthread_create(&t, NULL, second, NULL)) return 1;
  wait_for(&second_ready);
  kill(getpid(), SIGUSR1);
  while (!handled_by) sched_yield();
  printf("kill(getpid(), SIGUSR1) with main blocking it: taken by the second thread: %s\n", handled_by == second_tid ? "yes" : "no");
  if (handled_by != second_tid) return 2;

  /* every thread blocks SIGUSR2: it waits in the process's pending set, seen from both threads */
  kill(getpid(), SIGUSR2);
  second_go = 1;
  wait_for(&second_done);
  sigset_t mine;
  sigpending(&mine);
  printf("SIGUSR2 blocked by all: pending seen by main %s, by the second thread %s\n",
         sigismember(&mine, SIGUSR2) ? "yes" : "no", sigismember(&seen_by_second, SIGUSR2) ? "yes" : "no");
  if (!sigismember(&mine, SIGUSR2) || !sigismember(&seen_by_second, SIGUSR2)) return 3;
  pthread_join(t, NULL);

  /* main unblocks it: main takes it */
  handled_by = 0;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  printf("unblocked, SIGUSR2 taken by main: %s\n", handled_by == gettid_() ? "yes" : "no");
  if (handled_by != gettid_()) return 4;

  /* a signal for the main thread only (tgkill) is not the process's: sigpending shows it, and a
     process-directed one to a main thread that does not block it goes to main */
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  syscall(SYS_tgkill, getpid(), gettid_(), SIGUSR1);
  sigpending(&mine);
  printf("tgkill to blocked main: pending %s\n", sigismember(&mine, SIGUSR1) ? "yes" : "no");
  handled_by = 0;
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  printf("then unblocked: taken by main %s\n", handled_by == gettid_() ? "yes" : "no");
  if (handled_by != gettid_()) return 5;

  /* a signal thread: SIGTERM blocked everywhere, one thread waits for it in sigwaitinfo */
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  if (pthread_create(&t, NULL, waiter, &term)) return 6;
  wait_for(&waiter_ready);
  kill(getpid(), SIGTERM);
  void *r;
  pthread_join(t, &r);
  printf("sigwaitinfo in another thread: signal %s, from this process %s, SI_USER %s\n", (long)r == SIGTERM ? "SIGTERM" : "?",
         waited.si_pid == getpid() ? "yes" : "no", waited.si_code == SI_USER ? "yes" : "no");
  if ((long)r != SIGTERM) return 7;
  struct timespec ts = {0, 10 * 1000 * 1000};
  int w = sigtimedwait(&term, NULL, &ts);
  printf("sigtimedwait with nothing pending: %d %s\n", w, w < 0 && errno == EAGAIN ? "EAGAIN" : "?");
  if (w != -1 || errno != EAGAIN) return 8;
  return 0;
}
