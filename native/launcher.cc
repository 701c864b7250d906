#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

namespace flightrec {
namespace {

// Whether `pid` is asleep in read(2), from /proc/PID/syscall ("running" while it runs, the
// call number and its arguments while it is blocked).
bool blocked_in_read(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/syscall";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  return strtol(buf, nullptr, 10) == SYS_read && buf[0] >= '0' && buf[0] <= '9';
}

}  // namespace

Held spawn_held(const std::string& file, const std::vector<std::string>& argv_s, const std::vector<std::string>& env_s) {
  // Built before fork: the child may only make async-signal-safe calls.
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);

  int gate[2];
  if (pipe2(gate, O_CLOEXEC)) fail("pipe failed", errno);
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(gate[0]);
    close(gate[1]);
    fail("fork failed", saved);
  }
  if (pid == 0) {
    close(gate[1]);
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Node opens stdio close-on-exec and may make it non-blocking; the command gets plain
    // inherited stdio, as libuv's own spawn gives it.
    for (int fd = 0; fd <= 2; fd++) {
      fcntl(fd, F_SETFD, 0);
      int fl = fcntl(fd, F_GETFL);
      if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    char c;
    ssize_t r;
    do r = read(gate[0], &c, 1); while (r < 0 && errno == EINTR);
    if (r != 1) _exit(127);  // the recorder went away before releasing us
    execve(file.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(gate[0]);
  const struct timespec pause = {0, 100 * 1000};
  for (int i = 0; i < 10000 && !blocked_in_read(pid); i++) nanosleep(&pause, nullptr);
  return {pid, gate[1]};
}

void release(int gate) {
  char c = 1;
  ssize_t r;
  do r = write(gate, &c, 1); while (r < 0 && errno == EINTR);
  int saved = errno;
  close(gate);
  if (r != 1) fail("releasing the target failed", saved);
}

int reap(pid_t pid) {
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, WNOHANG); while (r < 0 && errno == EINTR);
  if (r == 0) return -1;
  if (r < 0) fail("waitpid failed", errno);
  return status;
}

}  // namespace flightrec
