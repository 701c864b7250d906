// Errors of the native side: what failed and its errno, with libbpf's own reason when it gave
// one. Plain C++: addon.cc turns them into JavaScript errors, in one place.
#pragma once

#include <stdexcept>
#include <string>

namespace flightrec {

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, int err) : std::runtime_error(message), errno_(err < 0 ? -err : err) {}
  // The errno of the failing call (positive), 0 when there was none.
  int errno_value() const { return errno_; }

 private:
  int errno_;
};

// Throws Error("<what>: <strerror(err)>").
[[noreturn]] void fail(const std::string& what, int err);
// The same for a libbpf call, with libbpf's own last specific line when it printed one:
// "<what>: <strerror(err)> (<libbpf: ...>)".
[[noreturn]] void fail_bpf(const std::string& what, int err);

// Keeps libbpf's messages (the last few, to explain a failure) and, when `echo` is set
// (--debug), copies all of them, verifier logs included, to stderr.
void log_capture(bool echo);

}  // namespace flightrec
