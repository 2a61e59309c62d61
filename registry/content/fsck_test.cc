#include "registry/content/fsck.h"

#include <fstream>

#include <gtest/gtest.h>

#include "registry/content/content_store.h"
#include "registry/store/sqlite/db.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

class FsckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    blobs_ = *BlobStore::Open(dir_.path() / "cas");
    cas_ = std::make_unique<ContentStore>(store_->content(), blobs_.get(), CasLimits{});
    for (absl::string_view s : {"one", "two", "three"}) {
      std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf(s), s}};
      ASSERT_TRUE((*cas_->BatchUpdate(ctx_, items))[0].ok());
    }
  }
  testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ContentStore> cas_;
  CallContext ctx_{"user:t", "/t", std::string(64, 'a')};
};

TEST_F(FsckTest, CleanStore) {
  ASSERT_OK_AND_ASSIGN(FsckReport r, RunFsck(*store_->content(), *blobs_));
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(r.blobs_checked, 4);  // with the empty blob
  EXPECT_EQ(r.bytes_hashed, 11);
  EXPECT_EQ(r.audit_records_checked, 3);
}

BlobLocation Where(Store& store, const Digest& d) { return (*store.GetBlob(d))->location; }

// A tree stored before the restorability rules (committed here straight
// through the store, as an older server did) stays readable and fsck names it.
TEST_F(FsckTest, NamesStoredTreesThatCannotBeRestored) {
  std::vector<TreeEntry> entries = {{"README", DigestOf("one"), false}, {"readme", DigestOf("two"), false}};
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree(entries));
  std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf(manifest), manifest}};
  ASSERT_TRUE((*cas_->BatchUpdate(ctx_, items))[0].ok());
  // The content store refuses it now...
  EXPECT_THAT(cas_->CreateTree(ctx_, DigestOf(manifest)).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  // ...an older server stored it.
  ASSERT_OK(
      store_->content()->CommitTree(DigestOf(manifest), entries, MakeAuditEntry(ctx_, "trees/old", absl::OkStatus())));
  ASSERT_OK_AND_ASSIGN(auto page, cas_->GetTree(DigestOf(manifest), 0, ""));
  EXPECT_EQ(page.entries.size(), 2u);
  ASSERT_OK_AND_ASSIGN(FsckReport r, RunFsck(*store_->content(), *blobs_));
  ASSERT_EQ(r.problem_count, 1);
  EXPECT_EQ(r.problems[0].kind, "TREE_NOT_RESTORABLE");
  EXPECT_EQ(r.problems[0].subject, "trees/" + DigestOf(manifest).sha256 + "/" + std::to_string(manifest.size()));
}

// A manifest kept in the database is verified like a file: its row's bytes
// are hashed, and bytes edited there are found.
TEST_F(FsckTest, VerifiesManifestsKeptInTheDatabase) {
  ASSERT_OK_AND_ASSIGN(std::string manifest,
                       EncodeTree({{"a", DigestOf("one"), false}, {"b/c", DigestOf("two"), false}}));
  ASSERT_OK_AND_ASSIGN(Digest d, cas_->PutTree(ctx_, manifest));
  ASSERT_TRUE(Where(*store_->content(), d).in_database);
  ASSERT_OK_AND_ASSIGN(FsckReport clean, RunFsck(*store_->content(), *blobs_));
  EXPECT_TRUE(clean.clean());
  EXPECT_EQ(clean.blobs_checked, 5);
  EXPECT_EQ(clean.bytes_hashed, 11 + static_cast<int64_t>(manifest.size()));
  EXPECT_EQ(clean.unreferenced_files, 0);
  {
    auto db = *sqlite::Db::Open((dir_.path() / "db").string());
    ASSERT_OK(
        db->Exec("UPDATE blobs SET inline_bytes = CAST(upper(CAST(inline_bytes AS TEXT)) AS BLOB) "
                 "WHERE inline_bytes IS NOT NULL"));
  }
  ASSERT_OK_AND_ASSIGN(FsckReport r, RunFsck(*store_->content(), *blobs_));
  ASSERT_EQ(r.problem_count, 1);
  EXPECT_EQ(r.problems[0].kind, "BLOB_CORRUPT");
  EXPECT_EQ(r.problems[0].subject, BlobResourceName(d));
}

TEST_F(FsckTest, StopsWhenAsked) {
  EXPECT_THAT(RunFsck(*store_->content(), *blobs_, [] { return true; }),
              testing::StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(FsckTest, FindsCorruptAndMissingBlobsAndOrphans) {
  std::filesystem::remove(blobs_->PackPath(Where(*store_->content(), DigestOf("one")).pack));
  {
    BlobLocation two = Where(*store_->content(), DigestOf("two"));
    std::fstream f(blobs_->PackPath(two.pack), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(two.pack_offset);
    f << "T";
  }
  std::vector<std::pair<Digest, absl::string_view>> orphan = {{DigestOf("orphan"), "orphan"}};
  ASSERT_OK(blobs_->PutBatch(orphan)[0].status);  // on disk, never committed
  ASSERT_OK_AND_ASSIGN(FsckReport r, RunFsck(*store_->content(), *blobs_));
  EXPECT_EQ(r.problem_count, 2);
  std::set<std::string> kinds;
  for (const auto& p : r.problems) kinds.insert(p.kind);
  EXPECT_EQ(kinds, (std::set<std::string>{"BLOB_MISSING", "BLOB_CORRUPT"}));
  EXPECT_EQ(r.unreferenced_files, 1);
}

TEST_F(FsckTest, FindsTamperedAuditRecord) {
  {
    auto db = *sqlite::Db::Open((dir_.path() / "db").string());
    ASSERT_OK(db->Exec("UPDATE audit_log SET principal = 'user:mallory' WHERE sequence = 2"));
  }
  ASSERT_OK_AND_ASSIGN(FsckReport r, RunFsck(*store_->content(), *blobs_));
  ASSERT_EQ(r.problem_count, 1);
  EXPECT_EQ(r.problems[0].kind, "AUDIT_CHAIN_BROKEN");
  EXPECT_EQ(r.problems[0].subject, "audit/2");
}

// A Merkle node edited behind the server's back would make proofs that fail
// for honest records: fsck compares every stored node with the records.
TEST_F(FsckTest, FindsTamperedOrMissingMerkleNodes) {
  {
    auto db = *sqlite::Db::Open((dir_.path() / "db").string());
    ASSERT_OK(db->Exec("UPDATE audit_merkle SET hash = zeroblob(32) WHERE level = 1 AND idx = 0"));
    ASSERT_OK(db->Exec("DELETE FROM audit_merkle WHERE level = 0 AND idx = 2"));
  }
  ASSERT_OK_AND_ASSIGN(FsckReport r, RunFsck(*store_->content(), *blobs_));
  ASSERT_EQ(r.problem_count, 2);
  EXPECT_EQ(r.problems[0].kind, "AUDIT_MERKLE_MISMATCH");
  EXPECT_EQ(r.problems[0].subject, "audit/merkle/1/0");
  EXPECT_EQ(r.problems[1].subject, "audit/merkle/0/2");
  EXPECT_EQ(r.problems[1].detail, "the node is missing");
}

}  // namespace
}  // namespace fairtrace
