/* syscall_loop N: N getppid system calls, the cheapest syscall there is: a
 * tight loop of them shows what the collector adds to every syscall (the
 * syscall tracepoints put every task on the kernel's slower syscall path). */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}
