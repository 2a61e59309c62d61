// The SQLite Store (store.h): blobs, trees, the audit log.
// Borrows the database, which must outlive it. Thread-safe. See
// registry/store/store.h for the contract of each method.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry/store/sqlite/sqlite_database.h"
#include "registry/store/store.h"

namespace fairtrace {

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteDatabase* db) : db_(db) {}

  absl::StatusOr<std::vector<bool>> HasBlobs(absl::Span<const Digest> digests) override;
  absl::StatusOr<std::optional<BlobRow>> GetBlob(const Digest& digest) override;
  absl::Status CommitBlobs(absl::Span<const StoredBlob> blobs, const AuditEntry& audit) override;
  absl::StatusOr<std::optional<TreeRow>> GetTree(const Digest& digest) override;
  absl::Status PutTreeIndex(const Digest& tree, absl::Span<const TreeIndexPoint> points) override;
  absl::StatusOr<std::optional<TreeIndexPoint>> TreeIndexPointAtOrBefore(const Digest& tree, int64_t entry) override;
  absl::Status CommitTree(const Digest& digest, absl::Span<const TreeEntry> entries, const AuditEntry& audit,
                          const std::string* keep_manifest = nullptr) override;
  absl::Status AppendAudit(const AuditEntry& audit) override;
  absl::StatusOr<std::optional<std::string>> ResourceProject(absl::string_view collection,
                                                             const std::string& id) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after_sequence, int limit) override;
  AuditTreeHead GetAuditTreeHead() override;
  absl::StatusOr<std::vector<MerkleHash>> AuditInclusionProof(int64_t leaf_index, int64_t tree_size) override;
  absl::StatusOr<std::vector<MerkleHash>> AuditConsistencyProof(int64_t old_size, int64_t new_size) override;
  absl::StatusOr<MerkleHash> AuditTreeRoot(int64_t tree_size) override;
  absl::StatusOr<MerkleHash> AuditMerkleNode(int level, int64_t index) override;
  absl::Status AddCheckpointCosignatures(int64_t tree_size, absl::Span<const NoteSignature> signatures,
                                         const AuditEntry& audit) override;
  absl::StatusOr<std::vector<NoteSignature>> CheckpointCosignatures(int64_t tree_size) override;
  absl::StatusOr<int64_t> CheckResourceStates(const std::function<void(StateProblem)>& problem) override;
  absl::Status ListResourceStates(
      const std::function<absl::Status(int64_t)>& begin,
      const std::function<absl::Status(const std::string&, const std::string&)>& each) override;
  absl::Status ForEachBlob(const std::function<absl::Status(const BlobRow&)>& fn) override;
  absl::StatusOr<int64_t> CountTreeReferences() override;
  absl::StatusOr<std::vector<DanglingReference>> DanglingTreeReferences(int limit) override;

  // Inside an open write: CommitTree's work (the audit record is the
  // caller's). True when the tree is new, false when it was registered
  // already (then nothing is written).
  static absl::StatusOr<bool> CommitTreeInTxn(sqlite::Db* db, const Digest& digest, absl::Span<const TreeEntry> entries,
                                              const std::string* keep_manifest, int64_t now);
  // Inside an open write: a tree's page index.
  static absl::Status InsertTreeIndex(sqlite::Db* db, const Digest& tree, absl::Span<const TreeIndexPoint> points);

 private:
  SqliteDatabase* db_;
};

}  // namespace fairtrace
