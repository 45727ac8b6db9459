// Runs the vDSO natively, as the kernel would map it: the vvar page at a fixed address and the
// image in the page after it, then calls its functions and prints what they return.
//
//   harness VVAR_FILE VDSO_FILE [name=offset ...] [command ...]
//
// Commands: cg:<clk> cg64:<clk> res:<clk> resnull:<clk> gtod time cpu seccomp vsys_getpid sig rtsig
// `seccomp` makes every time syscall fail with errno 1234 from then on, so a clock the vvar page
// serves keeps answering, and a fallback shows it entered the kernel.
// Built by test/vdso/functional.test.ts for x86-64 and -m32.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define VVAR_ADDR 0x20000000UL
#define PAGE 4096UL
#define MARK_ERRNO 1234

static unsigned char *vdso;
static struct { char name[64]; unsigned long off; } syms[32];
static int nsyms;
static volatile int sysenter_skipped;

static void *sym(const char *name)
{
	for (int i = 0; i < nsyms; i++)
		if (!strcmp(syms[i].name, name))
			return vdso + syms[i].off;
	fprintf(stderr, "harness: no offset given for %s\n", name);
	exit(2);
}

static unsigned long long rdtsc(void)
{
	unsigned int lo, hi;
	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((unsigned long long)hi << 32) | lo;
}

static void *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(2); }
	static unsigned char buf[1 << 16];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
}

#ifdef __i386__
/* AMD CPUs raise #UD for SYSENTER in a 32-bit process under a 64-bit kernel. Do what sysgate
 * does when no kernel model hooks it: step over it, into __kernel_vsyscall's int $0x80. */
static void on_sigill(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	unsigned char *ip = (unsigned char *)uc->uc_mcontext.gregs[REG_EIP];
	(void)sig; (void)si;
	if (ip >= vdso && ip < vdso + 2 * PAGE && ip[0] == 0x0f && ip[1] == 0x34) {
		uc->uc_mcontext.gregs[REG_EIP] += 2;
		sysenter_skipped++;
		return;
	}
	signal(SIGILL, SIG_DFL);
}

static volatile int sig_count;
static volatile void *sig_ret;

static void on_usr1(int sig)
{
	(void)sig;
	sig_count++;
	sig_ret = __builtin_return_address(0);
}

static void on_usr1_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	if (si->si_signo == SIGUSR1)
		sig_count++;
	sig_ret = __builtin_return_address(0);
}

/* The kernel's struct sigaction for rt_sigaction on i386. */
struct k_sigaction { void *handler; unsigned long flags; void *restorer; unsigned int mask[2]; };
#define SA_RESTORER_ 0x04000000

static void trampoline_test(const char *name, void *handler, unsigned long flags)
{
	struct k_sigaction ksa = { handler, flags | SA_RESTORER_, sym(name), { 0, 0 } };
	volatile int canary = 0x5a5a5a5a;
	sig_count = 0;
	sig_ret = 0;
	if (syscall(SYS_rt_sigaction, SIGUSR1, &ksa, NULL, 8)) { perror("rt_sigaction"); exit(2); }
	syscall(SYS_kill, getpid(), SIGUSR1);
	/* Reaching here at all means the trampoline's sigreturn restored this context. */
	printf("%s count=%d ret_is_trampoline=%d canary_ok=%d\n", name, sig_count,
	       sig_ret == sym(name), canary == 0x5a5a5a5a);
}
#endif

static void install_seccomp(void)
{
#ifdef __x86_64__
	const unsigned int arch = AUDIT_ARCH_X86_64;
	const int nrs[] = { 96, 201, 228, 229, 309 }; /* gettimeofday time clock_gettime clock_getres getcpu */
#else
	const unsigned int arch = AUDIT_ARCH_I386;
	const int nrs[] = { 13, 78, 265, 266, 403, 406 }; /* time gettimeofday clock_gettime clock_getres ..64 */
#endif
	const int n = sizeof nrs / sizeof nrs[0];
	struct sock_filter f[16];
	int k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++)
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[i], (unsigned char)(n - i), 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | MARK_ERRNO);
	struct sock_fprog prog = { (unsigned short)k, f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp");
		exit(2);
	}
	printf("seccomp on\n");
}

