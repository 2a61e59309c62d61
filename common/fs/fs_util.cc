#include "common/fs/fs_util.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/content/sha256.h"

namespace fairtrace::fs {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status ErrnoStatus(absl::string_view what, const std::filesystem::path& path) {
  int e = errno;
  std::string msg = absl::StrCat(what, " ", path.string(), ": ", std::strerror(e));
  if (e == ENOENT) return absl::NotFoundError(msg);
  if (e == ENOSPC || e == EDQUOT) return absl::ResourceExhaustedError(msg);
  if (e == EEXIST) return absl::AlreadyExistsError(msg);
  if (e == EACCES || e == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

absl::StatusOr<Fd> OpenFile(const std::filesystem::path& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  return Fd(fd);
}

absl::Status WriteAll(int fd, absl::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncFd(int fd, const std::filesystem::path& path) {
  if (::fdatasync(fd) != 0) return ErrnoStatus("cannot sync", path);
  return absl::OkStatus();
}

absl::Status SyncDir(const std::filesystem::path& dir) {
  auto fd = OpenFile(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  if (::fsync(fd->get()) != 0) return ErrnoStatus("cannot sync folder", dir);
  return absl::OkStatus();
}

absl::Status SyncFilesystem(const std::filesystem::path& path) {
  auto fd = OpenFile(path, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  if (::syncfs(fd->get()) != 0) return ErrnoStatus("cannot sync filesystem of", path);
  return absl::OkStatus();
}

std::string RandomName() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();
  return ToHex(b, sizeof b);
}

}  // namespace fairtrace::fs
