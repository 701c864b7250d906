// The processes a recording covers that were running before it started, read from /proc: one
// proc record of kind snapshot each, in the kernel records' own layout (events.h), so the
// consumer numbers, stages and decodes them like the rest. Without them a process that
// started before the recording has no program, arguments, parent or user.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace flightrec {

// `roots` and every process below them, from each process's parent in /proc (existing
// children of a --pid target are targets too).
std::vector<pid_t> process_tree(const std::vector<pid_t>& roots);

// Every process in the cgroup v2 directory `path` or below it.
std::vector<pid_t> cgroup_processes(const std::string& path);

// Every process but `self`.
std::vector<pid_t> all_processes(pid_t self);

// A snapshot record of each process in `pids` still there, at `ts` (CLOCK_MONOTONIC ns);
// `cgroup_root` is where cgroup v2 is mounted (its directories' inodes are the cgroup ids).
std::vector<std::vector<uint8_t>> snapshot_records(const std::vector<pid_t>& pids, uint64_t ts, const std::string& cgroup_root);

}  // namespace flightrec
