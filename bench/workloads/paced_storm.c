/* getppid() at a fixed rate: RATE × SECONDS calls in one thread, none earlier than RATE allows.
 * The pace is kept with clock_gettime (the vDSO: no syscall of its own), so every syscall the
 * recorder sees is one of them. A caller slower than RATE (a recorder's cost per call, a busy
 * CPU) falls behind, makes up as fast as it can, and takes longer than SECONDS: the rate it
 * achieved is ops / loop_ns of its timing line. */
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s RATE SECONDS\n", argv[0]);
		return 2;
	}
	long rate = workload_number(argv[0], "RATE", argv[1]);
	long seconds = workload_number(argv[0], "SECONDS", argv[2]);
	if (rate <= 0 || seconds <= 0) {
		fprintf(stderr, "%s: RATE and SECONDS must be positive\n", argv[0]);
		return 2;
	}
	long total = rate * seconds, done = 0;
	long long t0 = workload_now_ns();
	while (done < total) {
		long due = (long)((double)(workload_now_ns() - t0) * rate / 1e9);
		if (due > total)
			due = total;
		while (done < due) {
			syscall(SYS_getppid);
			done++;
		}
	}
	workload_report("paced_storm", done, workload_now_ns() - t0);
	return 0;
}
