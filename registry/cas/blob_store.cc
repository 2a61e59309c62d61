#include "registry/cas/blob_store.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs/fs_util.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace fairtrace {

namespace stdfs = std::filesystem;

namespace {

constexpr size_t kHashChunk = 1 << 20;

absl::Status Mismatch(const Digest& expected, absl::string_view what) {
  return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("bytes do not match digest ", expected.ToString(), ": ", what))
      .Reason("DIGEST_MISMATCH")
      .Field("digest", what)
      .Meta("expected", expected.ToString());
}

// Hashes [base, base + size) of an open file.
absl::Status HashFd(int fd, int64_t base, int64_t size, Sha256& h, const stdfs::path& path) {
  std::string buf(std::min<int64_t>(kHashChunk, std::max<int64_t>(size, 1)), '\0');
  int64_t off = 0;
  while (off < size) {
    ssize_t n = ::pread(fd, buf.data(), std::min<int64_t>(buf.size(), size - off), base + off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::ErrnoStatus("cannot read", path);
    if (n == 0) return absl::DataLossError(absl::StrCat(path.string(), " is shorter than expected"));
    h.Update(buf.data(), static_cast<size_t>(n));
    off += n;
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------- Upload

Upload::Upload(BlobStore* store, std::string id, Digest digest, int fd, int64_t committed,
               std::unique_ptr<AppendWriter> writer)
    : store_(store),
      id_(std::move(id)),
      digest_(std::move(digest)),
      fd_(fd),
      committed_(committed),
      writer_(std::move(writer)) {}

Upload::~Upload() {
  if (!done_) (void)Suspend();
  Release();
}

void Upload::Release() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (store_ != nullptr) {
    store_->ReleaseUpload(id_);
    store_ = nullptr;
  }
}

void Upload::Discard() {
  std::error_code ec;
  stdfs::remove(store_->PartPath(id_), ec);
  stdfs::remove(store_->MetaPath(id_), ec);
  done_ = true;
}

absl::Status Upload::Append(absl::string_view data) {
  if (done_) return absl::FailedPreconditionError("upload already finished");
  if (static_cast<int64_t>(data.size()) > digest_.size_bytes - committed_) {
    Discard();
    return Mismatch(digest_, absl::StrCat("received more than ", digest_.size_bytes, " bytes"));
  }
  FT_RETURN_IF_ERROR(writer_->Append(data));
  hasher_.Update(data);
  committed_ += static_cast<int64_t>(data.size());
  return absl::OkStatus();
}

absl::Status Upload::Suspend() {
  if (done_ || fd_ < 0) return absl::OkStatus();
  FT_RETURN_IF_ERROR(writer_->Flush());
  return store_->env_->SyncFd(fd_, store_->PartPath(id_));
}

absl::Status Upload::Finish() {
  if (done_) return absl::FailedPreconditionError("upload already finished");
  if (committed_ != digest_.size_bytes) {
    Discard();
    return Mismatch(digest_, absl::StrCat("received ", committed_, " bytes, digest says ", digest_.size_bytes));
  }
  std::string actual = hasher_.FinishHex();
  if (actual != digest_.sha256) {
    Discard();
    return Mismatch(digest_, absl::StrCat("bytes hash to ", actual));
  }
  FT_RETURN_IF_ERROR(writer_->Flush());
  FT_RETURN_IF_ERROR(store_->env_->SyncFd(fd_, store_->PartPath(id_)));
  FT_RETURN_IF_ERROR(store_->Publish(store_->PartPath(id_), digest_, /*sync_dir=*/true));
  std::error_code ec;
  stdfs::remove(store_->MetaPath(id_), ec);
  done_ = true;
  return absl::OkStatus();
}

// --------------------------------------------------------- HashingWriter

HashingWriter::~HashingWriter() {
  if (!published_) {
    std::error_code ec;
    stdfs::remove(tmp_, ec);
  }
}

absl::Status HashingWriter::Append(absl::string_view data) {
  if (digest_) return absl::FailedPreconditionError("writer already finished");
  return writer_->Append(data);  // hashed by the writer's observer
}

absl::StatusOr<Digest> HashingWriter::Finish() {
  if (digest_) return *digest_;
  FT_RETURN_IF_ERROR(writer_->Flush());
  FT_RETURN_IF_ERROR(store_->env_->SyncFd(fd_.get(), tmp_));
  digest_ = Digest{hasher_.FinishHex(), writer_->size()};
  return *digest_;
}

absl::Status HashingWriter::Publish() {
  if (!digest_) return absl::FailedPreconditionError("Publish before Finish");
  if (published_) return absl::OkStatus();
  FT_RETURN_IF_ERROR(store_->Publish(tmp_, *digest_, /*sync_dir=*/true));
  published_ = true;
  return absl::OkStatus();
}

// ------------------------------------------------------------- BlobStore

absl::StatusOr<std::unique_ptr<BlobStore>> BlobStore::Open(const stdfs::path& root, fs::Env* env) {
  std::unique_ptr<BlobStore> store(new BlobStore(root, env));
  FT_RETURN_IF_ERROR(store->Init());
  return store;
}

absl::Status BlobStore::Init() {
  for (const char* sub : {"blobs/sha256", "packs", "tmp", "uploads"}) {
    std::error_code ec;
    stdfs::create_directories(root_ / sub, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create ", (root_ / sub).string(), ": ", ec.message()));
  }
  // Temp files of interrupted batches are garbage: they were never renamed.
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(root_ / "tmp", ec)) stdfs::remove(e.path(), ec);
  if (!FileExists(EmptyDigest())) {
    stdfs::path tmp = root_ / "tmp" / fs::RandomName();
    FT_ASSIGN_OR_RETURN(fs::Fd fd, env_->OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL));
    FT_RETURN_IF_ERROR(env_->SyncFd(fd.get(), tmp));
    FT_RETURN_IF_ERROR(Publish(tmp, EmptyDigest(), /*sync_dir=*/true));
  }
  return absl::OkStatus();
}

stdfs::path BlobStore::PathOf(const Digest& d) const {
  return root_ / "blobs" / "sha256" / d.sha256.substr(0, 2) / absl::StrCat(d.sha256, "_", d.size_bytes);
}

bool BlobStore::FileExists(const Digest& d) const {
  struct stat st;
  return ::stat(PathOf(d).c_str(), &st) == 0 && st.st_size == d.size_bytes;
}

stdfs::path BlobStore::PackPath(const std::string& pack) const { return root_ / "packs" / absl::StrCat(pack, ".pack"); }

stdfs::path BlobStore::PartPath(absl::string_view id) const { return root_ / "uploads" / absl::StrCat(id, ".part"); }

stdfs::path BlobStore::MetaPath(absl::string_view id) const { return root_ / "uploads" / absl::StrCat(id, ".meta"); }

absl::Status BlobStore::Publish(const stdfs::path& tmp, const Digest& d, bool sync_dir) {
  stdfs::path final_path = PathOf(d);
  std::error_code ec;
  stdfs::create_directories(final_path.parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", final_path.parent_path().string()));
  FT_RETURN_IF_ERROR(env_->Rename(tmp, final_path));
  if (sync_dir) return env_->SyncDir(final_path.parent_path());
  return absl::OkStatus();
}

std::vector<BlobStore::PutResult> BlobStore::PutBatch(absl::Span<const std::pair<Digest, absl::string_view>> items) {
  std::vector<PutResult> out(items.size());
  std::vector<size_t> accepted;
  int64_t total = 0;
  Sha256 h;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& [d, data] = items[i];
    if (static_cast<int64_t>(data.size()) != d.size_bytes) {
      out[i].status = Mismatch(d, absl::StrCat("received ", data.size(), " bytes"));
      continue;
    }
    h.Update(data);
    if (std::string actual = h.FinishHex(); actual != d.sha256) {
      out[i].status = Mismatch(d, absl::StrCat("bytes hash to ", actual));
      continue;
    }
    accepted.push_back(i);
    total += d.size_bytes;
  }
  if (accepted.empty()) return out;
  // One pack for the whole batch: written under a temp name, synced, then
  // renamed into packs/ and the folder synced.
  std::string pack = fs::RandomName();
  std::string bytes;
  bytes.reserve(static_cast<size_t>(total));
  for (size_t i : accepted) {
    out[i].location = BlobLocation{pack, static_cast<int64_t>(bytes.size())};
    bytes.append(items[i].second.data(), items[i].second.size());
  }
  stdfs::path tmp = root_ / "tmp" / absl::StrCat(pack, ".pack");
  absl::Status s = [&]() -> absl::Status {
    FT_ASSIGN_OR_RETURN(fs::Fd fd, env_->OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL));
    FT_RETURN_IF_ERROR(env_->WriteAll(fd.get(), bytes, tmp));
    FT_RETURN_IF_ERROR(env_->SyncFd(fd.get(), tmp));
    FT_RETURN_IF_ERROR(env_->Rename(tmp, PackPath(pack)));
    return env_->SyncDir(root_ / "packs");
  }();
  if (!s.ok()) {
    std::error_code ec;
    stdfs::remove(tmp, ec);
    for (size_t i : accepted) out[i] = PutResult{s, {}};
  }
  return out;
}

