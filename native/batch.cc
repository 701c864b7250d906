#include "batch.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>

namespace flightrec {

void Buffer::reserve(size_t n) {
  if (n <= cap_) return;
  size_t cap = cap_ ? cap_ : 256;
  while (cap < n) cap *= 2;
  auto* p = static_cast<uint8_t*>(std::realloc(data_, cap));
  if (!p) throw std::bad_alloc();
  data_ = p;
  cap_ = cap;
}

void Buffer::append(const void* p, size_t n) {
  if (n) std::memcpy(grow(n), p, n);
}

// Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not valid.
static size_t utf8_sequence(const uint8_t* s, size_t n) {
  uint8_t c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; }
  else return 0;
  if (len > n) return 0;
  uint32_t cp = c & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void append_utf8(Buffer& out, const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t start = i;
    while (i < n && s[i] < 0x80) i++;  // the common case: ASCII runs
    out.append(s + start, i - start);
    if (i == n) break;
    size_t len = utf8_sequence(s + i, n - i);
    if (len) {
      out.append(s + i, len);
      i += len;
    } else {
      static const uint8_t replacement[] = {0xEF, 0xBF, 0xBD};
      out.append(replacement, sizeof replacement);
      i++;
    }
  }
}

bool Stage::add(const uint8_t* rec, size_t len, uint64_t seq, uint64_t now) {
  if (len < table_->size) return false;
  if (arena_.size() + len > UINT32_MAX) return false;
  if (size() == 0) waiting_since_ = now;
  uint32_t off = static_cast<uint32_t>(arena_.size());
  arena_.append(rec, len);
  recs_.push_back({reinterpret_cast<const fr_header*>(rec)->ts, seq, off, static_cast<uint32_t>(len)});
  return true;
}

void Stage::hold(size_t n, uint64_t now) {
  if (n && size() == 0) waiting_since_ = now;
  held_ += n;
}

void Stage::append(const Row* rows, size_t n, size_t copied, size_t max_rows) {
  held_ -= n - copied;
  decoded_ += n;
  for (size_t left = n; left > 0;) {
    if (batches_.empty() || batches_.back()->rows == max_rows) batches_.push_back(open_batch(table_, max_rows));
    Batch& b = *batches_.back();
    size_t k = std::min(left, max_rows - b.rows);
    append_rows(b, rows, k);
    rows += k;
    left -= k;
  }
  drop_copied(copied);
}

size_t Stage::copy(const Row* rows, size_t n, uint64_t now) {
  size_t too_short = 0;
  for (size_t i = 0; i < n; i++)
    if (!add(rows[i].rec, rows[i].len, rows[i].seq, now)) too_short++;
  held_ -= n;  // after: held rows keep the time they have waited since
  return too_short;
}

void Stage::renumber(size_t from, uint64_t base) {
  for (size_t i = from; i < recs_.size(); i++) recs_[i].seq += base;
}

std::vector<std::unique_ptr<Batch>> Stage::take(uint64_t watermark, size_t max_rows, uint64_t now) {
  std::vector<std::unique_ptr<Batch>> out;
  for (auto& b : batches_) {
    close_batch(*b);
    out.push_back(std::move(b));
  }
  batches_.clear();
  decoded_ = 0;
  if (!recs_.empty()) take_copied(out, watermark, max_rows);
  if (size() > 0) waiting_since_ = now;
  return out;
}

void Stage::take_copied(std::vector<std::unique_ptr<Batch>>& out, uint64_t watermark, size_t max_rows) {
  const std::vector<Row> rows = copied_until(watermark);
  for (size_t i = 0; i < rows.size(); i += max_rows) {
    size_t k = std::min(max_rows, rows.size() - i);
    auto b = open_batch(table_, k);
    append_rows(*b, rows.data() + i, k);
    close_batch(*b);
    out.push_back(std::move(b));
  }
  drop_copied(rows.size());
}

