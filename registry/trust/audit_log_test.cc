#include "registry/trust/audit_log.h"

#include <gtest/gtest.h>

#include "common/audit/audit_proto.h"
#include "common/status/errors.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;

MerkleHash HashOf(const std::string& bytes) {
  MerkleHash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

std::vector<MerkleHash> Hashes(const google::protobuf::RepeatedPtrField<std::string>& in) {
  std::vector<MerkleHash> out;
  for (const auto& b : in) out.push_back(HashOf(b));
  return out;
}

std::string Reason(const absl::Status& s) {
  auto d = ErrorDetailsOf(s);
  return d ? d->reason : "";
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = SqliteBackend::Open({.path = (dir_.path() / "t.db").string()});
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = *std::move(b);
    auto signer = NoteSigner::Generate("lab.example/fairtrace");
    ASSERT_TRUE(signer.ok());
    verifier_ = *NoteVerifier::FromVerifierKey(signer->VerifierKey());
    log_ = std::make_unique<AuditLog>(backend_->content(), std::vector<NoteSigner>{*signer});
    for (int i = 0; i < 11; ++i) Append(std::to_string(i));
  }
  void Append(const std::string& resource) {
    ASSERT_OK(backend_->content()->AppendAudit({"user:a", "/m", resource, std::string(64, '0'), "OK"}));
  }
  Checkpoint Open(const v1::SignedCheckpoint& c) {
    auto opened = OpenCheckpoint(c.note(), *verifier_, "lab.example/fairtrace");
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? *opened : Checkpoint{};
  }
  CallContext ctx_{"user:witness", "/fairtrace.v1.AuditService/AddCheckpointCosignatures", std::string(64, '1')};
  fairtrace::testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> backend_;
  std::optional<NoteVerifier> verifier_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, CheckpointsAreSignedAndProofsVerifyAgainstThem) {
  ASSERT_OK_AND_ASSIGN(v1::SignedCheckpoint old, log_->Checkpoint(0));
  Checkpoint old_cp = Open(old);
  EXPECT_EQ(old_cp.size, 11);
  for (int i = 0; i < 6; ++i) Append("more");
  ASSERT_OK_AND_ASSIGN(v1::SignedCheckpoint latest, log_->Checkpoint(0));
  Checkpoint now = Open(latest);
  EXPECT_EQ(now.size, 17);
  // An earlier size is signed again, identically (Ed25519 is deterministic).
  ASSERT_OK_AND_ASSIGN(v1::SignedCheckpoint again, log_->Checkpoint(11));
  EXPECT_EQ(again.note(), old.note());

  ASSERT_OK_AND_ASSIGN(v1::InclusionProof proof, log_->Prove(5, 0));
  EXPECT_EQ(proof.tree_size(), 17);
  ASSERT_OK_AND_ASSIGN(AuditRecord record, AuditRecordFromProto(proof.record()));
  EXPECT_EQ(record.sequence, 5);
  EXPECT_TRUE(VerifyMerkleInclusion(MerkleLeafHash(AuditCanonicalBytes(record)), 4, 17, Hashes(proof.hashes()),
                                    Open(proof.checkpoint()).root));
  ASSERT_OK_AND_ASSIGN(v1::ConsistencyProof consistency, log_->Consistency(11, 0));
  EXPECT_EQ(consistency.new_size(), 17);
  EXPECT_TRUE(VerifyMerkleConsistency(11, 17, old_cp.root, now.root, Hashes(consistency.hashes())));
}

TEST_F(AuditLogTest, OutOfRangeRequestsAreRefused) {
  EXPECT_THAT(log_->Checkpoint(12), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log_->Checkpoint(-1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log_->Prove(0, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log_->Prove(12, 0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(log_->Prove(5, 4), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(log_->Prove(5, 40), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log_->Consistency(12, 11), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log_->Consistency(1, 99), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AuditLogTest, WitnessCosignaturesAreKeptOnlyForCheckpointsTheLogIssued) {
  ASSERT_OK_AND_ASSIGN(v1::SignedCheckpoint cp, log_->Checkpoint(0));
  auto witness = NoteSigner::Generate("witness.example");
  ASSERT_OK_AND_ASSIGN(SignedNote note, ParseSignedNote(cp.note()));
  note.signatures.push_back(witness->Sign(note.body));
  ASSERT_OK_AND_ASSIGN(v1::SignedCheckpoint cosigned, log_->AddCosignatures(ctx_, FormatSignedNote(note)));
  Append("later");
  ASSERT_OK_AND_ASSIGN(v1::SignedCheckpoint back, log_->Checkpoint(11));
  EXPECT_EQ(back.note(), cosigned.note());
  ASSERT_OK_AND_ASSIGN(SignedNote kept, ParseSignedNote(back.note()));
  ASSERT_EQ(kept.signatures.size(), 2u);
  auto witness_verifier = NoteVerifier::FromVerifierKey(witness->VerifierKey());
  EXPECT_TRUE(witness_verifier->VerifyNote(kept));
  EXPECT_TRUE(verifier_->VerifyNote(kept));

  // A body this log never signed: another root, size or origin.
  Checkpoint forged = Open(cp);
  forged.root[0] ^= 1;
  SignedNote bad{CheckpointBody(forged), {witness->Sign(CheckpointBody(forged))}};
  EXPECT_EQ(Reason(log_->AddCosignatures(ctx_, FormatSignedNote(bad)).status()), "CHECKPOINT_NOT_ISSUED");
  Checkpoint future = Open(cp);
  future.size = 99;
  bad = {CheckpointBody(future), {witness->Sign(CheckpointBody(future))}};
  EXPECT_EQ(Reason(log_->AddCosignatures(ctx_, FormatSignedNote(bad)).status()), "CHECKPOINT_NOT_ISSUED");
  Checkpoint other = Open(cp);
  other.origin = "other.example/log";
  bad = {CheckpointBody(other), {witness->Sign(CheckpointBody(other))}};
  EXPECT_EQ(Reason(log_->AddCosignatures(ctx_, FormatSignedNote(bad)).status()), "CHECKPOINT_NOT_ISSUED");
  // Only the log's own signature: nothing to keep.
  EXPECT_THAT(log_->AddCosignatures(ctx_, cp.note()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Reason(log_->AddCosignatures(ctx_, "garbage").status()), "NOTE_MALFORMED");
  // Every attempt is audited, the refused ones with their code.
  ASSERT_OK_AND_ASSIGN(auto records, backend_->content()->ListAudit(0, 100));
  int cosign_records = 0;
  int refused = 0;
  for (const auto& r : records) {
    if (r.entry.method != ctx_.method) continue;
    ++cosign_records;
    refused += r.entry.result != "OK";
  }
  EXPECT_EQ(cosign_records, 6);
  EXPECT_EQ(refused, 5);
}

TEST_F(AuditLogTest, DuringARotationBothKeysSign) {
  auto old_key = NoteSigner::Generate("lab.example/fairtrace");
  auto new_key = NoteSigner::Generate("lab.example/fairtrace-2027");
  AuditLog rotating(backend_->content(), {*old_key, *new_key});
  ASSERT_OK_AND_ASSIGN(v1::SignedCheckpoint cp, rotating.Checkpoint(0));
  EXPECT_TRUE(OpenCheckpoint(cp.note(), *NoteVerifier::FromVerifierKey(old_key->VerifierKey())).ok());
  EXPECT_TRUE(OpenCheckpoint(cp.note(), *NoteVerifier::FromVerifierKey(new_key->VerifierKey())).ok());
}

}  // namespace
}  // namespace fairtrace
