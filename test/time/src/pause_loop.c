// Waits for signals only the outside world sends: handlers for SIGINT and SIGTERM, then pause()
// until both came, or (argument "spin") a loop that makes no syscall. Exits 7.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int n;
static void on_signal(int s) { n++; printf("got %d\n", s); }

int main(int argc, char **argv) {
  int spin = argc > 1 && strcmp(argv[1], "spin") == 0;
  setvbuf(stdout, 0, _IONBF, 0);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  printf("ready\n");
  while (n < 2)
    if (!spin) pause();
  return 7;
}
