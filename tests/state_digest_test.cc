// State digests through the real server (issue 14, "Data tied to the log"):
// edits of the database behind the server's back that the hash chain and the
// Merkle tree cannot see (a model version pointed at another tree, an edited
// metric or run status, a deleted version row, an edited entity of an
// immutable MIAPPE revision, a grant slipped in) are named by `fairtrace
// fsck` on the server and by `fairtrace audit verify --deep` on the client,
// while the same registry untouched is clean.
#include <sqlite3.h>

#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "fairtrace/v1/admin.grpc.pb.h"
#include "fairtrace/v1/runs.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

namespace stdfs = std::filesystem;
using ::testing::HasSubstr;

class StateDigestTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    ASSERT_EQ(Cli({"models", "create", "leaf-segmenter"}).exit_code, 0);
    for (const char* v : {"1", "2"}) {
      stdfs::path src = work() / (std::string("model-") + v);
      WriteFile(src / "MLmodel", "flavors:\n  sklearn:\n    pickled_model: model.pkl\n");
      WriteFile(src / "model.pkl", std::string("weights ") + v);
      auto reg = Cli({"--json", "models", "versions", "register", "leaf-segmenter", src.string()});
      ASSERT_EQ(reg.exit_code, 0) << reg.err;
    }
    auto runs = v1::RunService::NewStub(channel_);
    {
      grpc::ClientContext ctx;
      v1::CreateRunRequest req;
      req.mutable_run()->set_experiment("leaf-seg");
      (*req.mutable_run()->mutable_params())["lr"] = "0.001";
      v1::Run run;
      grpc::Status s = runs->CreateRun(&ctx, req, &run);
      ASSERT_TRUE(s.ok()) << s.error_message();
      run_ = run.name();
    }
    {
      grpc::ClientContext ctx;
      v1::LogMetricsRequest req;
      req.set_run(run_);
      v1::Metric* m = req.add_metrics();
      m->set_key("loss");
      m->set_value(0.5);
      m->set_step(1);
      v1::LogMetricsResponse resp;
      grpc::Status s = runs->LogMetrics(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    auto imported = Cli({"investigations", "import",
                         std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe/valid-1.2", "--id", "drought"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }
  stdfs::path work() const { return dir_.path() / "work"; }
  std::string db() const { return (dir_.path() / "data" / "fairtrace.db").string(); }
  void EditDatabase(const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);
  }
  // Runs the CLI with --json and maps what its `list` names (the `subject`
  // field of each item) to each item's kind; the whole answer goes to `out`.
  std::map<std::string, std::string> Findings(std::vector<std::string> args, const char* list, const char* subject,
                                              nlohmann::json* out, int expected_exit) {
    args.insert(args.begin(), {"--token", tester_token_, "--json"});
    auto r = Cli(args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    if (j.is_discarded()) return {};
    std::map<std::string, std::string> found;
    for (const auto& p : j[list]) found[p[subject]] = p["kind"];
    if (out != nullptr) *out = j;
    return found;
  }
  // What `fairtrace fsck` reports.
  std::map<std::string, std::string> Fsck(nlohmann::json* out = nullptr, int expected_exit = 1) {
    return Findings({"fsck"}, "problems", "subject", out, expected_exit);
  }
  // What `fairtrace audit verify --deep` finds.
  std::map<std::string, std::string> VerifyDeep(nlohmann::json* out = nullptr, int expected_exit = 1) {
    return Findings({"audit", "verify", "--deep", "--no-state"}, "state_findings", "resource", out, expected_exit);
  }
  std::string run_;
};

TEST_F(StateDigestTest, AnUntouchedRegistryIsCleanAndEveryChangeCarriesItsState) {
  nlohmann::json report;
  EXPECT_TRUE(Fsck(&report, 0).empty()) << report.dump();
  // model, 2 versions, run, investigation revision, and the fixture's
  // tokens and grants: every one was compared.
  EXPECT_GE(report["resources_checked"].get<int64_t>(), 5) << report.dump();
  grpc::ClientContext ctx;
  v1::ListAuditRecordsResponse list;
  ASSERT_TRUE(v1::AuditService::NewStub(channel_)->ListAuditRecords(&ctx, v1::ListAuditRecordsRequest(), &list).ok());
  int with_state = 0, run_records = 0;
  for (const v1::AuditRecord& r : list.records()) {
    if (r.resource() == run_) {
      ++run_records;
      EXPECT_EQ(r.state_digest().rfind("sha256:", 0), 0u) << r.DebugString();
    }
    if (!r.state_digest().empty()) ++with_state;
  }
  EXPECT_EQ(run_records, 2);  // created, then a metric logged
  EXPECT_GE(with_state, 5);

  // The client's own comparison agrees: every resource fsck checked.
  nlohmann::json deep;
  EXPECT_TRUE(VerifyDeep(&deep, 0).empty()) << deep.dump();
  EXPECT_EQ(deep["resources_checked"], report["resources_checked"]) << deep.dump();
  EXPECT_GT(deep["states_as_of"].get<int64_t>(), 0);
  auto text = Cli({"audit", "verify", "--deep", "--no-state"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("resource states verified"));
}

// `audit verify --deep --reads`: every kind's ordinary read agrees with the
// document its digest covers (the read views of
// clients/cpp/fairtrace/state_reads.h, checked against the real server's
// documents).
TEST_F(StateDigestTest, EveryKindAgreesWithItsOrdinaryRead) {
  ASSERT_EQ(Cli({"models", "alias", "set", "leaf-segmenter", "champion", "2"}).exit_code, 0);
  {  // Keys interleaved, NaN and infinity: the metrics chain is in logging order.
    grpc::ClientContext ctx;
    v1::LogMetricsRequest req;
    req.set_run(run_);
    int step = 2;
    for (double value : {0.4, std::nan(""), 0.3, HUGE_VAL, -HUGE_VAL, 1e-300}) {
      for (const char* key : {"loss", "acc"}) {
        v1::Metric* m = req.add_metrics();
        m->set_key(key);
        m->set_value(value);
        m->set_step(step);
      }
      ++step;
    }
    v1::LogMetricsResponse resp;
    grpc::Status s = v1::RunService::NewStub(channel_)->LogMetrics(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  std::string table = "path,observation_unit\n";
  for (int i = 0; i < 6; ++i) {
    const std::string path = absl::StrCat("p", i, ".png");
    WriteFile(work() / "images" / path, absl::StrCat("image ", i));
    absl::StrAppend(&table, path, ",S1-P", i % 4 + 1, "\n");
  }
  WriteFile(work() / "items.csv", table);
  ASSERT_EQ(Cli({"datasets", "create", "plants"}).exit_code, 0);
  auto v = Cli({"datasets", "version", "plants", (work() / "images").string(), "--items",
                (work() / "items.csv").string(), "--investigation", "investigations/drought"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  const std::string version = "datasets/plants/versions/1";
  WriteFile(work() / "ada.csv", "path,label\np0.png,healthy\np1.png,sick\np2.png,sick\n");
  WriteFile(work() / "bob.csv", "path,label\np0.png,healthy\np1.png,healthy\np2.png,sick\n");
  for (const char* who : {"ada", "bob"}) {
    auto a = Cli({"annotations", "add", version, (work() / (std::string(who) + ".csv")).string(), "--task", "labels",
                  "--id", who, "--annotator", who});
    ASSERT_EQ(a.exit_code, 0) << a.err;
  }
  auto agreement = Cli({"annotations", "agreement", version + "/annotationSets/ada", version + "/annotationSets/bob"});
  ASSERT_EQ(agreement.exit_code, 0) << agreement.err;
  auto split = Cli({"splits", "create", version, "--id", "folds", "--method", "kfold", "--k", "2", "--group",
                    "observation_unit", "--seed", "3"});
  ASSERT_EQ(split.exit_code, 0) << split.err;
  auto check = Cli({"splits", "check", version + "/splits/folds"});
  ASSERT_NE(check.exit_code, 1) << check.err;

  for (const char* role : {"admin", "viewer"}) {  // the tester an admin, then also a viewer of "default"
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + tester_token_);
    v1::AddGrantRequest req;
    req.set_principal("user:tester");
    req.set_role(role);
    if (std::string(role) == "viewer") req.set_project("default");
    v1::Grant grant;
    grpc::Status s = v1::AccessService::NewStub(channel_)->AddGrant(&ctx, req, &grant);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  auto r = Cli({"--token", tester_token_, "--json", "audit", "verify", "--deep", "--reads", "--no-state"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_TRUE(out["state_findings"].empty()) << out.dump();
  // Every resource was read, none skipped: model, alias, 2 versions, run,
  // revision, dataset, version, 2 sets, agreement report, split, leakage
  // report, the fixture's token and the 2 grants.
  EXPECT_EQ(out["reads"]["resources"], out["resources_checked"]) << out.dump();
  EXPECT_EQ(out["reads"]["resources"].get<int64_t>(), 16) << out.dump();
  EXPECT_TRUE(out["reads"]["not_read"].empty()) << out.dump();
  EXPECT_TRUE(out["reads"]["not_compared"].empty()) << out.dump();
  EXPECT_GE(out["reads"]["fields"].get<int64_t>(), 170) << out.dump();
  std::set<std::string> kinds;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + tester_token_);
  auto states = v1::AuditService::NewStub(channel_)->ListResourceStates(&ctx, v1::ListResourceStatesRequest());
  v1::ResourceState m;
  while (states->Read(&m)) {
    if (!m.document().empty()) kinds.insert(nlohmann::json::parse(m.document()).value("kind", ""));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"accessGrant", "accessToken", "agreementReport", "annotationSet", "dataset",
                                          "datasetVersion", "investigationRevision", "leakageReport", "modelAlias",
                                          "modelVersion", "registeredModel", "run", "split"}));
  auto text = Cli({"--token", tester_token_, "audit", "verify", "--reads", "--no-state"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("ordinary reads compared: 16 resource(s)"));

  // The Python client's views (fairtrace/state_reads.py) agree with the
  // CLI's on the same documents: as many resources and fields, nothing
  // left out, no finding.
  const char* kPythonVerify =
      "import json, sys, fairtrace\n"
      "with fairtrace.Client(sys.argv[1], token=sys.argv[2]) as c:\n"
      "    r = c.audit.verify(state_dir='', reads=True)\n"
      "print(json.dumps({'resources': r.reads_compared, 'fields': r.read_fields, 'not_read': r.not_read,\n"
      "                  'not_compared': r.not_compared, 'findings': [f.detail for f in r.state_findings]}))\n";
  auto py = RunCommand({"/usr/bin/python3", "-c", kPythonVerify, server_->target(), tester_token_},
                       {"PYTHONPATH=" FAIRTRACE_PYTHON_DIR, "PYTHONDONTWRITEBYTECODE=1"});
  ASSERT_EQ(py.exit_code, 0) << py.out << py.err;
  nlohmann::json p = nlohmann::json::parse(py.out);
  EXPECT_EQ(p["resources"], out["reads"]["resources"]) << p.dump();
  EXPECT_EQ(p["fields"], out["reads"]["fields"]) << p.dump();
  EXPECT_TRUE(p["findings"].empty()) << p.dump();
  EXPECT_TRUE(p["not_read"].empty()) << p.dump();
  EXPECT_TRUE(p["not_compared"].empty()) << p.dump();

  // An auditor may not list tokens or grants: those are counted as not
  // read, not reported as differences.
  grpc::ClientContext grant_ctx;
  grant_ctx.AddMetadata("authorization", "Bearer " + tester_token_);
  v1::AddGrantRequest req;
  req.set_principal("user:auditor");
  req.set_role("auditor");
  v1::Grant grant;
  ASSERT_TRUE(v1::AccessService::NewStub(channel_)->AddGrant(&grant_ctx, req, &grant).ok());
  admin_token_ = tester_token_;
  const std::string auditor = TokenFor("user:auditor");
  auto as_auditor = Cli({"--token", auditor, "--json", "audit", "verify", "--reads", "--no-state"});
  ASSERT_EQ(as_auditor.exit_code, 0) << as_auditor.out << as_auditor.err;
  nlohmann::json a = nlohmann::json::parse(as_auditor.out);
  EXPECT_TRUE(a["state_findings"].empty()) << a.dump();
  EXPECT_EQ(a["reads"]["resources"], 13) << a.dump();
  EXPECT_EQ(a["reads"]["not_read"].size(), 2u) << a.dump();
  EXPECT_EQ(a["reads"]["not_read"]["accessGrant: ListGrants failed: PERMISSION_DENIED"], 3) << a.dump();
  EXPECT_EQ(a["reads"]["not_read"]["accessToken: ListTokens failed: PERMISSION_DENIED"], 2) << a.dump();
}

TEST_F(StateDigestTest, EditsBehindTheServersBackAreNamed) {
  ASSERT_EQ(server_->Stop(), 0);
  EditDatabase(
      // version 1 pointed at version 2's tree
      "UPDATE model_versions SET tree_sha256 = (SELECT tree_sha256 FROM model_versions WHERE version = 2), "
      "tree_size = (SELECT tree_size FROM model_versions WHERE version = 2) WHERE version = 1;"
      // a better loss, a run that never finished marked FINISHED
      "UPDATE run_metrics SET value = 0.01;"
      "UPDATE runs SET status = 'FINISHED';"
      // an immutable MIAPPE revision's entity edited
      "UPDATE miappe_entities SET record_json = replace(record_json, 'a', 'b') WHERE seq = 1;"
      // an admin grant slipped in
      // (the tester's own token is then needed for fsck: a grant turns
      // authorization on)
      "INSERT INTO access_grants VALUES ('user:tester', 'admin', '*', 1);");
  Restart();
  std::map<std::string, std::string> expected = {
      {"models/leaf-segmenter/versions/1", "STATE_MISMATCH"},
      {run_, "STATE_MISMATCH"},
      {"investigations/drought/revisions/1", "STATE_MISMATCH"},
      {"grants/user:tester/admin/*", "STATE_UNRECORDED"},
  };
  nlohmann::json report;
  EXPECT_EQ(Fsck(&report), expected) << report.dump();
  // The client-side check finds the same, hashing the documents itself.
  nlohmann::json deep;
  EXPECT_EQ(VerifyDeep(&deep), expected) << deep.dump();
  // Without --json the problems are named too, with the record they differ from.
  auto text = Cli({"--token", tester_token_, "fsck"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_THAT(text.out + text.err, HasSubstr("models/leaf-segmenter/versions/1"));
  EXPECT_THAT(text.out + text.err, HasSubstr("behind the server's back"));
}

TEST_F(StateDigestTest, ADeletedVersionRowIsNamed) {
  ASSERT_EQ(server_->Stop(), 0);
  EditDatabase(
      "DELETE FROM model_version_tags WHERE version = 2; DELETE FROM model_version_flavors WHERE version = 2;"
      "DELETE FROM lineage_edges WHERE subject = 'models/leaf-segmenter/versions/2';"
      "DELETE FROM model_versions WHERE version = 2;");
  Restart();
  std::map<std::string, std::string> expected = {{"models/leaf-segmenter/versions/2", "STATE_VANISHED"}};
  EXPECT_EQ(Fsck(), expected);
  EXPECT_EQ(VerifyDeep(), expected);
}

TEST_F(StateDigestTest, AMovedLatestPointerIsNamed) {
  ASSERT_EQ(server_->Stop(), 0);
  EditDatabase("UPDATE investigations SET latest_revision = 7;");
  Restart();
  std::map<std::string, std::string> expected = {{"investigations/drought", "STATE_POINTER_MISMATCH"}};
  EXPECT_EQ(Fsck(), expected);
}

}  // namespace
}  // namespace fairtrace::testing
