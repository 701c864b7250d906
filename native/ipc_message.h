// One Arrow IPC record batch message, encoded: the metadata flatbuffer and its framing, and a
// body whose buffers are zstd frames (Arrow's BUFFER body compression) or stored as they are.
// Pure C++ (libzstd, flatbuffers): no N-API, no files.
#pragma once

#include <sys/uio.h>
#include <zstd.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flightrec {

// The level that means "no zstd call": a part written as it is.
constexpr int kStored = INT_MIN;

// One buffer of the batch's body, in schema order (validity, offsets, data, child offsets).
struct BodyPart {
  const uint8_t* p;
  size_t n;
};

// Arrow's FieldNode: one per column and per list child, in schema order.
struct FieldNode {
  int64_t length;
  int64_t null_count;
};

// A reusable zstd compression context (RAII).
class Compressor {
 public:
  Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
  ~Compressor() { ZSTD_freeCCtx(cctx_); }
  // One frame of `n` bytes at `level`, with its content size, into `out` (capacity at least
  // ZSTD_compressBound(n)); its length.
  size_t compress(uint8_t* out, size_t cap, const uint8_t* p, size_t n, int level);

 private:
  ZSTD_CCtx* cctx_;
};

// An encoded message: `head` (continuation, metadata length, flatbuffer, padding) then the
// body, as iovecs over `body` (compressed) or the caller's buffers (plain), which must outlive
// the write. `iov` is what one writev writes; reused from batch to batch.
struct IpcMessage {
  std::vector<uint8_t> head;
  std::vector<uint8_t> body;
  std::vector<iovec> iov;
  // Sum of the buffers' lengths before compression (the manifest's raw_bytes; a plain
  // message's are padded, as its metadata records them).
  uint64_t raw_bytes = 0;
};

// Encodes a batch of `rows` rows. Every part stored (`level == kStored`): a plain message,
// without BodyCompression, whose body is what Arrow's uncompressed writer writes (each buffer
// padded to 8 bytes). Otherwise each non-empty part is an int64 uncompressed length and one
// zstd frame, or int64 -1 and the raw bytes when zstd did not make it smaller.
void encode_record_batch(int64_t rows, const std::vector<FieldNode>& nodes, const std::vector<BodyPart>& parts, int level,
                         Compressor& zstd, IpcMessage& out);

}  // namespace flightrec
