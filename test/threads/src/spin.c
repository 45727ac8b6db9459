/*
 * Preemption by instruction count: a thread that spins in user mode, never entering the kernel,
 * must not starve the thread that holds the lock (or the flag) it waits for. On one CPU only a
 * time slice gets the spinner off it.
 *   1. main spins on a flag that the other thread sets after taking a mutex and working with it;
 *   2. main spins on a pthread spin lock that the other thread holds while it works.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define WORK 400000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t spin;
static atomic_int flag, holding;
static volatile long counter;

static void *setter(void *arg) {
	(void)arg;
	pthread_mutex_lock(&lock);
	for (long i = 0; i < WORK; i++) counter++;
	atomic_store(&flag, 1);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *holder(void *arg) {
	(void)arg;
	pthread_spin_lock(&spin);
	atomic_store(&holding, 1);
	for (long i = 0; i < WORK; i++) counter++;
	pthread_spin_unlock(&spin);
	return NULL;
}

int main(void) {
	pthread_t t;
	if (pthread_create(&t, NULL, setter, NULL)) return 1;
	while (!atomic_load(&flag)) {} /* no syscall in here */
	pthread_mutex_lock(&lock);
	printf("flag set after %ld increments under the mutex\n", counter);
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);

	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	if (pthread_create(&t, NULL, holder, NULL)) return 1;
	while (!atomic_load(&holding)) {}
	pthread_spin_lock(&spin); /* spins until the holder lets go */
	printf("spin lock taken after %ld increments in all\n", counter);
	pthread_spin_unlock(&spin);
	pthread_join(t, NULL);
	return 0;
}
