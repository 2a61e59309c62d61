// The conformance suite every Store backend passes. Backends register a
// factory in INSTANTIATE_TEST_SUITE_P below (SQLite now, PostgreSQL later).
#include <functional>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "registry/store/sqlite/sqlite_store.h"
#include "registry/store/store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;

struct Backend {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<Store>>(const std::filesystem::path& dir)> open;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = GetParam().open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  static std::vector<StoredBlob> Loose(std::vector<Digest> ds) {
    std::vector<StoredBlob> out;
    for (auto& d : ds) out.push_back({d, BlobLocation::Loose()});
    return out;
  }
  AuditEntry Audit(std::string resource = "r") {
    return AuditEntry{"user:t", "/m", std::move(resource), std::string(64, 'b'), "OK"};
  }
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformance, EmptyBlobIsAlwaysVisible) {
  ASSERT_OK_AND_ASSIGN(auto has, store_->HasBlobs({EmptyDigest()}));
  EXPECT_TRUE(has[0]);
}

TEST_P(StoreConformance, CommitBlobsMakesThemVisibleWithOneAuditRecord) {
  Digest a = DigestOf("a"), b = DigestOf("b");
  ASSERT_OK_AND_ASSIGN(auto before, store_->HasBlobs({a, b}));
  EXPECT_FALSE(before[0] || before[1]);
  ASSERT_OK(store_->CommitBlobs(Loose({a, b}), Audit("blobs")));
  ASSERT_OK(store_->CommitBlobs(Loose({a}), Audit("blobs")));  // idempotent
  ASSERT_OK_AND_ASSIGN(auto after, store_->HasBlobs({a, b, DigestOf("c")}));
  EXPECT_EQ(after, (std::vector<bool>{true, true, false}));
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 100));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sequence, 1);
  EXPECT_EQ(records[1].previous_hash, records[0].hash);
}

TEST_P(StoreConformance, TreeNeedsEveryBlobAndRollsBackWhole) {
  Digest manifest = DigestOf("m"), present = DigestOf("p"), absent = DigestOf("x");
  ASSERT_OK(store_->CommitBlobs(Loose({manifest, present}), Audit()));
  std::vector<TreeEntry> entries = {{"p", present, false}, {"x", absent, false}};
  EXPECT_THAT(store_->CommitTree(manifest, entries, Audit()), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto tree, store_->GetTree(manifest));
  EXPECT_FALSE(tree.has_value());
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 100));
  EXPECT_EQ(records.size(), 1u);  // the failed commit appended nothing
  ASSERT_OK(store_->CommitBlobs(Loose({absent}), Audit()));
  ASSERT_OK(store_->CommitTree(manifest, entries, Audit()));
  ASSERT_OK_AND_ASSIGN(tree, store_->GetTree(manifest));
  ASSERT_TRUE(tree.has_value());
  EXPECT_EQ(tree->entry_count, 2);
  EXPECT_EQ(tree->total_size_bytes, 2);
  ASSERT_OK_AND_ASSIGN(auto blob, store_->GetBlob(manifest));
  EXPECT_TRUE(blob->is_tree);
  ASSERT_OK_AND_ASSIGN(int64_t refs, store_->CountTreeReferences());
  EXPECT_EQ(refs, 2);
  ASSERT_OK_AND_ASSIGN(auto dangling, store_->DanglingTreeReferences(10));
  EXPECT_TRUE(dangling.empty());
}

TEST_P(StoreConformance, PackLocationsRoundTripAndFirstLocationWins) {
  Digest d = DigestOf("packed");
  std::string pack(32, 'a'), other(32, 'b');
  ASSERT_OK(store_->CommitBlobs({StoredBlob{d, BlobLocation{pack, 77}}}, Audit()));
  ASSERT_OK(store_->CommitBlobs({StoredBlob{d, BlobLocation{other, 5}}}, Audit()));
  ASSERT_OK_AND_ASSIGN(auto row, store_->GetBlob(d));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->location, (BlobLocation{pack, 77}));
  ASSERT_OK_AND_ASSIGN(auto empty, store_->GetBlob(EmptyDigest()));
  EXPECT_FALSE(empty->location.packed());
  int seen = 0;
  ASSERT_OK(store_->ForEachBlob([&](const BlobRow& r) {
    if (r.digest == d) {
      EXPECT_EQ(r.location, (BlobLocation{pack, 77}));
      ++seen;
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(seen, 1);
}

TEST_P(StoreConformance, ManifestBlobMustExist) {
  EXPECT_THAT(store_->CommitTree(DigestOf("nothing"), {}, Audit()), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformance, AuditChainSurvivesReopen) {
  ASSERT_OK(store_->AppendAudit(Audit("one")));
  Reopen();
  ASSERT_OK(store_->AppendAudit(Audit("two")));
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 100));
  AuditChainVerifier v;
  for (const auto& r : records) EXPECT_FALSE(v.Next(r).has_value());
  EXPECT_EQ(v.checked(), 2);
}

TEST_P(StoreConformance, ListAuditPages) {
  for (int i = 0; i < 7; ++i) ASSERT_OK(store_->AppendAudit(Audit()));
  ASSERT_OK_AND_ASSIGN(auto p1, store_->ListAudit(0, 3));
  ASSERT_OK_AND_ASSIGN(auto p2, store_->ListAudit(p1.back().sequence, 3));
  ASSERT_OK_AND_ASSIGN(auto p3, store_->ListAudit(p2.back().sequence, 3));
  EXPECT_EQ(p1.size() + p2.size() + p3.size(), 7u);
  EXPECT_EQ(p3.back().sequence, 7);
}

TEST_P(StoreConformance, ConcurrentWritersKeepTheChainLinear) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        ASSERT_OK(store_->CommitBlobs(Loose({DigestOf(std::to_string(t * 100 + i))}), Audit()));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 1000));
  ASSERT_EQ(records.size(), 100u);
  AuditChainVerifier v;
  for (const auto& r : records) ASSERT_FALSE(v.Next(r).has_value());
}

TEST_P(StoreConformance, ForEachBlobVisitsAllInPages) {
  std::vector<Digest> many;
  for (int i = 0; i < 2500; ++i) many.push_back(DigestOf(std::to_string(i)));
  ASSERT_OK(store_->CommitBlobs(Loose(many), Audit()));
  int64_t n = 0;
  ASSERT_OK(store_->ForEachBlob([&](const BlobRow&) {
    ++n;
    return absl::OkStatus();
  }));
  EXPECT_EQ(n, 2501);  // plus the empty blob
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance,
                         ::testing::Values(Backend{
                             "sqlite",
                             [](const std::filesystem::path& dir) -> absl::StatusOr<std::unique_ptr<Store>> {
                               auto s = SqliteStore::Open({.path = (dir / "t.db").string()});
                               if (!s.ok()) return s.status();
                               return std::unique_ptr<Store>(*std::move(s));
                             }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace fairtrace
