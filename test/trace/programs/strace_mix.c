// Calls whose strace lines need decoding: pipe2, writev/readv, lseek (_llseek on i386), a signal
// and its sigreturn, back-to-back vDSO clock reads, fork and wait4 with an exit status, SIGCHLD.
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <termios.h>
static void h(int s) { (void)s; }
int main(void) {
  int p[2];
  if (pipe2(p, 0) < 0) return 1;
  struct iovec w[2] = { { "hello", 5 }, { " world\n", 7 } };
  writev(p[1], w, 2);
  char a[5], b[16];
  struct iovec r[2] = { { a, 5 }, { b, sizeof b } };
  readv(p[0], r, 2);
  int fd = open("/etc/hostname", O_RDONLY);
  lseek(fd, 5, SEEK_SET);
  struct timespec ts;
  for (int i = 0; i < 5; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
  DIR *d = opendir("/");
  while (readdir(d)) {}
  closedir(d);
  struct termios t;
  tcgetattr(0, &t);
  signal(SIGUSR1, h);
  kill(getpid(), SIGUSR1);
  pid_t c = fork();
  if (c == 0) _exit(7);
  int st;
  wait4(c, &st, 0, NULL);
  return 0;
}
