/* Copy-on-write pages whose other user is gone: after the child exits, each page the parent reads
 * (the CPU caches it read-only) and then writes is its own again (wp_page_reuse: the same frame made
 * writable, no TLB flush). Every write must land and nothing may fault twice. Usage: cow_reuse */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 64

int main(void) {
  char *p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 'a', PAGES * 4096);
  pid_t child = fork();
  if (child == 0) _exit(p[0] == 'a' ? 0 : 1);
  int st;
  waitpid(child, &st, 0);
  unsigned sum = 0;
  for (int i = 0; i < PAGES; i++) {
    volatile char *q = p + i * 4096;
    sum += q[1];
    q[0] = 'b';
    q[4095] = 'c';
  }
  int bad = 0;
  for (int i = 0; i < PAGES; i++) bad += p[i * 4096] != 'b' || p[i * 4096 + 1] != 'a' || p[i * 4096 + 4095] != 'c';
  printf("child %d, read %u, %d pages wrong\n", WEXITSTATUS(st), sum, bad);
  return 0;
}
