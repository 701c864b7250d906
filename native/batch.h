// Turning kernel records into Arrow column buffers. Pure C++: no libbpf, no N-API, so the
// decoding rules (generated from the table declarations) are all in one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "columns.generated.h"

namespace flightrec {

// A growable malloc'd buffer whose memory can be handed over (to an Arrow buffer in JS).
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_), cap_(o.cap_) { o.data_ = nullptr; o.size_ = o.cap_ = 0; }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_, size_ = o.size_, cap_ = o.cap_;
      o.data_ = nullptr, o.size_ = o.cap_ = 0;
    }
    return *this;
  }
  ~Buffer() { std::free(data_); }

  void reserve(size_t n);
  uint8_t* grow(size_t n) {  // n more bytes at the end, uninitialised
    if (size_ + n > cap_) reserve(size_ + n);
    uint8_t* p = data_ + size_;
    size_ += n;
    return p;
  }
  void append(const void* p, size_t n);
  template <typename T> void push(T v) { append(&v, sizeof v); }
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  // Gives up the memory (to be freed with std::free); the buffer is empty afterwards.
  uint8_t* release() { uint8_t* p = data_; data_ = nullptr; size_ = cap_ = 0; return p; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

// The Arrow buffers of one column: validity (absent when nothing is null), offsets (utf8 and
// list), data, and for list<utf8> the offsets of the strings inside the list.
struct Column {
  Buffer validity;
  Buffer offsets;
  Buffer data;
  Buffer child_offsets;
  int64_t null_count = 0;
};

struct Batch {
  const fr_table_desc* table = nullptr;
  size_t rows = 0;
  std::vector<Column> columns;
};

// A record to decode: where it is (it is only read), its number and its length.
struct Row {
  const uint8_t* rec;
  uint64_t seq;
  uint32_t len;
};

// One record, staged: where it is in the stage's arena and its sort key.
struct Staged {
  uint64_t ts;
  uint64_t seq;
  uint32_t off;
  uint32_t len;
};

// The rows of one table waiting to be handed over, in one of three places: decoded already
// (rows given in order, decoded where they were: the syscall lanes), held (numbered, still
// where they were), or copied into the stage's arena, whole, so that a batch can be built in
// (ts, seq) order from records that arrived out of it. Decoded rows come before copied ones:
// whoever appends rows merges in the copied ones as old (copied_until).
class Stage {
 public:
  explicit Stage(const fr_table_desc* t) : table_(t) {}
  // Copies a record in at time `now`, numbered `seq` (its header's own, or the consumer's);
  // false when it is too short for its table.
  bool add(const uint8_t* rec, size_t len, uint64_t seq, uint64_t now);
  // `n` more rows, numbered at `now`, wait where they are until append() or copy().
  void hold(size_t n, uint64_t now);
  // Decodes `n` rows, in (ts, seq) order and after every row decoded so far, into batches of
  // at most `max_rows` rows: held rows, and the first `copied` of copied_until()'s, which go.
  void append(const Row* rows, size_t n, size_t copied, size_t max_rows);
  // Copies `n` held rows in, as add() does; the number too short for the table.
  size_t copy(const Row* rows, size_t n, uint64_t now);
  size_t size() const { return recs_.size() + decoded_ + held_; }
  size_t copied() const { return recs_.size(); }
  // The copied records with ts <= watermark, in (ts, seq) order: rows into the arena, valid
  // until the stage next changes.
  std::vector<Row> copied_until(uint64_t watermark);
  // Adds `base` to the numbers of the copied records from the `from`th on.
  void renumber(size_t from, uint64_t base);
  // When the oldest row still waiting here was added (or last left behind by take).
  uint64_t waiting_since() const { return waiting_since_; }
  // Takes the decoded rows and the copied records with ts <= watermark, in (ts, seq) order,
  // as batches of at most `max_rows` rows; the others wait for the next take.
  std::vector<std::unique_ptr<Batch>> take(uint64_t watermark, size_t max_rows, uint64_t now);
  const fr_table_desc* table() const { return table_; }

 private:
  void take_copied(std::vector<std::unique_ptr<Batch>>& out, uint64_t watermark, size_t max_rows);
  void drop_copied(size_t n);

  const fr_table_desc* table_;
  Buffer arena_;
  std::vector<Staged> recs_;
  std::vector<std::unique_ptr<Batch>> batches_;  // decoded; the last one may still take rows
  size_t decoded_ = 0;
  size_t held_ = 0;
  uint64_t waiting_since_ = 0;
};

// A batch of `table` with room for `rows` rows in its fixed-width columns: rows appended up to
// that many never move its buffers.
std::unique_ptr<Batch> open_batch(const fr_table_desc* table, size_t rows);
// Decodes `n` rows (in order) after the batch's rows.
void append_rows(Batch& b, const Row* rows, size_t n);
// Ends a batch: a column without nulls gets no validity buffer.
void close_batch(Batch& b);

// Appends `s` (n bytes) as UTF-8, each invalid sequence replaced by U+FFFD.
void append_utf8(Buffer& out, const uint8_t* s, size_t n);

}  // namespace flightrec
