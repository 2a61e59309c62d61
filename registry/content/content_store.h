// ContentStore: the rules of content-addressed storage, transport-free.
// It verifies every byte before it becomes visible, deduplicates, keeps
// uploads resumable, registers trees, and writes one audit record per
// mutating call (in the same transaction as the change when there is one).
//
// Visibility: a blob is visible once its row is committed in the Store,
// which happens only after its file is verified and durable in BlobStore.
// The empty blob is always visible.
//
// Thread-safe; borrows `store` and `blobs`, which must outlive it.
// Errors follow docs/cas-protocol.md ("Errors").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/content/digest.h"
#include "common/content/tree.h"
#include "registry/cas/blob_store.h"
#include "registry/core/call_context.h"
#include "registry/store/store.h"

namespace fairtrace {

// Disk that unfinished uploads may hold (docs/limits.md). An upload
// reserves its blob's whole size when it starts (the server preallocates
// it), so these bound what anonymous callers can tie up for the 24 hours a
// partial upload is kept.
struct UploadQuota {
  int64_t per_principal_bytes = int64_t{32} << 30;  // 32 GiB
  int64_t total_bytes = int64_t{128} << 30;         // 128 GiB
  int per_principal_uploads = 256;
};

struct CasLimits {
  UploadQuota upload_quota;
  int64_t max_blob_size = int64_t{16} << 30;    // 16 GiB
  int max_find_missing = 50'000;                // digests per FindMissingBlobs
  int max_batch_blobs = 10'000;                 // blobs per batch call
  int64_t max_batch_bytes = int64_t{15} << 20;  // data bytes per batch call
  int default_tree_page = 1'000;
  int max_tree_page = 10'000;
};

struct TreePage {
  TreeRow tree;
  std::vector<TreeEntry> entries;
  std::string next_page_token;
};

class ContentStore;

// One Write stream. Not thread-safe. Destroying an unfinished session keeps
// its committed bytes for a resume (and records the interruption).
class WriteSession {
 public:
  ~WriteSession();
  // Appends `data` at `write_offset`, which must equal committed().
  absl::Status Append(int64_t write_offset, absl::string_view data);
  // Verifies and makes the blob visible; returns its size.
  absl::StatusOr<int64_t> Finish();
  int64_t committed() const { return upload_->committed(); }

 private:
  friend class ContentStore;
  WriteSession(ContentStore* cas, CallContext ctx, std::string resource, std::unique_ptr<Upload> upload)
      : cas_(cas), ctx_(std::move(ctx)), resource_(std::move(resource)), upload_(std::move(upload)) {}
  ContentStore* cas_;
  CallContext ctx_;
  std::string resource_;
  std::unique_ptr<Upload> upload_;
  bool ended_ = false;
};

// A blob written through ContentStore::BeginStreamedBlob: bytes first,
// digest last (the MLflow artifact proxy). Finish() makes it visible
// (audited, like a Write) and returns its digest; a blob already stored is
// deduplicated. Destroying it unfinished keeps nothing. Not thread-safe.
class StreamedBlob {
 public:
  absl::Status Append(absl::string_view data) { return writer_->Append(data); }
  int64_t size() const { return writer_->size(); }
  absl::StatusOr<Digest> Finish();

 private:
  friend class ContentStore;
  StreamedBlob(ContentStore* cas, CallContext ctx, std::unique_ptr<HashingWriter> writer)
      : cas_(cas), ctx_(std::move(ctx)), writer_(std::move(writer)) {}
  ContentStore* cas_;
  CallContext ctx_;
  std::unique_ptr<HashingWriter> writer_;
};

struct WriteStart {
  // Null when the blob is already stored: the write is complete at once.
  std::unique_ptr<WriteSession> session;
  int64_t complete_size = 0;
};

struct WriteStatus {
  int64_t committed_size = 0;
  bool complete = false;
};

class ContentStore {
 public:
  // `page_token_key` signs GetTree page tokens (core/page_token.h).
  ContentStore(Store* store, BlobStore* blobs, CasLimits limits, std::string page_token_key = "")
      : store_(store), blobs_(blobs), limits_(limits), token_key_(std::move(page_token_key)) {}

  const CasLimits& limits() const { return limits_; }

  absl::StatusOr<std::vector<Digest>> FindMissing(absl::Span<const Digest> digests);

  // Per-blob results, in order. The call as a whole fails only for a bad
  // request (too many blobs or bytes) or a database failure.
  absl::StatusOr<std::vector<absl::Status>> BatchUpdate(const CallContext& ctx,
                                                        absl::Span<const std::pair<Digest, absl::string_view>> items);
  std::vector<absl::StatusOr<std::string>> BatchRead(absl::Span<const Digest> digests);

