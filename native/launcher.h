// Launching the command a recording is of: forked held, so the recorder can select it in the
// kernel before it runs, then released to exec; and reaped when it ends.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace flightrec {

struct Held {
  pid_t pid;
  int gate;  // write a byte to let the child exec
};

// Forks a child that resets its signals and stdio and then waits until released; then it
// execs `file`. Returns once the child is waiting (or after a second), so the recorder sees
// the child from its execve on and nothing of its set-up, whatever the scheduler did.
Held spawn_held(const std::string& file, const std::vector<std::string>& argv, const std::vector<std::string>& env);
// Lets a held child exec.
void release(int gate);
// The child's wait status once it has ended; -1 while it runs.
int reap(pid_t pid);

}  // namespace flightrec
