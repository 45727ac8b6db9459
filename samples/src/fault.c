/* fault: raise one CPU exception from user mode, chosen by argv[1].
 *
 *   segv   store to address 0            #PF  -> SIGSEGV
 *   hlt    privileged instruction, CPL 3 #GP  -> SIGSEGV
 *   cli    IOPL < CPL                    #GP  -> SIGSEGV
 *   ud2    invalid opcode                #UD  -> SIGILL
 *   div    integer divide by zero        #DE  -> SIGFPE
 *   int3   breakpoint                    #BP  -> SIGTRAP
 *   int81  int $0x81, a DPL 0 IDT gate   #GP  -> SIGSEGV
 *
 * It prints "about to <name>" and flushes first, so the line is out before the signal.
 * The faults are inline asm (or a volatile store) so the compiler can neither fold nor drop them.
 */
#include <stdio.h>
#include <string.h>

static void fault_segv(void) { *(volatile int *)0 = 1; }
static void fault_hlt(void) { __asm__ volatile("hlt"); }
static void fault_cli(void) { __asm__ volatile("cli"); }
static void fault_ud2(void) { __asm__ volatile("ud2"); }
static void fault_int3(void) { __asm__ volatile("int3"); }
static void fault_int81(void) { __asm__ volatile("int $0x81"); }
static void fault_div(void)
{
	/* edx:eax = 1, divisor 0 */
	__asm__ volatile("xor %%ecx, %%ecx\n\t"
			 "xor %%edx, %%edx\n\t"
			 "mov $1, %%eax\n\t"
			 "div %%ecx"
			 ::: "eax", "ecx", "edx", "cc");
}

static const struct {
	const char *name;
	void (*raise)(void);
} faults[] = {
	{ "segv", fault_segv }, { "hlt", fault_hlt },   { "cli", fault_cli },     { "ud2", fault_ud2 },
	{ "div", fault_div },   { "int3", fault_int3 }, { "int81", fault_int81 },
};

int main(int argc, char **argv)
{
	if (argc == 2) {
		for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
			if (strcmp(argv[1], faults[i].name) == 0) {
				printf("about to %s\n", faults[i].name);
				fflush(stdout);
				faults[i].raise();
				printf("%s did not fault\n", faults[i].name);
				return 1;
			}
		}
	}
	fprintf(stderr, "usage: fault segv|hlt|cli|ud2|div|int3|int81\n");
	return 2;
}
