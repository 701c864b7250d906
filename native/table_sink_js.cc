// N-API glue for TableSink (table_sink.h): a table file that JavaScript producers append Arrow
// batches to, as the flattened buffers apache-arrow's VectorAssembler gives; encoded, written
// and hashed here, on the calling thread, before append returns.
#include "table_sink_js.h"

#include <cstring>
#include <memory>

#include "js_batch.h"
#include "js_error.h"
#include "table_sink.h"

namespace flightrec_addon {
namespace {

using namespace flightrec;

class TableSinkJs : public Napi::ObjectWrap<TableSinkJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TableSink", {
      InstanceMethod<&TableSinkJs::Append>("append"),
      InstanceMethod<&TableSinkJs::End>("end"),
      InstanceAccessor<&TableSinkJs::Bytes>("bytes"),
      InstanceAccessor<&TableSinkJs::Batches>("batches"),
      InstanceAccessor<&TableSinkJs::Rows>("rows"),
      InstanceAccessor<&TableSinkJs::RawBytes>("rawBytes"),
      StaticMethod<&TableSinkJs::CompressPart>("compressPart"),
    });
  }

  // new TableSink(fd, file, schema, tsPart): takes over `fd` (closed on end, or when collected).
  TableSinkJs(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TableSinkJs>(info) {
    int fd = info[0].As<Napi::Number>().Int32Value();
    std::string file = info[1].As<Napi::String>().Utf8Value();
    Napi::Uint8Array schema = info[2].As<Napi::Uint8Array>();
    int ts_part = info[3].As<Napi::Number>().Int32Value();
    guarded(info.Env(), [&] { sink_ = std::make_unique<TableSink>(fd, file, std::vector<uint8_t>(schema.Data(), schema.Data() + schema.ByteLength()), ts_part); });
  }

 private:
  // TableSink.compressPart(dst, src, level: number | null) → bytes written to dst: one body part
  // as the sink encodes it (this libzstd, one reused context; null: stored, a copy), without
  // the framing. For bench/levels.bench.ts, which measures levels per column kind.
  static Napi::Value CompressPart(const Napi::CallbackInfo& info) {
    static thread_local Compressor zstd;  // one per thread: worker_threads may call it too
    Napi::Env env = info.Env();
    Napi::Uint8Array dst = info[0].As<Napi::Uint8Array>();
    Napi::Uint8Array src = info[1].As<Napi::Uint8Array>();
    size_t n = src.ByteLength();
    bool stored = info[2].IsNull();
    if (dst.ByteLength() < (stored ? n : ZSTD_compressBound(n))) throw Napi::RangeError::New(env, "TableSink.compressPart: dst is smaller than the bound");
    if (stored) {
      std::memcpy(dst.Data(), src.Data(), n);
      return Napi::Number::New(env, static_cast<double>(n));
    }
    int level = info[2].As<Napi::Number>().Int32Value();
    size_t len = guarded(env, [&] { return zstd.compress(dst.Data(), dst.ByteLength(), src.Data(), n, level); });
    return Napi::Number::New(env, static_cast<double>(len));
  }

  // append(rows, nodes: Float64Array of (length, null count) pairs, parts: typed arrays, level: number | null)
  Napi::Value Append(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t rows = info[0].As<Napi::Number>().Int64Value();
    std::vector<FieldNode> nodes = FieldNodes(info[1].As<Napi::Float64Array>());
    std::vector<BodyPart> parts = BodyParts(env, info[2].As<Napi::Array>(), "TableSink.append");
    int level = info[3].IsNull() ? kStored : info[3].As<Napi::Number>().Int32Value();
    guarded(env, [&] { sink_->append(rows, nodes, parts, level); });
    return env.Undefined();
  }

  // end() → { bytes, sha256, first_ts, last_ts }
  Napi::Value End(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TableSink::Ended e = guarded(env, [&] { return sink_->end(); });
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", static_cast<double>(e.bytes));
    o.Set("sha256", e.sha256);
    o.Set("first_ts", TsText(env, sink_->first_ts()));
    o.Set("last_ts", TsText(env, sink_->last_ts()));
    return o;
  }

  Napi::Value Bytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(sink_->bytes())); }
  Napi::Value Batches(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(sink_->batches())); }
  Napi::Value Rows(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(sink_->rows())); }
  Napi::Value RawBytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(sink_->raw_bytes())); }

  std::unique_ptr<TableSink> sink_;
};

}  // namespace

Napi::Function DefineTableSink(Napi::Env env) { return TableSinkJs::Define(env); }

}  // namespace flightrec_addon
