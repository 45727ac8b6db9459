/* main-exit.c: the main thread ends with pthread_exit and the process lives on in its other
 * thread; the leader is a zombie meanwhile (its /proc status says so, and counts it as a thread) and the parent cannot reap
 * it until the last thread ends. The process's status is that of its last exit_group (exit(3)
 * here), or with `raw` (the last thread makes the exit syscall itself) the main thread's own 0.
 * Run as `main-exit` (in this process) or `main-exit fork` (in a child the parent waits for),
 * each with `raw` as a second argument or anything else. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t pid;
static int raw;
/* with `fork`: the child's last thread says it runs (ready), then waits for the parent (go) */
static int ready[2] = {-1, -1}, go[2] = {-1, -1};

static void *last(void *arg) {
  (void)arg;
  /* wait (up to 10 s) until the main thread has exited: then the leader is a zombie */
  char line[256], state[64] = "?";
  int threads = 0;
  for (int i = 0; i < 1000 && state[0] != 'Z'; i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
      if (strncmp(line, "State:", 6) == 0) sscanf(line, "State:\t%63[^\n]", state);
      else if (strncmp(line, "Threads:", 8) == 0) sscanf(line, "Threads:\t%d", &threads);
    if (f) fclose(f);
  }
  printf("the last thread: same pid %s, the leader's state %s, threads %d\n", getpid() == pid ? "yes" : "no", state, threads);
  if (ready[1] >= 0) {
    char c = 'r';
    if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1) exit(9);
  }
  if (raw) syscall(SYS_exit, 5);
  exit(3);
}

static void process(void) {
  pid = getpid();
  pthread_t t;
  if (pthread_create(&t, NULL, last, NULL)) exit(1);
  pthread_exit(NULL);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  raw = argc > 2 && strcmp(argv[2], "raw") == 0;
  if (argc > 1 && strcmp(argv[1], "fork") == 0) {
    if (pipe(ready) || pipe(go)) return 1;
    pid_t c = fork();
    if (c == 0) process();
    char b;
    if (read(ready[0], &b, 1) != 1) return 2;
    int st = 0;
    pid_t r = waitpid(c, &st, WNOHANG);
    printf("parent: while the child's thread runs, waitpid WNOHANG gives %d\n", (int)r);
    if (write(go[1], &b, 1) != 1) return 3;
    r = waitpid(c, &st, 0);
    printf("parent: then the child %s with %d\n", r == c && WIFEXITED(st) ? "exited" : "did not exit", WEXITSTATUS(st));
    return 0;
  }
  process();
}
