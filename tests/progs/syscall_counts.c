/*
 * Makes a known number of rare syscalls, for syscall_usage's exact counts:
 *   syscall_counts N M   N native getpriority(2) calls, then (x86_64 only)
 *                        M 32-bit getppid calls through int 0x80, which the
 *                        kernel runs as ia32 call 64 with TS_COMPAT set.
 * Built static: it runs inside busybox containers. Prints "done" at the end.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: syscall_counts NATIVE COMPAT\n");
		return 2;
	}
	long native = atol(argv[1]), compat = atol(argv[2]);
	for (long i = 0; i < native; i++)
		syscall(SYS_getpriority, 0 /* PRIO_PROCESS */, 0);
#if defined(__x86_64__)
	for (long i = 0; i < compat; i++) {
		long ret = 64; /* __NR_getppid on i386 */
		__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	}
#else
	if (compat) {
		fprintf(stderr, "32-bit calls are made on x86_64 only\n");
		return 3;
	}
#endif
	printf("done\n");
	fflush(stdout);
	return 0;
}
