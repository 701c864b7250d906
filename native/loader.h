// Loading flightrec's BPF programs into the running kernel: the skeleton opened, configured
// for the target and tables and for this kernel's features (bpf/compat.h), loaded, its
// syscall lanes mapped, then attached and detached. Plain C++ over libbpf; errors throw
// flightrec::Error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../bpf/events.h"
#include "../bpf/shared.h"
#include "kernel_features.h"

struct fr_bpf;
struct bpf_link;

namespace flightrec {

struct LoadOptions {
  uint32_t mode = FR_MODE_PIDS;  // FR_MODE_*
  uint32_t tables = 0;           // bit (1 << FR_TABLE_x) per table to record
  uint32_t ring_bytes = 0;       // half for the ring buffer, half for the syscall lanes
  uint32_t sample_hz = 0;        // with the sample table
  std::string cgroup_path;       // FR_MODE_CGROUP
  std::string btf_path;          // the kernel's BTF for CO-RE, if not where libbpf looks
};

struct ProgramInfo {
  std::string name;
  std::string attach;
};

class Programs {
 public:
  // Opens, configures and loads; nothing is attached yet.
  Programs(const LoadOptions& opts, const Features& features);
  ~Programs();
  Programs(const Programs&) = delete;
  Programs& operator=(const Programs&) = delete;

  // Records process `tgid` and, from now on, its children.
  void add_target(uint32_t tgid);
  void attach();
  void detach();
  std::vector<ProgramInfo> programs() const;

  // For the consumer.
  int ring_fd() const;
  int losses_fd() const;
  int ios_fd() const;
  int bios_fd() const;
  int ncpus() const { return ncpus_; }
  uint32_t lane_slots() const { return lane_slots_; }
  const uint8_t* lanes() const { return lanes_; }
  fr_lane_pos* lane_pos() const { return lane_pos_; }

 private:
  void open_and_load(const LoadOptions& opts, const Features& features);
  void size_lanes();
  void map_lanes();
  void unmap_lanes();
  void set_cgroup(const std::string& path);
  void attach_sampling();
  void destroy();

  fr_bpf* skel_ = nullptr;
  int ncpus_ = 0;  // possible CPUs: per-CPU maps and lanes have one entry each
  uint32_t ring_bytes_ = 0;
  uint32_t sample_hz_ = 0;
  bool cycles_ = false;
  uint32_t lane_slots_ = 0;
  const uint8_t* lanes_ = nullptr;
  size_t lanes_len_ = 0;
  fr_lane_pos* lane_pos_ = nullptr;
  size_t lane_pos_len_ = 0;
  std::vector<bpf_link*> sample_links_;
};

}  // namespace flightrec
