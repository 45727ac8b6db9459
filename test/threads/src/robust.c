/* robust.c: a robust mutex whose owner thread ends without unlocking it. The kernel walks the
 * dead thread's robust list (set_robust_list) and marks the lock FUTEX_OWNER_DIED, so the next
 * locker gets EOWNERDEAD instead of waiting forever; a second thread already waiting is woken. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m;
static pthread_barrier_t locked;

static void *owner(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m);
  pthread_barrier_wait(&locked);
  usleep(20000); /* the waiter is asleep on the lock by now */
  return NULL;   /* ends holding the lock */
}

static void *waiter(void *arg) {
  (void)arg;
  pthread_barrier_wait(&locked);
  int r = pthread_mutex_lock(&m);
  printf("waiter: lock = %s\n", r ? strerrorname_np(r) : "0");
  if (r == EOWNERDEAD) pthread_mutex_consistent(&m);
  pthread_mutex_unlock(&m);
  return NULL;
}

int main(void) {
  pthread_mutexattr_t a;
  pthread_t o, w;
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&m, &a);
  pthread_barrier_init(&locked, NULL, 2);
  pthread_create(&o, NULL, owner, NULL);
  pthread_create(&w, NULL, waiter, NULL);
  pthread_join(o, NULL);
  pthread_join(w, NULL);
  int r = pthread_mutex_lock(&m);
  printf("main: lock = %s\n", r ? strerrorname_np(r) : "0");
  pthread_mutex_unlock(&m);
  return 0;
}
