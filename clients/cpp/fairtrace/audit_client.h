// AuditClient: verifies fairtrace's audit log on the client, trusting
// nothing the server computed (docs/audit-log.md § Verifying).
//
// Verify() (with `deep`, after opening the server's snapshot of resource
// states) fetches the latest signed checkpoint, checks its signature with
// the pinned key, fetches every record up to its size, re-walks the hash
// chain, recomputes the Merkle root, and checks that every older checkpoint
// the caller holds (files, plus the last one verified from this origin, kept
// under the state folder) is a prefix of it — both by consistency proof and
// by recomputing the old root from the records. Prove() fetches and checks
// one record's inclusion proof and can export it as an offline bundle;
// VerifyBundle() checks a bundle with nothing but the key.
//
// Errors: DATA_LOSS with reason AUDIT_CHAIN_BROKEN, AUDIT_ROOT_MISMATCH,
// CHECKPOINT_INCONSISTENT or CHECKPOINT_ROLLBACK when the log is not what
// its checkpoints promise; UNAUTHENTICATED NOTE_SIGNATURE_INVALID for a
// checkpoint the key did not sign; FAILED_PRECONDITION
// CHECKPOINT_ORIGIN_MISMATCH for another log's checkpoint; transport and
// server errors as they come. Thread-safe like the stubs.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/cpp/fairtrace/cas_client.h"
#include "common/audit/signed_note.h"
#include "common/audit/state_digest.h"
#include "fairtrace/v1/admin.grpc.pb.h"

namespace fairtrace::client {

struct AuditVerifyOptions {
  // The log's verifier key, pinned by the auditor. Without it checkpoints
  // are read but not authenticated (the result says so).
  std::optional<NoteVerifier> key;
  // Checkpoints saved earlier (signed-note text).
  std::vector<std::string> old_checkpoints;
  // Where the last verified checkpoint of each origin is kept; "" keeps none.
  std::filesystem::path state_dir;
  // Also compare every stored resource's state with its latest record
  // (docs/audit-log.md, "State digests"): the server sends each resource's
  // state document from one snapshot; this client hashes it and compares
  // it with the latest record carrying a state digest for that resource in
  // the log it verified.
  bool deep = false;
  // With `deep`: also read every resource through the ordinary read RPCs
  // (clients/cpp/fairtrace/state_reads.h) and compare each field the read
  // returns with the document's, so a digest is tied to what the API
  // answers, not only to the document the server presents. One read per
  // resource: slower.
  bool reads = false;
};

// A StateFinding (common/audit/state_digest.h) here has the kinds of
// fsck's (STATE_MISMATCH, STATE_UNRECORDED, STATE_VANISHED), and
// STATE_DOCUMENT_INVALID for a document that is not canonical JSON naming
// its resource, and with `reads` STATE_READ_MISMATCH for a document that
// differs from the ordinary read of its resource.
using fairtrace::StateFinding;

struct AuditVerifyResult {
  int64_t records = 0;
  Checkpoint checkpoint;
  std::string checkpoint_note;
  bool signature_checked = false;
  // Sizes of the older checkpoints found consistent (files and state).
  std::vector<int64_t> older_sizes;
  // With `deep`: the resources compared, the last record of the server's
  // snapshot, and what disagrees (empty when all agree).
  int64_t resources_checked = 0;
  int64_t states_as_of = 0;
  std::vector<StateFinding> state_findings;
  // With `reads`: the resources read and compared, the fields compared,
  // and the resources not read, counted by reason (a kind without a gRPC
  // read, a list the caller may not call). A resource that differs is a
  // STATE_READ_MISMATCH finding, unless a record after the snapshot
  // changed it (it is then counted under reads_changed).
  int64_t reads_compared = 0;
  int64_t read_fields = 0;
  int64_t reads_changed = 0;
  std::map<std::string, int64_t> not_read;
  // Fields of read resources left uncompared, counted by "kind: reason"
  // (a lineage with a node redacted for the caller).
  std::map<std::string, int64_t> not_compared;
};

struct ProofBundleSummary {
  int64_t sequence = 0;
  int64_t tree_size = 0;
  std::string origin;
  std::string resource;
  std::string method;
  std::string principal;
};

class AuditClient {
 public:
  explicit AuditClient(ClientOptions options);

  absl::StatusOr<v1::SignedCheckpoint> GetCheckpoint(int64_t tree_size = 0);
  absl::StatusOr<AuditVerifyResult> Verify(const AuditVerifyOptions& options);
  // The verified inclusion proof of record `sequence` in the latest tree,
  // as a bundle (JSON text, format "fairtrace-audit-proof/1").
  absl::StatusOr<std::string> Prove(int64_t sequence, const AuditVerifyOptions& options);
  absl::StatusOr<v1::SignedCheckpoint> AddCosignatures(const std::string& note);

  // Offline: checks a bundle's checkpoint signature and inclusion proof.
  static absl::StatusOr<ProofBundleSummary> VerifyBundle(const std::string& bundle, const NoteVerifier& key);

 private:
  absl::StatusOr<Checkpoint> OpenWith(const AuditVerifyOptions& options, const std::string& note,
                                      std::optional<absl::string_view> origin) const;
  absl::Status CheckConsistent(const Checkpoint& old_cp, const Checkpoint& now);

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

// $XDG_STATE_HOME/fairtrace, else ~/.local/state/fairtrace ("" when neither
// is known).
std::filesystem::path DefaultAuditStateDir();

}  // namespace fairtrace::client