std::vector<Row> Stage::copied_until(uint64_t watermark) {
  auto before = [](const Staged& a, const Staged& b) { return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq; };
  if (!std::is_sorted(recs_.begin(), recs_.end(), before))
    std::stable_sort(recs_.begin(), recs_.end(), before);
  size_t n = std::upper_bound(recs_.begin(), recs_.end(), watermark,
                              [](uint64_t w, const Staged& s) { return w < s.ts; }) - recs_.begin();
  std::vector<Row> rows(n);
  for (size_t i = 0; i < n; i++) rows[i] = {arena_.data() + recs_[i].off, recs_[i].seq, recs_[i].len};
  return rows;
}

void Stage::drop_copied(size_t n) {
  if (n == 0) return;
  if (n == recs_.size()) {
    arena_.clear();
    recs_.clear();
    return;
  }
  // Keep the rest, compacted into a fresh arena.
  Buffer rest;
  std::vector<Staged> kept;
  kept.reserve(recs_.size() - n);
  for (size_t i = n; i < recs_.size(); i++) {
    Staged s = recs_[i];
    uint32_t off = static_cast<uint32_t>(rest.size());
    rest.append(arena_.data() + s.off, s.len);
    s.off = off;
    kept.push_back(s);
  }
  arena_ = std::move(rest);
  recs_ = std::move(kept);
}

static inline const fr_var* var_at(const uint8_t* rec, const fr_col& c) {
  return reinterpret_cast<const fr_var*>(rec + c.offset);
}

// The tail bytes a fr_var names, or an empty range when it points outside the record.
static inline std::pair<const uint8_t*, size_t> tail(const Row& r, const fr_col& c) {
  const fr_var* v = var_at(r.rec, c);
  if (static_cast<uint32_t>(v->off) + v->len > r.len) return {r.rec, 0};
  return {r.rec + v->off, v->len};
}

static void set_bit(Buffer& b, size_t i) { b.data()[i >> 3] |= static_cast<uint8_t>(1u << (i & 7)); }

// Grows a bitmap of `rows` bits by `n` clear bits.
static void grow_bitmap(Buffer& b, size_t rows, size_t n) {
  const size_t more = (rows + n + 7) / 8 - (rows + 7) / 8;
  std::memset(b.grow(more), 0, more);
}

// A fixed-width column's values, W bytes each: a copy of a width known here compiles to one
// move, where a width read at run time made each value a call to memcpy (16 of them per syscall
// row, most of the consumer's time in the profile). Absent values are zero.
template <size_t W>
static void copy_fixed(uint8_t* out, const fr_col& c, const Row* rows, size_t n) {
  if (c.present_bit < 0) {
    for (size_t i = 0; i < n; i++) std::memcpy(out + i * W, rows[i].rec + c.offset, W);
    return;
  }
  const uint32_t bit = 1u << c.present_bit;
  for (size_t i = 0; i < n; i++) {
    if (reinterpret_cast<const fr_header*>(rows[i].rec)->flags & bit) std::memcpy(out + i * W, rows[i].rec + c.offset, W);
    else std::memset(out + i * W, 0, W);
  }
}

