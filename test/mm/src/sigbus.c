/* Bytes past the end of a mapped file: zero in its last page, SIGBUS (BUS_ADRERR, si_addr the
 * access) in a page wholly past it, EFAULT when the kernel copies from there; a page there once the
 * file grows; then an access past the end without a handler kills. Usage: sigbus DIR */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf back;
static char *base;

static void on_bus(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  printf("signal %d code %d at offset %ld\n", sig, si->si_code, (long)((char *)si->si_addr - base));
  siglongjmp(back, 1);
}

int main(int argc, char **argv) {
  char path[4096];
  snprintf(path, sizeof path, "%s/short", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  char data[5000];
  memset(data, 'x', sizeof data);
  if (write(fd, data, sizeof data) != (ssize_t)sizeof data) { perror("write"); return 1; }
  base = mmap(NULL, 4 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  if (base == MAP_FAILED) { perror("mmap"); return 1; }
  printf("last byte %c, past EOF %d, end of page %d\n", base[4999], base[5000], base[8191]);
  int pipefd[2];
  pipe(pipefd);
  errno = 0;
  ssize_t n = write(pipefd[1], base + 8192, 16);
  printf("write from past EOF: %zd %s\n", n, n < 0 ? strerror(errno) : "");
  struct sigaction sa = {0};
  sa.sa_sigaction = on_bus;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);
  if (sigsetjmp(back, 1) == 0) printf("read %d\n", base[8192 + 17]);
  /* the file grows: the page is there now */
  ftruncate(fd, 3 * 4096);
  printf("after growing: %d\n", base[8192 + 17]);
  signal(SIGBUS, SIG_DFL);
  fflush(stdout);
  printf("read %d\n", base[3 * 4096 + 5]);
  return 0;
}
