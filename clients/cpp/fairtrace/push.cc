#include "clients/cpp/fairtrace/push.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/fairtrace/progress.h"
#include "common/content/sha256.h"
#include "common/fs/fs_util.h"
#include "common/status/status_macros.h"

namespace fairtrace::client {
namespace {

namespace stdfs = std::filesystem;

// Upper bound of a BatchUpdateBlobs entry's bytes besides its data: the
// digest (64 hex + size) and protobuf framing.
constexpr int64_t kPerBlobOverhead = 128;

absl::StatusOr<std::string> ReadSmallFile(const stdfs::path& path, int64_t size) {
  FT_ASSIGN_OR_RETURN(fs::Fd fd, fs::OpenFile(path, O_RDONLY));
  std::string buf(static_cast<size_t>(size), '\0');
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::ErrnoStatus("cannot read", path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != buf.size()) {
    return absl::FailedPreconditionError(absl::StrCat(path.string(), " changed while pushing"));
  }
  return buf;
}

// Uploads blobs the server lacks: small ones batched, large ones streamed.
class Uploader {
 public:
  Uploader(CasClient& client, Progress& progress, PushResult& result, int64_t threshold)
      : client_(client), progress_(progress), result_(result), threshold_(threshold) {}

  absl::Status Add(const stdfs::path& path, const Digest& d) {
    result_.uploaded_blobs++;
    result_.uploaded_bytes += d.size_bytes;
    if (d.size_bytes > threshold_) {
      return client_.UploadFile(path, d, [this](int64_t n) { progress_.Add(n); });
    }
    // Each blob costs its bytes plus its digest and framing in the message.
    int64_t cost = d.size_bytes + kPerBlobOverhead;
    if (batch_bytes_ + cost > client_.batch_bytes_limit() || batch_.size() >= 5000) {
      FT_RETURN_IF_ERROR(Flush());
    }
    FT_ASSIGN_OR_RETURN(std::string data, ReadSmallFile(path, d.size_bytes));
    if (DigestOf(data) != d) {
      return absl::FailedPreconditionError(absl::StrCat(path.string(), " changed while pushing"));
    }
    batch_bytes_ += cost;
    batch_data_bytes_ += d.size_bytes;
    batch_.emplace_back(d, std::move(data));
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (batch_.empty()) return absl::OkStatus();
    FT_RETURN_IF_ERROR(client_.UploadBatch(batch_));
    progress_.Add(batch_data_bytes_);
    batch_.clear();
    batch_bytes_ = 0;
    batch_data_bytes_ = 0;
    return absl::OkStatus();
  }