namespace {

// A blob kept in the database must come with exactly its size in bytes.
absl::Status CheckInDatabaseSize(const Digest& d, const BlobLocation& where) {
  if (static_cast<int64_t>(where.bytes.size()) == d.size_bytes) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("the database holds ", where.bytes.size(), " bytes for ", d.ToString()));
}

}  // namespace

absl::Status BlobStore::Read(const Digest& d, const BlobLocation& where, int64_t offset, int64_t limit, size_t chunk,
                             const std::function<bool(absl::string_view)>& sink) const {
  if (where.in_database) {
    FT_RETURN_IF_ERROR(CheckInDatabaseSize(d, where));
    int64_t end = d.size_bytes;
    if (limit > 0 && limit < end - offset) end = offset + limit;
    for (int64_t off = offset; off < end;) {
      const int64_t n = std::min<int64_t>(std::max<size_t>(chunk, 1), end - off);
      if (!sink(absl::string_view(where.bytes).substr(off, n))) return absl::OkStatus();
      off += n;
    }
    return absl::OkStatus();
  }
  stdfs::path path = where.packed() ? PackPath(where.pack) : PathOf(d);
  const int64_t base = where.packed() ? where.pack_offset : 0;
  auto fd = fs::OpenFile(path, O_RDONLY);
  if (!fd.ok()) {
    if (absl::IsNotFound(fd.status())) {
      return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("blob ", d.ToString(), " not found"))
          .Reason("BLOB_NOT_FOUND")
          .Resource("blob", BlobResourceName(d));
    }
    return fd.status();
  }
  int64_t end = d.size_bytes;
  if (limit > 0 && limit < end - offset) end = offset + limit;  // never offset + limit: it may overflow
  std::string buf(std::min<int64_t>(chunk, std::max<int64_t>(end - offset, 1)), '\0');
  for (int64_t off = offset; off < end;) {
    ssize_t n = ::pread(fd->get(), buf.data(), std::min<int64_t>(buf.size(), end - off), base + off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::ErrnoStatus("cannot read", path);
    if (n == 0) return absl::DataLossError(absl::StrCat("blob file ", path.string(), " is truncated"));
    if (!sink(absl::string_view(buf.data(), static_cast<size_t>(n)))) return absl::OkStatus();
    off += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BlobStore::ReadAll(const Digest& d, const BlobLocation& where) const {
  std::string out;
  out.reserve(d.size_bytes);
  FT_RETURN_IF_ERROR(Read(d, where, 0, 0, kHashChunk, [&](absl::string_view s) {
    out.append(s.data(), s.size());
    return true;
  }));
  return out;
}

namespace {

// An upload's meta file: "<sha256>/<size>" (the first line) and, since
// principals are kept, "\n<principal>". nullopt when it cannot be read.
struct UploadMeta {
  std::string digest;
  std::string principal;
};
std::optional<UploadMeta> ReadUploadMeta(const stdfs::path& path) {
  auto fd = fs::OpenFile(path, O_RDONLY);
  if (!fd.ok()) return std::nullopt;
  char buf[512];
  ssize_t n = ::read(fd->get(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  absl::string_view text(buf, static_cast<size_t>(n));
  size_t nl = text.find('\n');
  UploadMeta m;
  m.digest = std::string(text.substr(0, nl));
  if (nl != absl::string_view::npos) m.principal = std::string(text.substr(nl + 1));
  return m;
}

}  // namespace

std::vector<BlobStore::PartialUpload> BlobStore::ListPartialUploads() const {
  std::vector<PartialUpload> out;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(root_ / "uploads", ec)) {
    if (e.path().extension() != ".meta") continue;
    std::optional<UploadMeta> m = ReadUploadMeta(e.path());
    if (!m) continue;
    auto d = ParseDigest(m->digest, "meta");
    if (!d.ok()) continue;
    out.push_back({e.path().stem().string(), *d, m->principal});
  }
  return out;
}

absl::Status BlobStore::AbortUpload(absl::string_view id, const Digest& digest, absl::string_view principal) {
  if (!IsValidUploadId(id)) return InvalidField("upload_id", "must be 1-64 characters of [A-Za-z0-9_-]");
  absl::MutexLock lock(&mu_);
  std::optional<UploadMeta> m = ReadUploadMeta(MetaPath(id));
  if (!m || m->digest != digest.ToString()) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no partial upload ", id, " of ", digest.ToString()))
        .Reason("UPLOAD_NOT_FOUND");
  }
  if (m->principal != principal) {
    return ErrorBuilder(absl::StatusCode::kPermissionDenied, "only the principal that started an upload may abort it")
        .Reason("UPLOAD_OWNED_BY_ANOTHER");
  }
  if (active_uploads_.contains(std::string(id))) {
    return ErrorBuilder(absl::StatusCode::kAborted, absl::StrCat("upload ", id, " is being written by a stream"))
        .Reason("UPLOAD_IN_PROGRESS");
  }
  std::error_code ec;
  stdfs::remove(PartPath(id), ec);
  stdfs::remove(MetaPath(id), ec);
  return env_->SyncDir(root_ / "uploads");
}

absl::StatusOr<std::unique_ptr<Upload>> BlobStore::OpenUpload(absl::string_view id, const Digest& digest,
                                                              absl::string_view principal) {
  if (!IsValidUploadId(id)) return InvalidField("upload_id", "must be 1-64 characters of [A-Za-z0-9_-]");
  {
    absl::MutexLock lock(&mu_);
    if (!active_uploads_.insert(std::string(id)).second) {
      return ErrorBuilder(absl::StatusCode::kAborted,
                          absl::StrCat("upload ", id, " is being written by another stream"))
          .Reason("UPLOAD_IN_PROGRESS");
    }
  }
  // From here on, failures must release the id.
  auto fail = [&](absl::Status s) {
    ReleaseUpload(std::string(id));
    return s;
  };
  std::string meta = absl::StrCat(digest.ToString(), "\n", principal);
  stdfs::path meta_path = MetaPath(id), part_path = PartPath(id);
  if (std::optional<UploadMeta> existing = ReadUploadMeta(meta_path)) {
    if (existing->digest != digest.ToString()) {
      return fail(ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                               absl::StrCat("upload id ", id, " is in use for another blob"))
                      .Reason("UPLOAD_ID_IN_USE"));
    }
    if (!existing->principal.empty() && existing->principal != principal) {
      return fail(ErrorBuilder(absl::StatusCode::kPermissionDenied,
                               absl::StrCat("upload ", id, " was started by another principal"))
                      .Reason("UPLOAD_OWNED_BY_ANOTHER"));
    }
  } else {
    // New upload: the meta file is written and synced before any byte.
    stdfs::path tmp = root_ / "tmp" / fs::RandomName();
    auto fd = env_->OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL);
    if (!fd.ok()) return fail(fd.status());
    if (absl::Status s = env_->WriteAll(fd->get(), meta, tmp); !s.ok()) return fail(s);
    if (absl::Status s = env_->SyncFd(fd->get(), tmp); !s.ok()) return fail(s);
    if (absl::Status s = env_->Rename(tmp, meta_path); !s.ok()) return fail(s);
  }
  auto fd = env_->OpenFile(part_path, O_RDWR | O_CREAT);
  if (!fd.ok()) return fail(fd.status());
  if (absl::Status s = env_->SyncDir(root_ / "uploads"); !s.ok()) return fail(s);
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return fail(fs::ErrnoStatus("cannot stat", part_path));
  int64_t committed = st.st_size;
  if (committed > digest.size_bytes) {  // cannot happen through Append; start over
    if (::ftruncate(fd->get(), 0) != 0) return fail(fs::ErrnoStatus("cannot truncate", part_path));
    committed = 0;
  }
  // Reserve the whole blob's extents at once (the file's size is unchanged,
  // so it still equals the committed bytes): fewer, longer extents and no
  // allocation work per write. Best effort: not every filesystem can.
  if (digest.size_bytes > committed) {
    (void)::fallocate(fd->get(), FALLOC_FL_KEEP_SIZE, 0, digest.size_bytes);
  }
  auto writer = AppendWriter::Open(part_path, fd->get(), committed, env_);
  if (!writer.ok()) return fail(writer.status());
  std::unique_ptr<Upload> up(new Upload(this, std::string(id), digest, fd->release(), committed, *std::move(writer)));
  if (absl::Status s = HashFd(up->fd_, 0, committed, up->hasher_, part_path); !s.ok()) return s;
  return up;
}

