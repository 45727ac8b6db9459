// Calls whose arguments strace decodes per option or per struct: prctl's options,
// rt_sigtimedwait's siginfo (from kill, tgkill, a child's exit and death, and a timeout), the
// epoll calls with their events, the process-group ioctls on a file that is no terminal, and a
// SIGCHLD caught by a handler while the parent waits (one line for it, as strace shows).
#define _GNU_SOURCE
#include <unistd.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
static void on_chld(int sig) { (void)sig; }
int main(void) {
  int s = 0;
  char name[16];
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_GET_PDEATHSIG, &s);
  prctl(PR_SET_PDEATHSIG, 0);
  prctl(PR_GET_PDEATHSIG, &s);
  prctl(PR_SET_NAME, "a-name-longer-than-fifteen");
  prctl(PR_GET_NAME, name);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_GET_CHILD_SUBREAPER, &s);
  prctl(PR_SET_CHILD_SUBREAPER, 0);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  siginfo_t si;
  struct timespec zero = { 0, 0 }, second = { 1, 0 };
  kill(getpid(), SIGUSR1);
  sigtimedwait(&set, &si, &second);
  raise(SIGUSR1);
  sigtimedwait(&set, &si, &second);
  sigtimedwait(&set, &si, &zero);
  pid_t c = fork();
  if (c == 0) _exit(5);
  sigtimedwait(&set, &si, &second);
  waitpid(c, NULL, 0);
  c = fork();
  if (c == 0) { raise(SIGTERM); _exit(0); }
  sigtimedwait(&set, &si, &second);
  waitpid(c, NULL, 0);
  kill(getpid(), SIGUSR1);
  sigwaitinfo(&set, NULL);

  int p[2];
  if (pipe(p) < 0) return 1;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = 0x100000007ULL }, out[4];
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  ev.events = EPOLLOUT;
  ev.data.fd = p[1];
  epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
  epoll_wait(ep, out, 4, 0);
  write(p[1], "x", 1);
  epoll_pwait(ep, out, 4, -1, NULL);
  epoll_pwait(ep, out, 4, 0, &set);
  epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
  close(p[1]);
  epoll_wait(ep, out, 1, 0);

  pid_t g = 0;
  ioctl(p[0], TIOCGPGRP, &g);
  g = getpgrp();
  ioctl(p[0], TIOCSPGRP, &g);

  struct sigaction sa = { .sa_handler = on_chld, .sa_flags = SA_RESTART };
  sigaction(SIGCHLD, &sa, NULL);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  c = fork();
  if (c == 0) {
    // the parent is surely in wait4 when this child ends (without the pause the order of its
    // exit and the parent's wait4 is a race natively, on two CPUs)
    struct timespec pause = { 0, 50000000 };
    nanosleep(&pause, NULL);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  return 0;
}
