#include "table_sink.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace flightrec {
namespace {

// Arrow's end-of-stream marker: continuation, then a zero metadata length.
const uint8_t kEndOfStream[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};

}  // namespace

// SHA-256 is Node's own OpenSSL (EVP_*, resolved from the node binary): what node:crypto uses.
TableSink::TableSink(int fd, std::string file, std::vector<uint8_t> schema, int ts_part)
    : fd_(fd), file_(std::move(file)), schema_(std::move(schema)), ts_part_(ts_part), md_(EVP_MD_CTX_new()) {
  if (!md_ || EVP_DigestInit_ex(md_, EVP_sha256(), nullptr) != 1) {
    close_fd();
    EVP_MD_CTX_free(md_);
    fail("SHA-256 for " + file_, ENOMEM);
  }
}

TableSink::~TableSink() {
  close_fd();
  EVP_MD_CTX_free(md_);
}

void TableSink::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TableSink::broke(const std::string& what, int err) {
  broken_ = true;
  close_fd();
  try {
    fail(what + " " + file_, err);
  } catch (const Error& e) {
    error_ = e;
    throw;
  }
}

void TableSink::append(int64_t rows, const std::vector<FieldNode>& nodes, const std::vector<BodyPart>& parts, int level) {
  if (broken_) throw error_;
  encode_record_batch(rows, nodes, parts, level, zstd_, msg_);
  if (batches_ == 0) msg_.iov.insert(msg_.iov.begin(), {schema_.data(), schema_.size()});
  write(msg_.iov);
  rows_ += rows;
  batches_++;
  raw_bytes_ += msg_.raw_bytes;
  if (ts_part_ < 0 || static_cast<size_t>(ts_part_) >= parts.size()) return;
  const BodyPart& ts = parts[ts_part_];
  const size_t n = std::min<size_t>(ts.n / 8, static_cast<size_t>(rows));
  for (size_t i = 0; i < n; i++) {
    uint64_t v;
    std::memcpy(&v, ts.p + i * 8, 8);
    if (!first_ts_ || v < *first_ts_) first_ts_ = v;
    if (!last_ts_ || v > *last_ts_) last_ts_ = v;
  }
}

// One writev for the whole message; a short one (a full disk, a file size limit) is retried
// for the rest, which gives the errno.
void TableSink::write(std::vector<iovec>& iov) {
  for (const iovec& v : iov) {
    EVP_DigestUpdate(md_, v.iov_base, v.iov_len);
    bytes_ += v.iov_len;
  }
  size_t at = 0;
  while (at < iov.size()) {
    ssize_t n = ::writev(fd_, &iov[at], static_cast<int>(std::min<size_t>(iov.size() - at, IOV_MAX)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) broke("write", errno);
    if (n == 0) broke("write", EIO);
    for (size_t left = static_cast<size_t>(n); left > 0;) {
      size_t k = std::min(left, iov[at].iov_len);
      iov[at].iov_base = static_cast<uint8_t*>(iov[at].iov_base) + k;
      iov[at].iov_len -= k;
      left -= k;
      if (iov[at].iov_len == 0) at++;
    }
    while (at < iov.size() && iov[at].iov_len == 0) at++;
  }
}

TableSink::Ended TableSink::end() {
  if (broken_) throw error_;
  std::vector<iovec> eos{{const_cast<uint8_t*>(kEndOfStream), sizeof kEndOfStream}};
  write(eos);
  if (::fsync(fd_) != 0) broke("fsync", errno);
  close_fd();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md_, digest, &len);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; i++) out += {hex[digest[i] >> 4], hex[digest[i] & 15]};
  return {bytes_, out};
}

}  // namespace flightrec
