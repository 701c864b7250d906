// SPDX-License-Identifier: GPL-2.0
/* The bare-BPF recorder of the recorder benchmark (bench/record.bench.ts): loads bare.bpf.c,
 * runs COMMAND as its only target (with its descendants), drains the ring every millisecond
 * and discards the records. When COMMAND ends it prints one JSON line on stderr —
 * {"recorder":"bare","records":N,"lost":N,"cpu_user_ms":N,"cpu_system_ms":N,"peak_rss_bytes":N}
 * — and exits with COMMAND's status. Needs root.
 *   bare [--ring-size BYTES] -- COMMAND [ARGS...] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bare.skel.h"

static int discard(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bare [--ring-size BYTES] -- COMMAND [ARGS...]\n");
	exit(2);
}

/* The child waits for one byte on `go` (EOF: the parent failed) before it becomes COMMAND, so
 * the programs see it from its first syscall. */
static pid_t launch(char **argv, int *go)
{
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		close(fds[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "bare: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*go = fds[1];
	return pid;
}

int main(int argc, char **argv)
{
	unsigned long ring_size = 1UL << 25;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--ring-size") == 0 && i + 1 < argc) {
			char *end;
			ring_size = strtoul(argv[++i], &end, 10);
			/* The kernel wants a power of two, a multiple of the page size. */
			if (*end || ring_size < 4096 || (ring_size & (ring_size - 1))) {
				fprintf(stderr, "bare: --ring-size must be a power of two of at least 4096 bytes\n");
				return 2;
			}
		} else {
			usage();
		}
	}
	if (i + 1 >= argc)
		usage();

	struct bare_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	int go = -1, status = 0, err = 0;
	unsigned long long records = 0;
	pid_t child = launch(argv + i + 1, &go);
	if (child < 0) {
		fprintf(stderr, "bare: fork: %s\n", strerror(errno));
		return 1;
	}
	skel = bare_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "bare: opening the BPF object failed: %s\n", strerror(-err));
		goto cleanup;
	}
	bpf_map__set_max_entries(skel->maps.bare_ring, ring_size);
	err = bare_bpf__load(skel);
	if (err) {
		fprintf(stderr, "bare: loading the BPF programs failed: %s\n", strerror(-err));
		goto cleanup;
	}
	__u32 tgid = child;
	__u8 one = 1;
	err = bpf_map__update_elem(skel->maps.bare_targets, &tgid, sizeof(tgid), &one, sizeof(one), BPF_ANY);
	if (!err)
		err = bare_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bare: attaching failed: %s\n", strerror(-err));
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.bare_ring), discard, NULL, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "bare: ring_buffer__new: %s\n", strerror(-err));
		goto cleanup;
	}
	if (write(go, "g", 1) != 1) {
		err = -errno;
		fprintf(stderr, "bare: starting the command failed: %s\n", strerror(-err));
		goto cleanup;
	}
	close(go);
	go = -1;
	const struct timespec tick = { 0, 1000000 };
	for (;;) {
		int n = ring_buffer__consume(rb);
		if (n > 0)
			records += n;
		pid_t w = waitpid(child, &status, WNOHANG);
		if (w == child)
			break;
		nanosleep(&tick, NULL);
	}
	int n = ring_buffer__consume(rb);
	if (n > 0)
		records += n;
	child = 0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"{\"recorder\":\"bare\",\"records\":%llu,\"lost\":%llu,\"cpu_user_ms\":%.1f,\"cpu_system_ms\":%.1f,\"peak_rss_bytes\":%lld}\n",
		records, (unsigned long long)skel->bss->bare_lost,
		ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3, ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3,
		(long long)ru.ru_maxrss * 1024);

cleanup:
	ring_buffer__free(rb);
	bare_bpf__destroy(skel);
	if (go >= 0)
		close(go); /* the child reads EOF and exits */
	if (child > 0)
		waitpid(child, &status, 0);
	if (err)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
