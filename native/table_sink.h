// One table file of a segment: its Arrow IPC stream written one message per writev (the schema
// goes out with the first batch, so no file is ever schema-only), hashed (SHA-256) as the bytes
// go out, ended with the end-of-stream marker. A failed write breaks the file for good: nothing
// more is written to it and no end marker, so `flightrec seal` cuts it after its last whole message.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "error.h"
#include "ipc_message.h"

namespace flightrec {

class TableSink {
 public:
  // Takes `fd`, a new empty file opened for writing; `file` names it in errors; `schema` is
  // the framed schema message; `ts_part` the body part holding the ts column's values (uint64,
  // one per row), for the file's time range (-1: the table has no ts).
  TableSink(int fd, std::string file, std::vector<uint8_t> schema, int ts_part);
  TableSink(const TableSink&) = delete;
  TableSink& operator=(const TableSink&) = delete;
  ~TableSink();

  // Encodes a batch (ipc_message.h) and writes it. Throws the file's error once it is broken.
  void append(int64_t rows, const std::vector<FieldNode>& nodes, const std::vector<BodyPart>& parts, int level);

  struct Ended {
    uint64_t bytes;
    std::string sha256;  // hex
  };
  // Writes the end-of-stream marker, fsyncs and closes the file.
  Ended end();

  uint64_t rows() const { return rows_; }
  uint64_t batches() const { return batches_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t raw_bytes() const { return raw_bytes_; }
  // The least and greatest ts written (none without a ts column or rows).
  const std::optional<uint64_t>& first_ts() const { return first_ts_; }
  const std::optional<uint64_t>& last_ts() const { return last_ts_; }

 private:
  void write(std::vector<iovec>& iov);
  [[noreturn]] void broke(const std::string& what, int err);
  void close_fd();

  int fd_;
  std::string file_;
  std::vector<uint8_t> schema_;
  int ts_part_;
  std::optional<uint64_t> first_ts_, last_ts_;
  EVP_MD_CTX* md_;
  Compressor zstd_;
  IpcMessage msg_;
  uint64_t rows_ = 0, batches_ = 0, bytes_ = 0, raw_bytes_ = 0;
  bool broken_ = false;
  Error error_{"", 0};
};

}  // namespace flightrec
