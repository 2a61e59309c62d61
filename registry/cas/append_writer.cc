#include "registry/cas/append_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace fairtrace {
namespace {

constexpr int64_t kAlign = 4096;
constexpr size_t kBufferBytes = 4 << 20;
constexpr int64_t kWritebackChunk = 16 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<AppendWriter>> AppendWriter::Open(const std::filesystem::path& path, int fd,
                                                                 int64_t file_size, fs::Env* env) {
  std::unique_ptr<AppendWriter> w(new AppendWriter(path, fd, env));
  auto direct = fs::OpenFile(path, O_WRONLY | O_DIRECT);
  void* mem = nullptr;
  if (direct.ok() && ::posix_memalign(&mem, kAlign, kBufferBytes) == 0) {
    w->direct_fd_ = *std::move(direct);
    w->buf_ = static_cast<char*>(mem);
    // Direct writes start at an aligned offset: keep the unaligned tail of
    // what is on disk in the buffer; it is rewritten with the next block.
    w->buf_start_ = file_size & ~(kAlign - 1);
    w->buf_len_ = static_cast<size_t>(file_size - w->buf_start_);
    size_t got = 0;
    while (got < w->buf_len_) {
      ssize_t n = ::pread(fd, w->buf_ + got, w->buf_len_ - got, w->buf_start_ + static_cast<int64_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fs::ErrnoStatus("cannot read", path);
      got += static_cast<size_t>(n);
    }
  } else {
    w->buf_start_ = file_size;
    w->writeback_from_ = file_size;
  }
  return w;
}

AppendWriter::~AppendWriter() { std::free(buf_); }

absl::Status AppendWriter::Append(absl::string_view data) {
  if (!direct()) {
    FT_RETURN_IF_ERROR(env_->PWriteAll(fd_, absl::string_view(data.data(), data.size()), buf_start_, path_));
    buf_start_ += static_cast<int64_t>(data.size());
    // Start writeback early so the final sync has little left to do.
    if (buf_start_ - writeback_from_ >= kWritebackChunk) {
      ::sync_file_range(fd_, writeback_from_, buf_start_ - writeback_from_, SYNC_FILE_RANGE_WRITE);
      writeback_from_ = buf_start_;
    }
    return absl::OkStatus();
  }
  while (!data.empty()) {
    size_t n = std::min(data.size(), kBufferBytes - buf_len_);
    std::memcpy(buf_ + buf_len_, data.data(), n);
    buf_len_ += n;
    data.remove_prefix(n);
    if (buf_len_ == kBufferBytes) {
      FT_RETURN_IF_ERROR(env_->PWriteAll(direct_fd_.get(), absl::string_view(buf_, kBufferBytes), buf_start_, path_));
      buf_start_ += static_cast<int64_t>(kBufferBytes);
      buf_len_ = 0;
    }
  }
  return absl::OkStatus();
}

absl::Status AppendWriter::Flush() {
  if (!direct() || buf_len_ == 0) return absl::OkStatus();
  size_t aligned = buf_len_ & ~static_cast<size_t>(kAlign - 1);
  if (aligned > 0)
    FT_RETURN_IF_ERROR(env_->PWriteAll(direct_fd_.get(), absl::string_view(buf_, aligned), buf_start_, path_));
  size_t rest = buf_len_ - aligned;
  if (rest > 0) {
    FT_RETURN_IF_ERROR(env_->PWriteAll(fd_, absl::string_view(buf_ + aligned, rest),
                                       buf_start_ + static_cast<int64_t>(aligned), path_));
  }
  // Keep the unaligned tail buffered: the next direct write starts at its
  // aligned offset and rewrites it.
  std::memmove(buf_, buf_ + aligned, rest);
  buf_start_ += static_cast<int64_t>(aligned);
  buf_len_ = rest;
  return absl::OkStatus();
}

}  // namespace fairtrace
