#include "consumer.h"
#include <algorithm>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "error.h"
#include "lane_reader.h"

namespace flightrec {
namespace {

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

}  // namespace

Consumer::Consumer(Programs& programs, const ConsumerOptions& opts, std::function<void(Delivery)> deliver)
    : programs_(programs), opts_(opts), deliver_(std::move(deliver)) {
  for (const auto& t : fr_tables) stages_.emplace_back(&t);
}

Consumer::~Consumer() {
  stop();
  join();
  if (rb_) ring_buffer__free(rb_);
}

void Consumer::write_to(Writer* writer, const std::vector<uint8_t>& handed_over, int level) {
  writer_ = writer;
  level_ = level;
  for (uint8_t id : handed_over) handed_over_[id] = true;
}

void Consumer::start() {
  rb_ = ring_buffer__new(programs_.ring_fd(), &Consumer::on_record, this, nullptr);
  if (!rb_) fail_bpf("opening the ring buffer failed", errno);
  thread_ = std::thread([this] { run(); });
}

void Consumer::join() {
  if (thread_.joinable()) thread_.join();
}

int Consumer::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Consumer*>(ctx);
  self->stats_.ring_bytes += size;
  self->add(static_cast<const uint8_t*>(data), size);
  return 0;
}

void Consumer::add(const uint8_t* rec, size_t size) {
  if (size < sizeof(fr_header)) {
    stats_.malformed++;
    return;
  }
  const auto* h = reinterpret_cast<const fr_header*>(rec);
  for (auto& s : stages_) {
    if (s.table()->id != h->table) continue;
    const uint64_t seq = numbering_later_ ? numbered_later_++ : seq_.fetch_add(1, std::memory_order_relaxed);
    if (!s.add(rec, size, seq, now_)) {
      stats_.malformed++;
      return;
    }
    if (h->table == FR_TABLE_PROC) {
      const auto* p = reinterpret_cast<const fr_proc_event*>(rec);
      if (p->kind == FR_PROC_KIND_FORK && opts_.hold_for_user && !snapshot_taken_) forked_.insert(h->pid);
      std::lock_guard<std::mutex> lock(cgroups_mu_);
      cgroup_ids_.insert(p->cgroup_id);
    }
    stats_.rows[h->table]++;
    if (h->table == FR_TABLE_GAP) {
      const auto* g = reinterpret_cast<const fr_gap_event*>(rec);
      stats_.lost += g->lost;
      if (h->flags & FR_GAP_HAS_TABLE) stats_.lost_in[g->table] += g->lost;
    }
    return;
  }
  stats_.malformed++;
}

Stage& Consumer::stage_of(uint8_t table) {
  for (auto& s : stages_)
    if (s.table()->id == table) return s;
  fail("no stage for table " + std::to_string(table), 0);
}

// Takes what the ring holds and numbers what the syscall lanes gained (their rows wait in
// their slots for decode_lanes); what ring_buffer__consume returned. The ring is read first: a
// record in it was published after the syscall row its exit wrote to a lane, so that row is
// seen here too; the ring's records are then numbered after every lane's, so that a syscall
// row comes before the rows its exit wrote to the ring, whichever turn it is.
int Consumer::drain() {
  std::vector<size_t> from;
  for (auto& s : stages_) from.push_back(s.copied());
  numbering_later_ = true;
  numbered_later_ = 0;
  int err = ring_buffer__consume(rb_);
  numbering_later_ = false;
  const uint64_t n = lanes_->number(seq_);
  stats_.ring_bytes += n * sizeof(fr_syscall_event);
  stats_.rows[FR_TABLE_SYSCALL] += n;
  stage_of(FR_TABLE_SYSCALL).hold(n, now_);
  const uint64_t base = seq_.fetch_add(numbered_later_, std::memory_order_relaxed);
  for (size_t i = 0; i < stages_.size(); i++) stages_[i].renumber(from[i], base);
  return err;
}

// Decodes the syscall rows with ts <= watermark straight from the lanes and gives their slots
// back; the younger wait there. When a lane is crowded (or, should it ever be, out of ts
// order) every lane's rows are copied out instead, as the ring's are, for the stage to sort;
// the next drains merge what is left of them with the lanes.
void Consumer::decode_lanes(uint64_t watermark) {
  Stage& s = stage_of(FR_TABLE_SYSCALL);
  if (lanes_->in_order() && !lanes_->crowded()) {
    lanes_->decode(watermark, s, opts_.batch_rows);
    return;
  }
  const size_t too_short = lanes_->copy(s, now_);
  stats_.rows[FR_TABLE_SYSCALL] -= too_short;
  stats_.malformed += too_short;
}

