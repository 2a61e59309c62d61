#include "clients/cpp/fairtrace/push.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
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
      // Large files stream on up to kStreams uploads at once: the server's
      // durable write of one (its fsyncs) overlaps the transfer of the next.
      if (inflight_.size() >= kStreams) FT_RETURN_IF_ERROR(WaitOldest());
      inflight_.push_back(std::async(std::launch::async, [this, path, d] {
        return client_.UploadFile(path, d, [this](int64_t n) { progress_.Add(n); });
      }));
      return absl::OkStatus();
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

  // Waits for the uploads in flight too.
  absl::Status Flush() {
    while (!inflight_.empty()) FT_RETURN_IF_ERROR(WaitOldest());
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
  absl::Status WaitOldest() {
    absl::Status s = inflight_.front().get();
    inflight_.pop_front();
    return s;
  }

  static constexpr size_t kStreams = 3;
  // Streams in flight (std::async: a thread each); on an error the others
  // are still waited for, by the destructor of their futures.
  std::deque<std::future<absl::Status>> inflight_;
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

namespace {

// The regular files under `root` as tree entries without digests, with
// their paths and sizes.
struct Listing {
  std::vector<TreeEntry> entries;
  std::vector<stdfs::path> paths;
  std::vector<int64_t> sizes;
};

absl::StatusOr<Listing> ListFolder(const stdfs::path& root) {
  Listing out;
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
    out.entries.push_back(TreeEntry{rel, Digest{}, (st.st_mode & S_IXUSR) != 0});
    out.paths.push_back(p);
    out.sizes.push_back(st.st_size);
  }
  return out;
}

// Hashes the listed files on every core, in index order as far as the
// workers go; Wait(i) returns once file i is hashed (or hashing failed).
class Hasher {
 public:
  explicit Hasher(Listing* listing) : listing_(listing), done_(listing->entries.size(), false) {
    const size_t n = std::max(1u, std::thread::hardware_concurrency());
    for (size_t w = 0; w < n; ++w) workers_.emplace_back([this] { Work(); });
  }
  ~Hasher() {
    stop_ = true;
    for (auto& t : workers_) t.join();
  }
  absl::Status Wait(size_t i) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_[i] || !error_.ok(); });
    return error_;
  }

 private:
  void Work() {
    for (size_t i = next_++; i < listing_->entries.size() && !stop_; i = next_++) {
      absl::StatusOr<Digest> d = HashFile(listing_->paths[i]);
      std::lock_guard<std::mutex> lock(mu_);
      if (!d.ok()) {
        if (error_.ok()) error_ = d.status();
      } else {
        listing_->entries[i].digest = *d;
        done_[i] = true;
      }
      cv_.notify_all();
    }
  }

  Listing* listing_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> done_;  // guarded by mu_
  absl::Status error_;      // guarded by mu_
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
};

}  // namespace

absl::StatusOr<std::vector<TreeEntry>> ScanFolder(const stdfs::path& root) {
  FT_ASSIGN_OR_RETURN(Listing listing, ListFolder(root));
  {
    Hasher hasher(&listing);
    for (size_t i = 0; i < listing.entries.size(); ++i) FT_RETURN_IF_ERROR(hasher.Wait(i));
  }
  return std::move(listing.entries);
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
  // Pipelined: while the workers hash the next files, the files hashed so
  // far are checked with FindMissingBlobs in batches (64 MiB or 1,000 files)
  // and the missing ones uploaded. A file's digest is known before its
  // upload starts (it names the upload).
  FT_ASSIGN_OR_RETURN(Listing listing, ListFolder(path));
  result.is_tree = true;
  result.files = static_cast<int64_t>(listing.entries.size());
  for (int64_t size : listing.sizes) result.total_bytes += size;
  Progress progress("push", result.total_bytes, options.show_progress);
  Uploader up(client, progress, result, options.batch_threshold);
  absl::flat_hash_set<Digest> queued;  // uploaded or found present already
  {
    Hasher hasher(&listing);
    constexpr int64_t kBatchBytes = int64_t{64} << 20;
    constexpr size_t kBatchFiles = 1000;
    for (size_t start = 0; start < listing.entries.size();) {
      size_t end = start;
      int64_t bytes = 0;
      while (end < listing.entries.size() && end - start < kBatchFiles && (end == start || bytes < kBatchBytes)) {
        bytes += listing.sizes[end++];
      }
      std::vector<Digest> wanted;
      for (size_t i = start; i < end; ++i) {
        FT_RETURN_IF_ERROR(hasher.Wait(i));
        wanted.push_back(listing.entries[i].digest);
      }
      FT_ASSIGN_OR_RETURN(std::vector<Digest> missing_list, client.FindMissing(wanted));
      absl::flat_hash_set<Digest> missing(missing_list.begin(), missing_list.end());
      for (size_t i = start; i < end; ++i) {
        const Digest& d = listing.entries[i].digest;
        if (!queued.insert(d).second) continue;  // a duplicate of an earlier file
        if (missing.contains(d)) {
          FT_RETURN_IF_ERROR(up.Add(path / listing.entries[i].path, d));
        } else {
          progress.Add(d.size_bytes);  // already on the server
        }
      }
      start = end;
    }
  }
  std::vector<TreeEntry>& entries = listing.entries;
  FT_ASSIGN_OR_RETURN(std::string manifest, EncodeTree(entries));
  result.digest = DigestOf(manifest);
  FT_ASSIGN_OR_RETURN(std::vector<Digest> manifest_missing, client.FindMissing({result.digest}));
  absl::flat_hash_set<Digest> missing(manifest_missing.begin(), manifest_missing.end());
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
