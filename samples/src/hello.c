/* hello: printf through a libc. One source for several builds; the build names the
 * libc and ABI in HELLO_FROM ("glibc", "musl", "static-pie", "glibc i386", "musl i386"). */
#include <stdio.h>

#ifndef HELLO_FROM
#error "build with -DHELLO_FROM='\"...\"'"
#endif

int main(void)
{
	printf("hello from %s\n", HELLO_FROM);
	return 0;
}
