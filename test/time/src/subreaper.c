// prctl(PR_SET_CHILD_SUBREAPER): a grandchild whose parent exits is reparented to the subreaper
// (a child of the first process, so not init), which sees it in getppid() and reaps it.
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int supervisor(void) {
  int v = -1;
  prctl(PR_GET_CHILD_SUBREAPER, &v);
  printf("subreaper before: %d\n", v);
  printf("set = %d\n", prctl(PR_SET_CHILD_SUBREAPER, 1));
  prctl(PR_GET_CHILD_SUBREAPER, &v);
  printf("subreaper after: %d\n", v);
  pid_t me = getpid();
  int fds[2];
  pipe(fds);
  pid_t child = fork();
  if (child == 0) {
    pid_t g = fork();
    if (g == 0) {
      char c;
      read(fds[0], &c, 1); // until the middle process is gone
      printf("grandchild: reparented to the subreaper %d\n", getppid() == me);
      _exit(7);
    }
    _exit(0);
  }
  int st;
  waitpid(child, &st, 0);
  printf("child exited %d\n", WEXITSTATUS(st));
  write(fds[1], "x", 1);
  pid_t got = wait(&st);
  printf("reaped the grandchild: %d, status %d\n", got > 0 && got != child, WEXITSTATUS(st));
  return 0;
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  pid_t s = fork();
  if (s == 0) _exit(supervisor());
  int st;
  waitpid(s, &st, 0);
  printf("supervisor exited %d\n", WEXITSTATUS(st));
  return 0;
}
