/* thread-limits.c: bad input for the threads model. `bomb` creates threads that all wait until
 * pthread_create fails, then prints how many it made and the error; `nproc` does the same as an
 * unprivileged user (uid 54321) under RLIMIT_NPROC 8 (threads count as processes of their user);
 * `deadlock` joins a thread that waits on a condition variable nobody signals, so every thread
 * of the process sleeps. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *wait_forever(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  for (;;) pthread_cond_wait(&never, &lock);
  return NULL;
}

int main(int argc, char **argv) {
  pthread_t t[MAX];
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "deadlock") == 0) {
    pthread_create(&t[0], NULL, wait_forever, NULL);
    printf("joining a thread that never ends\n");
    pthread_join(t[0], NULL);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "nproc") == 0) {
    struct rlimit r = {8, 8};
    if (setrlimit(RLIMIT_NPROC, &r) || setuid(54321)) {
      printf("cannot become an unprivileged user under RLIMIT_NPROC 8 (not root?)\n");
      return 2;
    }
  }
  int n = 0, err = 0;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 65536);
  while (n < MAX && (err = pthread_create(&t[n], &attr, wait_forever, NULL)) == 0) n++;
  printf("created %d threads, then %s\n", n, err ? strerrorname_np(err) : "no error");
  return 0; /* exit_group ends the waiting threads */
}
