// Says "ready", then computes for ever without a system call.
#include <stdio.h>

int main(void) {
  printf("ready\n");
  fflush(stdout);
  volatile unsigned long i = 0;
  for (;;) i++;
}
