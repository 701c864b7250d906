// The flightrec native addon: N-API glue only. probeKernel() says what this kernel offers
// (kernel_features.cc); a Session loads the BPF programs for it (loader.cc) and runs the consumer thread (consumer.cc), whose
// deliveries reach JavaScript as messages over native memory; the launcher (launcher.cc) and
// the datagram sender (datagram.cc) are plain functions; TableSink (table_sink_js.cc) writes a
// table file for the format layer. C++ errors (flightrec::Error) become JavaScript errors in
// js_error.h.
#include <napi.h>

#include <bpf/libbpf.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../bpf/shared.h"
#include "batch.h"
#include "consumer.h"
#include "datagram.h"
#include "error.h"
#include "js_error.h"
#include "kernel_features.h"
#include "launcher.h"
#include "loader.h"
#include "snapshot.h"
#include "table_sink_js.h"
#include "writer_js.h"

namespace flightrec_addon {
namespace {

using namespace flightrec;

Napi::Object FeaturesObject(Napi::Env env, const Features& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("release", f.release);
  o.Set("btfPath", f.btf_path);
  o.Set("btf", f.btf);
  o.Set("ringbuf", f.ringbuf);
  o.Set("taskBtf", f.task_btf);
  o.Set("taskStorage", f.task_storage);
  o.Set("taskPtRegs", f.task_pt_regs);
  o.Set("exitGroupDead", f.exit_group_dead);
  o.Set("bioQueueHasQueue", f.bio_queue_has_queue);
  o.Set("cycles", f.cycles);
  Napi::Object tps = Napi::Object::New(env);
  for (const auto& [name, present] : f.tracepoints) tps.Set(name, present);
  o.Set("tracepoints", tps);
  Napi::Array list = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& x : f.list()) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("name", x.name);
    e.Set("present", x.present);
    e.Set("since", x.since);
    e.Set("required", x.required);
    e.Set("without", x.without);
    list.Set(i++, e);
  }
  o.Set("list", list);
  return o;
}

std::vector<pid_t> Pids(Napi::Array a) {
  std::vector<pid_t> v;
  for (uint32_t i = 0; i < a.Length(); i++) v.push_back(a.Get(i).As<Napi::Number>().Int32Value());
  return v;
}

