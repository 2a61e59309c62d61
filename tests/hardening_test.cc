// Hostile single requests against the real server binary (issue 8): each
// test is the regression test of one class of bug — a crash, a poisoned
// audit log, an escaped exception, an error too large for our own clients —
// and checks afterwards that the server still answers and the audit log
// still verifies.
#include <fstream>
#include <map>
#include <thread>

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "clients/cpp/fairtrace/push.h"
#include "common/audit/audit_proto.h"
#include "common/content/sha256.h"
#include "common/content/tree.h"
#include "common/text/utf8.h"
#include "fairtrace/v1/admin.grpc.pb.h"
#include "fairtrace/v1/investigations.grpc.pb.h"
#include "fairtrace/v1/models.grpc.pb.h"
#include "tests/testing/eventually.h"
#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

namespace stdfs = std::filesystem;
using ::testing::HasSubstr;

class HardeningTest : public ServerFixture {
 protected:
  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ServerProcess::CliBinary(), "--server", server_->target()});
    return RunCommand(args);
  }
  static std::string Fixtures() { return std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe"; }

  // A copy of the valid MIAPPE 1.2 fixture with `edit` applied to one sheet.
  stdfs::path FixtureCopy(const std::string& name, const std::string& sheet,
                          const std::function<void(std::string&)>& edit) {
    stdfs::path out = dir_.path() / name;
    stdfs::create_directories(out);
    for (const auto& e : stdfs::directory_iterator(Fixtures() + "/valid-1.2")) {
      stdfs::copy_file(e.path(), out / e.path().filename(), stdfs::copy_options::overwrite_existing);
    }
    std::ifstream in(out / sheet);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    edit(text);
    std::ofstream(out / sheet, std::ios::trunc) << text;
    return out;
  }

  static std::vector<v1::SheetFile> Sheets(const stdfs::path& folder) {
    std::vector<v1::SheetFile> out;
    for (const auto& e : stdfs::directory_iterator(folder)) {
      std::ifstream in(e.path(), std::ios::binary);
      v1::SheetFile f;
      f.set_name(e.path().filename().string());
      f.set_data(std::string((std::istreambuf_iterator<char>(in)), {}));
      out.push_back(f);
    }
    return out;
  }

  // The server answers, and the audit chain verifies over the wire.
  void ExpectHealthyAndVerified() {
    auto verified = Cli({"audit", "verify"});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    auto checked = client_->VerifyAuditChain();
    EXPECT_TRUE(checked.ok()) << checked.status();
  }

  void CreateModel(const std::string& id) {
    grpc::ClientContext ctx;
    v1::CreateRegisteredModelRequest req;
    req.set_model_id(id);
    v1::RegisteredModel m;
    grpc::Status s = v1::ModelService::NewStub(channel_)->CreateRegisteredModel(&ctx, req, &m);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Pushes a folder of (name, bytes) and asks for a version of `model`.
  grpc::Status PushAndCreateVersion(const std::string& model, const std::string& folder_name,
                                    const std::vector<std::pair<std::string, std::string>>& files) {
    stdfs::path folder = dir_.path() / folder_name;
    stdfs::create_directories(folder);
    for (const auto& [name, bytes] : files) std::ofstream(folder / name, std::ios::binary) << bytes;
    auto pushed = client::Push(*client_, folder, {});
    EXPECT_TRUE(pushed.ok()) << pushed.status();
    if (!pushed.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "push failed");
    grpc::ClientContext ctx;
    v1::CreateModelVersionRequest req;
    req.set_parent("models/" + model);
    *req.mutable_model_version()->mutable_tree_digest() = DigestToProto(pushed->digest);
    v1::ModelVersion v;
    return v1::ModelService::NewStub(channel_)->CreateModelVersion(&ctx, req, &v);
  }

  // Every audit record, decoded; fails the test when a page does not parse.
  std::vector<AuditRecord> AllAuditRecords() {
    auto stub = v1::AuditService::NewStub(channel_);
    std::vector<AuditRecord> out;
    v1::ListAuditRecordsRequest req;
    do {
      grpc::ClientContext ctx;
      v1::ListAuditRecordsResponse resp;
      grpc::Status s = stub->ListAuditRecords(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& p : resp.records()) {
        auto r = AuditRecordFromProto(p);
        EXPECT_TRUE(r.ok()) << r.status();
        if (r.ok()) out.push_back(*r);
      }
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }
};

// Item 1: a 30 KB cell value crashed the server (std::regex recursion) through
// the read-only ValidateInvestigation, UpdateEntity and the offline CLI.
TEST_F(HardeningTest, HugeMiappeCellValuesNeitherCrashNorHang) {
  const std::string huge(30'000, '1');
  const std::string huge_email = std::string(4000, 'a') + "@" + std::string(25'000, 'b');
  auto stub = v1::InvestigationService::NewStub(channel_);
  for (const std::string& value : {huge, huge_email, std::string(1 << 20, 'x')}) {
    stdfs::path folder = FixtureCopy("huge", "investigation.tsv", [&](std::string& t) {
      size_t at = t.find("2026-01-15");
      ASSERT_NE(at, std::string::npos);
      t.replace(at, 10, value);
    });
    v1::ValidateInvestigationRequest req;
    for (auto& f : Sheets(folder)) *req.add_files() = f;
    grpc::ClientContext ctx;
    v1::ValidationReport report;
    grpc::Status s = stub->ValidateInvestigation(&ctx, req, &report);
    ASSERT_TRUE(s.ok()) << s.error_message();
    bool too_long = false;
    for (const auto& f : report.findings()) {
      if (f.code() == "FMT-TOO-LONG") too_long = true;
      EXPECT_LE(text::CodePointCount(f.value()), 201u);  // clipped by code point
    }
    EXPECT_TRUE(too_long);
    auto offline = RunCommand({ServerProcess::CliBinary(), "investigations", "validate", folder.string()});
    EXPECT_EQ(offline.exit_code, 1) << offline.err;  // an error finding, not a crash (134/139)
    EXPECT_THAT(offline.out, HasSubstr("FMT-TOO-LONG"));
  }
  // The same value through UpdateEntity on a stored investigation.
  auto imported = Cli({"investigations", "import", Fixtures() + "/valid-1.2", "--id", "huge-cells"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  v1::UpdateEntityRequest up;
  up.mutable_entity()->set_name("investigations/huge-cells");
  (*up.mutable_entity()->mutable_values())["submissionDate"] = huge;
  up.mutable_update_mask()->add_paths("values.submissionDate");
  grpc::ClientContext ctx;
  v1::Investigation inv;
  grpc::Status s = stub->UpdateEntity(&ctx, up, &inv);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr(huge)));
  ExpectHealthyAndVerified();
}

// Item 2: an id cut at 80 bytes mid-character was stored in the audit log as
// invalid UTF-8 and made every later ListAuditRecords page unreadable.
TEST_F(HardeningTest, MultiByteIdsNeverPoisonTheAuditLog) {
  auto stub = v1::ModelService::NewStub(channel_);
  const std::string id = std::string(79, 'a') + "\xC3\xA9";
  for (const std::string& model_id : {id, std::string(300, 'a') + "\xF0\x9F\x8C\xB1"}) {
    grpc::ClientContext ctx;
    v1::CreateRegisteredModelRequest req;
    req.set_model_id(model_id);
    v1::RegisteredModel m;
    grpc::Status s = stub->CreateRegisteredModel(&ctx, req, &m);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(text::IsValidUtf8(s.error_message()));
  }
  std::vector<AuditRecord> records = AllAuditRecords();
  ASSERT_GE(records.size(), 2u);
  const AuditRecord& first = records[records.size() - 2];
  EXPECT_EQ(first.version, kAuditVersion2);
  EXPECT_EQ(first.entry.resource, "models/" + id);  // whole, not cut mid-character
  EXPECT_EQ(first.entry.result, "INVALID_ARGUMENT");
  for (const auto& r : records) EXPECT_TRUE(text::IsValidUtf8(r.entry.resource));
  ExpectHealthyAndVerified();
}

// Item 2: a database that already holds a poisoned version-1 record (written
// by an older server) stays readable and verifiable, and the chain goes on.
TEST_F(HardeningTest, AnAlreadyPoisonedLogStaysReadableAndVerifiable) {
  auto created = Cli({"models", "create", "before-poison"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(server_->Stop(), 0);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "data" / "fairtrace.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1", -1, &q, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    AuditRecord r;
    r.version = kAuditVersion1;
    r.sequence = sqlite3_column_int64(q, 0) + 1;
    r.previous_hash = reinterpret_cast<const char*>(sqlite3_column_text(q, 1));
    sqlite3_finalize(q);
    r.time_micros = 1'700'000'000'000'000;
    r.entry = {"anonymous", "/fairtrace.v1.ModelService/CreateRegisteredModel",
               "models/" + std::string(79, 'a') + "\xC3", std::string(64, '0'), "INVALID_ARGUMENT"};
    r.hash = AuditRecordHash(r);
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO audit_log (sequence, time_micros, principal, method, resource, "
                                 "request_sha256, result, previous_hash, hash, version) VALUES (?,?,?,?,?,?,?,?,?,1)",
                                 -1, &q, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(q, 1, r.sequence);
    sqlite3_bind_int64(q, 2, r.time_micros);
    const std::string* texts[] = {
        &r.entry.principal, &r.entry.method, &r.entry.resource, &r.entry.request_sha256, &r.entry.result,
        &r.previous_hash,   &r.hash};
    for (int i = 0; i < 7; ++i) sqlite3_bind_text(q, 3 + i, texts[i]->data(), texts[i]->size(), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(db);
  }
  Restart();
  auto after = Cli({"models", "create", "after-poison"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  std::vector<AuditRecord> records = AllAuditRecords();
  bool found = false;
  for (const auto& r : records) {
    if (r.version == kAuditVersion1 && !text::IsValidUtf8(r.entry.resource)) found = true;  // raw bytes restored
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(records.back().version, kAuditVersion2);
  ExpectHealthyAndVerified();
  auto fsck = Cli({"fsck"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
}

// Item 4: errors with many violations exceeded the clients' 8 KiB metadata
// limit (RESOURCE_EXHAUSTED, nothing listed).
TEST_F(HardeningTest, ManyViolationsStillReachTheClient) {
  // 60 observation units naming a biological material that does not exist.
  stdfs::path folder = FixtureCopy("many-errors", "observation_unit.tsv", [](std::string& t) {
    std::string out = t.substr(0, t.find('\n') + 1);  // the header
    for (int i = 0; i < 60; ++i) {
      out += absl::StrCat("S1\tMissing-", i, "\tOU-", i, "-", std::string(120, 'x'), "\tpot\t\tblock:1; pot:", i,
                          "\twatered\n");
    }
    t = out;
  });
  auto refused = Cli({"investigations", "import", folder.string(), "--id", "many-errors"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, ::testing::Not(HasSubstr("RESOURCE_EXHAUSTED")));
  EXPECT_THAT(refused.err, HasSubstr("XRF-OU-BM"));
  EXPECT_THAT(refused.err, ::testing::ContainsRegex("\\([0-9]+ of 6[0-9] problems shown\\)"));

  // A manifest naming 150 blobs that were never uploaded.
  std::vector<TreeEntry> entries;
  for (int i = 0; i < 150; ++i) {
    std::string content = absl::StrCat("never uploaded ", i);
    entries.push_back({absl::StrCat("file-", i, ".bin"), Digest{Sha256Hex(content), int64_t(content.size())}});
  }
  auto manifest = EncodeTree(entries);
  ASSERT_TRUE(manifest.ok());
  Digest md{Sha256Hex(*manifest), int64_t(manifest->size())};
  ASSERT_TRUE(client_->UploadBatch({{md, *manifest}}).ok());
  auto tree = client_->CreateTree(md);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().code(), absl::StatusCode::kFailedPrecondition) << tree.status();
  ExpectHealthyAndVerified();
}

// Item 3: library exceptions escaped into gRPC as UNKNOWN with no audit
// record, and the CLI aborted (exit 134).
TEST_F(HardeningTest, LibraryExceptionsAreFindingsNotUnknown) {
  CreateModel("odd");
  const std::vector<std::string> mlmodels = {
      "? [a, b]\n: c\nflavors:\n  sklearn:\n    pickled_model: model.pkl\n",
      "flavors:\n  sklearn:\n    pickled_model: model.pkl\nx_note: caf\xE9\n",
  };
  int i = 0;
  for (const std::string& mlmodel : mlmodels) {
    grpc::Status s =
        PushAndCreateVersion("odd", absl::StrCat("odd-", i++), {{"MLmodel", mlmodel}, {"model.pkl", "pickle"}});
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(ViolatedFields(s), ::testing::Contains("MLmodel.MLmodel"));
  }
  std::vector<AuditRecord> records = AllAuditRecords();
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records.back().entry.result, "INVALID_ARGUMENT");
  EXPECT_EQ(records.back().entry.method, "/fairtrace.v1.ModelService/CreateModelVersion");

  stdfs::path json = dir_.path() / "format-1.json";
  std::ofstream(json) << "{\"format\": 1, \"studies\": []}";
  auto imported = Cli({"investigations", "import", json.string(), "--id", "format-one"});
  EXPECT_EQ(imported.exit_code, 1) << imported.err;
  EXPECT_THAT(imported.err, HasSubstr("SYN-06"));
  auto offline = RunCommand({ServerProcess::CliBinary(), "investigations", "validate", json.string()});
  EXPECT_EQ(offline.exit_code, 1) << offline.err;
  ExpectHealthyAndVerified();
}

// Item 6: silent wrong answers.
TEST_F(HardeningTest, RequestIdsNeverAnswerADifferentQuestion) {
  auto models = v1::ModelService::NewStub(channel_);
  for (const char* id : {"leaf-a", "leaf-b"}) CreateModel(id);
  stdfs::path folder = dir_.path() / "model";
  stdfs::create_directories(folder);
  std::ofstream(folder / "MLmodel") << "flavors:\n  sklearn:\n    pickled_model: model.pkl\n";
  std::ofstream(folder / "model.pkl") << "pickle";
  auto pushed = client::Push(*client_, folder, {});
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  std::map<std::string, std::string> tokens = {{"ana", TokenFor("user:ana")}, {"bob", TokenFor("user:bob")}};
  auto create = [&](const std::string& parent, const std::string& user, const std::string& description,
                    v1::ModelVersion* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + tokens[user]);
    v1::CreateModelVersionRequest req;
    req.set_parent(parent);
    req.set_request_id("retry-1");
    *req.mutable_model_version()->mutable_tree_digest() = DigestToProto(pushed->digest);
    req.mutable_model_version()->set_description(description);
    return models->CreateModelVersion(&ctx, req, out);
  };
  v1::ModelVersion first, retry, other, bob;
  ASSERT_TRUE(create("models/leaf-a", "ana", "first", &first).ok());
  // An honest retry: the same answer.
  ASSERT_TRUE(create("models/leaf-a", "ana", "first", &retry).ok());
  EXPECT_EQ(retry.name(), first.name());
  // The same id for another model's version: refused, never the first answer.
  grpc::Status s = create("models/leaf-b", "ana", "first", &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(s), "REQUEST_ID_CONFLICT");
  s = create("models/leaf-a", "ana", "changed description", &other);
  EXPECT_EQ(Reason(s), "REQUEST_ID_CONFLICT");
  // Ids are scoped per principal: bob's "retry-1" is his own.
  ASSERT_TRUE(create("models/leaf-b", "bob", "first", &bob).ok());
  EXPECT_EQ(bob.name(), "models/leaf-b/versions/1");

  // One spelling per name.
  for (const char* name : {"models/leaf-a/versions/01", "models/leaf-a/versions/+1", "models/leaf-a/versions/1 ",
                           "models/leaf-a/versions/ 1", "models/leaf-a/versions/99999999999999999999"}) {
    grpc::ClientContext ctx;
    v1::GetModelVersionRequest req;
    req.set_name(name);
    v1::ModelVersion v;
    grpc::Status g = models->GetModelVersion(&ctx, req, &v);
    EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
  }
  // "==" is not an operator: a precise INVALID_ARGUMENT, not INTERNAL.
  {
    grpc::ClientContext ctx;
    v1::ListModelVersionsRequest req;
    req.set_parent("models/leaf-a");
    req.set_filter("version == 1");
    v1::ListModelVersionsResponse resp;
    grpc::Status l = models->ListModelVersions(&ctx, req, &resp);
    EXPECT_EQ(l.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << l.error_message();
    EXPECT_THAT(ViolatedFields(l), ::testing::Contains("filter"));
  }
  ExpectHealthyAndVerified();
}

TEST_F(HardeningTest, ReadRangesNeverOverflow) {
  const std::string data = "0123456789";
  Digest d{Sha256Hex(data), int64_t(data.size())};
  ASSERT_TRUE(client_->UploadBatch({{d, data}}).ok());
  for (int64_t limit : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max() - 1, int64_t{0}}) {
    grpc::ClientContext ctx;
    v1::ReadRequest req;
    req.set_resource_name(BlobResourceName(d));
    req.set_read_offset(3);
    req.set_read_limit(limit);
    auto reader = cas_->Read(&ctx, req);
    std::string got;
    v1::ReadResponse msg;
    while (reader->Read(&msg)) got += msg.data();
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(got, "3456789") << limit;
  }
}

// Item 11: a pyfunc whose artifacts entry names a missing file was accepted
// and then failed in mlflow.pyfunc.load_model.
TEST_F(HardeningTest, PyfuncArtifactsMustResolveInTheTree) {
  CreateModel("pyfunc");
  grpc::Status s = PushAndCreateVersion("pyfunc", "pyfunc",
                                        {{"MLmodel",
                                          "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
                                          "    python_model: python_model.pkl\n    artifacts:\n      weights:\n"
                                          "        path: artifacts/weights.bin\n        uri: /home/ana/weights.bin\n"},
                                         {"python_model.pkl", "pickle"}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(s), ::testing::Contains("MLmodel.flavors.python_function.artifacts.weights.path"));
}

// Item 10: trees `pull` cannot write back were accepted.
TEST_F(HardeningTest, TreesThatCannotBeRestoredAreRefused) {
  std::string deep;
  for (int i = 0; i < 2048; ++i) deep += i == 0 ? "d" : "/d";
  const std::vector<std::vector<std::string>> refused = {
      {deep},
      {"caf\xC3\xA9.txt", "cafe\xCC\x81.txt"},  // NFC and NFD spellings of one name
      {"README", "readme"},
      {"Data/a.png", "data/b.png"},
  };
  for (const auto& paths : refused) {
    std::vector<TreeEntry> entries;
    for (const auto& p : paths) entries.push_back({p, Digest{Sha256Hex(""), 0}, false});
    auto manifest = EncodeTree(entries);
    ASSERT_TRUE(manifest.ok()) << manifest.status();  // a valid manifest...
    Digest md{Sha256Hex(*manifest), int64_t(manifest->size())};
    ASSERT_TRUE(client_->UploadBatch({{md, *manifest}}).ok());
    grpc::ClientContext ctx;
    v1::CreateTreeRequest req;
    *req.mutable_digest() = DigestToProto(md);
    v1::Tree tree;
    grpc::Status s = cas_->CreateTree(&ctx, req, &tree);  // ...of a tree that cannot be restored
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << paths[0].substr(0, 40);
    EXPECT_EQ(Reason(s), "TREE_NOT_RESTORABLE");
    EXPECT_TRUE(text::IsValidUtf8(s.error_message()));
  }
  ExpectHealthyAndVerified();
}

// Item 8: a second `fairtrace push` of a file continues the upload an
// interrupted one left (before, it started at byte 0 under a new id and the
// old partial stayed on disk for a day); two concurrent pushes of one file
// meet on one upload; only the principal that started an upload may abort it.
TEST_F(HardeningTest, APushContinuesTheUploadAnInterruptedOneLeft) {
  std::string data(6 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) >> 3);
  stdfs::path file = dir_.path() / "weights.bin";
  std::ofstream(file, std::ios::binary) << data;
  Digest d{Sha256Hex(data), int64_t(data.size())};
  // An interrupted push by "tester": 2 MiB committed under the derived id.
  const std::string id = client::UploadIdFor("tester", d);
  // The reader fails once the server has opened the upload (its meta file
  // is on disk), so that the interruption always leaves a partial upload.
  auto opened = [&](const std::string& upload_id) {
    Eventually([&] { return stdfs::exists(dir_.path() / "data" / "cas" / "uploads" / (upload_id + ".meta")); });
  };
  absl::Status cut = client_->UploadStream(
      id, d, 0,
      [&](int64_t off, size_t n) -> absl::StatusOr<std::string> {
        if (off >= (2 << 20)) {
          opened(id);
          return absl::UnavailableError("network gone");
        }
        return data.substr(off, n);
      },
      nullptr);
  ASSERT_FALSE(cut.ok());
  // The server keeps the committed bytes once it has seen the stream end.
  int64_t committed = 0;
  Eventually([&] {
    auto st = client_->QueryWriteStatus(id, d);
    committed = st.ok() ? st->committed_size() : 0;
    return committed > 0;
  });
  EXPECT_GT(committed, 0);
  EXPECT_LE(committed, 2 << 20);

  // Another principal can neither take the upload over nor abort it.
  // (mallory names the same upload: only the principal differs)
  auto other = Cli({"--user", "tester", "--token", TokenFor("user:mallory"), "upload", "abort", file.string()});
  EXPECT_EQ(other.exit_code, 1) << other.err;

  auto pushed = Cli({"--user", "tester", "--token", tester_token_, "--json", "push", file.string()});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_EQ(nlohmann::json::parse(pushed.out)["sha256"], d.sha256);
  auto fsck = client_->Fsck();
  ASSERT_TRUE(fsck.ok());
  EXPECT_EQ(fsck->partial_uploads(), 0);  // the interrupted upload was continued, not left behind

  // Two concurrent pushes of one new file by one user: both succeed.
  std::string data2 = data;
  data2[0] ^= 1;
  stdfs::path file2 = dir_.path() / "weights2.bin";
  std::ofstream(file2, std::ios::binary) << data2;
  CommandResult a, b;
  std::thread ta([&] { a = Cli({"--user", "tester", "--token", tester_token_, "push", file2.string()}); });
  std::thread tb([&] { b = Cli({"--user", "tester", "--token", tester_token_, "push", file2.string()}); });
  ta.join();
  tb.join();
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;

  // The owner may abort an unfinished upload; then nothing is left.
  std::string data3 = data;
  data3[1] ^= 1;
  Digest d3{Sha256Hex(data3), int64_t(data3.size())};
  stdfs::path file3 = dir_.path() / "weights3.bin";
  std::ofstream(file3, std::ios::binary) << data3;
  ASSERT_FALSE(client_
                   ->UploadStream(
                       client::UploadIdFor("tester", d3), d3, 0,
                       [&](int64_t off, size_t n) -> absl::StatusOr<std::string> {
                         if (off >= (1 << 20)) {
                           opened(client::UploadIdFor("tester", d3));
                           return absl::UnavailableError("gone");
                         }
                         return data3.substr(off, n);
                       },
                       nullptr)
                   .ok());
  // The server releases the upload once it has seen the stream end.
  CommandResult aborted;
  Eventually([&] {
    aborted = Cli({"--user", "tester", "--token", tester_token_, "upload", "abort", file3.string()});
    return aborted.err.find("being written") == std::string::npos;
  });
  EXPECT_EQ(aborted.exit_code, 0) << aborted.err;
  fsck = client_->Fsck();
  ASSERT_TRUE(fsck.ok());
  EXPECT_EQ(fsck->partial_uploads(), 0);
  for (const auto& e : stdfs::directory_iterator(dir_.path() / "data" / "cas" / "uploads")) {
    ADD_FAILURE() << "left behind: " << e.path();
  }
  ExpectHealthyAndVerified();
}

class QuotaTest : public HardeningTest {
 protected:
  std::vector<std::string> ServerFlags() override {
    return {"--quiet", "--max-partial-upload-bytes", "3000000", "--max-partial-upload-total-bytes", "5000000"};
  }
};

// Item 5: unfinished uploads were disk any anonymous caller could fill.
TEST_F(QuotaTest, UnfinishedUploadsAreQuotaedPerPrincipalAndInTotal) {
  std::map<std::string, std::string> tokens;
  for (const char* u : {"ana", "bob", "carl"}) tokens[u] = TokenFor(absl::StrCat("user:", u));
  auto start_upload = [&](const std::string& user, const std::string& id, int64_t size) {
    std::string data(size, static_cast<char>('a' + id.size()));
    Digest d{Sha256Hex(data + id), size};  // a digest that will never match: the upload stays partial
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + tokens[user]);
    v1::WriteResponse resp;
    auto w = cas_->Write(&ctx, &resp);
    v1::WriteRequest msg;
    msg.set_resource_name(UploadResourceName(id, d));
    msg.set_data(data.substr(0, 1000));
    w->Write(msg);
    w->WritesDone();
    return w->Finish();
  };
  // 2 MB reserved for ana; a second 2 MB upload of hers is over her 3 MB.
  EXPECT_EQ(start_upload("ana", "u1", 2'000'000).error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // not finished
  grpc::Status over = start_upload("ana", "u2", 2'000'000);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << over.error_message();
  EXPECT_EQ(Reason(over), "UPLOAD_QUOTA_EXCEEDED");
  // bob has his own share, until the server's total is reached.
  EXPECT_EQ(start_upload("bob", "u3", 2'000'000).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(start_upload("carl", "u4", 2'000'000)), "UPLOAD_QUOTA_EXCEEDED");
  // Finishing small blobs is never blocked by the quota of partial ones.
  ASSERT_TRUE(client_->UploadBatch({{Digest{Sha256Hex("small"), 5}, "small"}}).ok());
  ExpectHealthyAndVerified();
}

// Item 9: the data folder holds the page-token key and every blob.
TEST_F(HardeningTest, DataFolderIsTheServersAlone) {
  ASSERT_TRUE(client_->UploadBatch({{Digest{Sha256Hex("x"), 1}, "x"}}).ok());
  auto mode = [](const stdfs::path& p) { return static_cast<int>(stdfs::status(p).permissions() & stdfs::perms::all); };
  stdfs::path data = dir_.path() / "data";
  EXPECT_EQ(mode(data), 0700);
  EXPECT_EQ(mode(data / "fairtrace.db"), 0600);
  for (const auto& e : stdfs::recursive_directory_iterator(data)) {
    EXPECT_EQ(mode(e.path()) & 077, 0) << e.path();  // nothing for group or others
  }
  // A folder left 0755 / 0644 by an older server is restricted at start.
  ASSERT_EQ(server_->Stop(), 0);
  stdfs::permissions(data, stdfs::perms::owner_all | stdfs::perms::group_read | stdfs::perms::group_exec |
                               stdfs::perms::others_read | stdfs::perms::others_exec);
  stdfs::permissions(data / "fairtrace.db", stdfs::perms::owner_read | stdfs::perms::owner_write |
                                                stdfs::perms::group_read | stdfs::perms::others_read);
  Restart();
  EXPECT_EQ(mode(data), 0700);
  EXPECT_EQ(mode(data / "fairtrace.db"), 0600);
}

}  // namespace
}  // namespace fairtrace::testing
