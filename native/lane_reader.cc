#include "lane_reader.h"

#include <algorithm>

namespace flightrec {

LaneReader::LaneReader(const uint8_t* lanes, fr_lane_pos* pos, int ncpus, uint32_t slots) : slots_(slots) {
  lanes_.resize(ncpus);
  for (int cpu = 0; cpu < ncpus; cpu++) {
    Lane& l = lanes_[cpu];
    l.pos = &pos[cpu];
    l.slots = lanes + static_cast<size_t>(cpu) * slots * FR_LANE_SLOT;
    l.tail = l.numbered = pos[cpu].tail;
  }
}

uint64_t LaneReader::number(std::atomic<uint64_t>& next) {
  uint64_t total = 0;
  for (Lane& l : lanes_) {
    const uint64_t head = __atomic_load_n(&l.pos->head, __ATOMIC_ACQUIRE);
    if (head == l.numbered) continue;
    l.blocks.push_back({l.numbered, next.fetch_add(head - l.numbered, std::memory_order_relaxed)});
    for (uint64_t i = l.numbered; i < head; i++) {
      const uint64_t ts = at(l, i)->hdr.ts;
      if (ts < l.last_ts) in_order_ = false;
      l.last_ts = ts;
    }
    total += head - l.numbered;
    l.numbered = head;
  }
  return total;
}

bool LaneReader::crowded() const {
  for (const Lane& l : lanes_)
    if (l.numbered - l.tail > slots_ / 2) return true;
  return false;
}

void LaneReader::decode(uint64_t watermark, Stage& stage, size_t max_rows) {
  // Each lane's next record in the merge, and where its eligible records end.
  struct Cursor {
    uint64_t ts, seq, i, end;
    size_t lane, block;
  };
  auto after = [](const Cursor& a, const Cursor& b) { return a.ts != b.ts ? a.ts > b.ts : a.seq > b.seq; };
  std::vector<Cursor> heap;  // the earliest on top
  std::vector<uint64_t> ends(lanes_.size());
  for (size_t k = 0; k < lanes_.size(); k++) {
    const Lane& l = lanes_[k];
    uint64_t lo = l.tail, hi = l.numbered;  // the first numbered record younger than the watermark
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (at(l, mid)->hdr.ts <= watermark) lo = mid + 1;
      else hi = mid;
    }
    ends[k] = lo;
    if (lo > l.tail) heap.push_back({at(l, l.tail)->hdr.ts, l.blocks.front().seq + (l.tail - l.blocks.front().first), l.tail, lo, k, 0});
  }
  std::make_heap(heap.begin(), heap.end(), after);
  rows_.clear();
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), after);
    Cursor c = heap.back();
    heap.pop_back();
    const Lane& l = lanes_[c.lane];
    // This lane's records, as long as they come before every other lane's next.
    for (;;) {
      rows_.push_back({reinterpret_cast<const uint8_t*>(at(l, c.i)), c.seq, sizeof(fr_syscall_event)});
      if (++c.i == c.end) break;
      while (c.block + 1 < l.blocks.size() && l.blocks[c.block + 1].first <= c.i) c.block++;
      c.seq = l.blocks[c.block].seq + (c.i - l.blocks[c.block].first);
      c.ts = at(l, c.i)->hdr.ts;
      if (!heap.empty() && after(c, heap.front())) {
        heap.push_back(c);
        std::push_heap(heap.begin(), heap.end(), after);
        break;
      }
    }
  }
  if (rows_.empty()) return;
  stage.append(rows_.data(), rows_.size(), max_rows);
  for (size_t k = 0; k < lanes_.size(); k++) give_back(lanes_[k], ends[k]);
}

size_t LaneReader::copy(Stage& stage, uint64_t now) {
  rows_.clear();
  for (const Lane& l : lanes_) {
    size_t b = 0;
    for (uint64_t i = l.tail; i < l.numbered; i++) {
      while (b + 1 < l.blocks.size() && l.blocks[b + 1].first <= i) b++;
      rows_.push_back({reinterpret_cast<const uint8_t*>(at(l, i)), l.blocks[b].seq + (i - l.blocks[b].first), sizeof(fr_syscall_event)});
    }
  }
  const size_t too_short = stage.copy(rows_.data(), rows_.size(), now);
  for (Lane& l : lanes_) give_back(l, l.numbered);
  in_order_ = true;
  return too_short;
}

// The kernel may write slots before `upto` again; the blocks that number only those go.
void LaneReader::give_back(Lane& l, uint64_t upto) {
  if (upto == l.tail) return;
  l.tail = upto;
  __atomic_store_n(&l.pos->tail, upto, __ATOMIC_RELEASE);
  while (!l.blocks.empty() && (l.blocks.size() > 1 ? l.blocks[1].first <= upto : upto == l.numbered)) l.blocks.pop_front();
}

}  // namespace flightrec