Napi::Array PidArray(Napi::Env env, const std::vector<pid_t>& pids) {
  Napi::Array a = Napi::Array::New(env, pids.size());
  for (size_t i = 0; i < pids.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, pids[i]));
  return a;
}

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Session", {
      InstanceMethod<&Session::AddTarget>("addTarget"),
      InstanceMethod<&Session::Start>("start"),
      InstanceMethod<&Session::Stop>("stop"),
      InstanceMethod<&Session::GetStats>("stats"),
      InstanceMethod<&Session::Close>("close"),
      InstanceMethod<&Session::Programs>("programs"),
      InstanceMethod<&Session::Snapshot>("snapshot"),
      InstanceMethod<&Session::CgroupIds>("cgroupIds"),
      InstanceMethod<&Session::ReserveSeqs>("reserveSeqs"),
      InstanceMethod<&Session::WriteTo>("writeTo"),
    });
  }

  // new Session(options, onMessage): loads the programs, configured, but attaches nothing yet.
  Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = info[0].As<Napi::Object>();
    std::string mode = o.Get("mode").As<Napi::String>().Utf8Value();
    LoadOptions load;
    load.mode = mode == "all" ? FR_MODE_ALL : mode == "cgroup" ? FR_MODE_CGROUP : FR_MODE_PIDS;
    load.ring_bytes = o.Get("ringBytes").As<Napi::Number>().Uint32Value();
    Napi::Array tables = o.Get("tables").As<Napi::Array>();
    for (uint32_t i = 0; i < tables.Length(); i++) {
      std::string name = tables.Get(i).As<Napi::String>().Utf8Value();
      for (const auto& t : fr_tables)
        if (name == t.name) load.tables |= 1u << t.id;
    }
    load.sample_hz = o.Get("sampleHz").As<Napi::Number>().Uint32Value();
    if (o.Has("cgroupPath")) load.cgroup_path = o.Get("cgroupPath").As<Napi::String>().Utf8Value();
    std::string btf = o.Get("btfPath").As<Napi::String>().Utf8Value();
    if (btf != "/sys/kernel/btf/vmlinux") load.btf_path = btf;  // else libbpf finds it
    ConsumerOptions consume;
    consume.batch_rows = o.Get("batchRows").As<Napi::Number>().Uint32Value();
    consume.batch_ns = static_cast<uint64_t>(o.Get("batchMs").As<Napi::Number>().DoubleValue() * 1e6);
    consume.drain_ms = o.Get("drainMs").As<Napi::Number>().Int32Value();
    consume.hold_ns = static_cast<uint64_t>(o.Get("holdMs").As<Napi::Number>().DoubleValue() * 1e6);
    consume.synced = o.Has("synced") && o.Get("synced").ToBoolean();
    consume.hold_for_user = o.Has("snapshot") && o.Get("snapshot").ToBoolean();
    log_capture(o.Get("debug").ToBoolean());
    // The kernel's side of each difference, as probeKernel() found it (JavaScript may turn
    // features off, to try the older kernels' side of bpf/compat.h on this one).
    Napi::Object fo = o.Get("features").As<Napi::Object>();
    Features features;
    features.task_btf = fo.Get("taskBtf").ToBoolean();
    features.task_storage = fo.Get("taskStorage").ToBoolean();
    features.task_pt_regs = fo.Get("taskPtRegs").ToBoolean();
    features.exit_group_dead = fo.Get("exitGroupDead").ToBoolean();
    features.bio_queue_has_queue = fo.Get("bioQueueHasQueue").ToBoolean();
    features.cycles = fo.Get("cycles").ToBoolean();
    guarded(env, [&] { programs_ = std::make_unique<flightrec::Programs>(load, features); });
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "flightrec-consumer", 64, 1);
    consumer_ = std::make_unique<Consumer>(*programs_, consume, [this](Delivery d) {
      bool end = d.kind == Delivery::kEnd;
      tsfn_.BlockingCall(new Delivery(std::move(d)), &Session::Deliver);
      if (end) tsfn_.Release();  // the last call from the consumer thread
    });
  }

  ~Session() { Shutdown(); }

 private:
  // addTarget(tgid): records this process and, from now on, its children.
  Napi::Value AddTarget(const Napi::CallbackInfo& info) {
    uint32_t tgid = info[0].As<Napi::Number>().Uint32Value();
    guarded(info.Env(), [&] { programs_->add_target(tgid); });
    return info.Env().Undefined();
  }

  // writeTo(writer, handedOver: table names, level): before start(), the batches of every table
  // but those go to the writer (a Writer, kept alive here), not to onMessage.
  Napi::Value WriteTo(const Napi::CallbackInfo& info) {
    Napi::Object w = info[0].As<Napi::Object>();
    Napi::Array names = info[1].As<Napi::Array>();
    std::vector<uint8_t> ids;
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      for (const auto& t : fr_tables)
        if (name == t.name) ids.push_back(t.id);
    }
    writer_ref_ = Napi::Persistent(w);
    consumer_->write_to(UnwrapWriter(w), ids, info[2].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }

  // start(): attaches every program and starts draining.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    started_ns_ = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + now.tv_nsec;
    guarded(info.Env(), [&] {
      programs_->attach();
      consumer_->start();
    });
    started_ = true;
    return info.Env().Undefined();
  }

  // stop(): detaches the programs; the consumer drains what is left, hands over the last
  // batches and then the end.
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (programs_) programs_->detach();
    if (consumer_) consumer_->stop();
    return info.Env().Undefined();
  }

  // close(): after the end (or instead of start): frees everything.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    if (programs_) programs_->detach();
    if (consumer_) {
      consumer_->stop();
      consumer_->join();  // a started consumer delivered the end and released the function
      if (!started_) tsfn_.Release();
    }
    consumer_.reset();
    programs_.reset();
  }

  // snapshot(pids, cgroupRoot): a proc row of kind snapshot for each of these processes, from
  // /proc, timed when recording started. Called twice: just before start(), for the processes
  // that end before the second read, and after it, for those that started meanwhile (a process
  // read both times is taken from the second read); the second hands the rows to the consumer,
  // which, with the option `snapshot`, hands nothing over before.
  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    Napi::Array a = info[0].As<Napi::Array>();
    std::string root = info[1].As<Napi::String>().Utf8Value();
    auto records = snapshot_records(Pids(a), started_ns_, root);
    if (!started_) {
      early_snapshot_ = std::move(records);
      return info.Env().Undefined();
    }
    // A process read both times is taken from the second read, unless it was exiting by then
    // and had given up its program (the first read still knew it).
    auto knows_program = [](const std::vector<uint8_t>& r) { return (reinterpret_cast<const fr_header*>(r.data())->flags & FR_PROC_HAS_FILENAME) != 0; };
    std::unordered_map<uint32_t, size_t> read_again;
    for (size_t i = 0; i < records.size(); i++) read_again[reinterpret_cast<const fr_header*>(records[i].data())->pid] = i;
    for (auto& r : early_snapshot_) {
      auto* h = reinterpret_cast<fr_header*>(r.data());
      h->ts = started_ns_;
      auto again = read_again.find(h->pid);
      if (again == read_again.end()) records.push_back(std::move(r));
      else if (!knows_program(records[again->second]) && knows_program(r)) records[again->second] = std::move(r);
    }
    early_snapshot_.clear();
    consumer_->add_user_records(std::move(records));
    return info.Env().Undefined();
  }

  // reserveSeqs(n): the first of n seqs no record has or will have (a BigInt).
  Napi::Value ReserveSeqs(const Napi::CallbackInfo& info) {
    uint64_t n = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
    return Napi::BigInt::New(info.Env(), consumer_ ? consumer_->reserve_seqs(n) : 0);
  }

  // cgroupIds(): the cgroup ids of the proc rows recorded, as decimal strings.
  Napi::Value CgroupIds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env);
    uint32_t i = 0;
    for (uint64_t id : consumer_->cgroup_ids()) a.Set(i++, Napi::String::New(env, std::to_string(id)));
    return a;
  }

  // programs(): [{ name, attach }] of every loaded program, for the manifest.
  Napi::Value Programs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env);
    uint32_t i = 0;
    for (const auto& p : programs_->programs()) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", p.name);
      o.Set("attach", p.attach);
      a.Set(i++, o);
    }
    return a;
  }

  // stats(): before close().
  Napi::Value GetStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Stats& st = consumer_->stats();
    Napi::Object s = Napi::Object::New(env);
    Napi::Object rows = Napi::Object::New(env);
    for (const auto& t : fr_tables) rows.Set(t.name, Napi::Number::New(env, static_cast<double>(st.rows[t.id].load())));
    s.Set("rows", rows);
    s.Set("lost", Napi::Number::New(env, static_cast<double>(st.lost.load())));
    Napi::Object lost_by_table = Napi::Object::New(env);
    for (const auto& t : fr_tables) {
      if (t.id == FR_TABLE_GAP) continue;
      uint64_t n = st.lost_in[FR_LOSS_KEY(t.id)].load();
      if (n) lost_by_table.Set(t.name, Napi::Number::New(env, static_cast<double>(n)));
    }
    s.Set("lostByTable", lost_by_table);
    s.Set("ringBytes", Napi::Number::New(env, static_cast<double>(st.ring_bytes.load())));
    s.Set("malformed", Napi::Number::New(env, static_cast<double>(st.malformed.load())));
    s.Set("batches", Napi::Number::New(env, static_cast<double>(st.batches.load())));
    s.Set("drains", Napi::Number::New(env, static_cast<double>(st.drains.load())));
    s.Set("kernelEvents", Napi::Number::New(env, static_cast<double>(consumer_->kernel_events())));
    return s;
  }

  // On the JS thread: { kind: 'batch', table, rows, columns: [{ validity, nullCount, offsets,
  // data, childOffsets }] } over the native buffers, { kind: 'flushed' } or { kind: 'end' }.
  static void Deliver(Napi::Env env, Napi::Function on_message, Delivery* raw) {
    std::unique_ptr<Delivery> d(raw);
    Napi::Object o = Napi::Object::New(env);
    if (d->kind != Delivery::kBatch) {
      o.Set("kind", d->kind == Delivery::kEnd ? "end" : "flushed");
      on_message.Call({o});
      return;
    }
    Batch& b = *d->batch;
    auto wrap = [&](Buffer& buf) -> Napi::Value {
      if (buf.empty()) return env.Undefined();
      size_t n = buf.size();
      return Napi::ArrayBuffer::New(env, buf.release(), n, [](Napi::Env, void* p) { std::free(p); });
    };
    o.Set("kind", "batch");
    o.Set("table", b.table->name);
    o.Set("rows", Napi::Number::New(env, static_cast<double>(b.rows)));
    Napi::Array cols = Napi::Array::New(env, b.columns.size());
    for (size_t i = 0; i < b.columns.size(); i++) {
      Column& c = b.columns[i];
      Napi::Object col = Napi::Object::New(env);
      col.Set("validity", wrap(c.validity));
      col.Set("nullCount", Napi::Number::New(env, static_cast<double>(c.null_count)));
      col.Set("offsets", wrap(c.offsets));
      col.Set("data", wrap(c.data));
      col.Set("childOffsets", wrap(c.child_offsets));
      cols.Set(i, col);
    }
    o.Set("columns", cols);
    on_message.Call({o});
  }

  std::unique_ptr<flightrec::Programs> programs_;
  std::unique_ptr<Consumer> consumer_;
  Napi::ThreadSafeFunction tsfn_;
  Napi::ObjectReference writer_ref_;  // the Writer the consumer submits to
  bool started_ = false;
  uint64_t started_ns_ = 0;  // CLOCK_MONOTONIC when start() began: the snapshot's time
  std::vector<std::vector<uint8_t>> early_snapshot_;  // the snapshot's first read, before start()
};

