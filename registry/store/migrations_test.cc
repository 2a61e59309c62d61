// Every older schema upgrades to head and ends identical to a fresh head
// database; every step also goes down and back up.
#include "registry/store/migrations.h"

#include <gtest/gtest.h>

#include "registry/store/sqlite/db.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace::sqlite {
namespace {

using ::fairtrace::testing::StatusIs;

std::string Schema(Db* db) {
  auto q = db->Prepare(
      "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master "
      "WHERE name != 'schema_version' ORDER BY type, name");
  EXPECT_TRUE(q.ok());
  std::string out;
  while (*(*q)->Step()) out += (*q)->Text(0) + "\n";
  return out;
}

TEST(Migrations, NumberedFromOneWithoutGaps) {
  const auto& all = AllMigrations();
  ASSERT_FALSE(all.empty());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(all[i].up.empty());
    EXPECT_FALSE(all[i].down.empty());
  }
}

TEST(Migrations, EveryOlderSchemaUpgradesToHead) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto head_db, Db::Open((dir.path() / "head.db").string()));
  ASSERT_OK(MigrateTo(head_db.get(), HeadSchemaVersion()));
  std::string head = Schema(head_db.get());
  for (int v = 0; v < HeadSchemaVersion(); ++v) {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open((dir.path() / ("v" + std::to_string(v) + ".db")).string()));
    ASSERT_OK(MigrateTo(db.get(), v));
    ASSERT_OK_AND_ASSIGN(int at, SchemaVersion(db.get()));
    EXPECT_EQ(at, v);
    if (v >= 1) {  // data written under the old schema survives the upgrade
      ASSERT_OK(db->Exec("INSERT INTO blobs (sha256, size_bytes, create_time) VALUES ('" + std::string(64, 'a') +
                         "', 1, 5)"));
    }
    ASSERT_OK(MigrateTo(db.get(), HeadSchemaVersion()));
    EXPECT_EQ(Schema(db.get()), head) << "upgrading from version " << v;
    if (v >= 1) {
      ASSERT_OK_AND_ASSIGN(Stmt * q, db->Prepare("SELECT count(*) FROM blobs WHERE size_bytes = 1"));
      ASSERT_TRUE(*q->Step());
      EXPECT_EQ(q->Int(0), 1);
    }
  }
}

TEST(Migrations, DownAndUpAgainReachTheSameSchema) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open((dir.path() / "t.db").string()));
  ASSERT_OK(MigrateTo(db.get(), HeadSchemaVersion()));
  std::string head = Schema(db.get());
  ASSERT_OK(MigrateTo(db.get(), 0));
  EXPECT_EQ(Schema(db.get()), "");
  ASSERT_OK(MigrateTo(db.get(), HeadSchemaVersion()));
  EXPECT_EQ(Schema(db.get()), head);
}

TEST(Migrations, RefusesADatabaseNewerThanTheBinary) {
  testing::TempDir dir;
  std::string path = (dir.path() / "t.db").string();
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path));
    ASSERT_OK(MigrateTo(db.get(), HeadSchemaVersion()));
    ASSERT_OK(db->Exec("UPDATE schema_version SET version = 999"));
  }
  EXPECT_THAT(SqliteBackend::Open({.path = path}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Going below 25 would bring deleted model versions back: refused while
// any is deleted, allowed once none is.
TEST(Migrations, ModelVersionDeletesRefuseToGoDownWhileAnyIsDeleted) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open((dir.path() / "t.db").string()));
  ASSERT_OK(MigrateTo(db.get(), 25));
  ASSERT_OK(db->Exec("PRAGMA foreign_keys = OFF"));
  ASSERT_OK(
      db->Exec("INSERT INTO model_versions (model_id, version, uid, tree_sha256, tree_size, mlmodel_json, "
               "source_run, description, tags_json, create_time, update_time, revision, stage, delete_time) "
               "VALUES ('m', 1, 'u1', 'aa', 1, '{}', '', '', '{}', 1, 1, 1, 'NONE', 5)"));
  EXPECT_FALSE(MigrateTo(db.get(), 24).ok());
  ASSERT_OK_AND_ASSIGN(int at, SchemaVersion(db.get()));
  EXPECT_EQ(at, 25);
  ASSERT_OK(db->Exec("UPDATE model_versions SET delete_time = NULL"));
  ASSERT_OK(MigrateTo(db.get(), 24));
  ASSERT_OK_AND_ASSIGN(Stmt * q, db->Prepare("SELECT count(*) FROM model_versions"));
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->Int(0), 1);
}

// Request ids stored before ids were scoped (migration 0011) keep answering
// retries from anyone with any body; new ones are scoped and remember the body.
TEST(Migrations, OldRequestIdsMatchAnyPrincipalAndBody) {
  testing::TempDir dir;
  std::string path = (dir.path() / "t.db").string();
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(path));
    ASSERT_OK(MigrateTo(db.get(), 10));
    ASSERT_OK(
        db->Exec("INSERT INTO request_ids (request_id, method, resource, create_time) "
                 "VALUES ('old-1', '/m', 'models/a', 1)"));
  }
  ASSERT_OK_AND_ASSIGN(auto store, SqliteBackend::Open({.path = path}));
  RequestKey key("old-1");
  key.principal = "user:ana";
  key.body_sha256 = "abc";
  ASSERT_OK_AND_ASSIGN(auto row, store->models()->LookupRequestId(key));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->resource, "models/a");
  EXPECT_EQ(row->body_sha256, "");
  key.id = "new-1";
  ASSERT_OK_AND_ASSIGN(row, store->models()->LookupRequestId(key));
  EXPECT_FALSE(row.has_value());
}

}  // namespace
}  // namespace fairtrace::sqlite
