// The filesystem content-addressed blob store (docs/cas-protocol.md, "On
// disk"). It writes and reads blob files; it does not decide visibility:
// a blob is visible once the Store has committed its row, which callers do
// after a successful Put/Finish here.
//
// Layout under `root`:
//   blobs/sha256/<first 2 hex>/<sha256>_<size>   loose blob files (streamed)
//   packs/<pack id>.pack                          blobs of one batch, end to end
//   tmp/                                          temp files
//   uploads/<upload_id>.part, <upload_id>.meta    resumable partial uploads
//
// Durability: a loose file is written under a temp name while hashing,
// synced, renamed into place, and its folder synced, so a file under blobs/
// always holds verified bytes. A batch's verified blobs are written to a new
// pack file with one write and one sync; the caller records each blob's
// (pack, offset) when it commits the rows. A partial upload's bytes are
// synced when its Write stream ends, so they survive a crash and resume.
//
// Thread-safe. Errors: INVALID_ARGUMENT when bytes do not match a digest
// (nothing kept), FAILED_PRECONDITION/ABORTED for upload id conflicts,
// NOT_FOUND for absent blobs, INTERNAL for I/O failures.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/content/digest.h"
#include "common/content/sha256.h"
#include "common/fs/env.h"
#include "registry/cas/append_writer.h"
#include "registry/cas/blob_location.h"

namespace fairtrace {

class BlobStore;
class HashingWriter;

// An open, exclusive resumable upload. Not thread-safe (one Write stream).
class Upload {
 public:
  ~Upload();  // Suspends (syncs committed bytes) unless finished or discarded.
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;

  const Digest& digest() const { return digest_; }
  const std::string& id() const { return id_; }
  int64_t committed() const { return committed_; }
  // Appends bytes at committed(). INVALID_ARGUMENT (upload discarded) when
  // they would exceed the digest's size.
  absl::Status Append(absl::string_view data);
  // Verifies size then hash; on success the blob file is in place and
  // durable. On mismatch the upload is discarded and INVALID_ARGUMENT
  // returned.
  absl::Status Finish();
  // Syncs committed bytes and keeps them for a later resume.
  absl::Status Suspend();

 private:
  friend class BlobStore;
  Upload(BlobStore* store, std::string id, Digest digest, int fd, int64_t committed,
         std::unique_ptr<AppendWriter> writer);
  void Discard();
  void Release();

  BlobStore* store_;
  std::string id_;
  Digest digest_;
  int fd_;
  int64_t committed_;
  std::unique_ptr<AppendWriter> writer_;
  Sha256 hasher_;
  bool done_ = false;
};

// A blob written before its digest is known (the MLflow artifact proxy
// receives bytes, not digests): its bytes go to a temp file while hashed;
// Finish() flushes and syncs them and says what they hash to; Publish()
// then renames the file into place. Destroying a writer that did not
// publish removes its temp file (so a blob already stored is not written
// twice). Not thread-safe.
class HashingWriter {
 public:
  ~HashingWriter();
  HashingWriter(const HashingWriter&) = delete;
  HashingWriter& operator=(const HashingWriter&) = delete;

  absl::Status Append(absl::string_view data);
  int64_t size() const { return writer_->size(); }
  // The digest of what was appended, with the bytes durable in the temp file.
  absl::StatusOr<Digest> Finish();
  // After Finish: the blob file in place and durable.
  absl::Status Publish();

 private:
  friend class BlobStore;
  HashingWriter(BlobStore* store, std::filesystem::path tmp, fs::Fd fd)
      : store_(store), tmp_(std::move(tmp)), fd_(std::move(fd)) {}

  BlobStore* store_;
  std::filesystem::path tmp_;
  fs::Fd fd_;
  Sha256 hasher_;  // fed by writer_'s observer; declared first, destroyed last
  std::unique_ptr<AppendWriter> writer_;
  std::optional<Digest> digest_;
  bool published_ = false;
};

class BlobStore {
 public:
  // All writes, syncs and renames go through `env` (common/fs/env.h), which
  // must outlive the store; tests pass a FaultInjectionEnv.
  static absl::StatusOr<std::unique_ptr<BlobStore>> Open(const std::filesystem::path& root,
                                                         fs::Env* env = fs::Env::Default());

