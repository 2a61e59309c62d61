// AuditLog: the verifiable face of the audit log (AuditService checkpoint
// and proof calls, docs/audit-log.md § Checkpoints). It signs C2SP
// checkpoints of the store's Merkle tree with the log's Ed25519 key(s) and
// hands out RFC 9162 proofs; clients verify everything themselves.
//
// The log's origin is the first signer's key name. During a key rotation
// (docs/audit-log.md § Key rotation) a second signer signs every checkpoint
// too. Errors: INVALID_ARGUMENT for sizes or records out of range,
// FAILED_PRECONDITION (CHECKPOINT_NOT_ISSUED) for a cosigned note whose body
// this log never signed; store errors pass through. Thread-safe; borrows
// the store.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/signed_note.h"
#include "fairtrace/v1/admin.pb.h"
#include "registry/core/call_context.h"
#include "registry/store/store.h"

namespace fairtrace {

class AuditLog {
 public:
  // `signers` is not empty; signers[0] names the log.
  AuditLog(Store* store, std::vector<NoteSigner> signers);

  const std::string& origin() const { return signers_[0].name(); }
  std::string verifier_key() const { return signers_[0].VerifierKey(); }

  // tree_size 0: the latest tree.
  absl::StatusOr<v1::SignedCheckpoint> Checkpoint(int64_t tree_size) const;
  absl::StatusOr<v1::InclusionProof> Prove(int64_t sequence, int64_t tree_size) const;
  absl::StatusOr<v1::ConsistencyProof> Consistency(int64_t old_size, int64_t new_size) const;
  // Keeps the signatures of `note` that are not the log's own.
  absl::StatusOr<v1::SignedCheckpoint> AddCosignatures(const CallContext& ctx, const std::string& note);
  // Every stored resource's state document, from one snapshot; the first
  // message carries only the snapshot's last audit sequence. `emit` returns
  // false when the client went away (the walk stops, CANCELLED).
  absl::Status ResourceStates(const std::function<bool(const v1::ResourceState&)>& emit) const;

 private:
  absl::StatusOr<v1::SignedCheckpoint> Sign(int64_t size, const MerkleHash& root) const;

  Store* store_;
  std::vector<NoteSigner> signers_;
};

}  // namespace fairtrace
