#include "snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include "../bpf/events.h"

namespace flightrec {
namespace {

constexpr unsigned long kPfKthread = 0x00200000;  // include/linux/sched.h

// A whole small file (/proc files report size 0); empty when it cannot be read.
std::string slurp(const std::string& path, size_t max = 1 << 16) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  ssize_t n;
  while (out.size() < max && (n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out.size() > max ? out.substr(0, max) : out;
}

std::string link_target(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::vector<pid_t> pids_in_proc() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end == 0 && pid > 0) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// /proc/PID/stat: comm is in parentheses and may hold anything, so the fields are counted
// from the last ')'. Field 4 is ppid, 9 flags, 22 starttime (clock ticks since boot).
struct Stat {
  bool ok = false;
  std::string comm;
  pid_t ppid = 0;
  unsigned long flags = 0;
  unsigned long long starttime = 0;
};

Stat read_stat(pid_t pid) {
  Stat st;
  std::string s = slurp("/proc/" + std::to_string(pid) + "/stat");
  size_t open_paren = s.find('('), close_paren = s.rfind(')');
  if (open_paren == std::string::npos || close_paren == std::string::npos || close_paren < open_paren) return st;
  st.comm = s.substr(open_paren + 1, close_paren - open_paren - 1);
  std::istringstream rest(s.substr(close_paren + 2));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  std::string x;
  while (rest >> x && f.size() < 20) f.push_back(x);
  if (f.size() < 20) return st;
  st.ppid = static_cast<pid_t>(std::stol(f[1]));
  st.flags = std::stoul(f[6]);
  st.starttime = std::stoull(f[19]);
  st.ok = true;
  return st;
}

// "Uid:\treal\teffective\tsaved\tfs" and the same for Gid, from /proc/PID/status.
void read_ids(pid_t pid, uint32_t& uid, uint32_t& euid, uint32_t& gid) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    unsigned long r = 0, e = 0;
    if (sscanf(line.c_str(), "Uid: %lu %lu", &r, &e) == 2) uid = r, euid = e;
    else if (sscanf(line.c_str(), "Gid: %lu", &r) == 1) gid = r;
  }
}

// The audit login uid from /proc/PID/loginuid (absent without CONFIG_AUDIT): false when unknown.
bool read_loginuid(pid_t pid, uint32_t& loginuid) {
  std::string s = slurp("/proc/" + std::to_string(pid) + "/loginuid", 16);
  char* end = nullptr;
  unsigned long v = strtoul(s.c_str(), &end, 10);
  if (s.empty() || end == s.c_str() || v > UINT32_MAX) return false;
  loginuid = static_cast<uint32_t>(v);
  return true;
}

// A cgroup's id is its directory's inode number on the cgroup2 filesystem.
uint64_t cgroup_id(pid_t pid, const std::string& root, std::map<std::string, uint64_t>& cache) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    std::string path = line.substr(3);
    auto it = cache.find(path);
    if (it != cache.end()) return it->second;
    struct stat st{};
    uint64_t id = stat((root + path).c_str(), &st) == 0 ? st.st_ino : 0;
    cache[path] = id;
    return id;
  }
  return 0;
}

// The offset to add to a CLOCK_BOOTTIME time to get CLOCK_MONOTONIC (they differ by the time
// spent suspended).
int64_t boottime_to_monotonic() {
  timespec b{}, m{};
  clock_gettime(CLOCK_BOOTTIME, &b);
  clock_gettime(CLOCK_MONOTONIC, &m);
  return (static_cast<int64_t>(m.tv_sec) - b.tv_sec) * 1000000000ll + (m.tv_nsec - b.tv_nsec);
}

// Appends `s` (at most `max` bytes) to the record's tail; returns the var that points to it.
fr_var put(std::vector<uint8_t>& rec, const std::string& s, size_t max) {
  size_t n = std::min(s.size(), max);
  fr_var v{static_cast<uint16_t>(rec.size()), static_cast<uint16_t>(n)};
  rec.insert(rec.end(), s.begin(), s.begin() + static_cast<long>(n));
  return v;
}

}  // namespace

