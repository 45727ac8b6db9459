// Waits 200 ms (or argv[1] ms) by reading CLOCK_MONOTONIC until it has moved that far: with the
// vDSO, a loop that never enters the kernel.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  long ms = argc > 1 ? atol(argv[1]) : 200;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do clock_gettime(CLOCK_MONOTONIC, &b);
  while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < ms * 1000000L);
  printf("waited %ld ms\n", ms);
  return 0;
}
