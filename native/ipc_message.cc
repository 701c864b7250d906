#include "ipc_message.h"

#include <flatbuffers/flatbuffers.h>

#include <cstring>

#include "error.h"

namespace flightrec {
namespace {

// Field ids and enum values of Arrow's format/Message.fbs and Schema.fbs (Arrow 1.0+, V5);
// a table field's vtable slot is 4 + 2 * id.
constexpr flatbuffers::voffset_t slot(int id) { return static_cast<flatbuffers::voffset_t>(4 + 2 * id); }
enum MessageField { kVersion = 0, kHeaderType = 1, kHeader = 2, kBodyLength = 3 };
enum RecordBatchField { kLength = 0, kNodes = 1, kBuffers = 2, kCompression = 3 };
enum BodyCompressionField { kCodec = 0 };  // method (1) is BUFFER, its default
constexpr int16_t kMetadataV5 = 4;
constexpr uint8_t kHeaderRecordBatch = 3;
constexpr int8_t kCodecZstd = 1;

// Arrow's Buffer struct: where one buffer lies in the body.
struct FbBuffer {
  int64_t offset;
  int64_t length;
};

constexpr size_t pad8(size_t n) { return (n + 7) & ~size_t{7}; }

const uint8_t kZeros[8] = {};

void put_i64(uint8_t* p, int64_t v) { std::memcpy(p, &v, 8); }  // little-endian hosts only (x86-64, arm64)

// The RecordBatch message's flatbuffer.
flatbuffers::DetachedBuffer metadata(int64_t rows, const std::vector<FieldNode>& nodes, const std::vector<FbBuffer>& buffers,
                                     bool compressed, int64_t body_length) {
  flatbuffers::FlatBufferBuilder fb(256 + 16 * (nodes.size() + buffers.size()));
  auto fb_nodes = fb.CreateVectorOfStructs(nodes.data(), nodes.size());
  auto fb_buffers = fb.CreateVectorOfStructs(buffers.data(), buffers.size());
  flatbuffers::uoffset_t compression = 0;
  if (compressed) {
    auto start = fb.StartTable();
    fb.AddElement<int8_t>(slot(kCodec), kCodecZstd, 0);
    compression = fb.EndTable(start);
  }
  auto batch_start = fb.StartTable();
  fb.AddElement<int64_t>(slot(kLength), rows, 0);
  fb.AddOffset(slot(kNodes), fb_nodes);
  fb.AddOffset(slot(kBuffers), fb_buffers);
  if (compressed) fb.AddOffset(slot(kCompression), flatbuffers::Offset<void>(compression));
  auto batch = fb.EndTable(batch_start);
  auto msg_start = fb.StartTable();
  fb.AddElement<int64_t>(slot(kBodyLength), body_length, 0);
  fb.AddOffset(slot(kHeader), flatbuffers::Offset<void>(batch));
  fb.AddElement<int16_t>(slot(kVersion), kMetadataV5, 0);
  fb.AddElement<uint8_t>(slot(kHeaderType), kHeaderRecordBatch, 0);
  fb.Finish(flatbuffers::Offset<void>(fb.EndTable(msg_start)));
  return fb.Release();
}

}  // namespace

static_assert(sizeof(FieldNode) == 16 && sizeof(FbBuffer) == 16, "Arrow's FieldNode and Buffer structs are two int64s");

Compressor::Compressor() : cctx_(ZSTD_createCCtx()) {
  if (!cctx_) fail("ZSTD_createCCtx", ENOMEM);
}

size_t Compressor::compress(uint8_t* out, size_t cap, const uint8_t* p, size_t n, int level) {
  size_t r = ZSTD_compressCCtx(cctx_, out, cap, p, n, level);
  if (ZSTD_isError(r)) throw Error(std::string("zstd compression failed: ") + ZSTD_getErrorName(r), 0);
  return r;
}

void encode_record_batch(int64_t rows, const std::vector<FieldNode>& nodes, const std::vector<BodyPart>& parts, int level,
                         Compressor& zstd, IpcMessage& out) {
  const bool compressed = level != kStored;
  std::vector<FbBuffer> buffers;
  buffers.reserve(parts.size());
  out.raw_bytes = 0;
  out.iov.clear();
  out.iov.push_back({});  // the head, filled in once the metadata is built
  size_t offset = 0;
  if (compressed) {
    // Each part compresses into place; the bound keeps every frame in the body buffer, which
    // only grows (resize would zero it each time), so its first `offset` bytes are the body.
    size_t cap = 0;
    for (const BodyPart& b : parts)
      if (b.n) cap += pad8(8 + ZSTD_compressBound(b.n));
    if (out.body.size() < cap) out.body.resize(cap);
    for (const BodyPart& b : parts) {
      out.raw_bytes += b.n;
      if (!b.n) {
        buffers.push_back({static_cast<int64_t>(offset), 0});
        continue;
      }
      uint8_t* at = out.body.data() + offset;
      size_t len = zstd.compress(at + 8, cap - offset - 8, b.p, b.n, level);
      if (len < b.n) {
        put_i64(at, static_cast<int64_t>(b.n));
      } else {
        put_i64(at, -1);
        std::memcpy(at + 8, b.p, b.n);
        len = b.n;
      }
      buffers.push_back({static_cast<int64_t>(offset), static_cast<int64_t>(8 + len)});
      size_t end = offset + 8 + len;
      std::memset(out.body.data() + end, 0, pad8(end) - end);
      offset = pad8(end);
    }
    if (offset) out.iov.push_back({out.body.data(), offset});
  } else {
    // A plain message is written straight from the parts; each buffer's length is its padded
    // length, as Arrow's uncompressed writer records it.
    for (const BodyPart& b : parts) {
      out.raw_bytes += pad8(b.n);  // what the buffer's length says, as readers count it
      buffers.push_back({static_cast<int64_t>(offset), static_cast<int64_t>(pad8(b.n))});
      if (!b.n) continue;
      out.iov.push_back({const_cast<uint8_t*>(b.p), b.n});
      if (pad8(b.n) != b.n) out.iov.push_back({const_cast<uint8_t*>(kZeros), pad8(b.n) - b.n});
      offset += pad8(b.n);
    }
  }
  flatbuffers::DetachedBuffer meta = metadata(rows, nodes, buffers, compressed, static_cast<int64_t>(offset));
  // Continuation, then a metadata length that makes prefix + flatbuffer a multiple of 8.
  size_t meta_len = pad8(8 + meta.size()) - 8;
  out.head.assign(8 + meta_len, 0);
  uint32_t continuation = 0xFFFFFFFFu;
  int32_t len32 = static_cast<int32_t>(meta_len);
  std::memcpy(out.head.data(), &continuation, 4);
  std::memcpy(out.head.data() + 4, &len32, 4);
  std::memcpy(out.head.data() + 8, meta.data(), meta.size());
  out.iov[0] = {out.head.data(), out.head.size()};
}

}  // namespace flightrec
