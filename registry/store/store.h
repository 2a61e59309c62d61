// Store: the metadata database behind the registry. SQLite is the embedded
// default (sqlite/); PostgreSQL will follow and must pass the same
// conformance suite (store_conformance_test.cc).
//
// Contract for every implementation:
// - Each mutating call runs in one transaction that also appends the given
//   audit record; either both are committed or neither.
// - Audit records form a hash chain (audit/audit_record.h); sequence numbers
//   start at 1 and have no gaps.
// - Thread-safe: calls may come from any number of threads.
// Errors: INVALID_ARGUMENT for bad arguments, FAILED_PRECONDITION when a
// referenced row is missing, INTERNAL/UNAVAILABLE for database failures.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/audit/audit_record.h"
#include "common/audit/merkle.h"
#include "common/audit/signed_note.h"
#include "common/content/digest.h"
#include "common/content/tree.h"
#include "registry/cas/blob_location.h"

namespace fairtrace {

struct BlobRow {
  Digest digest;
  int64_t create_time_micros = 0;
  bool is_tree = false;
  BlobLocation location;
};

// A verified, durable blob to make visible.
struct StoredBlob {
  Digest digest;
  BlobLocation location;
};

struct TreeRow {
  Digest digest;
  int64_t entry_count = 0;
  int64_t total_size_bytes = 0;
  int64_t create_time_micros = 0;
};

// A tree to register in the same transaction as the write that first uses
// it (ModelStore::InsertModelVersion; core: ContentStore::PrepareTree): its
// digest, its parsed entries (checked: restorable names, every blob
// stored) and, when its manifest blob is not stored yet, the manifest to
// keep in the blob's row.
struct TreeToRegister {
  Digest digest;
  std::vector<TreeEntry> entries;
  std::optional<std::string> manifest;
};

// A tree's reference to a blob that has no committed row (fsck).
struct DanglingReference {
  Digest tree;
  Digest blob;
};

class Store {
 public:
  virtual ~Store() = default;

  // For each digest, whether a committed blob row exists (same order).
  virtual absl::StatusOr<std::vector<bool>> HasBlobs(absl::Span<const Digest> digests) = 0;
  virtual absl::StatusOr<std::optional<BlobRow>> GetBlob(const Digest& digest) = 0;
  // Makes `blobs` visible at their locations (rows that exist already are
  // kept as they are, with their first location) and appends `audit`, in
  // one transaction.
  virtual absl::Status CommitBlobs(absl::Span<const StoredBlob> blobs, const AuditEntry& audit) = 0;

  virtual absl::StatusOr<std::optional<TreeRow>> GetTree(const Digest& digest) = 0;
  // Records the tree `digest` (whose manifest blob must exist) with a
  // reference to every entry's blob, and appends `audit`, in one
  // transaction. A tree that exists already is left as it is (the audit
  // record is still appended). FAILED_PRECONDITION when a blob is missing.
  // `keep_manifest`: the manifest's bytes (they must match `digest`; the
  // caller verified them), kept in the manifest blob's own row in the same
  // transaction when it has none (BlobLocation::in_database).
  virtual absl::Status CommitTree(const Digest& digest, absl::Span<const TreeEntry> entries, const AuditEntry& audit,
                                  const std::string* keep_manifest = nullptr) = 0;

  // The page index of a tree (core/tree.h TreeIndexPoints): CommitTree
  // stores it with the tree; trees stored before it existed get it through
  // PutTreeIndex on first use (derived data, not audited; a second put of
  // the same points is a no-op). TreeIndexPointAtOrBefore gives the last
  // point with entry <= `entry`, or nullopt when the tree has no index.
  virtual absl::Status PutTreeIndex(const Digest& tree, absl::Span<const TreeIndexPoint> points) = 0;
  virtual absl::StatusOr<std::optional<TreeIndexPoint>> TreeIndexPointAtOrBefore(const Digest& tree, int64_t entry) = 0;

