// segv-handler: signal handlers as a program sees them.
//   1. SIGSEGV with SA_SIGINFO: a store to a read-only page at a fixed address and a load
//      through NULL; the handler records si_addr / si_code and siglongjmps out (the mask saved
//      by sigsetjmp comes back, so SIGSEGV is unblocked again).
//   2. the same fault fixed instead: the handler mprotects the page writable and returns, and
//      the store is executed again, successfully.
//   3. SIGUSR1 from raise() with SA_RESTART: inside the handler SIGUSR1 is blocked, after it not.
//   4. SIGUSR2 with SA_ONSTACK on a sigaltstack: the handler runs on the alternate stack and
//      sigaltstack() reports SS_ONSTACK there.
// Addresses printed are fixed (MAP_FIXED page, NULL), so the output is the same on every run.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_ADDR ((uintptr_t)0x10000000)

static sigjmp_buf env;
static volatile uintptr_t fault_addr;
static volatile int fault_code;
static volatile int fix_by_mprotect;

static void segv(int sig, siginfo_t *si, void *uctx) {
  (void)sig, (void)uctx;
  fault_addr = (uintptr_t)si->si_addr;
  fault_code = si->si_code;
  if (fix_by_mprotect) {
    // make the page writable: returning re-executes the faulting store
    if (mprotect((void *)PAGE_ADDR, 4096, PROT_READ | PROT_WRITE) != 0) _exit(10);
    return;
  }
  siglongjmp(env, 1);
}

static int blocked(int sig) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, sig);
}

static volatile int usr1_seen, usr1_blocked_inside;
static void usr1(int sig) {
  usr1_seen = sig;
  usr1_blocked_inside = blocked(SIGUSR1);
}

static char altstack[65536];
static volatile int usr2_on_alt, usr2_ss_onstack;
static void usr2(int sig) {
  (void)sig;
  char here;
  usr2_on_alt = &here >= altstack && &here < altstack + sizeof altstack;
  stack_t cur;
  sigaltstack(NULL, &cur);
  usr2_ss_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
}

static const char *code_name(int code) {
  return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "?";
}

static void expect_segv(const char *what, volatile int *target, uintptr_t expected) {
  if (sigsetjmp(env, 1) == 0) {
    *target = 1;
    printf("%s: no fault!\n", what);
    exit(1);
  }
  printf("caught SIGSEGV at 0x%lx (%s, %s), expected 0x%lx: %s\n", (unsigned long)fault_addr, what,
         code_name(fault_code), (unsigned long)expected, fault_addr == expected ? "ok" : "WRONG");
  printf("SIGSEGV blocked after siglongjmp: %s\n", blocked(SIGSEGV) ? "yes" : "no");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = segv;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) != 0) return 2;

  // 1. a read-only page at a fixed address, then NULL
  char *page = mmap((void *)PAGE_ADDR, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (page == MAP_FAILED) return 3;
  expect_segv("store to a read-only page", (volatile int *)(page + 0x10), PAGE_ADDR + 0x10);
  volatile uintptr_t null = 0;
  expect_segv("store through NULL", (volatile int *)null, 0);

  // 2. fixed in the handler: the store runs again once the page is writable
  fix_by_mprotect = 1;
  *(volatile int *)(page + 0x20) = 42;
  printf("fixed by mprotect in the handler: fault at 0x%lx (%s), value now %d\n", (unsigned long)fault_addr,
         code_name(fault_code), *(volatile int *)(page + 0x20));

  // 3. SIGUSR1 through raise(), SA_RESTART
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("SIGUSR1 handled: signal %d, blocked inside the handler: %s, after: %s\n", usr1_seen,
         usr1_blocked_inside ? "yes" : "no", blocked(SIGUSR1) ? "yes" : "no");

  // 4. SIGUSR2 on the alternate stack
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) return 4;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = usr2;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  stack_t after;
  sigaltstack(NULL, &after);
  printf("SIGUSR2 on the alternate stack: %s, SS_ONSTACK inside: %s, outside: %s\n", usr2_on_alt ? "yes" : "no",
         usr2_ss_onstack ? "yes" : "no", after.ss_flags & SS_ONSTACK ? "yes" : "no");
  return 0;
}