int main(int argc, char **argv)
{
	size_t vvar_len, vdso_len;
	if (argc < 3) { fprintf(stderr, "usage: harness VVAR VDSO [name=off] [cmd]\n"); return 2; }
	unsigned char *v = load(argv[1], &vvar_len);
	if (vvar_len != PAGE) { fprintf(stderr, "vvar file is %zu bytes\n", vvar_len); return 2; }
	unsigned char *base = mmap((void *)VVAR_ADDR, 16 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (base != (void *)VVAR_ADDR) { perror("mmap"); return 2; }
	memcpy(base, v, PAGE);
	vdso = base + PAGE;
	unsigned char *img = load(argv[2], &vdso_len);
	memcpy(vdso, img, vdso_len);
	/* As the kernel maps them: vvar read-only, the image read+exec. */
	mprotect(base, PAGE, PROT_READ);
	mprotect(vdso, 15 * PAGE, PROT_READ | PROT_EXEC);
	printf("vvar=%p vdso=%p\n", (void *)base, (void *)vdso);

#ifdef __i386__
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sigill;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
#endif

	for (int i = 3; i < argc; i++) {
		char *a = argv[i], *eq = strchr(a, '=');
		if (eq) {
			snprintf(syms[nsyms].name, sizeof syms[nsyms].name, "%.*s", (int)(eq - a), a);
			syms[nsyms++].off = strtoul(eq + 1, NULL, 0);
			continue;
		}
		int arg = 0;
		char *colon = strchr(a, ':');
		if (colon) { arg = atoi(colon + 1); *colon = 0; }
		if (!strcmp(a, "cg")) {
#ifdef __x86_64__
			struct { long long s, ns; } ts = { -1, -1 };
#else
			struct { int s, ns; } ts = { -1, -1 };
#endif
			int (*f)(int, void *) = sym("__vdso_clock_gettime");
			unsigned long long t0 = rdtsc();
			int r = f(arg, &ts);
			unsigned long long t1 = rdtsc();
			printf("cg %d ret=%d sec=%lld nsec=%lld tsc0=%llu tsc1=%llu\n", arg, r, (long long)ts.s,
			       (long long)ts.ns, t0, t1);
		} else if (!strcmp(a, "cg64")) {
			struct { long long s, ns; } ts = { -1, -1 };
			int (*f)(int, void *) = sym("__vdso_clock_gettime64");
			unsigned long long t0 = rdtsc();
			int r = f(arg, &ts);
			unsigned long long t1 = rdtsc();
			printf("cg64 %d ret=%d sec=%lld nsec=%lld tsc0=%llu tsc1=%llu\n", arg, r, ts.s, ts.ns, t0, t1);
		} else if (!strcmp(a, "res") || !strcmp(a, "resnull")) {
			struct { long s, ns; } ts = { -1, -1 };
			int (*f)(int, void *) = sym("__vdso_clock_getres");
			int r = f(arg, a[3] ? NULL : &ts);
			printf("%s %d ret=%d sec=%ld nsec=%ld\n", a, arg, r, ts.s, ts.ns);
		} else if (!strcmp(a, "gtod")) {
			struct { long s, us; } tv = { -1, -1 };
			struct { int mw, dst; } tz = { -1, -1 };
			int (*f)(void *, void *) = sym("__vdso_gettimeofday");
			int r = f(&tv, &tz);
			printf("gtod ret=%d sec=%ld usec=%ld minuteswest=%d dsttime=%d\n", r, tv.s, tv.us, tz.mw, tz.dst);
		} else if (!strcmp(a, "time")) {
			long t = -1;
			long (*f)(long *) = sym("__vdso_time");
			long r = f(&t);
			printf("time ret=%ld t=%ld\n", r, t);
		} else if (!strcmp(a, "cpu")) {
			unsigned int cpu = 99, node = 99;
			long (*f)(unsigned *, unsigned *, void *) = sym("__vdso_getcpu");
			long r = f(&cpu, &node, NULL);
			printf("cpu ret=%ld cpu=%u node=%u\n", r, cpu, node);
		} else if (!strcmp(a, "seccomp")) {
			install_seccomp();
#ifdef __i386__
		} else if (!strcmp(a, "vsys_getpid")) {
			long r;
			void *k = sym("__kernel_vsyscall");
			/* eax = __NR_getpid; __kernel_vsyscall must keep ecx, edx, ebp */
			unsigned int c = 0x11111111, d = 0x22222222;
			__asm__ __volatile__("push %%ebp\n\tmov $0x33333333, %%ebp\n\tcall *%[k]\n\t"
					     "cmp $0x33333333, %%ebp\n\tje 1f\n\tmov $0, %%ecx\n1:\tpop %%ebp"
					     : "=a"(r), "+c"(c), "+d"(d) : "0"(20), [k] "S"(k) : "memory");
			printf("vsys_getpid ret=%ld pid=%d regs_kept=%d\n", r, getpid(),
			       c == 0x11111111 && d == 0x22222222);
		} else if (!strcmp(a, "sig")) {
			trampoline_test("__kernel_sigreturn", (void *)on_usr1, 0);
		} else if (!strcmp(a, "rtsig")) {
			trampoline_test("__kernel_rt_sigreturn", (void *)on_usr1_info, SA_SIGINFO);
#endif
		} else {
			fprintf(stderr, "harness: unknown command %s\n", a);
			return 2;
		}
	}
	printf("sysenter_skipped count=%d\n", sysenter_skipped);
	return 0;
}
