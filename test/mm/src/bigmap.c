/* Maps a large sparse file read-only and private and prints the bytes at its markers and in a
 * hole before each. 64-bit: the whole file in one mapping; 32-bit (whose address space cannot hold
 * it): everything from 2 GiB to the end in one mapping, and the first MiB in another.
 * Usage: bigmap FILE OFFSET... */
#define _FILE_OFFSET_BITS 64
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1 << 20)

int main(int argc, char **argv) {
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror("open"); return 1; }
  off_t size = lseek(fd, 0, SEEK_END);
  printf("size %lld\n", (long long)size);
  off_t lo = sizeof(void *) == 8 || size <= 2048LL * MIB ? 0 : 2048LL * MIB;
  char *high = mmap(NULL, size - lo, PROT_READ, MAP_PRIVATE, fd, lo);
  if (high == MAP_FAILED) { perror("mmap"); return 1; }
  char *head = lo ? mmap(NULL, MIB, PROT_READ, MAP_PRIVATE, fd, 0) : high;
  if (head == MAP_FAILED) { perror("mmap head"); return 1; }
  close(fd); /* the mappings hold the file */
  for (int i = 2; i < argc; i++) {
    off_t off = strtoll(argv[i], NULL, 0);
    const char *p = off >= lo ? high + (off - lo) : head + off;
    printf("%lld: %.8s\n", (long long)off, p);
    if (off >= 4096 + lo) printf("%lld: hole byte %d\n", (long long)(off - 4096), p[-4096]);
  }
  return 0;
}
