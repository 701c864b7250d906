// The syscall lanes (bpf/shared.h, syscall.bpf.c) read in place: records are numbered when
// they are first seen, and decoded straight from their slots, merged across CPUs in (ts, seq)
// order, once they are older than the hold; a record stays in its slot until then, so the lane
// is the hold buffer and nothing is copied on the way to the column buffers. Plain C++ over
// the mapped memory: no libbpf.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <vector>

#include "../bpf/shared.h"
#include "batch.h"

namespace flightrec {

class LaneReader {
 public:
  // `lanes`: `ncpus` lanes of `slots` slots each (a power of two); `pos`: their positions.
  LaneReader(const uint8_t* lanes, fr_lane_pos* pos, int ncpus, uint32_t slots);

  // Numbers the records the lanes gained since the last call, CPU by CPU, each CPU's new
  // records a block of numbers taken from `next`; how many there were.
  uint64_t number(std::atomic<uint64_t>& next);
  // Whether every lane's records have been in ts order (as a lane's writer, one CPU with
  // preemption off, makes them) since the lanes were last copied out.
  bool in_order() const { return in_order_; }
  // Whether a lane is more than half full: records wait in their slots for the hold, and a
  // lane too small for that (many CPUs, a small --ring-size) had better be emptied now.
  bool crowded() const;
  // Decodes the numbered records with ts <= watermark into `stage` (batches of at most
  // `max_rows`), merged in (ts, seq) order with the stage's copied records as old, and gives
  // their slots back. The lanes must be in order.
  void decode(uint64_t watermark, Stage& stage, size_t max_rows);
  // Copies every numbered record into `stage` (to sort with the rest) and gives the slots
  // back; the number too short for the table.
  size_t copy(Stage& stage, uint64_t now);

 private:
  struct Block {  // records from `first` on are numbered from `seq` on
    uint64_t first;
    uint64_t seq;
  };
  struct Lane {
    fr_lane_pos* pos;
    const uint8_t* slots;
    uint64_t tail = 0;      // the first record not given back
    uint64_t numbered = 0;  // the first record not numbered
    uint64_t last_ts = 0;
    std::deque<Block> blocks;
  };

  const fr_syscall_event* at(const Lane& l, uint64_t i) const {
    return reinterpret_cast<const fr_syscall_event*>(l.slots + (i & (slots_ - 1)) * FR_LANE_SLOT);
  }
  void rows_of(const Lane& l, uint64_t from, uint64_t to, std::vector<Row>& out) const;
  void give_back(Lane& l, uint64_t upto);

  uint32_t slots_;
  std::vector<Lane> lanes_;
  bool in_order_ = true;
  std::vector<Row> runs_, rows_;  // reused between drains
};

}  // namespace flightrec
