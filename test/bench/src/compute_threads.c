// A compute loop with no syscall in it; with an argument, a second thread sleeps meanwhile. The
// sleeper's timer makes the scheduler slice the computing thread (machine.ts SLICE_BLOCKS).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *sleeper(void *a) { (void)a; sleep(100); return 0; }

int main(int argc, char **argv) {
  (void)argv;
  pthread_t t;
  if (argc > 1) pthread_create(&t, 0, sleeper, 0);
  volatile unsigned long x = 1;
  for (unsigned long i = 0; i < 50000000UL; i++) x = x * 6364136223846793005UL + i;
  printf("%lu\n", (unsigned long)x);
  exit(0); // the sleeper too
}
