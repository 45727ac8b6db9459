/* pthreads.c: what a C program does with POSIX threads, for the threads corpus.
 * Workers add to a counter under a mutex, a condition variable hands over a token,
 * each thread keeps its own __thread value, one thread is cancelled while it waits.
 * The output is deterministic whatever the interleaving; the exit status is 0 when every
 * check held, else the number of the first one that failed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WORKERS 4
#define ROUNDS 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;           /* which worker may take the token next */
static int order[WORKERS]; /* the order the token went round */
static int served;
static __thread int tls_value = -1;

static void *worker(void *arg) {
  int id = (int)(long)arg;
  tls_value = id * 10;
  for (int i = 0; i < ROUNDS; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
    if (i % 100 == 0) sched_yield();
  }
  /* the token goes round in id order: each waits for its turn on the condition variable */
  pthread_mutex_lock(&lock);
  while (turn != id) pthread_cond_wait(&cond, &lock);
  order[served++] = id;
  turn++;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&lock);
  /* another thread's writes never reach this thread's copy */
  return (void *)(long)(tls_value + 1);
}

static void cleanup(void *arg) { *(int *)arg = 1; }

static void *sleeper(void *arg) {
  pthread_cleanup_push(cleanup, arg);
  for (;;) pause(); /* a cancellation point */
  pthread_cleanup_pop(0);
  return NULL;
}

int main(void) {
  pthread_t t[WORKERS], s;
  int cleaned = 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  tls_value = 99;
  if (pthread_create(&s, NULL, sleeper, &cleaned)) return 1;
  for (long i = 0; i < WORKERS; i++)
    if (pthread_create(&t[i], NULL, worker, (void *)i)) return 2;
  for (int i = 0; i < WORKERS; i++) {
    void *r;
    if (pthread_join(t[i], &r)) return 3;
    printf("worker %d returned %ld\n", i, (long)r);
    if ((long)r != i * 10 + 1) return 4;
  }
  printf("counter %ld\n", counter);
  if (counter != WORKERS * ROUNDS) return 5;
  printf("token order");
  for (int i = 0; i < WORKERS; i++) printf(" %d", order[i]);
  printf("\n");
  printf("main tls %d\n", tls_value);
  if (tls_value != 99) return 6;
  if (pthread_cancel(s)) return 7;
  void *r;
  if (pthread_join(s, &r)) return 8;
  printf("sleeper %s, cleanup %s\n", r == PTHREAD_CANCELED ? "cancelled" : "not cancelled", cleaned ? "ran" : "did not run");
  if (r != PTHREAD_CANCELED || !cleaned) return 9;
  return 0;
}
