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
  if (recs_.empty()) waiting_since_ = now;
  const auto* h = reinterpret_cast<const fr_header*>(rec);
  if (arena_.size() + len > UINT32_MAX) return false;
  uint32_t off = static_cast<uint32_t>(arena_.size());
  arena_.append(rec, len);
  std::memcpy(arena_.data() + off + offsetof(fr_header, seq), &seq, sizeof seq);
  recs_.push_back({h->ts, seq, off, static_cast<uint32_t>(len)});
  return true;
}

std::vector<std::unique_ptr<Batch>> Stage::take(uint64_t watermark, size_t max_rows, uint64_t now) {
  std::vector<std::unique_ptr<Batch>> out;
  if (recs_.empty()) return out;
  auto before = [](const Staged& a, const Staged& b) { return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq; };
  if (!std::is_sorted(recs_.begin(), recs_.end(), before))
    std::stable_sort(recs_.begin(), recs_.end(), before);
  size_t n = std::upper_bound(recs_.begin(), recs_.end(), watermark,
                              [](uint64_t w, const Staged& s) { return w < s.ts; }) - recs_.begin();
  for (size_t i = 0; i < n; i += max_rows)
    out.push_back(build_batch(table_, arena_.data(), recs_.data() + i, std::min(max_rows, n - i)));
  if (n == recs_.size()) {
    arena_.clear();
    recs_.clear();
    return out;
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
  waiting_since_ = now;
  return out;
}

static inline const fr_var* var_at(const uint8_t* rec, const fr_col& c) {
  return reinterpret_cast<const fr_var*>(rec + c.offset);
}

// The tail bytes a fr_var names, or an empty range when it points outside the record.
static inline std::pair<const uint8_t*, size_t> tail(const uint8_t* rec, uint32_t len, const fr_col& c) {
  const fr_var* v = var_at(rec, c);
  if (static_cast<uint32_t>(v->off) + v->len > len) return {rec, 0};
  return {rec + v->off, v->len};
}

static void set_bit(Buffer& b, size_t i) { b.data()[i >> 3] |= static_cast<uint8_t>(1u << (i & 7)); }

// A fixed-width column's values, W bytes each: a copy of a width known here compiles to one
// move, where a width read at run time made each value a call to memcpy (16 of them per syscall
// row, most of the consumer's time in the profile). Absent values are zero.
template <size_t W>
static void copy_fixed(uint8_t* out, const fr_col& c, const uint8_t* arena, const Staged* recs, size_t n) {
  const uint8_t* at = arena + c.offset;
  if (c.present_bit < 0) {
    for (size_t i = 0; i < n; i++) std::memcpy(out + i * W, at + recs[i].off, W);
    return;
  }
  const uint32_t bit = 1u << c.present_bit;
  for (size_t i = 0; i < n; i++) {
    if (reinterpret_cast<const fr_header*>(arena + recs[i].off)->flags & bit) std::memcpy(out + i * W, at + recs[i].off, W);
    else std::memset(out + i * W, 0, W);
  }
}

static void decode_column(Column& col, const fr_col& c, const uint8_t* arena, const Staged* recs, size_t n) {
  const size_t bitmap = (n + 7) / 8;
  if (c.present_bit >= 0) {
    std::memset(col.validity.grow(bitmap), 0, bitmap);
    for (size_t i = 0; i < n; i++) {
      const auto* h = reinterpret_cast<const fr_header*>(arena + recs[i].off);
      if (h->flags & (1u << c.present_bit)) set_bit(col.validity, i);
      else col.null_count++;
    }
    if (col.null_count == 0) col.validity = Buffer();
  }
  auto present = [&](size_t i) {
    return c.present_bit < 0 || (reinterpret_cast<const fr_header*>(arena + recs[i].off)->flags & (1u << c.present_bit));
  };
  switch (c.kind) {
    case FR_COL_INT:
    case FR_COL_BYTES: {
      uint8_t* out = col.data.grow(n * c.width);
      switch (c.width) {
        case 1: copy_fixed<1>(out, c, arena, recs, n); break;
        case 2: copy_fixed<2>(out, c, arena, recs, n); break;
        case 4: copy_fixed<4>(out, c, arena, recs, n); break;
        case 8: copy_fixed<8>(out, c, arena, recs, n); break;
        case 16: copy_fixed<16>(out, c, arena, recs, n); break;
        default:
          for (size_t i = 0; i < n; i++) {
            if (present(i)) std::memcpy(out + i * c.width, arena + recs[i].off + c.offset, c.width);
            else std::memset(out + i * c.width, 0, c.width);
          }
      }
      break;
    }
    case FR_COL_BOOL: {
      std::memset(col.data.grow(bitmap), 0, bitmap);
      for (size_t i = 0; i < n; i++)
        if (present(i) && arena[recs[i].off + c.offset]) set_bit(col.data, i);
      break;
    }
    case FR_COL_CHARS:
    case FR_COL_STR: {
      col.offsets.reserve((n + 1) * 4);
      col.offsets.push<int32_t>(0);
      for (size_t i = 0; i < n; i++) {
        const uint8_t* rec = arena + recs[i].off;
        if (present(i)) {
          if (c.kind == FR_COL_CHARS) {
            const uint8_t* s = rec + c.offset;
            append_utf8(col.data, s, strnlen(reinterpret_cast<const char*>(s), c.width));
          } else {
            auto [s, len] = tail(rec, recs[i].len, c);
            append_utf8(col.data, s, len);
          }
        }
        col.offsets.push<int32_t>(static_cast<int32_t>(col.data.size()));
      }
      break;
    }
    case FR_COL_STRS: {
      col.offsets.reserve((n + 1) * 4);
      col.offsets.push<int32_t>(0);
      col.child_offsets.push<int32_t>(0);
      int32_t items = 0;
      for (size_t i = 0; i < n; i++) {
        if (present(i)) {
          auto [s, len] = tail(arena + recs[i].off, recs[i].len, c);
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

std::unique_ptr<Batch> build_batch(const fr_table_desc* table, const uint8_t* arena, const Staged* recs, size_t n) {
  auto b = std::make_unique<Batch>();
  b->table = table;
  b->rows = n;
  b->columns.resize(table->ncols);
  for (size_t c = 0; c < table->ncols; c++) decode_column(b->columns[c], table->cols[c], arena, recs, n);
  return b;
}

}  // namespace flightrec
