// The consumer thread: drains the per-CPU syscall lanes and the ring buffer every drain
// interval (or sooner, when records wake it), numbers the records (seq), stages them per
// table (syscall rows decoded in place, lane_reader.h), and hands finished batches over in
// (ts, seq) order. At stop it adds the losses and byte totals the programs could not write,
// and ends. Plain C++: what it hands over goes to a writer thread (writer.h) or, for the
// tables JavaScript looks at, to a callback.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "batch.h"
#include "loader.h"
#include "writer.h"

struct ring_buffer;

namespace flightrec {

class LaneReader;

struct ConsumerOptions {
  uint32_t batch_rows = 65536;
  uint64_t batch_ns = 0;  // a table's rows wait at most this long
  int drain_ms = 1;
  uint64_t hold_ns = 0;   // rows younger than this wait for records from other CPUs
  bool synced = false;    // every table handed over up to one watermark at a time
  bool hold_for_user = false;  // hand nothing over until add_user_records()
};

// What the consumer hands over: a batch; with `synced`, a mark that every row up to a
// watermark has been handed over; and, last, the end.
struct Delivery {
  enum Kind { kBatch, kFlushed, kEnd } kind;
  std::unique_ptr<Batch> batch;
};

struct Stats {
  std::atomic<uint64_t> rows[256] = {};
  std::atomic<uint64_t> lost{0};
  std::atomic<uint64_t> lost_in[256] = {};  // by the table's code in gap.table (FR_LOSS_KEY)
  std::atomic<uint64_t> ring_bytes{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> drains{0};
};

class Consumer {
 public:
  // `deliver` is called on the consumer thread, in order; it may block.
  Consumer(Programs& programs, const ConsumerOptions& opts, std::function<void(Delivery)> deliver);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Before start(): the batches of every table but `handed_over` (table ids) go to `writer`, at
  // zstd `level`, instead of to the callback.
  void write_to(Writer* writer, const std::vector<uint8_t>& handed_over, int level);
  void start();
  // Records made in user space (in the kernel records' layout: the process snapshot), staged
  // with the rest at the consumer's next turn. Until the first of these is given, with
  // `opts.hold_for_user`, nothing is handed over, so they take their place in the order.
  void add_user_records(std::vector<std::vector<uint8_t>> records);
  // `n` numbers no record has or will have, for rows made outside the consumer (the process
  // context a new segment starts with): the first of them.
  uint64_t reserve_seqs(uint64_t n) { return seq_.fetch_add(n, std::memory_order_relaxed); }
  // Asks the thread to drain what is left (the programs are detached by now) and end.
  void stop() { stopping_.store(true); }
  void join();
  const Stats& stats() const { return stats_; }
  // Events the programs made so far, from the kernel's own counters rather than from what has
  // been drained: records put in the ring and the syscall lanes, and those lost. Any thread.
  uint64_t kernel_events() const;
  // The cgroup ids of the proc rows so far (to name them at the end).
  std::vector<uint64_t> cgroup_ids();

 private:
  static int on_record(void* ctx, void* data, size_t size);
  void run();
  void add(const uint8_t* rec, size_t size);
  Stage& stage_of(uint8_t table);
  int drain();
  void decode_lanes(uint64_t watermark);
  template <class Event> void add_written(Event& e, uint8_t table, uint64_t ts);
  void stage_open_fd_totals();
  void stage_unfinished_bios();
  void stage_unreported_losses();
  void flush(bool all);
  void take_user_records();

  Programs& programs_;
  ConsumerOptions opts_;
  std::function<void(Delivery)> deliver_;
  Writer* writer_ = nullptr;
  bool handed_over_[256] = {};
  int level_ = 0;
  ring_buffer* rb_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::vector<Stage> stages_;
  std::unique_ptr<LaneReader> lanes_;  // the consumer thread's
  uint64_t now_ = 0;
  // The number of the next record. Records are numbered here, in the order they are drained:
  // the ring buffer keeps the order records were reserved in, a lane the order of its CPU's
  // syscalls, and at each drain the lanes' new records are numbered before the ring's
  // (drain()). A counter in the kernel would cost every record an atomic on one cache line
  // shared by all CPUs, and needs Linux 5.12. Atomic here only so that reserve_seqs() can take
  // numbers from another thread (uncontended: the consumer's own core keeps the line).
  std::atomic<uint64_t> seq_{0};
  bool numbering_later_ = false;  // while drain() reads the ring: records take numbers from 0...
  uint64_t numbered_later_ = 0;   // ...up to this, moved after the lanes' at the end of the drain
  Stats stats_;
  std::mutex user_mu_;
  std::vector<std::vector<uint8_t>> user_records_;
  std::atomic<bool> user_given_{false};
  // Processes forked since start (until the snapshot is taken): /proc shows them too, but they
  // were not running when recording started and have their fork rows.
  std::unordered_set<uint32_t> forked_;
  bool snapshot_taken_ = false;  // the consumer thread's own
  std::mutex cgroups_mu_;
  std::unordered_set<uint64_t> cgroup_ids_;
};

}  // namespace flightrec
