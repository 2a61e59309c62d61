#include "common/fs/env.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "common/status/status_macros.h"

namespace fairtrace::fs {

Env* Env::Default() {
  static Env* env = new Env();
  return env;
}

absl::StatusOr<Fd> Env::OpenFile(const std::filesystem::path& path, int flags, int mode) {
  FT_RETURN_IF_ERROR(Before(Op::kOpen, path, nullptr));
  return fs::OpenFile(path, flags, mode);
}

absl::Status Env::WriteAll(int fd, absl::string_view data, const std::filesystem::path& path) {
  size_t len = data.size();
  absl::Status fault = Before(Op::kWrite, path, &len);
  if (!fault.ok()) data = data.substr(0, std::min(len, data.size()));  // a short write, then the fault
  FT_RETURN_IF_ERROR(fs::WriteAll(fd, data, path));
  return fault;
}

absl::Status Env::PWriteAll(int fd, absl::string_view data, int64_t offset, const std::filesystem::path& path) {
  size_t len = data.size();
  absl::Status fault = Before(Op::kWrite, path, &len);
  if (!fault.ok()) data = data.substr(0, std::min(len, data.size()));
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoStatus("cannot write", path);
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return fault;
}

absl::Status Env::SyncFd(int fd, const std::filesystem::path& path) {
  FT_RETURN_IF_ERROR(Before(Op::kSync, path, nullptr));
  return fs::SyncFd(fd, path);
}

absl::Status Env::SyncDir(const std::filesystem::path& dir) {
  FT_RETURN_IF_ERROR(Before(Op::kSyncDir, dir, nullptr));
  return fs::SyncDir(dir);
}

absl::Status Env::Rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  FT_RETURN_IF_ERROR(Before(Op::kRename, to, nullptr));
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("cannot rename to", to);
  return absl::OkStatus();
}

}  // namespace fairtrace::fs
