/* W3: N times fork, exec /bin/true in the child and wait for it (default 2,000). */
#include <sys/wait.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
	long n = workload_count(argc, argv, 2000);
	char *const child_argv[] = {"true", NULL};
	long long t0 = workload_now_ns();
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			execv("/bin/true", child_argv);
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 1;
	}
	workload_report("fork_exec", n, workload_now_ns() - t0);
	return 0;
}
