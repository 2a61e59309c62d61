#include "registry/cas/append_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace fairtrace {
namespace {

constexpr int64_t kAlign = 4096;
constexpr size_t kBufferBytes = 4 << 20;
constexpr int64_t kWritebackChunk = 16 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<AppendWriter>> AppendWriter::Open(const std::filesystem::path& path, int fd,
                                                                 int64_t file_size, fs::Env* env, Observer observer) {
  std::unique_ptr<AppendWriter> w(new AppendWriter(path, fd, env));
  w->observer_ = std::move(observer);
  auto direct = fs::OpenFile(path, O_WRONLY | O_DIRECT);
  void* mem = nullptr;
  void* spare = nullptr;
  if (direct.ok() && ::posix_memalign(&mem, kAlign, kBufferBytes) == 0 &&
      ::posix_memalign(&spare, kAlign, kBufferBytes) == 0) {
    w->direct_fd_ = *std::move(direct);
    w->buf_ = static_cast<char*>(mem);
    w->spare_ = static_cast<char*>(spare);
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
    w->unobserved_ = w->buf_len_;  // on disk before Open
  } else {
    std::free(mem);
    w->buf_start_ = file_size;
    w->writeback_from_ = file_size;
  }
  return w;
}

AppendWriter::~AppendWriter() {
  (void)WaitForWrite();
  std::free(buf_);
  std::free(spare_);
}

absl::Status AppendWriter::WaitForWrite() {
  if (in_flight_.valid()) broken_.Update(in_flight_.get());
  return broken_;
}

absl::Status AppendWriter::Append(absl::string_view data) {
  FT_RETURN_IF_ERROR(broken_);
  if (!direct()) {
    broken_ = env_->PWriteAll(fd_, absl::string_view(data.data(), data.size()), buf_start_, path_);
    FT_RETURN_IF_ERROR(broken_);
    if (observer_) observer_(data);
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
      // The spare buffer is free once the previous write is done; this one
      // is then written behind while the caller fills the spare.
      FT_RETURN_IF_ERROR(WaitForWrite());
      auto write = [env = env_, fd = direct_fd_.get(), buf = buf_, at = buf_start_, path = &path_,
                    observer = observer_ ? &observer_ : nullptr, skip = unobserved_] {
        if (observer != nullptr) (*observer)(absl::string_view(buf + skip, kBufferBytes - skip));
        return env->PWriteAll(fd, absl::string_view(buf, kBufferBytes), at, *path);
      };
      unobserved_ = 0;
      try {
        in_flight_ = std::async(std::launch::async, write);
      } catch (const std::system_error&) {  // no thread to be had: write it here
        broken_ = write();
        FT_RETURN_IF_ERROR(broken_);
      }
      std::swap(buf_, spare_);
      buf_start_ += static_cast<int64_t>(kBufferBytes);
      buf_len_ = 0;
    }
  }
  return absl::OkStatus();
}

absl::Status AppendWriter::Flush() {
  if (!direct()) return broken_;
  FT_RETURN_IF_ERROR(WaitForWrite());
  if (buf_len_ == 0) return absl::OkStatus();
  if (observer_ && buf_len_ > unobserved_) observer_(absl::string_view(buf_ + unobserved_, buf_len_ - unobserved_));
  size_t aligned = buf_len_ & ~static_cast<size_t>(kAlign - 1);
  if (aligned > 0) broken_ = env_->PWriteAll(direct_fd_.get(), absl::string_view(buf_, aligned), buf_start_, path_);
  size_t rest = buf_len_ - aligned;
  if (rest > 0 && broken_.ok()) {
    broken_ = env_->PWriteAll(fd_, absl::string_view(buf_ + aligned, rest), buf_start_ + static_cast<int64_t>(aligned),
                              path_);
  }
  FT_RETURN_IF_ERROR(broken_);
  // Keep the unaligned tail buffered: the next direct write starts at its
  // aligned offset and rewrites it.
  std::memmove(buf_, buf_ + aligned, rest);
  buf_start_ += static_cast<int64_t>(aligned);
  buf_len_ = rest;
  unobserved_ = rest;  // seen above
  return absl::OkStatus();
}

}  // namespace fairtrace