absl::StatusOr<std::unique_ptr<HashingWriter>> BlobStore::OpenHashingWriter() {
  stdfs::path tmp = root_ / "tmp" / fs::RandomName();
  FT_ASSIGN_OR_RETURN(fs::Fd fd, env_->OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL));
  std::unique_ptr<HashingWriter> out(new HashingWriter(this, tmp, std::move(fd)));
  // The writer hashes each block on its write-behind thread.
  absl::StatusOr<std::unique_ptr<AppendWriter>> writer = AppendWriter::Open(
      tmp, out->fd_.get(), 0, env_, [h = &out->hasher_](absl::string_view bytes) { h->Update(bytes); });
  if (!writer.ok()) {
    out.reset();  // removes tmp
    return writer.status();
  }
  out->writer_ = *std::move(writer);
  return out;
}

absl::StatusOr<int64_t> BlobStore::PartialSize(absl::string_view id, const Digest& digest) const {
  if (!IsValidUploadId(id)) return InvalidField("upload_id", "must be 1-64 characters of [A-Za-z0-9_-]");
  std::optional<UploadMeta> meta = ReadUploadMeta(MetaPath(id));
  if (!meta || meta->digest != digest.ToString()) return 0;
  struct stat st;
  if (::stat(PartPath(id).c_str(), &st) != 0) return 0;
  return std::min<int64_t>(st.st_size, digest.size_bytes);
}

