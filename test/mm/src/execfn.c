/* Prints AT_EXECFN: the path the program was executed by. */
#include <stdio.h>
#include <sys/auxv.h>

int main(void) {
  printf("%s\n", (const char *)getauxval(AT_EXECFN));
  return 0;
}