std::vector<std::string> Strings(Napi::Array a) {
  std::vector<std::string> v;
  for (uint32_t i = 0; i < a.Length(); i++) v.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return v;
}

// spawnHeld(file, argv, env) -> { pid, gate }
Napi::Value SpawnHeld(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Held h = guarded(env, [&] {
    return spawn_held(info[0].As<Napi::String>().Utf8Value(), Strings(info[1].As<Napi::Array>()), Strings(info[2].As<Napi::Array>()));
  });
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, h.pid));
  o.Set("gate", Napi::Number::New(env, h.gate));
  return o;
}

// release(gate): lets a held child exec.
Napi::Value Release(const Napi::CallbackInfo& info) {
  guarded(info.Env(), [&] { release(info[0].As<Napi::Number>().Int32Value()); });
  return info.Env().Undefined();
}

// reap(pid) -> wait status, or null while the child runs.
Napi::Value Reap(const Napi::CallbackInfo& info) {
  int status = guarded(info.Env(), [&] { return reap(info[0].As<Napi::Number>().Int32Value()); });
  return status < 0 ? info.Env().Null() : Napi::Number::New(info.Env(), status);
}

// sendDatagram(path, buffer)
Napi::Value SendDatagram(const Napi::CallbackInfo& info) {
  auto buf = info[1].As<Napi::Buffer<uint8_t>>();
  guarded(info.Env(), [&] { send_datagram(info[0].As<Napi::String>().Utf8Value(), buf.Data(), buf.Length()); });
  return info.Env().Undefined();
}

