// The verifiable audit log through the real server and CLI (issue 14):
// signed checkpoints that openssl itself accepts, proofs checked on the
// client, offline bundles, and a history rewritten behind the server's back
// (one record changed, one deleted, the whole chain and tree recomputed, or
// the newest records dropped) caught by an older checkpoint.
#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit_record.h"
#include "common/audit/signed_note.h"
#include "nlohmann/json.hpp"
#include "tests/testing/server_fixture.h"

namespace fairtrace {
namespace {

using ::testing::HasSubstr;
namespace stdfs = std::filesystem;

std::string ReadAll(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AuditLogIntegrationTest : public testing::ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    auto shown = testing::RunCommand(
        {testing::ServerProcess::ServerBinary(), "log-key", "show", "--data-dir", (dir_.path() / "data").string()});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    key_ = std::string(absl::StripTrailingAsciiWhitespace(shown.out));
    ASSERT_TRUE(NoteVerifier::FromVerifierKey(key_).ok()) << key_;
    for (int i = 0; i < 5; ++i) Write(absl::StrCat("model-", i));
  }
  void Write(const std::string& model) {
    auto r = Cli({"models", "create", model});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // The CLI with its checkpoint state in this test's folder.
  testing::CommandResult Audit(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::ServerProcess::CliBinary(), "--server", server_->target(), "audit"});
    return testing::RunCommand(args, {"XDG_STATE_HOME=" + (dir_.path() / "state").string()});
  }
  std::string db() const { return (dir_.path() / "data" / "fairtrace.db").string(); }

