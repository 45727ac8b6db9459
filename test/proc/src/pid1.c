// pid 1 as a process sees it, natively and under sysgate: kill(1, ...) and what /proc/1 shows or
// refuses, the parent of the first process, and an orphan's new parent and its reaping. Every line
// it prints holds on any Linux host for the caller's uid (so an unprivileged run compares line by
// line); it never sends pid 1 a real signal as root.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(int r) { return r < 0 ? strerror(errno) : "ok"; }

static volatile sig_atomic_t pdeath_sig, pdeath_from;
static void on_pdeath(int sig, siginfo_t *si, void *uc) { (void)uc; pdeath_from = si->si_pid; pdeath_sig = sig; }

/** A field of /proc/1/status (its first column), or "" when it cannot be read. */
static const char *status_field(const char *name, char *line, size_t len) {
  FILE *f = fopen("/proc/1/status", "r");
  line[0] = 0;
  if (!f) return line;
  size_t n = strlen(name);
  while (fgets(line, (int)len, f)) {
    if (strncmp(line, name, n) == 0 && line[n] == ':') {
      fclose(f);
      char *v = line + n + 2;
      v[strcspn(v, "\t\n")] = 0; // the first column (Uid: real uid)
      return v;
    }
  }
  fclose(f);
  line[0] = 0;
  return line;
}

static ssize_t slurp(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n >= 0) buf[n] = 0;
  return n;
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  int root = getuid() == 0;
  printf("kill(1, 0): %s\n", err(kill(1, 0)));
  if (!root) {
    printf("kill(1, SIGTERM): %s\n", err(kill(1, SIGTERM)));
    printf("kill(1, SIGKILL): %s\n", err(kill(1, SIGKILL)));
  }
  char f1[256], f2[256], f3[256];
  printf("/proc/1/status: Pid %s, PPid %s, Uid %s\n", status_field("Pid", f1, sizeof f1), status_field("PPid", f2, sizeof f2),
         status_field("Uid", f3, sizeof f3));
  char buf[4096];
  int pid = -1, ppid = -1;
  char comm[64] = "", state = '?';
  if (slurp("/proc/1/stat", buf, sizeof buf) > 0) sscanf(buf, "%d %63s %c %d", &pid, comm, &state, &ppid);
  printf("/proc/1/stat: pid %d, ppid %d, comm in parentheses %d\n", pid, ppid, comm[0] == '(');
  printf("/proc/1/cmdline is not empty: %d\n", slurp("/proc/1/cmdline", buf, sizeof buf) > 0);
  printf("/proc/1/comm is one line: %d\n", slurp("/proc/1/comm", buf, sizeof buf) > 1 && strchr(buf, '\n') == buf + strlen(buf) - 1);
  printf("/proc/1 is a directory: %d\n", opendir("/proc/1") != 0);
  if (!root) {
    printf("open /proc/1/environ: %s\n", err(open("/proc/1/environ", O_RDONLY)));
    printf("open /proc/1/maps: %s\n", err(open("/proc/1/maps", O_RDONLY)));
    printf("readlink /proc/1/exe: %s\n", err(readlink("/proc/1/exe", buf, sizeof buf)));
    printf("readlink /proc/1/cwd: %s\n", err(readlink("/proc/1/cwd", buf, sizeof buf)));
    printf("opendir /proc/1/fd: %s\n", opendir("/proc/1/fd") ? "ok" : strerror(errno));
    // the first process's parent is another user's process here (root's), so: EPERM
    printf("kill(getppid(), 0): %s\n", err(kill(getppid(), 0)));
  }
  printf("getpgid(1) and getsid(1) answer: %d\n", getpgid(1) >= 0 && getsid(1) >= 0);

  // an orphan: its parent exits, it is reparented to pid 1 (no subreaper above), and once it has
  // exited init reaps it, so its pid is soon free (kill says ESRCH)
  int fds[2];
  if (pipe(fds) < 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    pid_t g = fork();
    if (g == 0) {
      close(fds[0]);
      for (int i = 0; i < 200 && getppid() != 1; i++) usleep(10000);
      char line[64];
      int n = snprintf(line, sizeof line, "%d %d\n", (int)getpid(), getppid() == 1);
      write(fds[1], line, n);
      _exit(0);
    }
    _exit(0);
  }
  close(fds[1]);
  waitpid(child, 0, 0);
  char line[64] = "";
  ssize_t n = read(fds[0], line, sizeof line - 1);
  int gpid = 0, adopted = 0;
  if (n > 0) { line[n] = 0; sscanf(line, "%d %d", &gpid, &adopted); }
  printf("orphan reparented to pid 1: %d\n", adopted);
  int reaped = 0;
  for (int i = 0; i < 500 && !reaped; i++) {
    if (kill(gpid, 0) < 0 && errno == ESRCH) reaped = 1; else usleep(10000);
  }
  printf("orphan reaped by init: %d\n", reaped);
  printf("waitpid on the orphan from its grandparent: %s\n", err(waitpid(gpid, 0, WNOHANG)));

  // PR_SET_PDEATHSIG: a child that asked for SIGUSR1 gets it from its parent when that one exits
  int ready[2], result[2];
  if (pipe(ready) < 0 || pipe(result) < 0) return 1;
  pid_t mid = fork();
  if (mid == 0) {
    pid_t me = getpid();
    if (fork() == 0) {
      struct sigaction sa = {0};
      sa.sa_sigaction = on_pdeath;
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGUSR1, &sa, 0);
      int v = -1;
      prctl(PR_SET_PDEATHSIG, SIGUSR1);
      prctl(PR_GET_PDEATHSIG, &v);
      write(ready[1], "r", 1);
      for (int i = 0; i < 500 && !pdeath_sig; i++) usleep(10000);
      char out[160];
      int len = snprintf(out, sizeof out, "pdeath: PR_GET_PDEATHSIG %d, got signal %d, from the old parent %d, parent now 1 %d\n",
                         v, (int)pdeath_sig, pdeath_from == me, getppid() == 1);
      write(result[1], out, len);
      _exit(0);
    }
    char c;
    read(ready[0], &c, 1); // the child has asked: now go
    _exit(0);
  }
  close(result[1]);
  waitpid(mid, 0, 0);
  char out[160] = "";
  n = read(result[0], out, sizeof out - 1);
  if (n > 0) { out[n] = 0; fputs(out, stdout); }
  printf("PR_SET_PDEATHSIG of 65: %s\n", err(prctl(PR_SET_PDEATHSIG, 65)));
  return 0;
}