void Consumer::run() {
  lanes_ = std::make_unique<LaneReader>(programs_.lanes(), programs_.lane_pos(), programs_.ncpus(), programs_.lane_slots());
  int epfd = ring_buffer__epoll_fd(rb_);
  while (!stopping_.load()) {
    // Records are mostly submitted without a wake-up: this sleeps until one (one record in
    // FR_WAKEUP_EVERY wakes it) or the drain interval, and then everything waiting is taken.
    epoll_event ev;
    int n = epoll_wait(epfd, &ev, 1, opts_.drain_ms);
    if (n < 0 && errno != EINTR) break;
    // The clock is read before the rest is taken: a record stamped before this instant is
    // published by now (its program runs with preemption off), so what is left behind is
    // younger. Read after, a drain slowed down (a busy host) would let older records wait
    // past the hold and be handed over out of order.
    now_ = monotonic_ns();
    int err = drain();
    if (err < 0 && err != -EINTR) break;
    decode_lanes(now_ - opts_.hold_ns);
    stats_.drains++;
    take_user_records();
    if (!opts_.hold_for_user || user_given_.load()) flush(false);
  }
  // The programs are detached: what is in the ring now is all there will be.
  now_ = monotonic_ns();
  drain();
  take_user_records();
  decode_lanes(UINT64_MAX);
  stage_unreported_losses();
  stage_open_fd_totals();
  stage_unfinished_bios();
  flush(true);
  deliver_({Delivery::kEnd, nullptr});
}

void Consumer::add_user_records(std::vector<std::vector<uint8_t>> records) {
  {
    std::lock_guard<std::mutex> lock(user_mu_);
    for (auto& r : records) user_records_.push_back(std::move(r));
  }
  user_given_.store(true);
}

void Consumer::take_user_records() {
  std::vector<std::vector<uint8_t>> records;
  {
    std::lock_guard<std::mutex> lock(user_mu_);
    records.swap(user_records_);
  }
  if (records.empty()) return;
  // Every fork before /proc was read is in the ring by now: take them first, so that a
  // process forked since start is known by its fork row and not taken for one that was running.
  drain();
  for (const auto& r : records) {
    const auto* h = reinterpret_cast<const fr_header*>(r.data());
    if (h->table == FR_TABLE_PROC && forked_.count(h->pid)) continue;
    add(r.data(), r.size());
  }
  forked_.clear();
  snapshot_taken_ = true;
}

std::vector<uint64_t> Consumer::cgroup_ids() {
  std::lock_guard<std::mutex> lock(cgroups_mu_);
  return {cgroup_ids_.begin(), cgroup_ids_.end()};
}

// A record written here rather than by the programs (at stop): framed like theirs and staged
// with the rest.
template <class Event>
void Consumer::add_written(Event& e, uint8_t table, uint64_t ts) {
  e.hdr.ts = ts;
  e.hdr.size = sizeof e;
  e.hdr.table = table;
  add(reinterpret_cast<const uint8_t*>(&e), sizeof e);
}

// Byte totals of fds still open at the end (the programs write them on close, or each
// second while an fd is busy): io rows with the process and fd. The kernel objects are out
// of reach from here, so they have no path, endpoints or comm.
void Consumer::stage_open_fd_totals() {
  int map = programs_.ios_fd();
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
      add_written(e, FR_TABLE_NET, now_);
    } else {
      fr_file_event e{};
      e.hdr.pid = key.tgid;
      e.op = FR_FILE_OP_IO;
      e.fd = key.fd;
      e.dirfd = -100;  // AT_FDCWD
      e.bytes_read = io.read;
      e.bytes_written = io.written;
      e.path.off = e.path2.off = sizeof e;
      add_written(e, FR_TABLE_FILE, now_);
    }
  }
}

