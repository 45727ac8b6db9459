/* A private writable mapping of a file the program wrote itself: its stores stay in the process
 * (a copy on write), the file keeps its bytes; a child forked with the mapping sees the parent's
 * copy and makes its own; a read-only shared mapping shows the file, and keeps it after unlink (its
 * /proc/self/maps line says so). Usage: privmap DIR */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void show_file(const char *path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("file (%zd bytes): %s", n, buf);
}

int main(int argc, char **argv) {
  char path[4096];
  snprintf(path, sizeof path, "%s/data", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  const char text[] = "original file contents\n";
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) { perror("write"); return 1; }
  char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  close(fd); /* the mapping holds the file */
  printf("mapped: %s", p);
  printf("past EOF in the last page: %d %d\n", p[strlen(text)], p[4095]);
  memcpy(p, "CHANGED", 7);
  printf("after store: %s", p);
  show_file(path);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    printf("child sees: %s", p);
    memcpy(p, "CHILD!!", 7);
    printf("child after store: %s", p);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  printf("parent after child: %s", p);
  if (msync(p, 4096, MS_SYNC) != 0) perror("msync");
  munmap(p, 8192);
  show_file(path);
  fd = open(path, O_RDONLY);
  const char *s = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  if (s == MAP_FAILED) { perror("mmap shared"); return 1; }
  printf("shared read-only: %s", s);
  /* the mapping holds the file: closed and unlinked, it still reads, and maps names it deleted */
  struct stat st;
  fstat(fd, &st);
  close(fd);
  unlink(path);
  printf("after unlink: %s", s);
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[4200], perms[8];
  unsigned long long offset, ino;
  unsigned major, minor;
  int name;
  while (fgets(line, sizeof line, maps)) {
    if (!strstr(line, "/data")) continue;
    sscanf(line, "%*s %7s %llx %x:%x %llu %n", perms, &offset, &major, &minor, &ino, &name);
    printf("maps: %s %llx %02x:%02x %s inode, %s", perms, offset, major, minor, ino == (unsigned long long)st.st_ino ? "its" : "another", line + name);
  }
  fclose(maps);
  return 0;
}
