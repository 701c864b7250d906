// The flightrec native addon: loads and attaches the BPF programs (libbpf skeleton), keeps the
// target filter maps, and runs the consumer thread that drains the ring buffer and the per-CPU
// syscall lanes into per-table stages and hands finished batches to JavaScript as Arrow buffers
// over native memory.
#include <napi.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../bpf/shared.h"
#include "batch.h"
#include "flightrec.skel.h"

namespace flightrec_addon {
namespace {

using namespace flightrec;

// ---------------------------------------------------------------- libbpf messages
// Kept (the last few) so a failure can say why; echoed to stderr with --debug.
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

std::string last_libbpf_message() {
  std::lock_guard<std::mutex> lock(log_mu);
  // The most specific libbpf line: not the summary that loading the object failed.
  for (auto it = log_lines.rbegin(); it != log_lines.rend(); ++it)
    if (it->rfind("libbpf: ", 0) == 0 && it->find("failed to load object") == std::string::npos) return *it;
  return log_lines.empty() ? "" : log_lines.back();
}

[[noreturn]] void throw_errno(Napi::Env env, const std::string& what, int err) {
  std::string msg = what + ": " + strerror(err < 0 ? -err : err);
  std::string detail = last_libbpf_message();
  if (!detail.empty()) msg += " (" + detail + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err < 0 ? -err : err));
  throw e;
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

// ---------------------------------------------------------------- the recording session

struct Stats {
  std::atomic<uint64_t> rows[256] = {};
  std::atomic<uint64_t> lost{0};
  std::atomic<uint64_t> ring_bytes{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> drains{0};
};

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Session", {
      InstanceMethod<&Session::AddTarget>("addTarget"),
      InstanceMethod<&Session::Start>("start"),
      InstanceMethod<&Session::Stop>("stop"),
      InstanceMethod<&Session::GetStats>("stats"),
      InstanceMethod<&Session::Close>("close"),
      InstanceMethod<&Session::Programs>("programs"),
    });
  }

  // new Session(options, onBatch): loads the programs, configured, but attaches nothing yet.
  Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Function on_batch = info[1].As<Napi::Function>();
    std::string mode = o.Get("mode").As<Napi::String>().Utf8Value();
    mode_ = mode == "all" ? FR_MODE_ALL : mode == "cgroup" ? FR_MODE_CGROUP : FR_MODE_PIDS;
    ring_bytes_ = o.Get("ringBytes").As<Napi::Number>().Uint32Value();
    batch_rows_ = o.Get("batchRows").As<Napi::Number>().Uint32Value();
    batch_ns_ = static_cast<uint64_t>(o.Get("batchMs").As<Napi::Number>().DoubleValue() * 1e6);
    drain_ms_ = o.Get("drainMs").As<Napi::Number>().Int32Value();
    hold_ns_ = static_cast<uint64_t>(o.Get("holdMs").As<Napi::Number>().DoubleValue() * 1e6);
    synced_ = o.Has("synced") && o.Get("synced").ToBoolean();
    log_echo = o.Get("debug").ToBoolean();
    for (const auto& t : fr_tables) stages_.emplace_back(&t);

    libbpf_set_print(on_libbpf_print);
    try {
      LoadRetrying(env, o);
    } catch (...) {
      UnmapLanes();
      if (skel_) fr_bpf__destroy(skel_);
      skel_ = nullptr;
      throw;
    }
    tsfn_ = Napi::ThreadSafeFunction::New(env, on_batch, "flightrec-consumer", 64, 1);
  }

  ~Session() { Shutdown(); }

 private:
  // The verifier gives up with EAGAIN when the loading thread has a signal pending (a
  // profiler's SIGPROF, a timer), and libbpf's own retries can all meet one. Signals are
  // blocked on this thread while loading (they are delivered when unblocked), and a load that
  // still meets EAGAIN is tried again from a fresh object: a libbpf object loads only once.
  void LoadRetrying(Napi::Env env, Napi::Object o) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    struct Restore {
      sigset_t* old;
      ~Restore() { pthread_sigmask(SIG_SETMASK, old, nullptr); }
    } restore{&old};
    for (int attempt = 1;; attempt++) {
      try {
        Load(env, o);
        return;
      } catch (const Napi::Error& e) {
        Napi::Value code = e.Value().Get("errno");
        if (attempt == 3 || !code.IsNumber() || code.As<Napi::Number>().Int32Value() != EAGAIN) throw;
      }
      UnmapLanes();
      fr_bpf__destroy(skel_);
      skel_ = nullptr;
    }
  }

  void Load(Napi::Env env, Napi::Object o) {
    skel_ = fr_bpf__open();
    if (!skel_) throw_errno(env, "opening the BPF object failed", errno);
    ncpus_ = libbpf_num_possible_cpus();
    if (ncpus_ <= 0) throw_errno(env, "counting the CPUs failed", ncpus_);
    skel_->rodata->fr_mode = mode_;
    skel_->rodata->fr_self_tgid = getpid();
    Napi::Array tables = o.Get("tables").As<Napi::Array>();
    uint32_t mask = 1u << FR_TABLE_GAP;
    for (uint32_t i = 0; i < tables.Length(); i++) {
      std::string name = tables.Get(i).As<Napi::String>().Utf8Value();
      for (const auto& t : fr_tables)
        if (name == t.name) mask |= 1u << t.id;
    }
    skel_->rodata->fr_tables = mask;
    // Programs that serve one table only are not even loaded without it.
    auto only_for = [&](bpf_program* prog, uint32_t table) { bpf_program__set_autoload(prog, (mask >> table) & 1); };
    only_for(skel_->progs.fr_net_state, FR_TABLE_NET);
    only_for(skel_->progs.fr_bio_issue, FR_TABLE_BIO);
    only_for(skel_->progs.fr_bio_complete, FR_TABLE_BIO);
    only_for(skel_->progs.fr_sample, FR_TABLE_SAMPLE);
    sample_hz_ = (mask >> FR_TABLE_SAMPLE) & 1 ? o.Get("sampleHz").As<Napi::Number>().Uint32Value() : 0;
    skel_->rodata->fr_sample_event = sample_hz_ ? ChooseSampleEvent() : FR_SAMPLE_EVENT_CPU_CLOCK;
    int err = bpf_map__set_max_entries(skel_->maps.fr_stacks, sample_hz_ ? 8192 : 1);
    if (err) throw_errno(env, "sizing the stack map failed", err);
    // Half the memory for the ring buffer, half for the syscall lanes (never below a page).
    err = bpf_map__set_max_entries(skel_->maps.fr_events, std::max<uint32_t>(ring_bytes_ / 2, 4096));
    if (err) throw_errno(env, "sizing the ring buffer failed", err);
    SizeLanes(env);
    err = fr_bpf__load(skel_);
    if (err) throw_errno(env, "loading the BPF programs failed", err);
    MapLanes(env);
    if (mode_ == FR_MODE_CGROUP) {
      std::string path = o.Get("cgroupPath").As<Napi::String>().Utf8Value();
      int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) throw_errno(env, "cannot open cgroup " + path, errno);
      uint32_t key = 0;
      err = bpf_map_update_elem(bpf_map__fd(skel_->maps.fr_cgroup), &key, &fd, BPF_ANY);
      int saved = errno;
      close(fd);
      if (err) throw_errno(env, path + " is not a cgroup v2 directory", saved);
    }
  }

  // The syscall lanes share half the ring memory out between the CPUs: the largest power of two
  // of slots per CPU that fits, and never fewer than 8.
  void SizeLanes(Napi::Env env) {
    uint64_t fit = ring_bytes_ / 2 / FR_LANE_SLOT / static_cast<uint64_t>(ncpus_);
    lane_slots_ = 8;
    while (static_cast<uint64_t>(lane_slots_) * 2 <= fit) lane_slots_ *= 2;
    skel_->rodata->fr_lane_slots = lane_slots_;
    skel_->rodata->fr_lane_wake = std::min<uint32_t>(FR_WAKEUP_EVERY, lane_slots_ / 2);
    int err = bpf_map__set_max_entries(skel_->maps.fr_lanes, static_cast<uint32_t>(ncpus_) * lane_slots_);
    if (!err) err = bpf_map__set_max_entries(skel_->maps.fr_lane_pos, static_cast<uint32_t>(ncpus_));
    if (err) throw_errno(env, "sizing the syscall lanes failed", err);
  }

  // Maps the lanes (read-only) and their positions (the consumer writes its own) after load.
  void MapLanes(Napi::Env env) {
    auto map = [&](bpf_map* m, int prot, size_t& len) {
      size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      len = (static_cast<size_t>(bpf_map__max_entries(m)) * bpf_map__value_size(m) + page - 1) / page * page;
      void* p = mmap(nullptr, len, prot, MAP_SHARED, bpf_map__fd(m), 0);
      if (p == MAP_FAILED) throw_errno(env, "mapping the syscall lanes failed", errno);
      return p;
    };
    lanes_ = static_cast<const uint8_t*>(map(skel_->maps.fr_lanes, PROT_READ, lanes_len_));
    lane_pos_ = static_cast<fr_lane_pos*>(map(skel_->maps.fr_lane_pos, PROT_READ | PROT_WRITE, lane_pos_len_));
  }

  void UnmapLanes() {
    if (lanes_) munmap(const_cast<uint8_t*>(lanes_), lanes_len_);
    if (lane_pos_) munmap(lane_pos_, lane_pos_len_);
    lanes_ = nullptr;
    lane_pos_ = nullptr;
  }

  // addTarget(tgid): records this process and, from now on, its children.
  Napi::Value AddTarget(const Napi::CallbackInfo& info) {
    uint32_t tgid = info[0].As<Napi::Number>().Uint32Value();
    uint8_t one = 1;
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.fr_targets), &tgid, &one, BPF_ANY))
      throw_errno(info.Env(), "adding target " + std::to_string(tgid) + " failed", errno);
    // After the map: a task that sees the new generation must also see the new target.
    __atomic_add_fetch(&skel_->bss->fr_targets_gen, 1, __ATOMIC_SEQ_CST);
    return info.Env().Undefined();
  }

  // start(): attaches every program and starts draining.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int err = fr_bpf__attach(skel_);
    if (err) throw_errno(env, "attaching the BPF programs failed", err);
    if (sample_hz_) AttachSampling(env);
    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.fr_events), &Session::OnRecord, this, nullptr);
    if (!rb_) throw_errno(env, "opening the ring buffer failed", errno);
    consumer_ = std::thread([this] { Consume(); });
    return env.Undefined();
  }

  // stop(): detaches the programs; the consumer drains what is left, hands over the last
  // batches and then calls onBatch(null).
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Detach();
    stopping_.store(true);
    return info.Env().Undefined();
  }

  // close(): after onBatch(null) (or instead of start): frees everything.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    stopping_.store(true);
    Detach();
    if (consumer_.joinable()) consumer_.join();
    else if (!tsfn_released_) tsfn_.Release();  // never started: the consumer did not release it
    tsfn_released_ = true;
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
    UnmapLanes();
    if (skel_) fr_bpf__destroy(skel_);
    skel_ = nullptr;
  }

  void Detach() {
    for (bpf_link* l : sample_links_) bpf_link__destroy(l);
    sample_links_.clear();
    if (skel_) fr_bpf__detach(skel_);
  }

  // The sampling event: hardware cycles if this host counts them, the cpu-clock otherwise.
  uint8_t ChooseSampleEvent() {
    int fd = OpenSampleEvent(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0);
    if (fd < 0) return FR_SAMPLE_EVENT_CPU_CLOCK;
    close(fd);
    return FR_SAMPLE_EVENT_CYCLES;
  }

  int OpenSampleEvent(uint32_t type, uint64_t config, int cpu) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = type;
    attr.config = config;
    attr.freq = 1;
    attr.sample_freq = sample_hz_;
    return static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
  }

  // One sampling event per online CPU, each running fr_sample.
  void AttachSampling(Napi::Env env) {
    bool hw = skel_->rodata->fr_sample_event == FR_SAMPLE_EVENT_CYCLES;
    for (int cpu = 0; cpu < ncpus_; cpu++) {
      int fd = hw ? OpenSampleEvent(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, cpu)
                  : OpenSampleEvent(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, cpu);
      if (fd < 0) {
        if (errno == ENODEV) continue;  // a possible CPU that is not online
        throw_errno(env, "opening the sampling event on CPU " + std::to_string(cpu) + " failed", errno);
      }
      bpf_link* l = bpf_program__attach_perf_event(skel_->progs.fr_sample, fd);
      if (!l) {
        int saved = errno;
        close(fd);
        throw_errno(env, "attaching the sampling program failed", saved);
      }
      sample_links_.push_back(l);  // the link owns the event's fd from here

    }
  }

  // programs(): [{ name, attach }] of every loaded program, for the manifest.
  Napi::Value Programs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env);
    uint32_t i = 0;
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) {
      if (!bpf_program__autoload(prog)) continue;
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_program__name(prog));
      o.Set("attach", bpf_program__section_name(prog));
      a.Set(i++, o);
    }
    return a;
  }

  Napi::Value GetStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object s = Napi::Object::New(env);
    Napi::Object rows = Napi::Object::New(env);
    for (const auto& t : fr_tables) rows.Set(t.name, Napi::Number::New(env, static_cast<double>(stats_.rows[t.id].load())));
    s.Set("rows", rows);
    s.Set("lost", Napi::Number::New(env, static_cast<double>(stats_.lost.load())));
    s.Set("ringBytes", Napi::Number::New(env, static_cast<double>(stats_.ring_bytes.load())));
    s.Set("malformed", Napi::Number::New(env, static_cast<double>(stats_.malformed.load())));
    s.Set("batches", Napi::Number::New(env, static_cast<double>(stats_.batches.load())));
    s.Set("drains", Napi::Number::New(env, static_cast<double>(stats_.drains.load())));
    return s;
  }

  // ---------------------------------------------------------------- consumer thread

  static int OnRecord(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Session*>(ctx);
    self->stats_.ring_bytes += size;
    self->Add(static_cast<const uint8_t*>(data), size);
    return 0;
  }

  void Add(const uint8_t* rec, size_t size) {
    if (size < sizeof(fr_header)) {
      stats_.malformed++;
      return;
    }
    const auto* h = reinterpret_cast<const fr_header*>(rec);
    for (auto& s : stages_) {
      if (s.table()->id != h->table) continue;
      if (!s.add(rec, size, now_)) {
        stats_.malformed++;
        return;
      }
      stats_.rows[h->table]++;
      if (h->table == FR_TABLE_GAP) stats_.lost += reinterpret_cast<const fr_gap_event*>(rec)->lost;
      return;
    }
    stats_.malformed++;
  }

  // Takes every record the syscall lanes hold and gives their slots back to the kernel.
  void DrainLanes() {
    for (int cpu = 0; cpu < ncpus_; cpu++) {
      fr_lane_pos& pos = lane_pos_[cpu];
      uint64_t head = __atomic_load_n(&pos.head, __ATOMIC_ACQUIRE);
      uint64_t tail = pos.tail;  // written by this thread only
      const uint8_t* lane = lanes_ + static_cast<size_t>(cpu) * lane_slots_ * FR_LANE_SLOT;
      stats_.ring_bytes += (head - tail) * sizeof(fr_syscall_event);
      for (; tail < head; tail++) Add(lane + (tail & (lane_slots_ - 1)) * FR_LANE_SLOT, sizeof(fr_syscall_event));
      __atomic_store_n(&pos.tail, tail, __ATOMIC_RELEASE);
    }
  }

  void Consume() {
    while (!stopping_.load()) {
      // Records are mostly submitted without a wake-up: poll sleeps until one (one record in
      // FR_WAKEUP_EVERY wakes it) or the drain interval, and then everything waiting is taken.
      int err = ring_buffer__poll(rb_, drain_ms_);
      // The clock is read before the rest is taken: a record stamped before this instant is
      // published by now (its program runs with preemption off), so what is left behind is
      // younger. Read after, a drain slowed down (a busy host) would let older records wait
      // past the hold and be handed over out of order.
      now_ = monotonic_ns();
      if (err >= 0 || err == -EINTR) err = ring_buffer__consume(rb_);
      if (err < 0 && err != -EINTR) break;
      DrainLanes();
      stats_.drains++;
      Flush(false);
    }
    // The programs are detached: what is in the ring now is all there will be.
    now_ = monotonic_ns();
    ring_buffer__consume(rb_);
    DrainLanes();
    StageUnreportedLosses();
    StageOpenFdTotals();
    Flush(true);
    tsfn_.BlockingCall(static_cast<Batch*>(nullptr), &Session::Deliver);
    tsfn_.Release();
    tsfn_released_ = true;
  }

  // A record written here rather than by the programs (at stop): framed like theirs, with the
  // next seq, and staged with the rest.
  template <class Event>
  void AddWritten(Event& e, uint8_t table, uint64_t ts) {
    e.hdr.ts = ts;
    e.hdr.seq = __atomic_fetch_add(&skel_->bss->fr_seq, 1, __ATOMIC_SEQ_CST);
    e.hdr.size = sizeof e;
    e.hdr.table = table;
    Add(reinterpret_cast<const uint8_t*>(&e), sizeof e);
  }

  // Byte totals of fds still open at the end (the programs write them on close, or each
  // second while an fd is busy): io rows with the process and fd. The kernel objects are out
  // of reach from here, so they have no path, endpoints or comm.
  void StageOpenFdTotals() {
    int map = bpf_map__fd(skel_->maps.fr_ios);
    fr_io_key key{}, next{};
    const fr_io_key* prev = nullptr;
    for (; bpf_map_get_next_key(map, prev, &next) == 0; prev = &key) {
      key = next;
      fr_io io{};
      if (bpf_map_lookup_elem(map, &key, &io) || (!io.read && !io.written)) continue;
      if (io.sock) {
        fr_net_event e{};
        e.hdr.pid = key.tgid;
        e.op = FR_NET_OP_IO;
        e.fd = key.fd;
        e.bytes_sent = io.written;
        e.bytes_received = io.read;
        e.unix_path.off = sizeof e;
        AddWritten(e, FR_TABLE_NET, now_);
      } else {
        fr_file_event e{};
        e.hdr.pid = key.tgid;
        e.op = FR_FILE_OP_IO;
        e.fd = key.fd;
        e.dirfd = -100;  // AT_FDCWD
        e.bytes_read = io.read;
        e.bytes_written = io.written;
        e.path.off = e.path2.off = sizeof e;
        AddWritten(e, FR_TABLE_FILE, now_);
      }
    }
  }

  // Losses a CPU counted after its last gap record: written as gap rows at the end.
  void StageUnreportedLosses() {
    static_assert(sizeof(fr_loss) % 8 == 0, "per-CPU map values are read back 8-byte aligned");
    std::vector<fr_loss> values(ncpus_);
    uint32_t key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.fr_losses), &key, values.data())) return;
    for (int cpu = 0; cpu < ncpus_; cpu++) {
      if (!values[cpu].pending) continue;
      fr_gap_event g{};
      g.hdr.cpu = cpu;
      g.lost = values[cpu].pending;
      g.first_ts = values[cpu].first_ts;
      g.last_ts = values[cpu].last_ts;
      AddWritten(g, FR_TABLE_GAP, values[cpu].last_ts);
    }
  }

  // Hands over the batches that are due: a table's rows once it has batch_rows of them or its
  // oldest waited batch_ns; only rows older than hold_ns, so records from other CPUs that are
  // still on their way sort in before them. At the end (all) everything goes. Synced (live
  // detection): when one table is due every table hands over its rows up to the same
  // watermark, and then a marker says so, so that the rows before it can be merged in order.
  void Flush(bool all) {
    uint64_t watermark = all ? UINT64_MAX : now_ - hold_ns_;
    auto due = [&](Stage& s) { return s.size() > 0 && (all || s.size() >= batch_rows_ || now_ - s.waiting_since() >= batch_ns_); };
    bool any = false;
    for (auto& s : stages_) any = any || due(s);
    for (auto& s : stages_) {
      if (s.size() == 0 || !(due(s) || (synced_ && any))) continue;
      for (auto& b : s.take(watermark, batch_rows_, now_)) {
        stats_.batches++;
        tsfn_.BlockingCall(b.release(), &Session::Deliver);
      }
    }
    if (synced_ && any) tsfn_.BlockingCall(new Batch(), &Session::Deliver);
  }

  // On the JS thread: a batch becomes { table, rows, columns: [{ validity, nullCount,
  // offsets, data, childOffsets }] } over the native buffers; null marks the end.
  static void Deliver(Napi::Env env, Napi::Function on_batch, Batch* raw) {
    std::unique_ptr<Batch> b(raw);
    if (!b) {
      on_batch.Call({env.Null()});
      return;
    }
    if (!b->table) {  // synced: every row up to a watermark has been handed over
      on_batch.Call({Napi::String::New(env, "flushed")});
      return;
    }
    auto wrap = [&](Buffer& buf) -> Napi::Value {
      if (buf.empty()) return env.Undefined();
      size_t n = buf.size();
      return Napi::ArrayBuffer::New(env, buf.release(), n, [](Napi::Env, void* p) { std::free(p); });
    };
    Napi::Object o = Napi::Object::New(env);
    o.Set("table", b->table->name);
    o.Set("rows", Napi::Number::New(env, static_cast<double>(b->rows)));
    Napi::Array cols = Napi::Array::New(env, b->columns.size());
    for (size_t i = 0; i < b->columns.size(); i++) {
      Column& c = b->columns[i];
      Napi::Object col = Napi::Object::New(env);
      col.Set("validity", wrap(c.validity));
      col.Set("nullCount", Napi::Number::New(env, static_cast<double>(c.null_count)));
      col.Set("offsets", wrap(c.offsets));
      col.Set("data", wrap(c.data));
      col.Set("childOffsets", wrap(c.child_offsets));
      cols.Set(i, col);
    }
    o.Set("columns", cols);
    on_batch.Call({o});
  }

  uint32_t mode_ = FR_MODE_PIDS;
  uint32_t ring_bytes_ = 0;
  uint32_t batch_rows_ = 0;
  uint64_t batch_ns_ = 0;
  int drain_ms_ = 1;
  uint32_t sample_hz_ = 0;
  std::vector<bpf_link*> sample_links_;
  uint64_t hold_ns_ = 0;
  bool synced_ = false;
  struct fr_bpf* skel_ = nullptr;
  struct ring_buffer* rb_ = nullptr;
  Napi::ThreadSafeFunction tsfn_;
  bool tsfn_released_ = false;
  std::thread consumer_;
  std::atomic<bool> stopping_{false};
  std::vector<flightrec::Stage> stages_;
  int ncpus_ = 0;  // possible CPUs: per-CPU maps and lanes have one entry each
  uint32_t lane_slots_ = 0;
  const uint8_t* lanes_ = nullptr;
  size_t lanes_len_ = 0;
  fr_lane_pos* lane_pos_ = nullptr;
  size_t lane_pos_len_ = 0;
  uint64_t now_ = 0;
  Stats stats_;
};