// A target's block requests issued and not reported complete by the end (the kernel, rarely,
// does not report a completion): bio rows that say so, at the stop time.
void Consumer::stage_unfinished_bios() {
  int map = programs_.bios_fd();
  uint64_t key = 0, next = 0;
  const uint64_t* prev = nullptr;
  for (; bpf_map_get_next_key(map, prev, &next) == 0; prev = &key) {
    key = next;
    fr_bio_issue b{};
    if (bpf_map_lookup_elem(map, &key, &b)) continue;
    fr_bio_event e{};
    e.hdr.pid = b.issuer.pid;
    e.hdr.tid = b.issuer.tid;
    memcpy(e.hdr.comm, b.issuer.comm, sizeof e.hdr.comm);
    e.hdr.flags = FR_BIO_HAS_COMPLETED;
    e.dev = b.dev;
    e.sector = b.sector;
    e.bytes = b.bytes;
    e.op = b.op;
    add_written(e, FR_TABLE_BIO, now_);
  }
}

uint64_t Consumer::kernel_events() const {
  const fr_lane_pos* lanes = programs_.lane_pos();
  uint64_t n = 0;
  for (int cpu = 0; lanes && cpu < programs_.ncpus(); cpu++) n += __atomic_load_n(&lanes[cpu].head, __ATOMIC_RELAXED);
  std::vector<fr_loss> values(programs_.ncpus());
  for (uint32_t key = 0; key < FR_LOSS_KEYS; key++) {
    if (bpf_map_lookup_elem(programs_.losses_fd(), &key, values.data())) return 0;
    // A CPU's ring records of a table include its gap records of it (not events); its pending
    // losses are events no gap record holds yet, and the losses of gap records already read
    // are in stats_.lost.
    for (const fr_loss& l : values) n += l.records + l.pending;
  }
  const uint64_t gaps = stats_.rows[FR_TABLE_GAP].load();
  return n + stats_.lost.load() - std::min(gaps, n);
}

// Losses a CPU counted of a table after its last gap record of it: written as gap rows at the
// end, and taken off the programs' counters as if the programs had written them (the programs
// are detached), so kernel_events() still counts each event once.
void Consumer::stage_unreported_losses() {
  static_assert(sizeof(fr_loss) % 8 == 0, "per-CPU map values are read back 8-byte aligned");
  std::vector<fr_loss> values(programs_.ncpus());
  for (uint32_t key = 0; key < FR_LOSS_KEYS; key++) {
    if (bpf_map_lookup_elem(programs_.losses_fd(), &key, values.data())) continue;
    bool staged = false;
    for (int cpu = 0; cpu < programs_.ncpus(); cpu++) {
      fr_loss& l = values[cpu];
      if (!l.pending) continue;
      fr_gap_event g{};
      g.hdr.cpu = cpu;
      g.hdr.flags = FR_GAP_HAS_TABLE;
      g.lost = l.pending;
      g.first_ts = l.first_ts;
      g.last_ts = l.last_ts;
      g.table = static_cast<uint8_t>(key);
      l.pending = 0;
      l.records++;
      staged = true;
      add_written(g, FR_TABLE_GAP, g.last_ts);
    }
    if (staged) bpf_map_update_elem(programs_.losses_fd(), &key, values.data(), BPF_ANY);
  }
}

// Hands over the batches that are due: a table's rows once it has batch_rows of them or its
// oldest waited batch_ns; only rows older than hold_ns, so records from other CPUs that are
// still on their way sort in before them. At the end (all) everything goes. Synced (live
// detection): when one table is due every table hands over its rows up to the same
// watermark, and then a mark says so, so that the rows before it can be merged in order.
void Consumer::flush(bool all) {
  uint64_t watermark = all ? UINT64_MAX : now_ - opts_.hold_ns;
  auto due = [&](Stage& s) { return s.size() > 0 && (all || s.size() >= opts_.batch_rows || now_ - s.waiting_since() >= opts_.batch_ns); };
  bool any = false;
  for (auto& s : stages_) any = any || due(s);
  for (auto& s : stages_) {
    if (s.size() == 0 || !(due(s) || (opts_.synced && any))) continue;
    for (auto& b : s.take(watermark, opts_.batch_rows, now_)) {
      stats_.batches++;
      if (!writer_ || handed_over_[b->table->id]) {
        deliver_({Delivery::kBatch, std::move(b)});
        continue;
      }
      WriteBatch w;
      w.table = b->table->name;
      w.rows = static_cast<int64_t>(b->rows);
      w.level = level_;
      batch_parts(*b, w.nodes, w.parts);
      w.batch = std::move(b);
      writer_->submit(std::move(w));
    }
  }
  if (opts_.synced && any) deliver_({Delivery::kFlushed, nullptr});
}

}  // namespace flightrec
