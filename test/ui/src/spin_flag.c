// The main thread spins on a flag, without a syscall, until a second thread sets it: that thread
// only runs if the spinning one is preempted.
#include <pthread.h>
#include <stdio.h>
static volatile int flag;
static void *setter(void *arg) { (void)arg; flag = 1; return 0; }
int main(void) {
  pthread_t t;
  if (pthread_create(&t, 0, setter, 0)) return 1;
  while (!flag) {}
  pthread_join(t, 0);
  puts("the spinning thread saw the flag");
  return 0;
}