// ---------------------------------------------------------------- launching a target

// Whether `pid` is asleep in read(2), from /proc/PID/syscall ("running" while it runs, the
// call number and its arguments while it is blocked).
static bool BlockedInRead(pid_t pid) {
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

// spawnHeld(file, argv, env) -> { pid, gate }: forks a child that resets its signals and
// stdio and then waits until release is written, so the recorder can select it before it
// runs; then it execs. Returns once the child is waiting (or after a second): the recorder
// then sees the child from its execve on, and nothing of its set-up, whatever the scheduler
// did.
Napi::Value SpawnHeld(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file = info[0].As<Napi::String>().Utf8Value();
  auto strings = [](Napi::Array a) {
    std::vector<std::string> v;
    for (uint32_t i = 0; i < a.Length(); i++) v.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    return v;
  };
  std::vector<std::string> argv_s = strings(info[1].As<Napi::Array>());
  std::vector<std::string> env_s = strings(info[2].As<Napi::Array>());
  // Built before fork: the child may only make async-signal-safe calls.
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  int gate[2];
  if (pipe2(gate, O_CLOEXEC)) throw_errno(env, "pipe failed", errno);
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(gate[0]);
    close(gate[1]);
    throw_errno(env, "fork failed", saved);
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
  for (int i = 0; i < 10000 && !BlockedInRead(pid); i++) nanosleep(&pause, nullptr);
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, pid));
  o.Set("gate", Napi::Number::New(env, gate[1]));
  return o;
}

