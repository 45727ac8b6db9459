// Asks the host's glibc dynamic loader to open a vDSO image and look symbols up by version, as
// glibc does with the real vDSO (dl_vdso_vsym). Prints "name@version offset", or "-" when the
// loader finds nothing.
//
//   dlvsym IMAGE name version [name version ...]
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	struct link_map *lm;

	if (!h) {
		printf("dlopen-failed %s\n", dlerror());
		return 1;
	}
	dlinfo(h, RTLD_DI_LINKMAP, &lm);
	for (int i = 2; i + 1 < argc; i += 2) {
		char *p = dlvsym(h, argv[i], argv[i + 1]);
		if (p)
			printf("%s@%s %lu\n", argv[i], argv[i + 1], (unsigned long)(p - (char *)lm->l_addr));
		else
			printf("%s@%s -\n", argv[i], argv[i + 1]);
	}
	return 0;
}
