// Waits 200 ms by reading CLOCK_MONOTONIC until it has moved that far: with the vDSO, a loop that
// never enters the kernel.
#include <stdio.h>
#include <time.h>

int main(void) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do clock_gettime(CLOCK_MONOTONIC, &b);
  while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 200000000L);
  printf("waited 200 ms\n");
  return 0;
}