void BlobStore::ReleaseUpload(const std::string& id) {
  absl::MutexLock lock(&mu_);
  active_uploads_.erase(id);
}

int BlobStore::CleanAbandonedUploads(absl::Duration max_age) {
  int removed = 0;
  auto cutoff = stdfs::file_time_type::clock::now() -
                std::chrono::duration_cast<stdfs::file_time_type::duration>(absl::ToChronoSeconds(max_age));
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(root_ / "uploads", ec)) {
    if (e.path().extension() != ".meta") continue;
    std::string id = e.path().stem().string();
    {
      absl::MutexLock lock(&mu_);
      if (active_uploads_.contains(id)) continue;
      std::error_code tec;
      auto part_time = stdfs::last_write_time(PartPath(id), tec);
      auto meta_time = stdfs::last_write_time(e.path(), tec);
      if (std::max(part_time, meta_time) > cutoff) continue;
      stdfs::remove(PartPath(id), tec);
      stdfs::remove(e.path(), tec);
    }
    ++removed;
  }
  return removed;
}

int64_t BlobStore::CountPartialUploads() const {
  int64_t n = 0;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(root_ / "uploads", ec)) {
    if (e.path().extension() == ".meta") ++n;
  }
  return n;
}

absl::Status BlobStore::ForEachPack(const std::function<absl::Status(const std::string&)>& fn) const {
  std::error_code ec;
  for (const auto& f : stdfs::directory_iterator(root_ / "packs", ec)) {
    if (f.path().extension() == ".pack") FT_RETURN_IF_ERROR(fn(f.path().stem().string()));
  }
  return absl::OkStatus();
}

