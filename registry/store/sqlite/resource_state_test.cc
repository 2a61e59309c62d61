// State digests in the SQLite store: every successful change records the
// digest of its resource's state, computed from the rows; an edit of the rows
// behind the store's back is named by CheckResourceStates; a database from
// before state digests gets one anchor record per resource, once.
#include "registry/store/sqlite/resource_state.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "common/audit/state_digest.h"
#include "registry/store/migrations.h"
#include "registry/store/sqlite/sqlite_database.h"
#include "tests/testing/sqlite_file_test_base.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace {
namespace {

constexpr char kRun[] = "0123456789abcdef0123456789abcdef";

class ResourceStateTest : public SqliteFileTestBase {
 protected:
  static RunWrite Run() {
    RunWrite w;
    w.run.run_id = kRun;
    w.run.uid = "u-run";
    w.run.experiment = "leaf-seg";
    w.params = {{"lr", "0.001"}};
    w.metrics = {{"loss", 0.5, 1, 10}, {"loss", std::nan(""), 2, 20}};
    w.edges = {{"runs/0123456789abcdef0123456789abcdef", "used", "blobs/x/1", "train"}};
    return w;
  }
  // resource -> kind of every problem CheckResourceStates finds.
  static std::map<std::string, std::string> Problems(SqliteBackend& b, int64_t* checked = nullptr) {
    std::map<std::string, std::string> out;
    auto n = b.content()->CheckResourceStates([&](Store::StateProblem p) { out[p.resource] = p.kind; });
    EXPECT_TRUE(n.ok()) << n.status();
    if (checked != nullptr && n.ok()) *checked = *n;
    return out;
  }
  static std::vector<AuditRecord> Records(SqliteBackend& b) { return b.content()->ListAudit(0, 1000).value(); }
};

TEST_F(ResourceStateTest, EveryChangeRecordsTheStateItLeft) {
  auto b = Open();
  ASSERT_OK(b->runs()->InsertRun(Run(), "", Entry("runs/x")).status());
  ASSERT_OK(b->runs()->LogMetrics(kRun, {{"acc", std::numeric_limits<double>::infinity(), 3, 30}},
                                  Entry(std::string("runs/") + kRun)));
  ASSERT_OK(b->access()->InsertGrant({"user:a", "viewer", "default", 5}, Entry("grants/user:a/viewer/default")));
  ASSERT_OK(b->content()->AppendAudit(Entry("blobs/abc/3")));  // no state
  std::vector<AuditRecord> records = Records(*b);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].entry.resource, std::string("runs/") + kRun);  // the store names the run
  for (int i : {0, 1, 2}) EXPECT_TRUE(records[i].state_digest.rfind("sha256:", 0) == 0) << i;
  EXPECT_NE(records[0].state_digest, records[1].state_digest);  // a metric changes the run's state
  EXPECT_EQ(records[3].state_digest, "");

  // The recorded digest is the digest of the document the rows give, and
  // the stored metrics chain equals the one recomputed from the rows.
  auto db = sqlite::Db::Open(path());
  ASSERT_TRUE(db.ok());
  auto doc = ResourceStateDoc(db->get(), std::string("runs/") + kRun, StateRead::kRecomputeChains);
  ASSERT_TRUE(doc.ok() && doc->has_value());
  EXPECT_EQ(*StateDigestOf(**doc), records[1].state_digest);
  EXPECT_EQ((**doc)["kind"], "run");
  EXPECT_EQ((**doc)["status"], "RUNNING");
  EXPECT_EQ((**doc)["run_kind"], "TRAINING");
  EXPECT_FALSE((**doc).contains("metrics_chain"));
  EXPECT_EQ((**doc)["metrics"].get<std::string>().size(), 64u);
  EXPECT_EQ((**doc)["tags_json"], nlohmann::json::object());  // JSON texts are embedded as JSON
  auto stored = ResourceStateDoc(db->get(), std::string("runs/") + kRun, StateRead::kStoredChains);
  EXPECT_EQ(**stored, **doc);

  int64_t checked = 0;
  EXPECT_TRUE(Problems(*b, &checked).empty());
  EXPECT_EQ(checked, 2);  // the run and the grant
}

TEST_F(ResourceStateTest, AFailedCallRecordsNoState) {
  auto b = Open();
  AuditEntry failed = Entry("grants/user:a/viewer/default");
  failed.result = "ALREADY_EXISTS";
  ASSERT_OK(b->content()->AppendAudit(failed));
  EXPECT_EQ(Records(*b)[0].state_digest, "");
}

