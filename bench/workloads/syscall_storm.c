/* W1: N getppid() calls in one thread (default 2,000,000). */
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
	long n = workload_count(argc, argv, 2000000);
	long long t0 = workload_now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	workload_report("syscall_storm", n, workload_now_ns() - t0);
	return 0;
}
