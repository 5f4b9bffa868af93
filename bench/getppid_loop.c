/* getppid_loop N: N getppid system calls, timed inside (CLOCK_MONOTONIC
 * around the loop only), printing "NS_PER_CALL". Static, so that it runs
 * alone in a busybox-less container: syscall_record_cost.py runs it in a
 * runc container whose cgroup is recorded, or not. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	printf("%.2f\n", ns / (double)n);
	return 0;
}