TEST_F(ResourceStateTest, ARunCreatedWithOthersRecordsEachOnesState) {
  auto b = Open();
  AuditEntry e = Entry("runs/x");
  e.also_changed = {"grants/user:a/viewer/default"};  // any stateful name will do
  ASSERT_OK(b->runs()->InsertRun(Run(), "", e).status());
  std::vector<AuditRecord> records = Records(*b);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].entry.resource, "grants/user:a/viewer/default");
  EXPECT_EQ(records[1].state_digest, DeletedStateDocDigest("grants/user:a/viewer/default"));
  EXPECT_EQ(records[1].entry.method, records[0].entry.method);
}

TEST_F(ResourceStateTest, EditsBehindTheStoresBackAreNamed) {
  {
    auto b = Open();
    ASSERT_OK(b->runs()->InsertRun(Run(), "", Entry("runs/x")).status());
    for (const char* p : {"user:a", "user:b", "user:c"}) {
      ASSERT_OK(
          b->access()->InsertGrant({p, "viewer", "default", 5}, Entry(std::string("grants/") + p + "/viewer/default")));
    }
    ASSERT_OK(b->access()->DeleteGrant("user:c", "viewer", "default", Entry("grants/user:c/viewer/default")).status());
    EXPECT_TRUE(Problems(*b).empty());
  }
  Exec(
      "UPDATE run_metrics SET value = 0.01 WHERE step = 1;"                  // an edited metric
      "DELETE FROM access_grants WHERE principal = 'user:a';"                // a deleted row
      "UPDATE access_grants SET role = 'admin' WHERE principal = 'user:b';"  // an edited key
      "INSERT INTO access_grants VALUES ('user:mallory', 'admin', 'default', 1);");
  auto b = Open();
  std::map<std::string, std::string> expected = {
      {std::string("runs/") + kRun, "STATE_MISMATCH"},           {"grants/user:a/viewer/default", "STATE_VANISHED"},
      {"grants/user:b/viewer/default", "STATE_VANISHED"},        {"grants/user:b/admin/default", "STATE_UNRECORDED"},
      {"grants/user:mallory/admin/default", "STATE_UNRECORDED"},
  };
  EXPECT_EQ(Problems(*b), expected);  // user:c was revoked through the store: no finding
}

// A project other than "default" is in the document; "default" is not (so
// documents recorded before projects existed still match), and moving a
// resource between projects behind the store's back is named either way.
TEST_F(ResourceStateTest, AProjectIsPartOfTheStateUnlessDefault) {
  {
    auto b = Open();
    RunWrite in_wheat = Run();
    in_wheat.run.project = "wheat";
    ASSERT_OK(b->runs()->InsertRun(in_wheat, "", Entry("runs/x")).status());
    RunWrite in_default = Run();
    in_default.run.run_id = "fedcba9876543210fedcba9876543210";
    in_default.run.uid = "u-run-2";
    in_default.edges.clear();
    ASSERT_OK(b->runs()->InsertRun(in_default, "", Entry("runs/y")).status());
    EXPECT_TRUE(Problems(*b).empty());
  }
  {
    auto db = sqlite::Db::Open(path());
    ASSERT_TRUE(db.ok());
    auto wheat = ResourceStateDoc(db->get(), std::string("runs/") + kRun, StateRead::kRecomputeChains);
    ASSERT_TRUE(wheat.ok() && wheat->has_value());
    EXPECT_EQ((**wheat)["project"], "wheat");
    auto plain = ResourceStateDoc(db->get(), "runs/fedcba9876543210fedcba9876543210", StateRead::kRecomputeChains);
    ASSERT_TRUE(plain.ok() && plain->has_value());
    EXPECT_FALSE((**plain).contains("project"));
  }
  Exec(
      "UPDATE runs SET project = 'default' WHERE run_id = '0123456789abcdef0123456789abcdef';"
      "UPDATE runs SET project = 'rice' WHERE run_id = 'fedcba9876543210fedcba9876543210';");
  auto b = Open();
  std::map<std::string, std::string> expected = {{std::string("runs/") + kRun, "STATE_MISMATCH"},
                                                 {"runs/fedcba9876543210fedcba9876543210", "STATE_MISMATCH"}};
  EXPECT_EQ(Problems(*b), expected);
}

TEST_F(ResourceStateTest, StoredTextThatIsNotUtf8IsNamedNotFatal) {
  {
    auto b = Open();
    ASSERT_OK(b->access()->InsertGrant({"user:a", "viewer", "default", 5}, Entry("grants/user:a/viewer/default")));
  }
  Exec(
      "UPDATE access_grants SET create_time = 6; INSERT INTO access_grants VALUES ('user:b', 'viewer', "
      "CAST(X'6ff6' AS TEXT), 1);");
  auto b = Open();
  std::map<std::string, std::string> expected = {{"grants/user:a/viewer/default", "STATE_MISMATCH"},
                                                 {"grants/user:b/viewer/o\xf6", "STATE_UNREADABLE"}};
  EXPECT_EQ(Problems(*b), expected);  // reported, and the check goes on
}