  // Starts or resumes the Write of `resource_name` at `write_offset`.
  absl::StatusOr<WriteStart> BeginWrite(const CallContext& ctx, absl::string_view resource_name, int64_t write_offset);
  absl::StatusOr<WriteStatus> QueryWrite(absl::string_view resource_name);
  // Removes a partial upload; only the principal that started it may.
  // NOT_FOUND, PERMISSION_DENIED, ABORTED (a stream is writing it). Audited.
  absl::Status AbortUpload(const CallContext& ctx, absl::string_view resource_name);

  absl::Status Read(absl::string_view resource_name, int64_t offset, int64_t limit, size_t chunk,
                    const std::function<bool(absl::string_view)>& sink);
  // Stores `bytes` (a document the server writes: a manifest, a record)
  // as a blob and returns its digest; one already stored is not written
  // or audited again. The batch limits apply.
  absl::StatusOr<Digest> PutBytes(const CallContext& ctx, absl::string_view bytes);
  // A blob whose digest its bytes will tell (StreamedBlob). The caller
  // bounds its size; its temp file lives only as long as the call (and is
  // removed at the next start after a crash).
  absl::StatusOr<std::unique_ptr<StreamedBlob>> BeginStreamedBlob(const CallContext& ctx);
  // Reads [offset, offset+limit) of a visible blob by digest (limit <= 0:
  // to the end); Read by name, for callers that hold a Digest.
  absl::Status ReadBlobStream(const Digest& digest, int64_t offset, int64_t limit, size_t chunk,
                              const std::function<bool(absl::string_view)>& sink);

  absl::StatusOr<TreeRow> CreateTree(const CallContext& ctx, const Digest& digest);
  // The tree whose manifest is `manifest` (a document the server wrote, e.g.
  // a run's artifact folder), checked as CreateTree checks a tree
  // (INVALID_ARGUMENT for a manifest that does not parse or names `pull`
  // cannot restore; FAILED_PRECONDITION MISSING_BLOBS), ready to be
  // registered in the transaction of the write that uses it
  // (ModelStore::InsertModelVersion): a new manifest of at most
  // kMaxManifestInDatabase bytes is kept in its blob's row there, a larger
  // one is stored as a blob first (PutBytes). Writes nothing otherwise.
  static constexpr int64_t kMaxManifestInDatabase = 64 << 10;
  struct PreparedTree {
    // Its digest and entries; `tree.manifest` is set when the manifest is
    // to be kept with the tree.
    TreeToRegister tree;
    bool registered = false;  // already: the write that uses it commits nothing of it
  };
  absl::StatusOr<PreparedTree> PrepareTree(const CallContext& ctx, std::string manifest);
  // PrepareTree, then registers the tree in one audited write (its manifest
  // kept in the same transaction); a tree registered already is not
  // written again. Returns its digest.
  absl::StatusOr<Digest> PutTree(const CallContext& ctx, std::string manifest);
  absl::StatusOr<TreePage> GetTree(const Digest& digest, int page_size, absl::string_view page_token);
  absl::StatusOr<BlobRow> GetBlob(const Digest& digest);

  // For other core services (not exposed as RPCs):
  // every entry of a registered tree (NOT_FOUND when it is not registered);
  absl::StatusOr<std::vector<TreeEntry>> TreeEntries(const Digest& digest);
  // a visible blob's bytes; INVALID_ARGUMENT when larger than max_bytes.
  absl::StatusOr<std::string> ReadBlob(const Digest& digest, int64_t max_bytes);

 private:
  friend class WriteSession;
  friend class StreamedBlob;
  absl::Status RequireVisible(const Digest& d);
  // CreateTree's checks of a new tree's entries: names `pull` can restore
  // (INVALID_ARGUMENT TREE_NOT_RESTORABLE), every blob stored
  // (FAILED_PRECONDITION MISSING_BLOBS).
  absl::Status CheckNewTreeEntries(const std::vector<TreeEntry>& entries);
  // Where a visible blob's bytes are; NOT_FOUND when it is not visible.
  absl::StatusOr<BlobLocation> Locate(const Digest& d);

  // Reserves `d`'s size for the upload `id` of `principal` against the
  // quotas (RESOURCE_EXHAUSTED, reason UPLOAD_QUOTA_EXCEEDED); an upload
  // already reserved passes. Unreserve when it ends.
  absl::Status Reserve(const std::string& id, const Digest& d, const std::string& principal);
  void Unreserve(const std::string& id);
  // Rebuilds the reservations from the partial uploads on disk (at first
  // use, and before refusing: abandoned uploads are removed in the
  // background).
  void ResyncReservations() ABSL_EXCLUSIVE_LOCKS_REQUIRED(quota_mu_);

  Store* store_;
  BlobStore* blobs_;
  CasLimits limits_;
  std::string token_key_;
  struct Reservation {
    std::string principal;
    int64_t bytes = 0;
  };
  absl::Mutex quota_mu_;
  bool reservations_loaded_ ABSL_GUARDED_BY(quota_mu_) = false;
  absl::flat_hash_map<std::string, Reservation> reservations_ ABSL_GUARDED_BY(quota_mu_);
};

}  // namespace fairtrace
