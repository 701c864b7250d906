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

/* A non-negative integer argument of program `prog`, named `what` in the error. */
static inline long workload_number(const char *prog, const char *what, const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);
	if (!*arg || *end || n < 0) {
		fprintf(stderr, "%s: %s must be a non-negative integer\n", prog, what);
		exit(2);
	}
	return n;
}

static inline long workload_count(int argc, char **argv, long dflt)
{
	return argc < 2 ? dflt : workload_number(argv[0], "count", argv[1]);
}

static inline void workload_report(const char *name, long ops, long long loop_ns)
{
	fprintf(stderr, "{\"workload\":\"%s\",\"ops\":%ld,\"loop_ns\":%lld}\n", name, ops, loop_ns);
}