TEST_F(ResourceStateTest, AnchoringSkipsWhatItCannotRead) {
  {
    auto db = sqlite::Db::Open(path());
    ASSERT_TRUE(db.ok());
    ASSERT_OK(sqlite::MigrateTo(db->get(), 17));
    ASSERT_OK((*db)->Exec("INSERT INTO access_grants VALUES ('user:b', 'viewer', CAST(X'6ff6' AS TEXT), 1);"));
  }
  auto b = Open();  // the server still starts
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(Records(*b).empty());
  std::map<std::string, std::string> expected = {{"grants/user:b/viewer/o\xf6", "STATE_UNREADABLE"}};
  EXPECT_EQ(Problems(*b), expected);
}

TEST_F(ResourceStateTest, ADatabaseFromBeforeStateDigestsIsAnchoredOnce) {
  {
    auto db = sqlite::Db::Open(path());
    ASSERT_TRUE(db.ok());
    ASSERT_OK(sqlite::MigrateTo(db->get(), 17));
    ASSERT_OK((*db)->Exec(
        "INSERT INTO runs (run_id, uid, experiment, kind, status, status_message, start_time, end_time, "
        "seeds_json, code_json, code_commit, environment_json, description, tags_json, create_time, update_time, "
        "revision) VALUES ('0123456789abcdef0123456789abcdef', 'u', 'e', 'TRAINING', 'RUNNING', '', 1, NULL, "
        "'[]', '{}', '', '{}', '', '{}', 1, 1, 1);"
        "INSERT INTO run_metrics (run_id, key, step, timestamp, value) VALUES "
        "('0123456789abcdef0123456789abcdef', 'loss', 1, 10, 0.5);"
        "INSERT INTO lineage_edges VALUES ('runs/0123456789abcdef0123456789abcdef', 'used', 'blobs/x/1', 't', 1);"
        "INSERT INTO lineage_edges VALUES ('blobs/y/1', 'wasGeneratedBy', 'runs/0123456789abcdef0123456789abcdef', "
        "'out', 1);"
        "INSERT INTO access_grants VALUES ('user:a', 'admin', 'default', 1);"
        // A model version generated by the run: its source-run edge is the
        // version's, not the run's.
        "PRAGMA foreign_keys = OFF;"
        "INSERT INTO registered_models VALUES ('m', 'u-m', '', '', '', '{}', 1, 1, NULL, 1, 2);"
        "INSERT INTO model_versions (model_id, version, uid, tree_sha256, tree_size, mlmodel_json, source_run, "
        "description, tags_json, create_time, update_time, revision) VALUES ('m', 1, 'u-mv', '" +
        std::string(64, 'a') +
        "', 10, '{}', 'runs/0123456789abcdef0123456789abcdef', '', '{}', 1, 1, 1);"
        "INSERT INTO lineage_edges VALUES ('models/m/versions/1', 'wasGeneratedBy', "
        "'runs/0123456789abcdef0123456789abcdef', 'model', 1);"));
  }
  std::string run_anchor;
  {
    auto b = Open();
    std::vector<AuditRecord> records = Records(*b);
    ASSERT_EQ(records.size(), 4u);  // the run, the grant, the model, its version
    for (const AuditRecord& r : records) {
      EXPECT_EQ(r.entry.method, kStateAnchorMethod);
      EXPECT_EQ(r.entry.principal, "fairtrace-server");
      EXPECT_TRUE(r.state_digest.rfind("sha256:", 0) == 0);
      if (r.entry.resource == std::string("runs/") + kRun) run_anchor = r.state_digest;
    }
    EXPECT_TRUE(Problems(*b).empty());
    // The run's outputs belong to it, the version's source-run edge to the
    // version (migration 0018 gives older edges their origin).
    auto db = sqlite::Db::Open(path());
    ASSERT_TRUE(db.ok());
    auto origins = (*db)->Prepare("SELECT subject || ' ' || origin FROM lineage_edges ORDER BY subject");
    ASSERT_TRUE(origins.ok());
    auto rows = sqlite::CollectRows<std::string>(*origins, [](sqlite::Stmt* q) { return q->Text(0); });
    EXPECT_EQ(*rows, (std::vector<std::string>{"blobs/y/1 runs/0123456789abcdef0123456789abcdef",
                                               "models/m/versions/1 models/m/versions/1",
                                               "runs/0123456789abcdef0123456789abcdef "
                                               "runs/0123456789abcdef0123456789abcdef"}));
    auto doc = ResourceStateDoc(db->get(), std::string("runs/") + kRun, StateRead::kStoredChains);
    ASSERT_TRUE(doc.ok() && doc->has_value());
    EXPECT_NE((**doc)["lineage"], "");
    // After the anchors, logging continues the chain the anchor filled.
    ASSERT_OK(b->runs()->LogMetrics(kRun, {{"loss", 0.4, 2, 20}}, Entry(std::string("runs/") + kRun)));
    EXPECT_TRUE(Problems(*b).empty());
  }
  auto b = Open();  // no second round of anchors
  EXPECT_EQ(Records(*b).size(), 5u);
  EXPECT_NE(run_anchor, "");
}

