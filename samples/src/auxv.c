/* auxv: print what execve left on the initial stack.
 *
 * The kernel builds, from the stack pointer at _start upwards:
 *   argc, argv[0..argc-1], NULL, envp[0..], NULL, auxv {a_type, a_val}..., {AT_NULL, 0}
 * glibc hands main pointers into that very block, so walking envp past its NULL
 * reaches the auxiliary vector, and argv - 1 is where the stack pointer was at _start.
 *
 * Output: "argc N", "argv[i] STRING" for each argument, then one line per auxv entry,
 * "AT_NAME 0xVALUE" (a bare number for types without a name here), with the string
 * for AT_EXECFN / AT_PLATFORM / AT_BASE_PLATFORM and the 16 bytes of AT_RANDOM in hex,
 * and last "stack at _start 16-byte aligned: yes|no".
 */
#include <stdint.h>
#include <stdio.h>

/* Numbers from the kernel's include/uapi/linux/auxvec.h and arch/x86/include/uapi/asm/auxvec.h;
 * spelled out here so that the output does not depend on the age of <elf.h>. */
static const char *const at_names[] = {
	[0] = "AT_NULL",          [1] = "AT_IGNORE",         [2] = "AT_EXECFD",
	[3] = "AT_PHDR",          [4] = "AT_PHENT",          [5] = "AT_PHNUM",
	[6] = "AT_PAGESZ",        [7] = "AT_BASE",           [8] = "AT_FLAGS",
	[9] = "AT_ENTRY",         [10] = "AT_NOTELF",        [11] = "AT_UID",
	[12] = "AT_EUID",         [13] = "AT_GID",           [14] = "AT_EGID",
	[15] = "AT_PLATFORM",     [16] = "AT_HWCAP",         [17] = "AT_CLKTCK",
	[23] = "AT_SECURE",       [24] = "AT_BASE_PLATFORM", [25] = "AT_RANDOM",
	[26] = "AT_HWCAP2",       [27] = "AT_RSEQ_FEATURE_SIZE", [28] = "AT_RSEQ_ALIGN",
	[29] = "AT_HWCAP3",       [30] = "AT_HWCAP4",        [31] = "AT_EXECFN",
	[32] = "AT_SYSINFO",      [33] = "AT_SYSINFO_EHDR",  [51] = "AT_MINSIGSTKSZ",
};

enum { AT_NULL_ = 0, AT_PLATFORM_ = 15, AT_BASE_PLATFORM_ = 24, AT_RANDOM_ = 25, AT_EXECFN_ = 31 };

/* One auxv entry is two machine words on both x86-64 and i386. */
typedef struct {
	unsigned long a_type;
	unsigned long a_val;
} auxv_entry;

int main(int argc, char **argv, char **envp)
{
	printf("argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] %s\n", i, argv[i]);

	char **p = envp;
	while (*p)
		p++;
	for (const auxv_entry *a = (const auxv_entry *)(p + 1); a->a_type != AT_NULL_; a++) {
		const char *name = a->a_type < sizeof at_names / sizeof at_names[0] ? at_names[a->a_type] : NULL;
		if (name)
			printf("%s 0x%lx", name, a->a_val);
		else
			printf("%lu 0x%lx", a->a_type, a->a_val);
		switch (a->a_type) {
		case AT_PLATFORM_:
		case AT_BASE_PLATFORM_:
		case AT_EXECFN_:
			printf(" \"%s\"", (const char *)a->a_val);
			break;
		case AT_RANDOM_: {
			const unsigned char *r = (const unsigned char *)a->a_val;
			putchar(' ');
			for (int i = 0; i < 16; i++)
				printf("%02x", r[i]);
			break;
		}
		}
		putchar('\n');
	}

	/* The initial stack pointer pointed at argc, one word below argv[0]. */
	uintptr_t sp = (uintptr_t)(argv - 1);
	printf("stack at _start 16-byte aligned: %s\n", sp % 16 == 0 ? "yes" : "no");
	return 0;
}
