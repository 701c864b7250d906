#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace flightrec {

size_t WriteBatch::bytes() const {
  size_t n = 0;
  for (const BodyPart& p : parts) n += p.n;
  return n;
}

Writer::Writer(std::map<std::string, TableFormat> tables, size_t max_batches_per_file, size_t budget_bytes)
    : tables_(std::move(tables)), max_batches_(max_batches_per_file), budget_(budget_bytes) {
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  close();
  for (Job& j : queue_)
    if (j.kind == Job::kOpen) ::close(j.dir_fd);
}

void Writer::push(Job j) {
  queue_.push_back(std::move(j));
  queued_jobs_++;
  wake_.notify_one();
}

void Writer::open(int dir_fd, std::string name, std::string display) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_) {
    ::close(dir_fd);
    return;
  }
  queued_batches_.clear();
  open_max_batches_ = 0;
  queued_open_ = true;
  queued_opens_++;
  Job j{Job::kOpen};
  j.dir_fd = dir_fd;
  j.name = std::move(name);
  j.display = std::move(display);
  push(std::move(j));
}

void Writer::submit(WriteBatch b) {
  std::unique_lock<std::mutex> lock(mu_);
  const size_t bytes = b.bytes();
  // A batch waits for room, unless the queue is empty: one larger than the budget still goes.
  done_.wait(lock, [&] { return queued_bytes_ == 0 || queued_bytes_ + bytes <= budget_ || error_ || closing_; });
  if (!error_ && !closing_) {
    if (!queued_open_) {
      error_ = Error("a batch of table " + b.table + " was given with no segment open", EINVAL);
    } else if (!tables_.count(b.table)) {
      error_ = Error("a batch of unknown table " + b.table + " was given", EINVAL);
    } else {
      uint64_t& n = queued_batches_[b.table];
      // The format layer seals a segment well before (readers refuse a file with more).
      if (n >= max_batches_) error_ = Error(b.table + ".arrow reached " + std::to_string(max_batches_) + " batches before its segment was sealed", EFBIG);
      else n++;
    }
  }
  if (error_ || closing_) {
    rows_not_written_ += b.rows;
    return;
  }
  open_max_batches_ = std::max(open_max_batches_, queued_batches_[b.table]);
  queued_bytes_ += bytes;
  Job j{Job::kBatch, bytes};
  j.batch = std::move(b);
  push(std::move(j));
}

void Writer::seal() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_ || !queued_open_) return;
  queued_open_ = false;
  queued_batches_.clear();
  open_max_batches_ = 0;
  push(Job{Job::kSeal});
}

void Writer::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = queued_jobs_;
  done_.wait(lock, [&] { return done_jobs_ >= target; });
}

std::vector<SealedSegment> Writer::take_sealed() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SealedSegment> out;
  out.swap(sealed_);
  sealed_bytes_ = 0;
  return out;
}

std::optional<Error> Writer::error() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void Writer::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  wake_.notify_all();
  done_.notify_all();
  if (thread_.joinable()) thread_.join();
  segment_.reset();
}

Writer::Stats Writer::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t open = queued_open_ && done_opens_ == queued_opens_ ? open_bytes_ : 0;
  return {sealed_bytes_ + open_bytes_, open, open_max_batches_, queued_bytes_, rows_not_written_};
}

Writer::Segment::~Segment() {
  files.clear();  // each sink closes its file
  if (dir_fd >= 0) ::close(dir_fd);
}