 private:
  CasClient& client_;
  Progress& progress_;
  PushResult& result_;
  int64_t threshold_;
  std::vector<std::pair<Digest, std::string>> batch_;
  int64_t batch_bytes_ = 0;       // message cost, data plus overhead
  int64_t batch_data_bytes_ = 0;  // data only, for progress
};

absl::Status UploadBytes(CasClient& client, const Digest& d, const std::string& bytes) {
  if (d.size_bytes <= client.batch_bytes_limit()) return client.UploadBatch({{d, bytes}});
  return client.UploadStream(
      NewUploadId(), d, 0, [&](int64_t off, size_t n) -> absl::StatusOr<std::string> { return bytes.substr(off, n); },
      nullptr);
}

}  // namespace

absl::StatusOr<Digest> HashFile(const stdfs::path& path) {
  FT_ASSIGN_OR_RETURN(fs::Fd fd, fs::OpenFile(path, O_RDONLY));
  Sha256 h;
  // One uninitialised buffer per thread: a fresh zeroed 1 MiB per file cost
  // more than hashing a folder of small files.
  constexpr size_t kBuf = 1 << 20;
  thread_local std::unique_ptr<char[]> buf(new char[kBuf]);
  int64_t size = 0;
  while (true) {
    ssize_t n = ::read(fd.get(), buf.get(), kBuf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::ErrnoStatus("cannot read", path);
    if (n == 0) break;
    h.Update(buf.get(), static_cast<size_t>(n));
    size += n;
  }
  return Digest{h.FinishHex(), size};
}

absl::StatusOr<std::vector<TreeEntry>> ScanFolder(const stdfs::path& root) {
  std::vector<TreeEntry> entries;
  std::vector<stdfs::path> paths;
  std::error_code ec;
  stdfs::recursive_directory_iterator it(root, stdfs::directory_options::none, ec), end;
  if (ec) return absl::NotFoundError(absl::StrCat("cannot read folder ", root.string(), ": ", ec.message()));
  for (; it != end; it.increment(ec)) {
    if (ec) return absl::InternalError(absl::StrCat("cannot read ", root.string(), ": ", ec.message()));
    const stdfs::path& p = it->path();
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return fs::ErrnoStatus("cannot stat", p);
    if (S_ISDIR(st.st_mode)) continue;
    std::string rel = p.lexically_relative(root).generic_string();
    if (S_ISLNK(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(p.string(), " is a symbolic link; trees hold regular files only"));
    }
    if (!S_ISREG(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(p.string(), " is not a regular file"));
    }
    if (std::string problem = TreePathProblem(rel); !problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot push \"", rel, "\": ", problem));
    }
    entries.push_back(TreeEntry{rel, Digest{}, (st.st_mode & S_IXUSR) != 0});
    paths.push_back(p);
  }
  // Hash on every core: files are independent.
  std::atomic<size_t> next{0};
  std::vector<absl::Status> errors(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> workers;
  for (size_t w = 0; w < errors.size(); ++w) {
    workers.emplace_back([&, w] {
      for (size_t i = next++; i < entries.size(); i = next++) {
        auto d = HashFile(paths[i]);
        if (!d.ok()) {
          errors[w] = d.status();
          return;
        }
        entries[i].digest = *d;
      }
    });
  }
  for (auto& t : workers) t.join();
  for (const auto& e : errors) FT_RETURN_IF_ERROR(e);
  return entries;
}

absl::StatusOr<PushResult> Push(CasClient& client, const stdfs::path& path, const PushOptions& options) {
  PushResult result;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return fs::ErrnoStatus("cannot push", path);
  if (S_ISREG(st.st_mode)) {
    FT_ASSIGN_OR_RETURN(result.digest, HashFile(path));
    result.files = 1;
    result.total_bytes = result.digest.size_bytes;
    FT_ASSIGN_OR_RETURN(std::vector<Digest> missing, client.FindMissing({result.digest}));
    Progress progress("push", missing.empty() ? 0 : result.digest.size_bytes, options.show_progress);
    Uploader up(client, progress, result, options.batch_threshold);
    if (!missing.empty()) FT_RETURN_IF_ERROR(up.Add(path, result.digest));
    FT_RETURN_IF_ERROR(up.Flush());
    progress.Finish();
    return result;
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), " is neither a file nor a folder"));
  }
  FT_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries, ScanFolder(path));
  result.is_tree = true;
  result.files = static_cast<int64_t>(entries.size());
  FT_ASSIGN_OR_RETURN(std::string manifest, EncodeTree(entries));
  result.digest = DigestOf(manifest);
  std::vector<Digest> wanted;
  wanted.reserve(entries.size() + 1);
  for (const TreeEntry& e : entries) {
    result.total_bytes += e.digest.size_bytes;
    wanted.push_back(e.digest);
  }
  wanted.push_back(result.digest);
  FT_ASSIGN_OR_RETURN(std::vector<Digest> missing_list, client.FindMissing(wanted));
  absl::flat_hash_set<Digest> missing(missing_list.begin(), missing_list.end());
  int64_t missing_bytes = 0;
  for (const Digest& d : missing) missing_bytes += d.size_bytes;
  Progress progress("push", missing_bytes, options.show_progress);
  Uploader up(client, progress, result, options.batch_threshold);
  for (const TreeEntry& e : entries) {
    if (missing.erase(e.digest) == 0) continue;  // present, or already queued
    FT_RETURN_IF_ERROR(up.Add(path / e.path, e.digest));
  }
  FT_RETURN_IF_ERROR(up.Flush());
  if (missing.contains(result.digest)) {
    FT_RETURN_IF_ERROR(UploadBytes(client, result.digest, manifest));
    result.uploaded_blobs++;
    result.uploaded_bytes += result.digest.size_bytes;
  }
  progress.Finish();
  FT_RETURN_IF_ERROR(client.CreateTree(result.digest).status());
  return result;
}

}  // namespace fairtrace::client
