// AppendWriter: appends a stream of bytes to a file through a 4 MiB
// aligned buffer written with O_DIRECT, bypassing the page cache.
//
// Why: for large uploads the server's write() into the page cache plus the
// final sync cost more than hashing (measured on this machine kind: direct
// writes run at a steady ~970 MB/s, buffered writes with fdatasync between
// 355 MB/s and 1 GB/s). Where the filesystem refuses O_DIRECT (tmpfs), it
// falls back to buffered writes with early writeback.
//
// Write-behind: a full buffer is written by a helper thread while the
// caller fills a second one, so the direct write's wait for the device
// overlaps receiving and hashing the next bytes (100 MiB through the MLflow
// door: bench/mlflow_door_bench). At most one write is in flight; its error
// is returned by the next Append or Flush, and by every call after it (the
// writer is then broken: bytes after the failed block never reach the file).
//
// File size: only Flush() makes the file size equal to size(); before that
// up to 8 MiB of appended bytes may sit in the buffers. A process crash
// loses them and the file keeps a shorter, correct prefix — which is exactly
// what a resumable upload reports as committed.
//
// Not thread-safe. Does not own `fd` (a buffered descriptor of `path`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/fs/env.h"
#include "common/fs/fs_util.h"

namespace fairtrace {

class AppendWriter {
 public:
  // Sees every appended byte once, in order, in pieces; bytes on disk
  // before Open are not shown. In direct mode it runs on the write-behind
  // thread for each full block (so a hash of the stream is computed beside
  // the caller's receiving) and on the caller's thread in Flush; after
  // Flush returns it has seen everything appended.
  using Observer = std::function<void(absl::string_view)>;

  // `file_size` is the file's current size; appends continue there.
  // Writes go through `env` (common/fs/env.h), which must outlive it.
  static absl::StatusOr<std::unique_ptr<AppendWriter>> Open(const std::filesystem::path& path, int fd,
                                                            int64_t file_size, fs::Env* env = fs::Env::Default(),
                                                            Observer observer = nullptr);
  ~AppendWriter();

  absl::Status Append(absl::string_view data);
  // Writes every buffered byte; afterwards the file size equals size().
  absl::Status Flush();
  int64_t size() const { return buf_start_ + static_cast<int64_t>(buf_len_); }
  bool direct() const { return direct_fd_.valid(); }

 private:
  AppendWriter(std::filesystem::path path, int fd, fs::Env* env) : path_(std::move(path)), fd_(fd), env_(env) {}
  // Waits for the write in flight, if any, and returns its status.
  absl::Status WaitForWrite();

  std::filesystem::path path_;
  int fd_;
  fs::Env* env_;
  fs::Fd direct_fd_;
  char* buf_ = nullptr;    // kBufferBytes, aligned (direct mode only)
  char* spare_ = nullptr;  // the other buffer: being written, or free
  std::future<absl::Status> in_flight_;
  absl::Status broken_;  // the first failed write-behind
  Observer observer_;
  size_t unobserved_ = 0;  // bytes at the start of buf_ the observer has seen or must not see
  int64_t buf_start_ = 0;  // file offset of buf_[0]; aligned in direct mode
  size_t buf_len_ = 0;
  int64_t writeback_from_ = 0;  // buffered mode: writeback started below this
};

}  // namespace fairtrace