  // The loose file of a blob, or the pack file holding it.
  std::filesystem::path PathOf(const Digest& d) const;
  std::filesystem::path PackPath(const std::string& pack) const;
  bool FileExists(const Digest& d) const;

  struct PutResult {
    absl::Status status;
    BlobLocation location;  // where the bytes are, when status is OK
  };
  // Verifies each (digest, bytes) pair and writes the matching ones durably
  // into one new pack file (one write, one sync). Returns one result per
  // item, in order.
  std::vector<PutResult> PutBatch(absl::Span<const std::pair<Digest, absl::string_view>> items);

  // Reads [offset, offset+limit) of a blob (limit <= 0: to the end) into
  // `sink` in chunks of at most `chunk` bytes; stops early when `sink`
  // returns false. NOT_FOUND when its file is absent. A blob kept in the
  // database is served from `where.bytes`.
  absl::Status Read(const Digest& d, const BlobLocation& where, int64_t offset, int64_t limit, size_t chunk,
                    const std::function<bool(absl::string_view)>& sink) const;
  absl::StatusOr<std::string> ReadAll(const Digest& d, const BlobLocation& where) const;

  // Opens (or resumes) the upload `id` of `digest` for `principal` (kept in
  // the upload's meta file). Resuming re-hashes the committed bytes.
  // ABORTED (UPLOAD_IN_PROGRESS) when another stream holds the upload;
  // FAILED_PRECONDITION when `id` is in use for a different digest;
  // PERMISSION_DENIED when another principal started it.
  absl::StatusOr<std::unique_ptr<Upload>> OpenUpload(absl::string_view id, const Digest& digest,
                                                     absl::string_view principal = "");
  // A writer for a blob whose digest its bytes will tell (HashingWriter).
  absl::StatusOr<std::unique_ptr<HashingWriter>> OpenHashingWriter();
  struct PartialUpload {
    std::string id;
    Digest digest;
    std::string principal;  // "" for uploads started before principals were kept
  };
  // Every partial upload on disk (for quotas).
  std::vector<PartialUpload> ListPartialUploads() const;
  // Removes the partial upload `id` of `digest`: NOT_FOUND when there is
  // none, PERMISSION_DENIED when `principal` did not start it, ABORTED when a
  // stream is writing it.
  absl::Status AbortUpload(absl::string_view id, const Digest& digest, absl::string_view principal);
  // Committed bytes of a partial upload; 0 when there is none.
  absl::StatusOr<int64_t> PartialSize(absl::string_view id, const Digest& digest) const;
  // Removes partial uploads not touched for `max_age` and not open.
  // Returns how many were removed.
  int CleanAbandonedUploads(absl::Duration max_age);
  int64_t CountPartialUploads() const;

  // Every loose blob file on disk, by digest (from its name).
  absl::Status ForEachLooseFile(const std::function<absl::Status(const Digest&)>& fn) const;
  // Every pack file on disk, by pack id.
  absl::Status ForEachPack(const std::function<absl::Status(const std::string&)>& fn) const;
  // Re-hashes a stored blob (from `where.bytes` when in the database): OK,
  // NOT_FOUND, or DATA_LOSS when its bytes do not match its digest. Adds the bytes read to *bytes_hashed.
  absl::Status Verify(const Digest& d, const BlobLocation& where, int64_t* bytes_hashed) const;

 private:
  friend class Upload;
  friend class HashingWriter;
  BlobStore(std::filesystem::path root, fs::Env* env) : root_(std::move(root)), env_(env) {}
  absl::Status Init();
  std::filesystem::path PartPath(absl::string_view id) const;
  std::filesystem::path MetaPath(absl::string_view id) const;
  // Renames a synced temp file into its final place and syncs the folder.
  absl::Status Publish(const std::filesystem::path& tmp, const Digest& d, bool sync_dir);
  void ReleaseUpload(const std::string& id);

  std::filesystem::path root_;
  fs::Env* env_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> active_uploads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fairtrace
