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

// Lane `l`'s records [from, to) as rows, numbered.
void LaneReader::rows_of(const Lane& l, uint64_t from, uint64_t to, std::vector<Row>& out) const {
  size_t b = 0;
  for (uint64_t i = from; i < to; i++) {
    while (b + 1 < l.blocks.size() && l.blocks[b + 1].first <= i) b++;
    out.push_back({reinterpret_cast<const uint8_t*>(at(l, i)), l.blocks[b].seq + (i - l.blocks[b].first), sizeof(fr_syscall_event)});
  }
}

void LaneReader::decode(uint64_t watermark, Stage& stage, size_t max_rows) {
  // The runs to merge, each in (ts, seq) order: every lane's records up to the watermark, and
  // the records copied out of crowded lanes earlier that are as old.
  struct Run {
    const Row* at;
    const Row* end;
  };
  const std::vector<Row> copied = stage.copied_until(watermark);
  std::vector<uint64_t> ends(lanes_.size());
  std::vector<std::pair<size_t, size_t>> spans;
  runs_.clear();
  for (size_t k = 0; k < lanes_.size(); k++) {
    const Lane& l = lanes_[k];
    uint64_t lo = l.tail, hi = l.numbered;  // the first numbered record younger than the watermark
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (at(l, mid)->hdr.ts <= watermark) lo = mid + 1;
      else hi = mid;
    }
    ends[k] = lo;
    const size_t begin = runs_.size();
    rows_of(l, l.tail, lo, runs_);
    if (runs_.size() > begin) spans.push_back({begin, runs_.size()});
  }
  std::vector<Run> heap;  // the earliest on top
  for (auto [b, e] : spans) heap.push_back({runs_.data() + b, runs_.data() + e});
  if (!copied.empty()) heap.push_back({copied.data(), copied.data() + copied.size()});
  if (heap.empty()) return;
  if (heap.size() == 1) {  // one busy CPU: nothing to merge
    stage.append(heap[0].at, heap[0].end - heap[0].at, copied.size(), max_rows);
  } else {
    auto ts = [](const Row* r) { return reinterpret_cast<const fr_header*>(r->rec)->ts; };
    auto after = [&](const Run& a, const Run& b) {
      return ts(a.at) != ts(b.at) ? ts(a.at) > ts(b.at) : a.at->seq > b.at->seq;
    };
    std::make_heap(heap.begin(), heap.end(), after);
    rows_.clear();
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), after);
      Run r = heap.back();
      heap.pop_back();
      // This run's rows, as long as they come before every other run's next.
      do rows_.push_back(*r.at++);
      while (r.at != r.end && (heap.empty() || !after(r, heap.front())));
      if (r.at != r.end) {
        heap.push_back(r);
        std::push_heap(heap.begin(), heap.end(), after);
      }
    }
    stage.append(rows_.data(), rows_.size(), copied.size(), max_rows);
  }
  for (size_t k = 0; k < lanes_.size(); k++) give_back(lanes_[k], ends[k]);
}

size_t LaneReader::copy(Stage& stage, uint64_t now) {
  rows_.clear();
  for (const Lane& l : lanes_) rows_of(l, l.tail, l.numbered, rows_);
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
