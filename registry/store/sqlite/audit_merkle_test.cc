// The SQLite Merkle table over the audit log: records appended before it
// existed are hashed in when the database opens, and a log whose newest
// records were deleted behind the server's back refuses to open.
#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "registry/store/sqlite/db.h"
#include "tests/testing/sqlite_file_test_base.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace {
namespace {

using AuditMerkleTest = SqliteFileTestBase;

TEST_F(AuditMerkleTest, RecordsOlderThanTheTreeAreHashedInOnOpen) {
  MerkleHash root;
  {
    auto store = Open();
    for (int i = 0; i < 21; ++i) ASSERT_OK(store->content()->AppendAudit(Entry(std::to_string(i))));
    root = store->content()->GetAuditTreeHead().root;
  }
  // As a database written before migration 0016 would be: no nodes at all,
  // or (a crash cannot do this, but the code must not care) only some.
  Exec("DELETE FROM audit_merkle");
  {
    auto store = Open();
    EXPECT_EQ(store->content()->GetAuditTreeHead().size, 21);
    EXPECT_EQ(store->content()->GetAuditTreeHead().root, root);
    ASSERT_OK_AND_ASSIGN(auto proof, store->content()->AuditInclusionProof(3, 21));
    EXPECT_FALSE(proof.empty());
  }
  Exec(
      "DELETE FROM audit_merkle WHERE level = 0 AND idx >= 13; DELETE FROM audit_merkle WHERE level > 0 AND "
      "(idx + 1) * (1 << level) > 13");
  auto store = Open();
  EXPECT_EQ(store->content()->GetAuditTreeHead().root, root);
}

TEST_F(AuditMerkleTest, ALogWithItsNewestRecordsDeletedDoesNotOpen) {
  {
    auto store = Open();
    for (int i = 0; i < 5; ++i) ASSERT_OK(store->content()->AppendAudit(Entry(std::to_string(i))));
  }
  Exec("DELETE FROM audit_log WHERE sequence = 5");
  auto s = SqliteBackend::Open({.path = path()});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ErrorDetailsOf(s.status())->reason, "AUDIT_LOG_TRUNCATED");
}

TEST_F(AuditMerkleTest, AMissingNodeIsDataLossNotAWrongProof) {
  {
    auto store = Open();
    for (int i = 0; i < 8; ++i) ASSERT_OK(store->content()->AppendAudit(Entry(std::to_string(i))));
  }
  auto store = Open();
  Exec("DELETE FROM audit_merkle WHERE level = 2 AND idx = 1");
  auto proof = store->content()->AuditInclusionProof(0, 8);
  EXPECT_EQ(proof.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fairtrace
