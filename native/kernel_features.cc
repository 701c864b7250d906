#include "kernel_features.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <memory>

namespace flightrec {
namespace {

// The tracepoints the programs attach to (bpf/*.bpf.c, SEC("tp_btf/...")).
const char* const kTracepoints[] = {"sys_enter", "sys_exit", "sched_switch", "sched_process_fork",
                                     "sched_process_exec", "sched_process_exit", "inet_sock_set_state",
                                     "block_bio_queue", "block_rq_issue", "block_rq_complete"};

// The prototype of tracepoint `name` (its btf_trace_<name> typedef points to it), or null.
const btf_type* tracepoint_proto(const btf* b, const std::string& name) {
  int id = btf__find_by_name_kind(b, ("btf_trace_" + name).c_str(), BTF_KIND_TYPEDEF);
  if (id < 0) return nullptr;
  const btf_type* t = btf__type_by_id(b, btf__type_by_id(b, id)->type);  // the pointer
  if (!t || !btf_is_ptr(t)) return nullptr;
  t = btf__type_by_id(b, t->type);
  return t && btf_is_func_proto(t) ? t : nullptr;
}

bool probe_helper(bpf_func_id helper) {
  return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, helper, nullptr) == 1;
}

bool probe_cycles() {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  attr.freq = 1;
  attr.sample_freq = 99;
  int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) return false;
  close(fd);
  return true;
}

}  // namespace

bool Features::has_tracepoint(const std::string& name) const {
  for (const auto& [n, present] : tracepoints)
    if (n == name) return present;
  return false;
}

Features probe_features(const std::string& btf_path) {
  Features f;
  utsname u{};
  if (uname(&u) == 0) f.release = u.release;
  f.btf_path = btf_path;
  std::unique_ptr<btf, void (*)(btf*)> b(btf__parse(btf_path.c_str(), nullptr), btf__free);
  f.btf = b != nullptr;
  for (const char* tp : kTracepoints) f.tracepoints.emplace_back(tp, b && tracepoint_proto(b.get(), tp));
  // sched_process_exit(void *__data, struct task_struct *p, bool group_dead) since 6.16.
  const btf_type* exit = b ? tracepoint_proto(b.get(), "sched_process_exit") : nullptr;
  f.exit_group_dead = exit && btf_vlen(exit) >= 3;
  // block_bio_queue(void *__data, struct request_queue *q, struct bio *bio) before 5.11.
  const btf_type* bio_queue = b ? tracepoint_proto(b.get(), "block_bio_queue") : nullptr;
  f.bio_queue_has_queue = bio_queue && btf_vlen(bio_queue) >= 3;
  f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
  f.task_btf = probe_helper(BPF_FUNC_get_current_task_btf);
  f.task_storage = probe_helper(BPF_FUNC_task_storage_get) && libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr) == 1;
  f.task_pt_regs = probe_helper(BPF_FUNC_task_pt_regs);
  f.cycles = probe_cycles();
  return f;
}

std::vector<Feature> Features::list() const {
  std::vector<Feature> out = {
      {"kernel BTF (" + btf_path + ")", btf, "5.4 with CONFIG_DEBUG_INFO_BTF", true, ""},
      {"BPF ring buffer", ringbuf, "5.8", true, ""},
      {"bpf_get_current_task_btf()", task_btf, "5.11", false, "reads the current task with probes (slower)"},
      {"task storage in tracing programs", task_storage, "5.13", false, "keeps per-thread state in a hash map by thread id"},
      {"bpf_task_pt_regs()", task_pt_regs, "5.15", false, "reads a task's registers from its kernel stack"},
      {"sched_process_exit group_dead", exit_group_dead, "6.16", false, "finds the last thread of a process from its live count"},
      {"hardware cycle counter (PMU)", cycles, "hardware", false, "--samples uses the software cpu-clock"},
  };
  for (const auto& [name, present] : tracepoints) out.push_back({"tracepoint " + name, present, "5.5 (tp_btf)", false, ""});
  return out;
}

}  // namespace flightrec
