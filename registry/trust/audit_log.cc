#include "registry/trust/audit_log.h"

#include "absl/strings/str_cat.h"
#include "common/audit/audit_proto.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/core/audited.h"

namespace fairtrace {
namespace {

std::string Bytes(const MerkleHash& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }

absl::Status SizeField(absl::string_view field, int64_t value) {
  if (value < 0) return InvalidField(field, "must not be negative");
  return absl::OkStatus();
}

}  // namespace

AuditLog::AuditLog(Store* store, std::vector<NoteSigner> signers) : store_(store), signers_(std::move(signers)) {}

absl::StatusOr<v1::SignedCheckpoint> AuditLog::Sign(int64_t size, const MerkleHash& root) const {
  fairtrace::Checkpoint c{origin(), size, root, {}};
  SignedNote note{CheckpointBody(c), {}};
  for (const NoteSigner& s : signers_) note.signatures.push_back(s.Sign(note.body));
  if (size > 0) {
    FT_ASSIGN_OR_RETURN(std::vector<NoteSignature> cosignatures, store_->CheckpointCosignatures(size));
    for (NoteSignature& s : cosignatures) note.signatures.push_back(std::move(s));
  }
  v1::SignedCheckpoint out;
  out.set_note(FormatSignedNote(note));
  out.set_origin(origin());
  out.set_tree_size(size);
  out.set_root_hash(Bytes(root));
  out.set_verifier_key(verifier_key());
  return out;
}

absl::StatusOr<v1::SignedCheckpoint> AuditLog::Checkpoint(int64_t tree_size) const {
  FT_RETURN_IF_ERROR(SizeField("tree_size", tree_size));
  if (tree_size == 0) {
    Store::AuditTreeHead head = store_->GetAuditTreeHead();
    return Sign(head.size, head.root);
  }
  FT_ASSIGN_OR_RETURN(MerkleHash root, store_->AuditTreeRoot(tree_size));
  return Sign(tree_size, root);
}

absl::StatusOr<v1::InclusionProof> AuditLog::Prove(int64_t sequence, int64_t tree_size) const {
  FT_RETURN_IF_ERROR(SizeField("tree_size", tree_size));
  if (sequence < 1) return InvalidField("sequence", "records are numbered from 1");
  FT_ASSIGN_OR_RETURN(v1::SignedCheckpoint checkpoint, Checkpoint(tree_size));
  int64_t size = checkpoint.tree_size();
  if (sequence > size) {
    return ErrorBuilder(absl::StatusCode::kNotFound,
                        absl::StrCat("audit record ", sequence, " does not exist in a log of ", size, " records"))
        .Reason("AUDIT_RECORD_NOT_FOUND")
        .Resource("fairtrace.v1.AuditRecord", absl::StrCat("audit/", sequence))
        .Build();
  }
  FT_ASSIGN_OR_RETURN(std::vector<AuditRecord> records, store_->ListAudit(sequence - 1, 1));
  if (records.empty() || records[0].sequence != sequence) {
    return ErrorBuilder(absl::StatusCode::kDataLoss, absl::StrCat("audit record ", sequence, " is missing"))
        .Reason("AUDIT_CHAIN_BROKEN")
        .Build();
  }
  FT_ASSIGN_OR_RETURN(std::vector<MerkleHash> hashes, store_->AuditInclusionProof(sequence - 1, size));
  v1::InclusionProof out;
  AuditRecordToProto(records[0], out.mutable_record());
  out.set_leaf_index(sequence - 1);
  out.set_tree_size(size);
  for (const MerkleHash& h : hashes) out.add_hashes(Bytes(h));
  *out.mutable_checkpoint() = std::move(checkpoint);
  return out;
}

absl::StatusOr<v1::ConsistencyProof> AuditLog::Consistency(int64_t old_size, int64_t new_size) const {
  FT_RETURN_IF_ERROR(SizeField("old_size", old_size));
  FT_RETURN_IF_ERROR(SizeField("new_size", new_size));
  FT_ASSIGN_OR_RETURN(v1::SignedCheckpoint checkpoint, Checkpoint(new_size));
  FT_ASSIGN_OR_RETURN(std::vector<MerkleHash> hashes, store_->AuditConsistencyProof(old_size, checkpoint.tree_size()));
  v1::ConsistencyProof out;
  out.set_old_size(old_size);
  out.set_new_size(checkpoint.tree_size());
  for (const MerkleHash& h : hashes) out.add_hashes(Bytes(h));
  *out.mutable_checkpoint() = std::move(checkpoint);
  return out;
}

absl::Status AuditLog::ResourceStates(const std::function<bool(const v1::ResourceState&)>& emit) const {
  auto send = [&emit](const v1::ResourceState& m) {
    return emit(m) ? absl::OkStatus() : absl::CancelledError("the client went away");
  };
  return store_->ListResourceStates(
      [&](int64_t as_of) {
        v1::ResourceState first;
        first.set_as_of_sequence(as_of);
        return send(first);
      },
      [&](const std::string& name, const std::string& document) {
        v1::ResourceState m;
        m.set_name(name);
        m.set_document(document);
        return send(m);
      });
}

absl::StatusOr<v1::SignedCheckpoint> AuditLog::AddCosignatures(const CallContext& ctx, const std::string& text) {
  return Audited(store_, ctx, "auditLog/checkpoints", [&]() -> absl::StatusOr<v1::SignedCheckpoint> {
    FT_ASSIGN_OR_RETURN(SignedNote note, ParseSignedNote(text));
    FT_ASSIGN_OR_RETURN(fairtrace::Checkpoint c, ParseCheckpointBody(note.body));
    auto not_issued = [&](const std::string& why) {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("this log never issued that checkpoint: ", why))
          .Reason("CHECKPOINT_NOT_ISSUED")
          .Build();
    };
    if (c.origin != origin()) return not_issued(absl::StrCat("its origin is '", c.origin, "'"));
    if (!c.extensions.empty()) return not_issued("it has extension lines");
    Store::AuditTreeHead head = store_->GetAuditTreeHead();
    if (c.size < 1 || c.size > head.size) return not_issued(absl::StrCat("the log has ", head.size, " records"));
    FT_ASSIGN_OR_RETURN(MerkleHash root, store_->AuditTreeRoot(c.size));
    if (root != c.root) return not_issued("its root differs from the log's at that size");
    std::vector<NoteSignature> cosignatures;
    for (const NoteSignature& s : note.signatures) {
      bool own = false;
      for (const NoteSigner& signer : signers_) own = own || s.key_name == signer.name();
      if (!own) cosignatures.push_back(s);
    }
    if (cosignatures.empty()) return InvalidField("note", "carries no signature other than the log's own");
    FT_RETURN_IF_ERROR(store_->AddCheckpointCosignatures(
        c.size, cosignatures, MakeAuditEntry(ctx, absl::StrCat("auditLog/checkpoints/", c.size), absl::OkStatus())));
    return Sign(c.size, root);
  });
}

}  // namespace fairtrace
