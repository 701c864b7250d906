#include "error.h"

#include <bpf/libbpf.h>
#include <string.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <deque>
#include <mutex>

namespace flightrec {
namespace {

std::mutex log_mu;
std::deque<std::string> log_lines;
bool log_echo = false;

int on_libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG && !log_echo) return 0;
  if (log_echo) {
    va_list copy;
    va_copy(copy, args);
    vfprintf(stderr, fmt, copy);
    va_end(copy);
  }
  char buf[2048];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  std::lock_guard<std::mutex> lock(log_mu);
  std::string line(buf, n > 0 ? std::min<size_t>(n, sizeof buf - 1) : 0);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (!line.empty()) log_lines.push_back(line);
  while (log_lines.size() > 16) log_lines.pop_front();
  return 0;
}

// The most specific libbpf line: not the summary that loading the object failed.
std::string last_libbpf_message() {
  std::lock_guard<std::mutex> lock(log_mu);
  for (auto it = log_lines.rbegin(); it != log_lines.rend(); ++it)
    if (it->rfind("libbpf: ", 0) == 0 && it->find("failed to load object") == std::string::npos) return *it;
  return log_lines.empty() ? "" : log_lines.back();
}

}  // namespace

void log_capture(bool echo) {
  log_echo = echo;
  libbpf_set_print(on_libbpf_print);
}

void fail(const std::string& what, int err) { throw Error(what + ": " + strerror(err < 0 ? -err : err), err); }

void fail_bpf(const std::string& what, int err) {
  std::string msg = what + ": " + strerror(err < 0 ? -err : err);
  std::string detail = last_libbpf_message();
  if (!detail.empty()) msg += " (" + detail + ")";
  throw Error(msg, err);
}

}  // namespace flightrec
