// Each round maps 64 KiB, writes every page of it (16 page faults, each a new frame) and says so:
// the keys between two writes hand out frames that a step back must give back. With a file
// argument it first maps that file and reads its first byte (a page-cache fault).
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc > 1) {
    int fd = open(argv[1], O_RDONLY);
    char *f = mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (f == MAP_FAILED) return 2;
    char c = f[0];
    write(1, &c, 1);
  }
  for (int i = 0; i < 4; i++) {
    char *p = mmap(0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    memset(p, 'a' + i, 65536);
    write(1, p, 1);
  }
  write(1, "\n", 1);
  return 0;
}