absl::Status BlobStore::ForEachLooseFile(const std::function<absl::Status(const Digest&)>& fn) const {
  std::error_code ec;
  for (const auto& shard : stdfs::directory_iterator(root_ / "blobs" / "sha256", ec)) {
    std::error_code ec2;
    for (const auto& f : stdfs::directory_iterator(shard.path(), ec2)) {
      std::vector<std::string> parts = absl::StrSplit(f.path().filename().string(), '_');
      Digest d;
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &d.size_bytes)) continue;
      d.sha256 = parts[0];
      FT_RETURN_IF_ERROR(fn(d));
    }
  }
  return absl::OkStatus();
}

absl::Status BlobStore::Verify(const Digest& d, const BlobLocation& where, int64_t* bytes_hashed) const {
  if (where.in_database) {
    FT_RETURN_IF_ERROR(CheckInDatabaseSize(d, where));
    *bytes_hashed += d.size_bytes;
    if (std::string actual = Sha256Hex(where.bytes); actual != d.sha256) {
      return absl::DataLossError(absl::StrCat("content hashes to ", actual));
    }
    return absl::OkStatus();
  }
  stdfs::path path = where.packed() ? PackPath(where.pack) : PathOf(d);
  auto fd = fs::OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return fs::ErrnoStatus("cannot stat", path);
  int64_t base = where.packed() ? where.pack_offset : 0;
  if (where.packed() ? st.st_size < base + d.size_bytes : st.st_size != d.size_bytes) {
    return absl::DataLossError(
        absl::StrCat(path.string(), " has ", st.st_size, " bytes, too few or too many for ", d.ToString()));
  }
  Sha256 h;
  FT_RETURN_IF_ERROR(HashFd(fd->get(), base, d.size_bytes, h, path));
  *bytes_hashed += d.size_bytes;
  if (std::string actual = h.FinishHex(); actual != d.sha256) {
    return absl::DataLossError(absl::StrCat("content hashes to ", actual));
  }
  return absl::OkStatus();
}

}  // namespace fairtrace
