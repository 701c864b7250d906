#include "loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "error.h"
#include "flightrec.skel.h"

namespace flightrec {

Programs::Programs(const LoadOptions& opts, const Features& features)
    : ring_bytes_(opts.ring_bytes), sample_hz_((opts.tables >> FR_TABLE_SAMPLE) & 1 ? opts.sample_hz : 0), cycles_(features.cycles) {
  // The verifier gives up with EAGAIN when the loading thread has a signal pending (a
  // profiler's SIGPROF, a timer), and libbpf's own retries can all meet one. Signals are
  // blocked on this thread while loading (they are delivered when unblocked), and a load that
  // still meets EAGAIN is tried again from a fresh object: a libbpf object loads only once.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  struct Restore {
    sigset_t* old;
    ~Restore() { pthread_sigmask(SIG_SETMASK, old, nullptr); }
  } restore{&old};
  for (int attempt = 1;; attempt++) {
    try {
      open_and_load(opts, features);
      if (opts.mode == FR_MODE_CGROUP) set_cgroup(opts.cgroup_path);
      return;
    } catch (const Error& e) {
      destroy();
      if (attempt == 3 || e.errno_value() != EAGAIN) throw;
    }
  }
}

Programs::~Programs() { destroy(); }

void Programs::destroy() {
  for (bpf_link* l : sample_links_) bpf_link__destroy(l);
  sample_links_.clear();
  unmap_lanes();
  if (skel_) fr_bpf__destroy(skel_);
  skel_ = nullptr;
}

void Programs::open_and_load(const LoadOptions& opts, const Features& features) {
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = opts.btf_path.empty() ? nullptr : opts.btf_path.c_str());
  skel_ = fr_bpf__open_opts(&open_opts);
  if (!skel_) fail_bpf("opening the BPF object failed", errno);
  ncpus_ = libbpf_num_possible_cpus();
  if (ncpus_ <= 0) fail_bpf("counting the CPUs failed", ncpus_);

  auto* ro = skel_->rodata;
  ro->fr_mode = opts.mode;
  ro->fr_self_tgid = getpid();
  ro->fr_tables = opts.tables | 1u << FR_TABLE_GAP;
  // This kernel's side of each difference in bpf/compat.h.
  ro->fr_has_task_btf = features.task_btf;
  ro->fr_has_task_storage = features.task_storage && features.task_btf;
  ro->fr_has_task_pt_regs = features.task_pt_regs && features.task_btf;
  ro->fr_exit_has_group_dead = features.exit_group_dead;
  ro->fr_bio_queue_has_queue = features.bio_queue_has_queue;
  if (ro->fr_has_task_storage) {
    for (bpf_map* m : {skel_->maps.fr_parked, skel_->maps.fr_pendings}) {
      int err = bpf_map__set_type(m, BPF_MAP_TYPE_TASK_STORAGE);
      if (!err) err = bpf_map__set_max_entries(m, 0);
      if (err) fail_bpf("configuring task storage failed", err);
    }
  }

  // Programs that serve one table only are not even loaded without it.
  auto only_for = [&](bpf_program* prog, uint32_t table) { bpf_program__set_autoload(prog, (opts.tables >> table) & 1); };
  only_for(skel_->progs.fr_net_state, FR_TABLE_NET);
  only_for(skel_->progs.fr_bio_queue, FR_TABLE_BIO);
  only_for(skel_->progs.fr_bio_issue, FR_TABLE_BIO);
  only_for(skel_->progs.fr_bio_complete, FR_TABLE_BIO);
  only_for(skel_->progs.fr_sample, FR_TABLE_SAMPLE);
  ro->fr_sample_event = sample_hz_ && cycles_ ? FR_SAMPLE_EVENT_CYCLES : FR_SAMPLE_EVENT_CPU_CLOCK;
  int err = bpf_map__set_max_entries(skel_->maps.fr_stacks, sample_hz_ ? 8192 : 1);
  if (err) fail_bpf("sizing the stack map failed", err);
  // Half the memory for the ring buffer, half for the syscall lanes (never below a page).
  err = bpf_map__set_max_entries(skel_->maps.fr_events, std::max<uint32_t>(ring_bytes_ / 2, 4096));
  if (err) fail_bpf("sizing the ring buffer failed", err);
  size_lanes();
  err = fr_bpf__load(skel_);
  if (err) fail_bpf("loading the BPF programs failed", err);
  map_lanes();
}

