// fork-pipe-exec: the life of processes as a C parent sees it. Each child's end comes back
// through waitpid as a status word, printed raw and through the W* macros:
//   1. pipe + fork; the child dup2s the write end to stdout and execs /proc/self/exe (this
//      program again, in "child" mode); the parent reads the pipe to end of file.
//   2. a child that blocks reading an empty pipe, killed by the parent with SIGTERM.
//   3. vfork + _exit(7).
//   4. a child that writes into a pipe with no reader left: EPIPE and SIGPIPE kill it.
//   5. a child that aborts with RLIMIT_CORE 0: killed by SIGABRT, no core dump.
// No pids are printed, so the output is the same on every run.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void report(const char *who, int status) {
  printf("%s: status 0x%04x WIFEXITED %d", who, status, WIFEXITED(status));
  if (WIFEXITED(status)) printf(" WEXITSTATUS %d", WEXITSTATUS(status));
  printf(" WIFSIGNALED %d", WIFSIGNALED(status));
  if (WIFSIGNALED(status)) printf(" WTERMSIG %d WCOREDUMP %d", WTERMSIG(status), WCOREDUMP(status) ? 1 : 0);
  printf("\n");
  if (WIFEXITED(status)) printf("%s exited %d\n", who, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("%s killed by signal %d\n", who, WTERMSIG(status));
}

static int reap(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid) die("waitpid");
  return status;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    // exec'd: stdout is the pipe the parent reads
    printf("hello from the exec'd child (argv[1] = %s)\n", argv[1]);
    return 0;
  }
  // line-buffered even into a pipe: nothing sits in the buffer when we fork
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. pipe, fork, dup2, exec
  int p[2];
  if (pipe(p) < 0) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(p[0]);
    if (dup2(p[1], 1) < 0) die("dup2");
    close(p[1]);
    char *args[] = {argv[0], "child", NULL};
    execv("/proc/self/exe", args);
    die("execv");
  }
  close(p[1]);
  char buf[256];
  size_t got = 0;
  for (;;) {
    ssize_t n = read(p[0], buf + got, sizeof buf - 1 - got);
    if (n < 0) die("read");
    if (n == 0) break;
    got += (size_t)n;
  }
  buf[got] = 0;
  close(p[0]);
  printf("parent read %zu bytes: %s", got, buf);
  report("child", reap(pid));

  // 2. a child asleep in read(), killed with SIGTERM once it said it is ready
  int ready[2], never[2];
  if (pipe(ready) < 0 || pipe(never) < 0) die("pipe");
  pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(ready[0]);
    if (write(ready[1], "r", 1) != 1) _exit(2);
    char c;
    read(never[0], &c, 1); // never[1] stays open in the parent: blocks until killed
    _exit(3);
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) die("read ready");
  if (kill(pid, SIGTERM) < 0) die("kill");
  report("child", reap(pid));
  close(ready[0]);
  close(never[0]);
  close(never[1]);

  // 3. vfork: the parent sleeps until the child _exits
  pid = vfork();
  if (pid < 0) die("vfork");
  if (pid == 0) _exit(7);
  report("vfork child", reap(pid));

  // 4. writing into a pipe nobody reads: EPIPE, and SIGPIPE kills the writer
  if (pipe(p) < 0) die("pipe");
  close(p[0]);
  pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    write(p[1], "x", 1);
    _exit(4); // not reached: SIGPIPE's default action ends the process
  }
  close(p[1]);
  report("writer", reap(pid));

  // 5. abort() with no core allowed: WCOREDUMP stays 0
  pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    abort();
  }
  report("aborter", reap(pid));
  return 0;
}
