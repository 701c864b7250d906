// A recording's write path off the JavaScript thread: one thread that takes jobs in order from
// a queue — open a segment, append a batch to a table's file, seal the segment — and does the
// work (Arrow IPC encoding, zstd, SHA-256, writev, fsync) with one TableSink per table file.
// The consumer thread submits the batches of the tables JavaScript does not look at; JavaScript
// submits everything else and decides when segments open and seal (the format layer keeps the
// manifest). One queue keeps every producer's batches in the order they were given, per file.
// Plain C++: no N-API (writer_js.cc is its glue).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "batch.h"
#include "error.h"
#include "ipc_message.h"
#include "table_sink.h"

namespace flightrec {

// How a table's files are written: its framed schema message, and which body part holds the
// ts column's values (uint64, one per row), for the file's time range (-1: no ts column).
struct TableFormat {
  std::vector<uint8_t> schema;
  int ts_part = -1;
};

// A batch to write: its rows, field nodes and body parts in schema order, and what keeps the
// parts' memory alive (a consumer batch, or copies of a JavaScript batch's buffers).
struct WriteBatch {
  std::string table;
  int64_t rows = 0;
  std::vector<FieldNode> nodes;
  std::vector<BodyPart> parts;
  int level = kStored;
  std::unique_ptr<Batch> batch;
  std::vector<std::vector<uint8_t>> copies;
  size_t bytes() const;
};

// The manifest entry of one table file of a sealed segment.
struct SealedTable {
  std::string table, file;
  uint64_t rows = 0, batches = 0, bytes = 0, raw_bytes = 0;
  std::optional<uint64_t> first_ts, last_ts;
  std::string sha256;
};

struct SealedSegment {
  std::string name;
  std::vector<SealedTable> tables;  // by table name
};

class Writer {
 public:
  // `tables` by name; a file never gets more than `max_batches_per_file` batches (readers refuse
  // more: the format layer seals before); submitters wait while more than `budget_bytes` of
  // batches are queued.
  Writer(std::map<std::string, TableFormat> tables, size_t max_batches_per_file, size_t budget_bytes);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Batches given from now on go to a new segment in the directory `dir_fd` (taken over),
  // named `name`; `display` names it in errors. A segment still open is sealed first.
  void open(int dir_fd, std::string name, std::string display);
  // Queues a batch for the open segment; waits while the queue is over its budget. After a
  // write failed, its rows are counted as not written instead.
  void submit(WriteBatch b);
  // The open segment: its files are ended (end-of-stream, fsync, close), the directory fsync'd,
  // and its entry kept for take_sealed(). No-op without one.
  void seal();
  // Waits until every job queued before the call is done.
  void drain();
  // Segments sealed since the last call, in order.
  std::vector<SealedSegment> take_sealed();
  // The first write failure, if one happened (the recording's files are then left for
  // `flightrec seal`).
  std::optional<Error> error();
  // Ends the thread once the queue is done.
  void close();

  struct Stats {
    uint64_t unsealed_bytes;  // bytes written to segments not yet taken (the open one included)
    uint64_t open_bytes;      // bytes written to the open segment
    uint64_t open_max_batches;  // the most batches a file of the open segment has (written or queued)
    uint64_t queued_bytes;    // batches waiting to be written
    uint64_t rows_not_written;
  };
  Stats stats();

 private:
  struct Job {
    enum Kind { kOpen, kBatch, kSeal } kind;
    size_t bytes = 0;  // a batch's, counted in queued_bytes_ until it is done
    int dir_fd = -1;
    std::string name, display;
    WriteBatch batch;
  };
  struct Segment {
    int dir_fd = -1;
    std::string name, display;
    std::map<std::string, std::unique_ptr<TableSink>> files;
    ~Segment();
  };

  void push(Job j);
  void run();
  void do_open(Job& j);
  void do_batch(WriteBatch& b);
  void do_seal();
  void failed(const Error& e);

  const std::map<std::string, TableFormat> tables_;
  const size_t max_batches_;
  const size_t budget_;

  std::mutex mu_;
  std::condition_variable wake_;   // the thread: a job is queued, or closing
  std::condition_variable done_;   // submitters and drain(): a job is done
  std::deque<Job> queue_;
  uint64_t queued_jobs_ = 0, done_jobs_ = 0;
  size_t queued_bytes_ = 0;
  bool closing_ = false;
  // The segment open as jobs are queued (for the batch count a submitter sees) and as they are
  // done (the thread's own).
  std::map<std::string, uint64_t> queued_batches_;
  bool queued_open_ = false;
  uint64_t open_max_batches_ = 0;
  uint64_t rows_not_written_ = 0;
  std::optional<Error> error_;
  std::vector<SealedSegment> sealed_;
  uint64_t sealed_bytes_ = 0;  // bytes of the segments in sealed_
  uint64_t open_bytes_ = 0;    // bytes written to the segment the thread writes
  // Segments opened as jobs are queued, and as the thread does them: until the thread reaches
  // the segment opened last, that one has no bytes written (open_bytes_ are an older one's).
  uint64_t queued_opens_ = 0, done_opens_ = 0;

  std::unique_ptr<Segment> segment_;  // the thread's
  std::thread thread_;
};

// The body parts and field nodes of a consumer batch, in schema order (what apache-arrow's
// VectorAssembler gives for the same columns in JavaScript).
void batch_parts(const Batch& b, std::vector<FieldNode>& nodes, std::vector<BodyPart>& parts);

}  // namespace flightrec