// The syscall lanes share half the ring memory out between the CPUs: the largest power of two
// of slots per CPU that fits, and never fewer than 8.
void Programs::size_lanes() {
  uint64_t fit = ring_bytes_ / 2 / FR_LANE_SLOT / static_cast<uint64_t>(ncpus_);
  lane_slots_ = 8;
  while (static_cast<uint64_t>(lane_slots_) * 2 <= fit) lane_slots_ *= 2;
  skel_->rodata->fr_lane_slots = lane_slots_;
  skel_->rodata->fr_lane_wake = std::min<uint32_t>(FR_WAKEUP_EVERY, lane_slots_ / 2);
  int err = bpf_map__set_max_entries(skel_->maps.fr_lanes, static_cast<uint32_t>(ncpus_) * lane_slots_);
  if (!err) err = bpf_map__set_max_entries(skel_->maps.fr_lane_pos, static_cast<uint32_t>(ncpus_));
  if (err) fail_bpf("sizing the syscall lanes failed", err);
}

// Maps the lanes (read-only) and their positions (the consumer writes its own) after load.
void Programs::map_lanes() {
  auto map = [&](bpf_map* m, int prot, size_t& len) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    len = (static_cast<size_t>(bpf_map__max_entries(m)) * bpf_map__value_size(m) + page - 1) / page * page;
    void* p = mmap(nullptr, len, prot, MAP_SHARED, bpf_map__fd(m), 0);
    if (p == MAP_FAILED) fail("mapping the syscall lanes failed", errno);
    return p;
  };
  lanes_ = static_cast<const uint8_t*>(map(skel_->maps.fr_lanes, PROT_READ, lanes_len_));
  lane_pos_ = static_cast<fr_lane_pos*>(map(skel_->maps.fr_lane_pos, PROT_READ | PROT_WRITE, lane_pos_len_));
}

void Programs::unmap_lanes() {
  if (lanes_) munmap(const_cast<uint8_t*>(lanes_), lanes_len_);
  if (lane_pos_) munmap(lane_pos_, lane_pos_len_);
  lanes_ = nullptr;
  lane_pos_ = nullptr;
}

void Programs::set_cgroup(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open cgroup " + path, errno);
  uint32_t key = 0;
  int err = bpf_map_update_elem(bpf_map__fd(skel_->maps.fr_cgroup), &key, &fd, BPF_ANY);
  int saved = errno;
  close(fd);
  if (err) fail(path + " is not a cgroup v2 directory", saved);
}

void Programs::add_target(uint32_t tgid) {
  uint8_t one = 1;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.fr_targets), &tgid, &one, BPF_ANY))
    fail("adding target " + std::to_string(tgid) + " failed", errno);
  // After the map: a task that sees the new generation must also see the new target.
  __atomic_add_fetch(&skel_->bss->fr_targets_gen, 1, __ATOMIC_SEQ_CST);
}

void Programs::attach() {
  int err = fr_bpf__attach(skel_);
  if (err) fail_bpf("attaching the BPF programs failed", err);
  if (sample_hz_) attach_sampling();
}

void Programs::detach() {
  for (bpf_link* l : sample_links_) bpf_link__destroy(l);
  sample_links_.clear();
  if (skel_) fr_bpf__detach(skel_);
}

// One sampling event per online CPU, each running fr_sample: hardware cycles if this host
// counts them, the cpu-clock otherwise.
void Programs::attach_sampling() {
  bool hw = skel_->rodata->fr_sample_event == FR_SAMPLE_EVENT_CYCLES;
  for (int cpu = 0; cpu < ncpus_; cpu++) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = hw ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE;
    attr.config = hw ? static_cast<uint64_t>(PERF_COUNT_HW_CPU_CYCLES) : static_cast<uint64_t>(PERF_COUNT_SW_CPU_CLOCK);
    attr.freq = 1;
    attr.sample_freq = sample_hz_;
    int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      if (errno == ENODEV) continue;  // a possible CPU that is not online
      fail("opening the sampling event on CPU " + std::to_string(cpu) + " failed", errno);
    }
    bpf_link* l = bpf_program__attach_perf_event(skel_->progs.fr_sample, fd);
    if (!l) {
      int saved = errno;
      close(fd);
      fail_bpf("attaching the sampling program failed", saved);
    }
    sample_links_.push_back(l);  // the link owns the event's fd from here
  }
}

std::vector<ProgramInfo> Programs::programs() const {
  std::vector<ProgramInfo> out;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (bpf_program__autoload(prog)) out.push_back({bpf_program__name(prog), bpf_program__section_name(prog)});
  }
  return out;
}

int Programs::ring_fd() const { return bpf_map__fd(skel_->maps.fr_events); }
int Programs::losses_fd() const { return bpf_map__fd(skel_->maps.fr_losses); }
int Programs::ios_fd() const { return bpf_map__fd(skel_->maps.fr_ios); }
int Programs::bios_fd() const { return bpf_map__fd(skel_->maps.fr_bios); }

}  // namespace flightrec