// Decodes `n` rows into a column that holds `at` rows.
static void decode_column(Column& col, const fr_col& c, size_t at, const Row* rows, size_t n) {
  if (c.present_bit >= 0) {
    grow_bitmap(col.validity, at, n);
    for (size_t i = 0; i < n; i++) {
      const auto* h = reinterpret_cast<const fr_header*>(rows[i].rec);
      if (h->flags & (1u << c.present_bit)) set_bit(col.validity, at + i);
      else col.null_count++;
    }
  }
  auto present = [&](size_t i) {
    return c.present_bit < 0 || (reinterpret_cast<const fr_header*>(rows[i].rec)->flags & (1u << c.present_bit));
  };
  switch (c.kind) {
    case FR_COL_INT:
    case FR_COL_BYTES: {
      uint8_t* out = col.data.grow(n * c.width);
      if (c.offset == offsetof(fr_header, seq)) {  // numbered by the consumer, not in the record
        static_assert(sizeof(fr_header::seq) == sizeof(Row::seq), "seq is copied whole");
        for (size_t i = 0; i < n; i++) std::memcpy(out + i * 8, &rows[i].seq, 8);
        break;
      }
      switch (c.width) {
        case 1: copy_fixed<1>(out, c, rows, n); break;
        case 2: copy_fixed<2>(out, c, rows, n); break;
        case 4: copy_fixed<4>(out, c, rows, n); break;
        case 8: copy_fixed<8>(out, c, rows, n); break;
        case 16: copy_fixed<16>(out, c, rows, n); break;
        default:
          for (size_t i = 0; i < n; i++) {
            if (present(i)) std::memcpy(out + i * c.width, rows[i].rec + c.offset, c.width);
            else std::memset(out + i * c.width, 0, c.width);
          }
      }
      break;
    }
    case FR_COL_BOOL: {
      grow_bitmap(col.data, at, n);
      for (size_t i = 0; i < n; i++)
        if (present(i) && rows[i].rec[c.offset]) set_bit(col.data, at + i);
      break;
    }
    case FR_COL_CHARS:
    case FR_COL_STR: {
      if (col.offsets.empty()) col.offsets.push<int32_t>(0);
      for (size_t i = 0; i < n; i++) {
        if (present(i)) {
          if (c.kind == FR_COL_CHARS) {
            const uint8_t* s = rows[i].rec + c.offset;
            append_utf8(col.data, s, strnlen(reinterpret_cast<const char*>(s), c.width));
          } else {
            auto [s, len] = tail(rows[i], c);
            append_utf8(col.data, s, len);
          }
        }
        col.offsets.push<int32_t>(static_cast<int32_t>(col.data.size()));
      }
      break;
    }
    case FR_COL_STRS: {
      if (col.offsets.empty()) {
        col.offsets.push<int32_t>(0);
        col.child_offsets.push<int32_t>(0);
      }
      int32_t items = static_cast<int32_t>(col.child_offsets.size() / 4 - 1);
      for (size_t i = 0; i < n; i++) {
        if (present(i)) {
          auto [s, len] = tail(rows[i], c);
          size_t start = 0;
          while (start < len) {  // NUL-separated; a last item without its NUL (truncated) is kept
            const void* nul = std::memchr(s + start, 0, len - start);
            size_t end = nul ? static_cast<const uint8_t*>(nul) - s : len;
            append_utf8(col.data, s + start, end - start);
            col.child_offsets.push<int32_t>(static_cast<int32_t>(col.data.size()));
            items++;
            start = end + 1;
          }
        }
        col.offsets.push<int32_t>(items);
      }
      break;
    }
  }
}

std::unique_ptr<Batch> open_batch(const fr_table_desc* table, size_t rows) {
  auto b = std::make_unique<Batch>();
  b->table = table;
  b->columns.resize(table->ncols);
  for (size_t i = 0; i < table->ncols; i++) {
    const fr_col& c = table->cols[i];
    Column& col = b->columns[i];
    if (c.present_bit >= 0) col.validity.reserve((rows + 7) / 8);
    switch (c.kind) {
      case FR_COL_INT:
      case FR_COL_BYTES: col.data.reserve(rows * c.width); break;
      case FR_COL_BOOL: col.data.reserve((rows + 7) / 8); break;
      case FR_COL_CHARS:  // mostly ASCII, at most `width` bytes of it
        col.data.reserve(rows * c.width);
        col.offsets.reserve((rows + 1) * 4);
        break;
      case FR_COL_STR:
      case FR_COL_STRS: col.offsets.reserve((rows + 1) * 4); break;
    }
  }
  return b;
}

void append_rows(Batch& b, const Row* rows, size_t n) {
  for (size_t c = 0; c < b.table->ncols; c++) decode_column(b.columns[c], b.table->cols[c], b.rows, rows, n);
  b.rows += n;
}

void close_batch(Batch& b) {
  for (auto& col : b.columns)
    if (col.null_count == 0) col.validity = Buffer();
}

}  // namespace flightrec
