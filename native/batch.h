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

// One record, staged: where it is in the stage's arena and its sort key.
struct Staged {
  uint64_t ts;
  uint64_t seq;
  uint32_t off;
  uint32_t len;
};

// Records of one table waiting to become a batch. Records are kept whole, so a batch can be
// built in (ts, seq) order from records that arrived out of it.
class Stage {
 public:
  explicit Stage(const fr_table_desc* t) : table_(t) {}
  // Copies a record in at time `now`, numbered `seq` (its header's own, or the consumer's);
  // false when it is too short for its table.
  bool add(const uint8_t* rec, size_t len, uint64_t seq, uint64_t now);
  size_t size() const { return recs_.size(); }
  // When the oldest record still waiting here was added (or last left behind by take).
  uint64_t waiting_since() const { return waiting_since_; }
  // Takes the records with ts <= watermark, in (ts, seq) order, as batches of at most
  // `max_rows` rows; the others wait for the next take.
  std::vector<std::unique_ptr<Batch>> take(uint64_t watermark, size_t max_rows, uint64_t now);
  const fr_table_desc* table() const { return table_; }

 private:
  const fr_table_desc* table_;
  Buffer arena_;
  std::vector<Staged> recs_;
  uint64_t waiting_since_ = 0;
};

// Decodes `recs` (in order) into a batch of `table`.
std::unique_ptr<Batch> build_batch(const fr_table_desc* table, const uint8_t* arena, const Staged* recs, size_t n);

// Appends `s` (n bytes) as UTF-8, each invalid sequence replaced by U+FFFD.
void append_utf8(Buffer& out, const uint8_t* s, size_t n);

}  // namespace flightrec
