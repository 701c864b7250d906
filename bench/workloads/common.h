/* Shared by the workloads: argument parsing and the timing line every workload prints on
 * stderr as JSON, so the benchmark and the tests read the same thing. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline long long workload_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline long workload_count(int argc, char **argv, long dflt)
{
	if (argc < 2)
		return dflt;
	char *end;
	long n = strtol(argv[1], &end, 10);
	if (*end || n < 0) {
		fprintf(stderr, "%s: count must be a non-negative integer\n", argv[0]);
		exit(2);
	}
	return n;
}

static inline void workload_report(const char *name, long ops, long long loop_ns)
{
	fprintf(stderr, "{\"workload\":\"%s\",\"ops\":%ld,\"loop_ns\":%lld}\n", name, ops, loop_ns);
}
