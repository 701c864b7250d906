// N-API glue for Writer (writer.h): the format layer opens and seals segments and appends the
// batches JavaScript makes (copied here, so the caller's buffers are free once append returns);
// the recorder's Session hands the same writer to its consumer thread.
#include "writer_js.h"

#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "js_batch.h"
#include "js_error.h"
#include "writer.h"

namespace flightrec_addon {
namespace {

using namespace flightrec;

class WriterJs : public Napi::ObjectWrap<WriterJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Writer", {
      InstanceMethod<&WriterJs::Open>("open"),
      InstanceMethod<&WriterJs::Append>("append"),
      InstanceMethod<&WriterJs::Seal>("seal"),
      InstanceMethod<&WriterJs::Drain>("drain"),
      InstanceMethod<&WriterJs::TakeSealed>("takeSealed"),
      InstanceMethod<&WriterJs::Check>("check"),
      InstanceMethod<&WriterJs::GetStats>("stats"),
      InstanceMethod<&WriterJs::Close>("close"),
    });
  }

  // new Writer({ tables: { [name]: { schema: Uint8Array, tsPart: number } }, maxBatchesPerFile, budgetBytes })
  WriterJs(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WriterJs>(info) {
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Object t = o.Get("tables").As<Napi::Object>();
    std::map<std::string, TableFormat> tables;
    Napi::Array names = t.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      Napi::Object f = t.Get(name).As<Napi::Object>();
      Napi::Uint8Array schema = f.Get("schema").As<Napi::Uint8Array>();
      tables[name] = {std::vector<uint8_t>(schema.Data(), schema.Data() + schema.ByteLength()), f.Get("tsPart").As<Napi::Number>().Int32Value()};
    }
    writer_ = std::make_unique<Writer>(std::move(tables), o.Get("maxBatchesPerFile").As<Napi::Number>().Uint32Value(),
                                       static_cast<size_t>(o.Get("budgetBytes").As<Napi::Number>().DoubleValue()));
  }

  Writer* writer() { return writer_.get(); }

 private:
  // open(dirFd, name, display): the segment directory's fd stays the caller's (a copy is kept).
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = ::fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
    std::string display = info[2].As<Napi::String>().Utf8Value();
    if (fd < 0) guarded(env, [&] { fail("opening " + display, errno); });
    writer_->open(fd, info[1].As<Napi::String>().Utf8Value(), display);
    return env.Undefined();
  }

  // append(table, rows, nodes: Float64Array of (length, null count) pairs, parts: typed arrays, level: number | null)
  Napi::Value Append(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    WriteBatch b;
    b.table = info[0].As<Napi::String>().Utf8Value();
    b.rows = info[1].As<Napi::Number>().Int64Value();
    b.nodes = FieldNodes(info[2].As<Napi::Float64Array>());
    // Copied: the caller's buffers are free once append returns.
    for (const BodyPart& p : BodyParts(env, info[3].As<Napi::Array>(), "Writer.append")) b.copies.emplace_back(p.p, p.p + p.n);
    for (const auto& c : b.copies) b.parts.push_back({c.data(), c.size()});
    b.level = info[4].IsNull() ? kStored : info[4].As<Napi::Number>().Int32Value();
    writer_->submit(std::move(b));
    return env.Undefined();
  }

  Napi::Value Seal(const Napi::CallbackInfo& info) {
    writer_->seal();
    return info.Env().Undefined();
  }

  Napi::Value Drain(const Napi::CallbackInfo& info) {
    writer_->drain();
    return info.Env().Undefined();
  }

  // takeSealed() → [{ name, tables: { [table]: { file, rows, batches, first_ts, last_ts, bytes, raw_bytes, sha256 } } }]
  Napi::Value TakeSealed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto sealed = writer_->take_sealed();
    Napi::Array out = Napi::Array::New(env, sealed.size());
    for (size_t i = 0; i < sealed.size(); i++) {
      Napi::Object s = Napi::Object::New(env);
      s.Set("name", sealed[i].name);
      Napi::Object tables = Napi::Object::New(env);
      for (const SealedTable& t : sealed[i].tables) {
        Napi::Object e = Napi::Object::New(env);
        e.Set("file", t.file);
        e.Set("rows", static_cast<double>(t.rows));
        e.Set("batches", static_cast<double>(t.batches));
        e.Set("first_ts", TsText(env, t.first_ts));
        e.Set("last_ts", TsText(env, t.last_ts));
        e.Set("bytes", static_cast<double>(t.bytes));
        e.Set("raw_bytes", static_cast<double>(t.raw_bytes));
        e.Set("sha256", t.sha256);
        tables.Set(t.table, e);
      }
      s.Set("tables", tables);
      out.Set(i, s);
    }
    return out;
  }

  // check(): throws the first write failure (its errno's name as `code`), if there was one.
  Napi::Value Check(const Napi::CallbackInfo& info) {
    if (auto e = writer_->error()) rethrow(info.Env(), *e);
    return info.Env().Undefined();
  }

  Napi::Value GetStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Writer::Stats st = writer_->stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("unsealedBytes", static_cast<double>(st.unsealed_bytes));
    o.Set("openBytes", static_cast<double>(st.open_bytes));
    o.Set("openMaxBatches", static_cast<double>(st.open_max_batches));
    o.Set("queuedBytes", static_cast<double>(st.queued_bytes));
    o.Set("rowsNotWritten", static_cast<double>(st.rows_not_written));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    writer_->close();
    return info.Env().Undefined();
  }

  std::unique_ptr<Writer> writer_;
};

}  // namespace

Napi::Function DefineWriter(Napi::Env env) { return WriterJs::Define(env); }

flightrec::Writer* UnwrapWriter(Napi::Object o) { return WriterJs::Unwrap(o)->writer(); }

}  // namespace flightrec_addon