// Jobs are done in the order queued, the lock released meanwhile. Once a write failed, nothing
// more is written: batches are counted as not written, and the open segment's files are closed
// as they are (no end marker: `flightrec seal` cuts them after their last whole message).
void Writer::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return !queue_.empty() || closing_; });
    if (queue_.empty()) return;
    Job j = std::move(queue_.front());
    queue_.pop_front();
    const bool broken = error_.has_value();
    lock.unlock();
    uint64_t not_written = 0;
    try {
      if (broken) {
        if (j.kind == Job::kOpen) ::close(j.dir_fd);
        else if (j.kind == Job::kSeal) segment_.reset();
        else not_written = j.batch.rows;
      } else if (j.kind == Job::kOpen) {
        do_open(j);
      } else if (j.kind == Job::kBatch) {
        not_written = j.batch.rows;
        do_batch(j.batch);
        not_written = 0;
      } else {
        do_seal();
      }
    } catch (const Error& e) {
      failed(e);
    }
    j.batch = WriteBatch{};  // its memory is given back outside the lock
    lock.lock();
    rows_not_written_ += not_written;
    queued_bytes_ -= j.bytes;
    done_jobs_++;
    done_.notify_all();
  }
}

void Writer::failed(const Error& e) {
  segment_.reset();
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_) error_ = e;
}

void Writer::do_open(Job& j) {
  if (segment_) do_seal();
  segment_ = std::make_unique<Segment>();
  segment_->dir_fd = j.dir_fd;
  segment_->name = std::move(j.name);
  segment_->display = std::move(j.display);
  std::lock_guard<std::mutex> lock(mu_);
  done_opens_++;
}

void Writer::do_batch(WriteBatch& b) {
  const TableFormat& format = tables_.at(b.table);
  auto it = segment_->files.find(b.table);
  if (it == segment_->files.end()) {
    // Made new, never through a link: the directory is the recording's own (opened by the
    // format layer's confined directory), the name fixed.
    const std::string file = b.table + ".arrow";
    int fd = ::openat(segment_->dir_fd, file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0) fail("creating " + segment_->display + "/" + file, errno);
    it = segment_->files.emplace(b.table, std::make_unique<TableSink>(fd, segment_->display + "/" + file, format.schema, format.ts_part)).first;
  }
  TableSink& sink = *it->second;
  const uint64_t before = sink.bytes();
  sink.append(b.rows, b.nodes, b.parts, b.level);
  std::lock_guard<std::mutex> lock(mu_);
  open_bytes_ += sink.bytes() - before;
}

void Writer::do_seal() {
  if (!segment_) return;
  SealedSegment s{segment_->name, {}};
  uint64_t bytes = 0;
  for (auto& [table, sink] : segment_->files) {  // by table name
    TableSink::Ended e = sink->end();
    s.tables.push_back({table, table + ".arrow", sink->rows(), sink->batches(), e.bytes, sink->raw_bytes(), sink->first_ts(), sink->last_ts(), e.sha256});
    bytes += e.bytes;
  }
  if (::fsync(segment_->dir_fd) != 0) fail("fsync " + segment_->display, errno);
  segment_.reset();
  std::lock_guard<std::mutex> lock(mu_);
  sealed_.push_back(std::move(s));
  sealed_bytes_ += bytes;
  open_bytes_ = 0;
}

void batch_parts(const Batch& b, std::vector<FieldNode>& nodes, std::vector<BodyPart>& parts) {
  const int64_t rows = static_cast<int64_t>(b.rows);
  auto part = [&](const Buffer& buf) { parts.push_back({buf.data(), buf.size()}); };
  for (size_t i = 0; i < b.columns.size(); i++) {
    const Column& c = b.columns[i];
    nodes.push_back({rows, c.null_count});
    part(c.validity);
    switch (b.table->cols[i].kind) {
      case FR_COL_INT:
      case FR_COL_BOOL:
      case FR_COL_BYTES:
        part(c.data);
        break;
      case FR_COL_CHARS:
      case FR_COL_STR:
        part(c.offsets);
        part(c.data);
        break;
      case FR_COL_STRS: {
        // list<utf8>: the list's offsets, then its child (no nulls): offsets and data.
        int32_t items = 0;
        if (c.offsets.size() >= static_cast<size_t>(rows + 1) * 4) std::memcpy(&items, c.offsets.data() + rows * 4, 4);
        part(c.offsets);
        nodes.push_back({items, 0});
        parts.push_back({nullptr, 0});
        part(c.child_offsets);
        part(c.data);
        break;
      }
    }
  }
}

}  // namespace flightrec
