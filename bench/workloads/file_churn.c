/* W2: N times create a file, write 64 bytes, close and unlink it (default 50,000), in DIR
 * (default the current directory). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
	long n = workload_count(argc, argv, 50000);
	const char *dir = argc > 2 ? argv[2] : ".";
	char path[4096], buf[64];
	memset(buf, 'x', sizeof buf);
	long long t0 = workload_now_ns();
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/churn-%ld", dir, i);
		int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		if (write(fd, buf, sizeof buf) != sizeof buf)
			return 1;
		close(fd);
		unlink(path);
	}
	workload_report("file_churn", n, workload_now_ns() - t0);
	return 0;
}
