/* Two threads, the main one pinned to CPU0 and a second to CPU1, each making N getppid()
 * calls (default 100,000) and, after every K-th of them (default 1,000), an openat() of
 * /dev/null and its close(): syscall rows from two CPUs at once for the consumer to merge,
 * with file rows in the ring from the same exits. The same arguments make the same system
 * calls every run: the main thread waits for the other by spinning, not in futex(), and exits
 * the process while the other spins. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

static long n, every;
static int done; /* the second thread finished its calls */

static int calls(int cpu)
{
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	if (sched_setaffinity(0, sizeof cpus, &cpus)) {
		perror("cpu_pair: sched_setaffinity");
		return 1;
	}
	for (long i = 1; i <= n; i++) {
		syscall(SYS_getppid);
		if (i % every == 0) {
			int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);
			if (fd < 0) {
				perror("cpu_pair: /dev/null");
				return 1;
			}
			close(fd);
		}
	}
	return 0;
}

static void *second(void *arg)
{
	(void)arg;
	__atomic_store_n(&done, calls(1) ? -1 : 1, __ATOMIC_RELEASE);
	for (;;)
		; /* no system call: the process's exit ends this thread */
	return NULL;
}

int main(int argc, char **argv)
{
	n = workload_count(argc, argv, 100000);
	every = argc > 2 ? workload_number(argv[0], "K", argv[2]) : 1000;
	if (every < 1) {
		fprintf(stderr, "cpu_pair: K must be at least 1\n");
		return 2;
	}
	long long t0 = workload_now_ns();
	pthread_t thread;
	if (pthread_create(&thread, NULL, second, NULL)) {
		fprintf(stderr, "cpu_pair: pthread_create failed\n");
		return 1;
	}
	int failed = calls(0);
	int other;
	while (!(other = __atomic_load_n(&done, __ATOMIC_ACQUIRE)))
		;
	if (failed || other < 0)
		return 1;
	workload_report("cpu_pair", 2 * n, workload_now_ns() - t0);
	return 0;
}
