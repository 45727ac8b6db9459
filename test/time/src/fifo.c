// Named pipes: mkfifo and mknod in the current directory, then a child writes and the parent
// reads through the FIFO (each open waits for the other end), the non-blocking opens, and the
// errors.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  umask(022);
  unlink("fifo1");
  unlink("fifo2");
  unlink("plain");
  printf("mkfifo = %d\n", mkfifo("fifo1", 0666));
  struct stat st;
  stat("fifo1", &st);
  printf("is a fifo %d, mode %03o\n", S_ISFIFO(st.st_mode), (unsigned)(st.st_mode & 0777));
  errno = 0;
  int r = mkfifo("fifo1", 0600);
  printf("again = %d, errno %d\n", r, errno);
  printf("mknod S_IFIFO = %d\n", mknod("fifo2", S_IFIFO | 0640, 0));
  printf("mknod regular = %d\n", mknod("plain", S_IFREG | 0600, 0));
  stat("plain", &st);
  printf("plain is regular %d, size %ld\n", S_ISREG(st.st_mode), (long)st.st_size);

  errno = 0;
  r = open("fifo1", O_WRONLY | O_NONBLOCK);
  printf("non-blocking writer with no reader = %d, errno %d\n", r, errno);
  int rd = open("fifo1", O_RDONLY | O_NONBLOCK);
  char buf[64];
  printf("non-blocking reader = %d, read %d\n", rd >= 0, (int)read(rd, buf, sizeof buf));
  close(rd);

  pid_t pid = fork();
  if (pid == 0) {
    int w = open("fifo1", O_WRONLY); // waits for the parent's open
    write(w, "through the fifo\n", 17);
    close(w);
    _exit(0);
  }
  int fd = open("fifo1", O_RDONLY); // waits for the child's open
  int n, total = 0;
  while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0) total += n;
  buf[total] = 0;
  printf("read %d bytes: %s", total, buf);
  fstat(fd, &st);
  printf("fstat: fifo %d\n", S_ISFIFO(st.st_mode));
  close(fd);
  waitpid(pid, 0, 0);

  int both = open("fifo2", O_RDWR);
  write(both, "x", 1);
  printf("O_RDWR reads back %d\n", (int)read(both, buf, 1));
  close(both);
  unlink("fifo1");
  unlink("fifo2");
  unlink("plain");
  return 0;
}