  // Appends an audit record for a call that changed nothing else.
  virtual absl::Status AppendAudit(const AuditEntry& audit) = 0;

  // The project (docs/security.md, "Projects") of the top-level resource
  // `collection`/`id` ("models", "runs", "datasets", "investigations" or
  // "experiments";
  // deleted models included); nullopt when it does not exist.
  // INVALID_ARGUMENT for another collection.
  virtual absl::StatusOr<std::optional<std::string>> ResourceProject(absl::string_view collection,
                                                                     const std::string& id) = 0;
  // Records with sequence > after_sequence, ascending, at most `limit`.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after_sequence, int limit) = 0;

  // The RFC 6962 Merkle tree whose leaves are the audit records' canonical
  // bytes (leaf i = record i + 1): its committed size and root, and proofs
  // against any size up to it. INVALID_ARGUMENT for an index or size out of
  // range; DATA_LOSS when a stored node is missing.
  struct AuditTreeHead {
    int64_t size = 0;
    MerkleHash root{};
  };
  virtual AuditTreeHead GetAuditTreeHead() = 0;
  virtual absl::StatusOr<std::vector<MerkleHash>> AuditInclusionProof(int64_t leaf_index, int64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<MerkleHash>> AuditConsistencyProof(int64_t old_size, int64_t new_size) = 0;
  // The root of the tree of the first `tree_size` records.
  virtual absl::StatusOr<MerkleHash> AuditTreeRoot(int64_t tree_size) = 0;
  // One stored node (a perfect subtree's root), for fsck; DATA_LOSS when
  // missing.
  virtual absl::StatusOr<MerkleHash> AuditMerkleNode(int level, int64_t index) = 0;

  // Witness cosignatures of the checkpoint of `tree_size` (which must be
  // <= the tree's size): added signatures replace those of the same key
  // name and id; listed in key order.
  virtual absl::Status AddCheckpointCosignatures(int64_t tree_size, absl::Span<const NoteSignature> signatures,
                                                 const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::vector<NoteSignature>> CheckpointCosignatures(int64_t tree_size) = 0;

  // The state check (docs/audit-log.md, "State digests"): recomputes the
  // state digest of every stored resource from its rows and compares it
  // with the latest audit record that carries one for it, in one consistent
  // snapshot. Calls `problem` for each finding:
  //   STATE_MISMATCH   stored state differs from what its latest record says;
  //   STATE_UNRECORDED stored, but no record carries its state;
  //   STATE_VANISHED   its latest record says it exists, but it is not stored;
  //   STATE_UNREADABLE its stored text is not valid UTF-8;
  //   STATE_POINTER_MISMATCH a "latest"/"next" counter disagrees with the
  //                    versions stored (these counters are in no document).
  // Returns the number of resources checked.
  struct StateProblem {
    std::string kind, resource, detail;
  };
  virtual absl::StatusOr<int64_t> CheckResourceStates(const std::function<void(StateProblem)>& problem) = 0;
  // Every stored resource's state document (canonical JSON), from one
  // snapshot: `begin` first gets the snapshot's last audit sequence, then
  // `each` every (name, document), kind by kind. An error from a callback
  // stops the walk and is returned.
  virtual absl::Status ListResourceStates(
      const std::function<absl::Status(int64_t)>& begin,
      const std::function<absl::Status(const std::string&, const std::string&)>& each) = 0;

  // Full scans for fsck. Callbacks run without locks held on the writer; an
  // error from the callback stops the scan and is returned.
  virtual absl::Status ForEachBlob(const std::function<absl::Status(const BlobRow&)>& fn) = 0;
  virtual absl::StatusOr<int64_t> CountTreeReferences() = 0;
  virtual absl::StatusOr<std::vector<DanglingReference>> DanglingTreeReferences(int limit) = 0;
};

}  // namespace fairtrace