// release(gate): lets a held child exec.
Napi::Value Release(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  char c = 1;
  ssize_t r;
  do r = write(fd, &c, 1); while (r < 0 && errno == EINTR);
  int saved = errno;
  close(fd);
  if (r != 1) throw_errno(info.Env(), "releasing the target failed", saved);
  return info.Env().Undefined();
}

// reap(pid) -> wait status, or null while the child runs.
Napi::Value Reap(const Napi::CallbackInfo& info) {
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, WNOHANG); while (r < 0 && errno == EINTR);
  if (r == 0) return info.Env().Null();
  if (r < 0) throw_errno(info.Env(), "waitpid failed", errno);
  return Napi::Number::New(info.Env(), status);
}

// sendDatagram(path, buffer): one datagram to a unix datagram socket (syslog's /dev/log), which
// node's dgram cannot reach.
Napi::Value SendDatagram(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  auto buf = info[1].As<Napi::Buffer<uint8_t>>();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw_errno(info.Env(), "socket path too long", ENAMETOOLONG);
  memcpy(addr.sun_path, path.c_str(), path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(info.Env(), "socket failed", errno);
  ssize_t n = sendto(fd, buf.Data(), buf.Length(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(fd);
  if (n < 0) throw_errno(info.Env(), ("sending to " + path + " failed").c_str(), err);
  return info.Env().Undefined();
}

// The tables the consumer decodes, with their record sizes: checked against the schema in JS.
Napi::Value Tables(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& t : fr_tables) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", t.name);
    o.Set("id", t.id);
    o.Set("size", t.size);
    Napi::Array cols = Napi::Array::New(env, t.ncols);
    for (uint32_t c = 0; c < t.ncols; c++) cols.Set(c, t.cols[c].name);
    o.Set("columns", cols);
    a.Set(i++, o);
  }
  return a;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", Session::Define(env));
  exports.Set("spawnHeld", Napi::Function::New(env, SpawnHeld));
  exports.Set("release", Napi::Function::New(env, Release));
  exports.Set("reap", Napi::Function::New(env, Reap));
  exports.Set("tables", Napi::Function::New(env, Tables));
  exports.Set("sendDatagram", Napi::Function::New(env, SendDatagram));
  exports.Set("libbpfVersion", Napi::String::New(env, std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version())));
  return exports;
}

}  // namespace
}  // namespace flightrec_addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return flightrec_addon::Init(env, exports); }

NODE_API_MODULE(flightrec, InitModule)
