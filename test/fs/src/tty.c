// What a terminal's ioctls answer on the same terminal opened three ways: the fd the shell gave
// (0), /dev/tty, and its /dev/pts name (ttyname). Run natively and through sysgate in a pseudo
// terminal (script(1)) with fds 1 and 2 redirected away from it; the lines must be the same.
// `tty raw` only leaves the terminal in raw mode (a program that dies without restoring it);
// `tty modes` only says which modes fd 0's terminal is in.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct termios t, back;
  if (argc > 1 && tcgetattr(0, &t) != 0) { perror("tcgetattr"); return 1; }
  if (argc > 1 && strcmp(argv[1], "raw") == 0) {
    t.c_lflag &= ~(ECHO | ICANON);
    return tcsetattr(0, TCSANOW, &t) != 0;
  }
  if (argc > 1) {
    printf("ECHO %d ICANON %d\n", !!(t.c_lflag & ECHO), !!(t.c_lflag & ICANON));
    return 0;
  }
  const char *name = ttyname(0);
  if (!name) { printf("fd 0 is no terminal\n"); return 1; }
  int fds[3] = { 0, open("/dev/tty", O_RDWR), open(name, O_RDWR) };
  const char *how[3] = { "fd 0", "/dev/tty", "ttyname" };
  for (int i = 0; i < 3; i++) {
    pid_t pg = -1;
    int r = ioctl(fds[i], TIOCGPGRP, &pg);
    printf("%s: TIOCGPGRP %d (%s), foreground is us: %d\n", how[i], r, r ? strerror(errno) : "ok", pg == getpgrp());
  }
  // settings made through one file are the terminal's: every other file of it reads them back
  if (tcgetattr(0, &t) != 0) { perror("tcgetattr"); return 1; }
  struct termios raw = t;
  raw.c_lflag &= ~(ECHO | ICANON);
  raw.c_cc[VMIN] = 7;
  if (tcsetattr(fds[1], TCSANOW, &raw) != 0) perror("tcsetattr");
  for (int i = 0; i < 3; i++) {
    memset(&back, 0, sizeof back);
    int r = tcgetattr(fds[i], &back);
    printf("%s: TCGETS %d, ECHO %d ICANON %d VMIN %d\n", how[i], r, !!(back.c_lflag & ECHO), !!(back.c_lflag & ICANON), back.c_cc[VMIN]);
  }
  tcsetattr(fds[1], TCSANOW, &t);
  // the size is the terminal's, whichever file asks (fds 1 and 2 are no terminal here)
  for (int i = 0; i < 3; i++) {
    struct winsize ws = { 0 };
    int r = ioctl(fds[i], TIOCGWINSZ, &ws);
    printf("%s: TIOCGWINSZ %d, %d rows %d cols\n", how[i], r, ws.ws_row, ws.ws_col);
  }
  struct winsize ws;
  int r = ioctl(1, TIOCGWINSZ, &ws);
  printf("fd 1: TIOCGWINSZ %d (%s)\n", r, r ? strerror(errno) : "ok");
  return 0;
}
