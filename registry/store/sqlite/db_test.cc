#include "registry/store/sqlite/db.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/fs/env.h"
#include "registry/store/sqlite/env_vfs.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace::sqlite {
namespace {

// Statements built from clients' filters are kept in a bounded cache: 20,000
// distinct filters grew the old unbounded cache from 29 to 313 MiB.
TEST(Db, RuntimeStatementsStayBounded) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open((dir.path() / "t.db").string()));
  ASSERT_OK(db->Exec("CREATE TABLE t (x INTEGER)"));
  ASSERT_OK(db->Exec("INSERT INTO t VALUES (1), (2), (3)"));
  for (int i = 0; i < 500; ++i) {
    ASSERT_OK_AND_ASSIGN(Stmt * q,
                         db->PrepareBounded(absl::StrCat("SELECT count(*) FROM t WHERE x > ", i % 300, " - 298")));
    ASSERT_OK_AND_ASSIGN(bool row, q->Step());
    ASSERT_TRUE(row);
    EXPECT_EQ(q->Int(0), (i % 300) - 298 < 1 ? 3 : (i % 300) - 298 < 2 ? 2 : (i % 300) - 298 < 3 ? 1 : 0);
    q->Reset();
    EXPECT_LE(db->bounded_statements(), Db::kMaxBoundedStatements);
  }
  EXPECT_EQ(db->bounded_statements(), Db::kMaxBoundedStatements);
  // A statement used again is found, not prepared anew.
  ASSERT_OK_AND_ASSIGN(Stmt * a, db->PrepareBounded("SELECT 1"));
  ASSERT_OK_AND_ASSIGN(Stmt * b, db->PrepareBounded("SELECT 1"));
  EXPECT_EQ(a, b);
}

// Counts writes to files SQLite opens without a name (sub-journals and
// other temp files).
class TempWriteCounter : public fs::Env {
 public:
  absl::Status Before(Op op, const std::filesystem::path& path, size_t*) override {
    if (op == Op::kWrite && path.empty()) ++temp_writes;
    return absl::OkStatus();
  }
  std::atomic<int> temp_writes{0};
};

// Every group-commit write runs in a savepoint; its sub-journal (the
// original of each page it changes) stays in memory up to
// kStatementJournalBytes instead of going to a temp file at 64 KiB.
TEST(Db, SavepointJournalStaysInMemory) {
  static TempWriteCounter* env = new TempWriteCounter();  // lives as long as the VFS
  ASSERT_OK_AND_ASSIGN(std::string vfs, EnvVfsName(env));
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open((dir.path() / "t.db").string(), vfs));
  ASSERT_OK(db->Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)"));
  ASSERT_OK(
      db->Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
               "INSERT INTO t SELECT i, zeroblob(3000) FROM n"));
  ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(db.get()));
  ASSERT_OK(db->Exec("SAVEPOINT w"));
  // About 100 pages (~400 KiB of journal): over SQLite's default spill.
  ASSERT_OK(db->Exec("UPDATE t SET v = zeroblob(3001)"));
  ASSERT_OK(db->Exec("ROLLBACK TO w"));
  ASSERT_OK(db->Exec("RELEASE w"));
  ASSERT_OK(txn.Commit());
  EXPECT_EQ(env->temp_writes.load(), 0);
  // The rollback restored the originals from that in-memory journal.
  ASSERT_OK_AND_ASSIGN(Stmt * q, db->Prepare("SELECT count(*) FROM t WHERE length(v) = 3000"));
  ASSERT_OK_AND_ASSIGN(bool row, q->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(q->Int(0), 100);
}

}  // namespace
}  // namespace fairtrace::sqlite
