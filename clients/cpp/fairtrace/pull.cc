#include "clients/cpp/fairtrace/pull.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "clients/cpp/fairtrace/progress.h"
#include "common/fs/fs_util.h"
#include "common/status/status_macros.h"

namespace fairtrace::client {
namespace {

namespace stdfs = std::filesystem;

constexpr int64_t kBatchReadMax = 1 << 20;    // files up to this size are batch-read
constexpr int64_t kBatchReadBytes = 8 << 20;  // bytes per BatchReadBlobs call

absl::Status WriteFileAt(const stdfs::path& path, const std::string& data, bool exec) {
  FT_ASSIGN_OR_RETURN(fs::Fd fd, fs::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, exec ? 0755 : 0644));
  FT_RETURN_IF_ERROR(fs::WriteAll(fd.get(), data, path));
  return absl::OkStatus();
}

absl::Status DownloadFile(CasClient& client, const Digest& d, const stdfs::path& path, bool exec, Progress& progress) {
  FT_ASSIGN_OR_RETURN(fs::Fd fd, fs::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, exec ? 0755 : 0644));
  FT_RETURN_IF_ERROR(client.Download(d, fd.get(), [&](int64_t n) { progress.Add(n); }));
  return fs::SyncFd(fd.get(), path);
}

absl::Status PullTree(CasClient& client, const std::vector<TreeEntry>& entries, const stdfs::path& root,
                      Progress& progress) {
  std::vector<const TreeEntry*> batch;
  int64_t batch_bytes = 0;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    std::vector<Digest> digests;
    for (const TreeEntry* e : batch) digests.push_back(e->digest);
    FT_ASSIGN_OR_RETURN(std::vector<std::string> data, client.BatchRead(digests));
    for (size_t i = 0; i < batch.size(); ++i) {
      FT_RETURN_IF_ERROR(WriteFileAt(root / batch[i]->path, data[i], batch[i]->executable));
    }
    progress.Add(batch_bytes);
    batch.clear();
    batch_bytes = 0;
    return absl::OkStatus();
  };
  for (const TreeEntry& e : entries) {
    // The server is not trusted with paths: check them again before use.
    if (std::string problem = TreePathProblem(e.path); !problem.empty()) {
      return absl::DataLossError(absl::StrCat("tree holds an unsafe path \"", e.path, "\": ", problem));
    }
    stdfs::path target = root / e.path;
    std::error_code ec;
    stdfs::create_directories(target.parent_path(), ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create ", target.parent_path().string()));
    if (e.digest.size_bytes > kBatchReadMax) {
      FT_RETURN_IF_ERROR(DownloadFile(client, e.digest, target, e.executable, progress));
      continue;
    }
    if (batch_bytes + e.digest.size_bytes > kBatchReadBytes) FT_RETURN_IF_ERROR(flush());
    batch.push_back(&e);
    batch_bytes += e.digest.size_bytes;
  }
  FT_RETURN_IF_ERROR(flush());
  return fs::SyncFilesystem(root);
}

}  // namespace

absl::StatusOr<PullResult> Pull(CasClient& client, const Digest& digest, const stdfs::path& dest, bool show_progress) {
  struct stat st;
  if (::lstat(dest.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(dest.string(), " exists; pull never overwrites"));
  }
  stdfs::path parent = dest.parent_path().empty() ? stdfs::path(".") : dest.parent_path();
  if (!stdfs::is_directory(parent)) {
    return absl::NotFoundError(absl::StrCat("folder ", parent.string(), " does not exist"));
  }
  FT_ASSIGN_OR_RETURN(v1::Blob blob, client.GetBlob(digest));
  PullResult result;
  result.is_tree = blob.is_tree();
  stdfs::path tmp = parent / absl::StrCat(".", dest.filename().string(), ".fairtrace-", fs::RandomName());
  absl::Status s;
  if (result.is_tree) {
    FT_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries, client.GetTreeEntries(digest));
    for (const TreeEntry& e : entries) result.bytes += e.digest.size_bytes;
    result.files = static_cast<int64_t>(entries.size());
    Progress progress("pull", result.bytes, show_progress);
    std::error_code ec;
    stdfs::create_directory(tmp, ec);
    s = ec ? absl::InternalError(absl::StrCat("cannot create ", tmp.string(), ": ", ec.message()))
           : PullTree(client, entries, tmp, progress);
    progress.Finish();
  } else {
    result.files = 1;
    result.bytes = digest.size_bytes;
    Progress progress("pull", result.bytes, show_progress);
    s = DownloadFile(client, digest, tmp, false, progress);
    progress.Finish();
  }
  if (s.ok() && ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) != 0) {
    s = errno == EEXIST ? absl::AlreadyExistsError(absl::StrCat(dest.string(), " appeared meanwhile; not overwritten"))
                        : fs::ErrnoStatus("cannot rename into", dest);
  }
  if (!s.ok()) {
    std::error_code ec;
    stdfs::remove_all(tmp, ec);
    return s;
  }
  FT_RETURN_IF_ERROR(fs::SyncDir(parent));
  return result;
}

}  // namespace fairtrace::client