// processTree(pids) -> those processes and every one below them, now.
Napi::Value ProcessTree(const Napi::CallbackInfo& info) {
  return PidArray(info.Env(), process_tree(Pids(info[0].As<Napi::Array>())));
}

// cgroupProcesses(path) -> every process in the cgroup or below it, now.
Napi::Value CgroupProcesses(const Napi::CallbackInfo& info) {
  return PidArray(info.Env(), cgroup_processes(info[0].As<Napi::String>().Utf8Value()));
}

// allProcesses() -> every process but this one, now.
Napi::Value AllProcesses(const Napi::CallbackInfo& info) {
  return PidArray(info.Env(), all_processes(getpid()));
}

// probeKernel(btfPath) -> what this kernel offers (kernel_features.h), for doctor.
Napi::Value ProbeKernel(const Napi::CallbackInfo& info) {
  log_capture(false);
  return FeaturesObject(info.Env(), probe_features(info[0].As<Napi::String>().Utf8Value()));
}

// The tables the consumer decodes, with their record sizes: checked against the schema in JS.
Napi::Value Tables(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& t : fr_tables) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", t.name);
    o.Set("id", t.id);
    o.Set("size", t.size);
    Napi::Array cols = Napi::Array::New(env, t.ncols);
    for (uint32_t c = 0; c < t.ncols; c++) cols.Set(c, t.cols[c].name);
    o.Set("columns", cols);
    a.Set(i++, o);
  }
  return a;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", Session::Define(env));
  exports.Set("TableSink", DefineTableSink(env));
  exports.Set("Writer", DefineWriter(env));
  exports.Set("spawnHeld", Napi::Function::New(env, SpawnHeld));
  exports.Set("release", Napi::Function::New(env, Release));
  exports.Set("reap", Napi::Function::New(env, Reap));
  exports.Set("tables", Napi::Function::New(env, Tables));
  exports.Set("sendDatagram", Napi::Function::New(env, SendDatagram));
  exports.Set("probeKernel", Napi::Function::New(env, ProbeKernel));
  exports.Set("processTree", Napi::Function::New(env, ProcessTree));
  exports.Set("cgroupProcesses", Napi::Function::New(env, CgroupProcesses));
  exports.Set("allProcesses", Napi::Function::New(env, AllProcesses));
  exports.Set("libbpfVersion", Napi::String::New(env, std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version())));
  return exports;
}

}  // namespace
}  // namespace flightrec_addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return flightrec_addon::Init(env, exports); }

NODE_API_MODULE(flightrec, InitModule)
