// What the running kernel offers flightrec, probed once before the programs load: from its
// BTF (tracepoint prototypes) and from libbpf's feature probes (a tiny program or map each).
// The loader picks each program variant from these (bpf/compat.h), and `flightrec doctor`
// prints them.
#pragma once

#include <string>
#include <vector>

namespace flightrec {

struct Feature {
  std::string name;    // what it is, as doctor shows it
  bool present;
  std::string since;   // the first kernel that has it
  bool required;       // flightrec cannot record without it
  std::string without; // what flightrec does without it (optional features)
};

struct Features {
  std::string release;  // uname -r
  std::string btf_path;
  bool btf = false;
  bool ringbuf = false;
  bool task_btf = false;       // bpf_get_current_task_btf()
  bool task_storage = false;   // task storage in tracing programs
  bool task_pt_regs = false;   // bpf_task_pt_regs()
  bool exit_group_dead = false;
  bool bio_queue_has_queue = false;  // block_bio_queue's request_queue argument (before 5.11)
  bool cycles = false;         // a hardware PMU counts cycles
  // Tracepoints flightrec attaches to, by name, and whether this kernel's BTF has them.
  std::vector<std::pair<std::string, bool>> tracepoints;

  bool has_tracepoint(const std::string& name) const;
  // Every feature with what it means, for doctor and for one-line refusals.
  std::vector<Feature> list() const;
};

// Probes the running kernel; `btf_path` is its BTF (normally /sys/kernel/btf/vmlinux).
Features probe_features(const std::string& btf_path);

}  // namespace flightrec
