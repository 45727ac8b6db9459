// pause_loop.c without the pause: handlers for SIGINT and SIGTERM, then a loop that makes no
// syscall until both came. Exits 7.
#include <signal.h>
#include <stdio.h>

static volatile int n;
static void on_signal(int s) { n++; printf("got %d\n", s); }

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  printf("ready\n");
  while (n < 2) {}
  return 7;
}
