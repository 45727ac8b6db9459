/* clone3.c: clone3's checks and what it does, run natively and through sysgate. Each line is one
 * call: the errno it gave, or what the child saw. struct clone_args has the same layout on both
 * ABIs (every field a u64). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#define CLONE_CLEAR_SIGHAND 0x100000000ULL

struct args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
  uint64_t extra[3]; /* past what the kernel knows */
};

static long clone3(struct args *a, size_t size) { return syscall(__NR_clone3, a, size); }

static void expect_error(const char *what, struct args *a, size_t size) {
  long r = clone3(a, size);
  if (r == 0) _exit(99); /* a child that should not exist */
  if (r > 0) {
    waitpid(r, NULL, 0);
    printf("%s: made a child\n", what);
  } else {
    printf("%s: %s\n", what, strerrorname_np(errno));
  }
}

static void on_usr1(int sig) { (void)sig; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct args a;
  memset(&a, 0, sizeof a);
  a.exit_signal = SIGCHLD;
  expect_error("size 0", &a, 0);
  expect_error("size 56 (below CLONE_ARGS_SIZE_VER0)", &a, 56);
  expect_error("size 8192 (past a page)", &a, 8192);
  a.extra[1] = 1;
  expect_error("size 112 with a non-zero unknown byte", &a, sizeof a);
  a.extra[1] = 0;
  a.exit_signal = 65;
  expect_error("exit_signal 65", &a, 88);
  a.exit_signal = SIGCHLD;
  a.flags = SIGCHLD;
  expect_error("a signal in the flags' low byte", &a, 88);
  a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
  expect_error("CLONE_THREAD with an exit_signal", &a, 88);
  a.flags = CLONE_SIGHAND | CLONE_VM | CLONE_CLEAR_SIGHAND;
  a.exit_signal = 0;
  expect_error("CLONE_SIGHAND with CLONE_CLEAR_SIGHAND", &a, 88);
  a.flags = 0;
  a.exit_signal = SIGCHLD;
  a.stack = 0x10000;
  expect_error("a stack without a size", &a, 88);
  a.stack = 0;
  a.stack_size = 4096;
  expect_error("a size without a stack", &a, 88);
  a.stack_size = 0;
  a.set_tid_size = 1;
  expect_error("set_tid_size without set_tid", &a, 88);
  a.set_tid_size = 0;
  expect_error("unmapped clone_args", (struct args *)16, 88);

  /* a fork through clone3: CLONE_PARENT_SETTID, SIGCHLD as exit_signal, zero bytes past the struct */
  signal(SIGUSR1, on_usr1);
  signal(SIGUSR2, SIG_IGN);
  int32_t ptid = 0;
  memset(&a, 0, sizeof a);
  a.flags = CLONE_PARENT_SETTID | CLONE_CLEAR_SIGHAND;
  a.parent_tid = (uintptr_t)&ptid;
  a.exit_signal = SIGCHLD;
  long pid = clone3(&a, sizeof a);
  if (pid == 0) {
    struct sigaction s1, s2;
    sigaction(SIGUSR1, NULL, &s1);
    sigaction(SIGUSR2, NULL, &s2);
    printf("child: SIGUSR1 %s, SIGUSR2 %s\n", s1.sa_handler == SIG_DFL ? "default" : "caught",
           s2.sa_handler == SIG_IGN ? "ignored" : "not ignored");
    _exit(7);
  }
  if (pid < 0) {
    printf("clone3 fork: %s\n", strerrorname_np(errno));
    return 1;
  }
  int status = 0;
  siginfo_t si;
  if (waitid(P_PID, pid, &si, WEXITED) != 0) return 2;
  status = si.si_status;
  printf("parent: parent_tid %s the child's pid, child status %d, reaped by %s\n", ptid == pid ? "is" : "is not", status,
         si.si_code == CLD_EXITED ? "CLD_EXITED" : "?");
  return 0;
}