  // Rewrites the audit log as an insider with the database file would: `edit`
  // changes the records, then sequences, previous hashes and hashes are
  // recomputed and the Merkle table is dropped (the server rebuilds it from
  // the records when it opens). The server must be stopped.
  void RewriteHistory(const std::function<void(std::vector<AuditRecord>&)>& edit) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(h,
                                 "SELECT sequence, time_micros, principal, method, resource, request_sha256, result, "
                                 "version, state_digest FROM audit_log ORDER BY sequence",
                                 -1, &q, nullptr),
              SQLITE_OK);
    std::vector<AuditRecord> records;
    auto text = [&](int c) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, c))); };
    while (sqlite3_step(q) == SQLITE_ROW) {
      AuditRecord r;
      r.sequence = sqlite3_column_int64(q, 0);
      r.time_micros = sqlite3_column_int64(q, 1);
      r.entry = {text(2), text(3), text(4), text(5), text(6)};
      r.version = sqlite3_column_int(q, 7);
      r.state_digest = text(8);
      records.push_back(r);
    }
    sqlite3_finalize(q);
    edit(records);
    ASSERT_EQ(sqlite3_exec(h, "BEGIN; DELETE FROM audit_log; DELETE FROM audit_merkle;", nullptr, nullptr, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(h,
                                 "INSERT INTO audit_log (sequence, time_micros, principal, method, resource, "
                                 "request_sha256, result, previous_hash, hash, version, state_digest) "
                                 "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                 -1, &q, nullptr),
              SQLITE_OK);
    std::string previous(kAuditGenesisHash);
    int64_t sequence = 0;
    for (AuditRecord& r : records) {
      r.sequence = ++sequence;
      r.previous_hash = previous;
      r.hash = AuditRecordHash(r);
      previous = r.hash;
      sqlite3_bind_int64(q, 1, r.sequence);
      sqlite3_bind_int64(q, 2, r.time_micros);
      const std::string* texts[] = {
          &r.entry.principal, &r.entry.method, &r.entry.resource, &r.entry.request_sha256, &r.entry.result,
          &r.previous_hash,   &r.hash};
      for (int i = 0; i < 7; ++i) sqlite3_bind_text(q, 3 + i, texts[i]->data(), texts[i]->size(), SQLITE_TRANSIENT);
      sqlite3_bind_int(q, 10, r.version);
      sqlite3_bind_text(q, 11, r.state_digest.data(), r.state_digest.size(), SQLITE_TRANSIENT);
      ASSERT_EQ(sqlite3_step(q), SQLITE_DONE);
      sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    ASSERT_EQ(sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
  }

  std::string key_;
};

TEST_F(AuditLogIntegrationTest, CheckpointIsASignedNoteOpensslAccepts) {
  auto cp = Audit({"checkpoint", "--key", key_, "--out", (dir_.path() / "cp.txt").string()});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  std::string note = ReadAll(dir_.path() / "cp.txt");
  std::vector<std::string> lines = absl::StrSplit(note, '\n');
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[0] + "+", key_.substr(0, key_.find('+') + 1));  // origin = key name
  EXPECT_EQ(lines[1], "6");  // the fixture's token and five creates; showing the key wrote nothing
  // The body and the raw signature, checked by openssl with the public key
  // taken from the server's key file.
  std::string body = note.substr(0, note.find("\n\n") + 1);
  auto parsed = ParseSignedNote(note);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->signatures.size(), 1u);
  WriteFile(work() / "body", body);
  WriteFile(work() / "sig", parsed->signatures[0].signature);
  stdfs::path key_file = dir_.path() / "data" / "keys" / "checkpoint.key";
  EXPECT_EQ(stdfs::status(key_file).permissions() & stdfs::perms::all,
            stdfs::perms::owner_read | stdfs::perms::owner_write);
  auto pub = testing::RunCommand(
      {"/usr/bin/openssl", "pkey", "-in", key_file.string(), "-pubout", "-out", (work() / "pub.pem").string()});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  auto ok =
      testing::RunCommand({"/usr/bin/openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (work() / "pub.pem").string(),
                           "-rawin", "-in", (work() / "body").string(), "-sigfile", (work() / "sig").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  WriteFile(work() / "body", body + "x");
  auto bad =
      testing::RunCommand({"/usr/bin/openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (work() / "pub.pem").string(),
                           "-rawin", "-in", (work() / "body").string(), "-sigfile", (work() / "sig").string()});
  EXPECT_NE(bad.exit_code, 0);

  // Another key of the same name refuses it.
  auto other = NoteSigner::Generate(lines[0]);
  auto forged = Audit({"checkpoint", "--key", other->VerifierKey()});
  EXPECT_EQ(forged.exit_code, 1);
  EXPECT_THAT(forged.err, HasSubstr("no valid signature"));
  // The key survives a restart: the same log, the same key.
  ASSERT_EQ(server_->Stop(), 0);
  Restart();
  EXPECT_EQ(Audit({"checkpoint", "--key", key_}).exit_code, 0);
}

TEST_F(AuditLogIntegrationTest, VerifyChecksOldCheckpointsAndKeepsTheLastOne) {
  stdfs::path old_cp = work() / "old.txt";
  stdfs::create_directories(work());
  ASSERT_EQ(Audit({"checkpoint", "--out", old_cp.string()}).exit_code, 0);
  Write("later");
  auto v = Audit({"verify", "--key", key_, "--checkpoint", old_cp.string(), "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  auto j = nlohmann::json::parse(v.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_TRUE(j["signature_checked"].get<bool>());
  EXPECT_EQ(j["records"].get<int64_t>(), j["tree_size"].get<int64_t>());
  EXPECT_EQ(j["older_checkpoints"], nlohmann::json::array({6}));
  // The verified checkpoint was kept; the next verify checks against it.
  Write("even-later");
  auto again = Audit({"verify", "--key", key_, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["older_checkpoints"].size(), 1u);
  // Without a key it still checks chain and root, and says the rest.
  auto unsigned_check = Audit({"verify", "--no-state"});
  EXPECT_EQ(unsigned_check.exit_code, 0) << unsigned_check.err;
  EXPECT_THAT(unsigned_check.out, HasSubstr("NOT checked"));
}

TEST_F(AuditLogIntegrationTest, ProofBundlesVerifyOfflineAndRefuseTampering) {
  stdfs::create_directories(work());
  stdfs::path bundle = work() / "bundle.json";
  auto p = Audit({"prove", "4", "--key", key_, "--bundle", bundle.string()});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  ASSERT_EQ(server_->Stop(), 0);  // offline from here
  auto v = Audit({"verify-bundle", bundle.string(), "--key", key_, "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  auto j = nlohmann::json::parse(v.out);
  EXPECT_EQ(j["sequence"].get<int64_t>(), 4);
  EXPECT_EQ(j["resource"].get<std::string>(), "models/model-2");

  auto b = nlohmann::json::parse(ReadAll(bundle));
  auto tampered = b;
  tampered["record"]["resource"] = "models/someone-else";
  WriteFile(work() / "t1.json", tampered.dump());
  auto t1 = Audit({"verify-bundle", (work() / "t1.json").string(), "--key", key_});
  EXPECT_EQ(t1.exit_code, 1);
  EXPECT_THAT(t1.err, HasSubstr("not proven"));
  tampered = b;
  tampered["inclusion_proof"][0] = std::string(64, '0');
  WriteFile(work() / "t2.json", tampered.dump());
  EXPECT_EQ(Audit({"verify-bundle", (work() / "t2.json").string(), "--key", key_}).exit_code, 1);
  WriteFile(work() / "t3.json", "{not json");
  EXPECT_EQ(Audit({"verify-bundle", (work() / "t3.json").string(), "--key", key_}).exit_code, 1);
  auto other = NoteSigner::Generate("x");
  EXPECT_EQ(Audit({"verify-bundle", bundle.string(), "--key", other->VerifierKey()}).exit_code, 1);
}

TEST_F(AuditLogIntegrationTest, ProofRequestsOutOfRangeAreRefused) {
  auto stub = v1::AuditService::NewStub(channel_);
  for (auto [sequence, size] : std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {99, 0}, {2, 99}, {-1, 0}, {3, 2}}) {
    grpc::ClientContext ctx;
    v1::GetInclusionProofRequest req;
    req.set_sequence(sequence);
    req.set_tree_size(size);
    v1::InclusionProof resp;
    grpc::Status s = stub->GetInclusionProof(&ctx, req, &resp);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT || s.error_code() == grpc::StatusCode::NOT_FOUND)
        << sequence << "/" << size << ": " << s.error_message();
  }
  grpc::ClientContext ctx;
  v1::GetConsistencyProofRequest req;
  req.set_old_size(4);
  req.set_new_size(3);
  v1::ConsistencyProof resp;
  EXPECT_EQ(stub->GetConsistencyProof(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditLogIntegrationTest, ARewrittenHistoryIsCaughtByAnOlderCheckpoint) {
  stdfs::create_directories(work());
  stdfs::path old_cp = work() / "old.txt";
  ASSERT_EQ(Audit({"checkpoint", "--key", key_, "--out", old_cp.string()}).exit_code, 0);
  ASSERT_EQ(Audit({"verify", "--key", key_}).exit_code, 0);  // keeps it as state too
  Write("after-the-checkpoint");
  ASSERT_EQ(server_->Stop(), 0);
  // One record changed and one deleted, the chain recomputed end to end:
  // the chain alone no longer shows anything.
  RewriteHistory([](std::vector<AuditRecord>& records) {
    records[1].entry.principal = "user:mallory";
    records.erase(records.begin() + 3);
  });
  Restart();
  auto chain_only = Audit({"verify", "--no-state"});
  EXPECT_EQ(chain_only.exit_code, 0) << chain_only.err;  // what a hash chain cannot catch
  auto with_old = Audit({"verify", "--key", key_, "--no-state", "--checkpoint", old_cp.string()});
  EXPECT_EQ(with_old.exit_code, 1) << with_old.out;
  EXPECT_THAT(with_old.err, HasSubstr("rewritten"));
  // The checkpoint kept from the last verify catches it with no file given.
  auto with_state = Audit({"verify", "--key", key_, "--json"});
  EXPECT_EQ(with_state.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(with_state.out)["reason"], "CHECKPOINT_INCONSISTENT");
}

TEST_F(AuditLogIntegrationTest, DroppedNewestRecordsAreCaughtAsARollback) {
  ASSERT_EQ(Audit({"verify", "--key", key_}).exit_code, 0);
  ASSERT_EQ(server_->Stop(), 0);
  RewriteHistory([](std::vector<AuditRecord>& records) { records.resize(records.size() - 2); });
  Restart();
  auto v = Audit({"verify", "--key", key_, "--json"});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(v.out)["reason"], "CHECKPOINT_ROLLBACK");
}

TEST_F(AuditLogIntegrationTest, WitnessCosignaturesComeBackWithTheCheckpoint) {
  auto cp = Audit({"checkpoint", "--key", key_, "--json"});
  ASSERT_EQ(cp.exit_code, 0);
  std::string note = nlohmann::json::parse(cp.out)["note"];
  auto parsed = ParseSignedNote(note);
  auto witness = NoteSigner::Generate("witness.example.org");
  parsed->signatures.push_back(witness->Sign(parsed->body));
  WriteFile(work() / "cosigned.txt", FormatSignedNote(*parsed));
  auto added = Audit({"cosign", (work() / "cosigned.txt").string()});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  Write("later");
  auto size = ParseCheckpointBody(parsed->body)->size;
  auto back = Audit({"checkpoint", "--tree-size", std::to_string(size), "--key", key_});
  ASSERT_EQ(back.exit_code, 0);
  auto kept = ParseSignedNote(back.out);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(NoteVerifier::FromVerifierKey(witness->VerifierKey())->VerifyNote(*kept));
  // A forged body is refused.
  auto forged_cp = ParseCheckpointBody(parsed->body);
  forged_cp->root[0] ^= 1;
  std::string forged_body = CheckpointBody(*forged_cp);
  WriteFile(work() / "forged.txt", FormatSignedNote({forged_body, {witness->Sign(forged_body)}}));
  auto refused = Audit({"cosign", (work() / "forged.txt").string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("never issued"));
}

}  // namespace
}  // namespace fairtrace