// Chains are written without building json values (for speed); they must
// equal the canonical JSON of the rows as json values (JSON texts as the
// strings stored), tricky text and doubles included.
TEST_F(ResourceStateTest, ChainsEqualTheCanonicalJsonOfTheirRows) {
  { auto b = Open(); }
  Exec("INSERT INTO annotation_sets VALUES ('d', 1, 's', 'u-set', 'u-v', '" + std::string(64, 'a') +
       "', 'ann', 'task', 'coco', 'src', 3, '{\"b\":1,\"a\":[1.5,null]}', 2, 2, 'p', 1);"
       "INSERT INTO annotations VALUES ('u-set', 1, 'q\"uo\\te\t\x7f "
       "\xc3\xa9', 7, 2, 0.1, 1e21, -2.5, 9e999, "
       "-9e999, '{\"z\":\"\\u0001\",\"a\":2}', '');"
       "INSERT INTO annotations VALUES ('u-set', 2, char(1) || 'x' || char(31), 8, 3, 2.5, 0, 1, 2, 3, 'not json', "
       "'m');");
  auto db = sqlite::Db::Open(path());
  ASSERT_TRUE(db.ok());
  auto doc = ResourceStateDoc(db->get(), "datasets/d/versions/1/annotationSets/s", StateRead::kRecomputeChains);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(doc->has_value());
  using nlohmann::json;
  auto row = [](int64_t seq, std::string path, int64_t source, int64_t category, std::vector<double> v,
                std::string geometry, std::string mask) {
    return json{{"seq", seq},
                {"path", path},
                {"source_id", source},
                {"category_id", category},
                {"value", StateDouble(v[0])},
                {"bbox_x", StateDouble(v[1])},
                {"bbox_y", StateDouble(v[2])},
                {"bbox_w", StateDouble(v[3])},
                {"bbox_h", StateDouble(v[4])},
                {"geometry_json", geometry},
                {"mask_digest", mask}};
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::string chain = *StateChainNext(
      "", row(1, "q\"uo\\te\t\x7f \xc3\xa9", 7, 2, {0.1, 1e21, -2.5, inf, -inf}, "{\"z\":\"\\u0001\",\"a\":2}", ""));
  chain = *StateChainNext(chain, row(2, "\x01x\x1f", 8, 3, {2.5, 0, 1, 2, 3}, "not json", "m"));
  EXPECT_EQ((**doc)["annotations"], chain);
  // In the resource's own row, JSON texts enter as JSON.
  EXPECT_EQ((**doc)["meta_json"], (json{{"a", {1.5, nullptr}}, {"b", 1}}));
}

TEST_F(ResourceStateTest, NamesOfNoStatefulKindHaveNoState) {
  auto db = sqlite::Db::Open(path());
  ASSERT_TRUE(db.ok());
  ASSERT_OK(sqlite::MigrateTo(db->get(), sqlite::HeadSchemaVersion()));
  for (const char* name : {"blobs/abc/3", "trees/abc/3", "models/m/versions", "perceptualHashes", "runs/short",
                           "models/m/versions/01", "auditLog/checkpoints/3"}) {
    auto d = ResourceStateDigest(db->get(), name, StateRead::kStoredChains);
    ASSERT_TRUE(d.ok()) << name;
    EXPECT_EQ(*d, "") << name;  // "01" is no version's name: names are spelled one way
  }
  // A stateful kind's absent resource has the tombstone digest.
  EXPECT_EQ(*ResourceStateDigest(db->get(), "models/m/versions/1", StateRead::kStoredChains),
            DeletedStateDocDigest("models/m/versions/1"));
  EXPECT_EQ(StateNameOfRecordResource("tokens/0123456789abcdef for user:a"), "tokens/0123456789abcdef");
  EXPECT_EQ(StateNameOfRecordResource("tokens/0123456789abcdef"), "tokens/0123456789abcdef");
}

}  // namespace
}  // namespace fairtrace