std::vector<pid_t> all_processes(pid_t self) {
  std::vector<pid_t> out = pids_in_proc();
  out.erase(std::remove(out.begin(), out.end(), self), out.end());
  return out;
}

std::vector<pid_t> process_tree(const std::vector<pid_t>& roots) {
  std::multimap<pid_t, pid_t> children;
  for (pid_t p : pids_in_proc()) {
    Stat st = read_stat(p);
    if (st.ok) children.emplace(st.ppid, p);
  }
  std::vector<pid_t> out(roots.begin(), roots.end());
  for (size_t i = 0; i < out.size(); i++) {
    auto range = children.equal_range(out[i]);
    for (auto it = range.first; it != range.second; ++it)
      if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  return out;
}

std::vector<pid_t> cgroup_processes(const std::string& path) {
  std::vector<pid_t> out;
  std::vector<std::string> dirs{path};
  while (!dirs.empty()) {
    std::string dir = dirs.back();
    dirs.pop_back();
    std::istringstream procs(slurp(dir + "/cgroup.procs", 1 << 22));
    long pid;
    while (procs >> pid) out.push_back(static_cast<pid_t>(pid));
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d))
        if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) dirs.push_back(dir + "/" + e->d_name);
      closedir(d);
    }
  }
  return out;
}

std::vector<std::vector<uint8_t>> snapshot_records(const std::vector<pid_t>& pids, uint64_t ts, const std::string& root) {
  std::vector<std::vector<uint8_t>> out;
  std::map<std::string, uint64_t> cgroups;
  int64_t to_monotonic = boottime_to_monotonic();
  long ticks = sysconf(_SC_CLK_TCK);
  for (pid_t pid : pids) {
    Stat st = read_stat(pid);
    if (!st.ok) continue;  // gone meanwhile
    std::string dir = "/proc/" + std::to_string(pid);
    fr_proc_event e{};
    e.hdr.ts = ts;
    e.hdr.pid = e.hdr.tid = static_cast<uint32_t>(pid);
    strncpy(e.hdr.comm, st.comm.c_str(), sizeof e.hdr.comm - 1);
    e.hdr.table = FR_TABLE_PROC;
    e.kind = FR_PROC_KIND_SNAPSHOT;
    e.ppid = static_cast<uint32_t>(st.ppid);
    read_ids(pid, e.uid, e.euid, e.gid);
    e.cgroup_id = cgroup_id(pid, root, cgroups);
    e.start_ts = static_cast<uint64_t>(static_cast<int64_t>(st.starttime * (1000000000ull / static_cast<unsigned long>(ticks))) + to_monotonic);
    e.kthread = (st.flags & kPfKthread) != 0;
    e.hdr.flags = FR_PROC_HAS_START_TS | FR_PROC_HAS_KTHREAD | FR_PROC_HAS_CWD;
    if (read_loginuid(pid, e.loginuid)) e.hdr.flags |= FR_PROC_HAS_LOGINUID;
    std::vector<uint8_t> rec(reinterpret_cast<uint8_t*>(&e), reinterpret_cast<uint8_t*>(&e) + sizeof e);
    if (!e.kthread) {
      // The same bytes the exec record reads from the process's stack: NUL-separated.
      std::string cmdline = slurp(dir + "/cmdline", FR_ARGV_MAX + 1);
      e.argv_truncated = cmdline.size() > FR_ARGV_MAX;
      // A process that is exiting has given up its memory, and with it its program: unknown.
      std::string exe = link_target(dir + "/exe");
      if (!exe.empty()) {
        e.filename = put(rec, exe, FR_PATH_MAX - 1);
        e.hdr.flags |= FR_PROC_HAS_FILENAME;
      }
      e.argv = put(rec, cmdline, FR_ARGV_MAX);
      e.hdr.flags |= FR_PROC_HAS_ARGV;
    }
    e.cwd = put(rec, e.kthread ? std::string("/") : link_target(dir + "/cwd"), FR_PATH_MAX - 1);
    e.hdr.size = static_cast<uint16_t>(rec.size());
    memcpy(rec.data(), &e, sizeof e);
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace flightrec
