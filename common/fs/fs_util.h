// Small POSIX file helpers shared by the blob store: every I/O error becomes
// an absl::Status naming the path and errno text. Thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace fairtrace::fs {

// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

absl::Status ErrnoStatus(absl::string_view what, const std::filesystem::path& path);
absl::StatusOr<Fd> OpenFile(const std::filesystem::path& path, int flags, int mode = 0600);
absl::Status WriteAll(int fd, absl::string_view data, const std::filesystem::path& path);
absl::Status SyncFd(int fd, const std::filesystem::path& path);
// fsync of a directory, so renames and creations in it are durable.
absl::Status SyncDir(const std::filesystem::path& dir);
// syncfs(2): flushes the whole filesystem holding `path` in one call.
absl::Status SyncFilesystem(const std::filesystem::path& path);
// A random name of 32 hex characters (for temp files).
std::string RandomName();

}  // namespace fairtrace::fs
