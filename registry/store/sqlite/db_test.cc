#include "registry/store/sqlite/db.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
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

}  // namespace
}  // namespace fairtrace::sqlite
