#include "registry/content/content_store.h"

#include "absl/strings/escaping.h"
#include "registry/core/page_token.h"

#include <gtest/gtest.h>

#include "registry/store/sqlite/db.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto blobs = BlobStore::Open(dir_.path() / "cas");
    ASSERT_TRUE(blobs.ok()) << blobs.status();
    blobs_ = *std::move(blobs);
    limits_.max_blob_size = 1 << 20;
    limits_.max_batch_bytes = 1000;
    cas_ = std::make_unique<ContentStore>(store_->content(), blobs_.get(), limits_);
  }
  int64_t AuditCount() {
    auto r = store_->content()->ListAudit(0, 100000);
    return r.ok() ? static_cast<int64_t>(r->size()) : -1;
  }
  void Put(absl::string_view data) {
    std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf(data), data}};
    auto r = cas_->BatchUpdate(ctx_, items);
    ASSERT_TRUE(r.ok() && (*r)[0].ok());
  }
  std::string WriteAll(const Digest& d, absl::string_view id, absl::string_view data) {
    auto start = cas_->BeginWrite(ctx_, UploadResourceName(id, d), 0);
    if (!start.ok()) return std::string(start.status().message());
    if (!start->session) return "complete";
    if (auto s = start->session->Append(0, data); !s.ok()) return std::string(s.message());
    auto f = start->session->Finish();
    return f.ok() ? "ok" : std::string(f.status().message());
  }
  testing::TempDir dir_;
  CasLimits limits_;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ContentStore> cas_;
  CallContext ctx_{"user:test", "/test", std::string(64, 'c')};
};

TEST_F(ContentStoreTest, FindMissingNeverReportsTheEmptyBlob) {
  Put("here");
  ASSERT_OK_AND_ASSIGN(auto missing, cas_->FindMissing({EmptyDigest(), DigestOf("here"), DigestOf("gone")}));
  EXPECT_EQ(missing, std::vector<Digest>{DigestOf("gone")});
}

TEST_F(ContentStoreTest, FindMissingValidatesEveryDigestAndTheCount) {
  EXPECT_THAT(cas_->FindMissing({DigestOf("a"), Digest{"zz", 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blob_digests[1]")));
  std::vector<Digest> many(limits_.max_find_missing + 1, EmptyDigest());
  EXPECT_THAT(cas_->FindMissing(many), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ContentStoreTest, BatchUpdateHasPerBlobStatusAndOneAuditRecord) {
  std::vector<std::pair<Digest, absl::string_view>> items = {
      {DigestOf("good"), "good"}, {DigestOf("bad"), "BAD"}, {Digest{"x", 1}, "x"}};
  ASSERT_OK_AND_ASSIGN(auto out, cas_->BatchUpdate(ctx_, items));
  EXPECT_OK(out[0]);
  EXPECT_THAT(out[1], StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("do not match")));
  EXPECT_THAT(out[2], StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto missing, cas_->FindMissing({DigestOf("good"), DigestOf("bad")}));
  EXPECT_EQ(missing, std::vector<Digest>{DigestOf("bad")});
  EXPECT_EQ(AuditCount(), 1);
  ASSERT_OK_AND_ASSIGN(auto records, store_->content()->ListAudit(0, 10));
  EXPECT_EQ(records[0].entry.result, "INVALID_ARGUMENT");
  EXPECT_EQ(records[0].entry.principal, "user:test");
}

TEST_F(ContentStoreTest, BatchUpdateRejectsOversizeBatchWhole) {
  std::string big(limits_.max_batch_bytes + 1, 'x');
  std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf(big), big}};
  EXPECT_THAT(cas_->BatchUpdate(ctx_, items), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto missing, cas_->FindMissing({DigestOf(big)}));
  EXPECT_EQ(missing.size(), 1u);
}

TEST_F(ContentStoreTest, WriteThenReadBack) {
  std::string data(5000, 'w');
  Digest d = DigestOf(data);
  EXPECT_EQ(WriteAll(d, "up1", data), "ok");
  std::string back;
  ASSERT_OK(cas_->Read(BlobResourceName(d), 10, 100, 64, [&](absl::string_view s) {
    back.append(s.data(), s.size());
    return true;
  }));
  EXPECT_EQ(back, data.substr(10, 100));
  // A second Write of the same blob completes at once (dedup).
  EXPECT_EQ(WriteAll(d, "up2", data), "complete");
}

TEST_F(ContentStoreTest, WriteWithWrongHashStoresNothing) {
  Digest d = DigestOf("right");
  EXPECT_THAT(WriteAll(d, "up", "wrong"), HasSubstr("do not match"));
  ASSERT_OK_AND_ASSIGN(auto missing, cas_->FindMissing({d}));
  EXPECT_EQ(missing.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto st, cas_->QueryWrite(UploadResourceName("up", d)));
  EXPECT_EQ(st.committed_size, 0);
}

TEST_F(ContentStoreTest, InterruptedWriteResumesFromCommittedOffset) {
  std::string data(3000, 'r');
  Digest d = DigestOf(data);
  std::string name = UploadResourceName("resume", d);
  {
    ASSERT_OK_AND_ASSIGN(auto start, cas_->BeginWrite(ctx_, name, 0));
    ASSERT_OK(start.session->Append(0, absl::string_view(data).substr(0, 1200)));
  }  // stream breaks
  ASSERT_OK_AND_ASSIGN(auto st, cas_->QueryWrite(name));
  EXPECT_EQ(st.committed_size, 1200);
  EXPECT_FALSE(st.complete);
  EXPECT_THAT(cas_->BeginWrite(ctx_, name, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("committed size 1200")));
  ASSERT_OK_AND_ASSIGN(auto start, cas_->BeginWrite(ctx_, name, 1200));
  EXPECT_THAT(start.session->Append(1300, "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(start.session->Append(1200, absl::string_view(data).substr(1200)));
  ASSERT_OK(start.session->Finish().status());
  ASSERT_OK_AND_ASSIGN(st, cas_->QueryWrite(name));
  EXPECT_TRUE(st.complete);
  EXPECT_EQ(st.committed_size, 3000);
}

TEST_F(ContentStoreTest, WriteRejectsOversizeBlobsAndBadNames) {
  Digest huge{std::string(64, 'a'), limits_.max_blob_size + 1};
  EXPECT_THAT(cas_->BeginWrite(ctx_, UploadResourceName("u", huge), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("maximum blob size")));
  EXPECT_THAT(cas_->BeginWrite(ctx_, "blobs/x/1", 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(AuditCount(), 2);  // failed mutating calls are recorded too
}

TEST_F(ContentStoreTest, ReadErrors) {
  Put("abc");
  auto sink = [](absl::string_view) { return true; };
  EXPECT_THAT(cas_->Read(BlobResourceName(DigestOf("zzz")), 0, 0, 10, sink), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(cas_->Read(BlobResourceName(DigestOf("abc")), 4, 0, 10, sink), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(cas_->Read(BlobResourceName(DigestOf("abc")), -1, 0, 10, sink),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(cas_->Read(BlobResourceName(DigestOf("abc")), 3, 0, 10, sink));
  EXPECT_OK(cas_->Read(BlobResourceName(EmptyDigest()), 0, 0, 10, sink));
}

TEST_F(ContentStoreTest, CreateTreeListsMissingBlobs) {
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree({{"a", DigestOf("A"), false}, {"b", DigestOf("B"), true}}));
  Put(manifest);
  Put("A");
  absl::Status s = cas_->CreateTree(ctx_, DigestOf(manifest)).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("1 blob")));
  ErrorDetails pf = ErrorDetailsOf(s).value_or(ErrorDetails{});
  ASSERT_EQ(pf.preconditions.size(), 1u);
  EXPECT_EQ(pf.preconditions[0].subject, BlobResourceName(DigestOf("B")));
  Put("B");
  ASSERT_OK_AND_ASSIGN(TreeRow row, cas_->CreateTree(ctx_, DigestOf(manifest)));
  EXPECT_EQ(row.entry_count, 2);
  ASSERT_OK_AND_ASSIGN(TreeRow again, cas_->CreateTree(ctx_, DigestOf(manifest)));
  EXPECT_EQ(again.create_time_micros, row.create_time_micros);
}

// A run's folder registered as a tree (PutTree): a small manifest is kept in
// its blob's row and registered in the same write, one audit record.
TEST_F(ContentStoreTest, PutTreeKeepsASmallManifestInItsRowInOneWrite) {
  Put("A");
  Put("B");
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree({{"a", DigestOf("A"), false}, {"d/b", DigestOf("B"), false}}));
  const int64_t before = AuditCount();
  ASSERT_OK_AND_ASSIGN(Digest d, cas_->PutTree(ctx_, manifest));
  EXPECT_EQ(d, DigestOf(manifest));
  ASSERT_EQ(AuditCount(), before + 1);
  ASSERT_OK_AND_ASSIGN(auto records, store_->content()->ListAudit(before, 10));
  EXPECT_EQ(records[0].entry.resource, "trees/" + d.sha256 + "/" + std::to_string(d.size_bytes));
  ASSERT_OK_AND_ASSIGN(BlobRow row, cas_->GetBlob(d));
  EXPECT_TRUE(row.location.in_database);
  EXPECT_TRUE(row.is_tree);
  EXPECT_FALSE(blobs_->FileExists(d));
  // Every read path serves it.
  EXPECT_EQ(*cas_->ReadBlob(d, 1 << 20), manifest);
  std::string part;
  ASSERT_OK(cas_->ReadBlobStream(d, 3, 5, 2, [&](absl::string_view c) {
    EXPECT_LE(c.size(), 2u);
    part.append(c.data(), c.size());
    return true;
  }));
  EXPECT_EQ(part, manifest.substr(3, 5));
  EXPECT_EQ(*cas_->BatchRead({d})[0], manifest);
  ASSERT_OK_AND_ASSIGN(TreePage first, cas_->GetTree(d, 1, ""));
  ASSERT_EQ(first.entries.size(), 1u);
  EXPECT_EQ(first.entries[0].path, "a");
  ASSERT_OK_AND_ASSIGN(TreePage second, cas_->GetTree(d, 1, first.next_page_token));
  ASSERT_EQ(second.entries.size(), 1u);
  EXPECT_EQ(second.entries[0].path, "d/b");
  // The same folder again writes nothing.
  ASSERT_OK(cas_->PutTree(ctx_, manifest).status());
  EXPECT_EQ(AuditCount(), before + 1);
}

// PutTree checks what CreateTree checks and, refused, writes nothing.
TEST_F(ContentStoreTest, PutTreeRefusedWritesNothing) {
  Put("A");
  const int64_t before = AuditCount();
  ASSERT_OK_AND_ASSIGN(std::string missing, EncodeTree({{"a", DigestOf("A"), false}, {"b", DigestOf("B"), false}}));
  EXPECT_THAT(cas_->PutTree(ctx_, missing), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("1 blob(s)")));
  ASSERT_OK_AND_ASSIGN(std::string clash,
                       EncodeTree({{"README", DigestOf("A"), false}, {"readme", DigestOf("A"), false}}));
  EXPECT_THAT(cas_->PutTree(ctx_, clash), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(cas_->PutTree(ctx_, "not a manifest"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(AuditCount(), before);
  ASSERT_OK_AND_ASSIGN(auto absent, cas_->FindMissing({DigestOf(missing), DigestOf(clash)}));
  EXPECT_EQ(absent.size(), 2u);
}

// A manifest over kMaxManifestInDatabase is stored as a blob file first.
TEST_F(ContentStoreTest, PutTreeStoresALargeManifestAsABlobFile) {
  ContentStore cas(store_->content(), blobs_.get(), CasLimits{});
  Put("A");
  std::vector<TreeEntry> entries;
  for (int i = 0; i < 2000; ++i) entries.push_back({"file-" + std::to_string(i), DigestOf("A"), false});
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree(entries));
  ASSERT_GT(static_cast<int64_t>(manifest.size()), ContentStore::kMaxManifestInDatabase);
  const int64_t before = AuditCount();
  ASSERT_OK_AND_ASSIGN(Digest d, cas.PutTree(ctx_, manifest));
  EXPECT_EQ(AuditCount(), before + 2);  // the blob, then the tree
  ASSERT_OK_AND_ASSIGN(BlobRow row, cas.GetBlob(d));
  EXPECT_FALSE(row.location.in_database);
  EXPECT_TRUE(row.is_tree);
  EXPECT_EQ(cas.TreeEntries(d)->size(), 2000u);
}

TEST_F(ContentStoreTest, CreateTreeRejectsNonManifest) {
  Put("not a manifest");
  EXPECT_THAT(cas_->CreateTree(ctx_, DigestOf("not a manifest")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(cas_->CreateTree(ctx_, DigestOf("never uploaded")), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ContentStoreTest, GetTreePages) {
  std::vector<TreeEntry> entries;
  for (int i = 0; i < 25; ++i) {
    std::string c = "content" + std::to_string(i);
    Put(c);
    entries.push_back({"f" + std::to_string(100 + i), DigestOf(c), false});
  }
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree(entries));
  limits_.max_batch_bytes = 1 << 20;
  cas_ = std::make_unique<ContentStore>(store_->content(), blobs_.get(), limits_);
  Put(manifest);
  Digest d = DigestOf(manifest);
  EXPECT_THAT(cas_->GetTree(d, 10, ""), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(cas_->CreateTree(ctx_, d).status());
  std::vector<TreeEntry> seen;
  std::string token;
  do {
    ASSERT_OK_AND_ASSIGN(TreePage page, cas_->GetTree(d, 10, token));
    seen.insert(seen.end(), page.entries.begin(), page.entries.end());
    token = page.next_page_token;
  } while (!token.empty());
  EXPECT_EQ(seen, entries);
  EXPECT_THAT(cas_->GetTree(d, 10, "garbage"), StatusIs(absl::StatusCode::kInvalidArgument));
  // One token scheme (core/page_token.h): a token of the old unsigned
  // scheme, one signed with another key, or one made for another list is
  // refused.
  EXPECT_THAT(cas_->GetTree(d, 10, absl::WebSafeBase64Escape("10:" + d.sha256.substr(0, 16))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(cas_->GetTree(d, 10, EncodePageToken("other key", "tree:" + d.ToString(), "10")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(cas_->GetTree(d, 10, EncodePageToken("", "audit", "10")), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(TreePage tenth, cas_->GetTree(d, 10, EncodePageToken("", "tree:" + d.ToString(), "10")));
  EXPECT_EQ(tenth.entries.front(), entries[10]);
}

// Pages of a tree larger than the index stride, read through the page index,
// and of a tree stored before the index existed (indexed on first use).
TEST_F(ContentStoreTest, GetTreePagesThroughTheIndex) {
  std::vector<TreeEntry> entries;
  std::vector<std::string> contents;
  std::vector<std::pair<Digest, absl::string_view>> items;
  for (int i = 0; i < 3000; ++i) contents.push_back("content-" + std::to_string(i));
  for (int i = 0; i < 3000; ++i) {
    entries.push_back({"dir" + std::to_string(i % 7) + "/file-" + std::to_string(i) + std::string(i % 13, 'x'),
                       DigestOf(contents[i]), i % 3 == 0});
    items.emplace_back(DigestOf(contents[i]), contents[i]);
  }
  limits_.max_batch_bytes = 1 << 20;
  limits_.max_batch_blobs = 10000;
  cas_ = std::make_unique<ContentStore>(store_->content(), blobs_.get(), limits_);
  ASSERT_OK(cas_->BatchUpdate(ctx_, items).status());
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree(entries));
  ASSERT_OK_AND_ASSIGN(entries, ParseTree(manifest));  // sorted as stored
  Put(manifest);
  Digest d = DigestOf(manifest);
  ASSERT_OK(cas_->CreateTree(ctx_, d).status());
  for (bool old_tree : {false, true}) {
    if (old_tree) {  // as an older server left it: no index rows
      ASSERT_OK_AND_ASSIGN(auto db, sqlite::Db::Open((dir_.path() / "db").string()));
      ASSERT_OK(db->Exec("DELETE FROM tree_page_index"));
    }
    SCOPED_TRACE(old_tree ? "tree without an index" : "indexed tree");
    for (int page_size : {1, 7, 1000, 1024, 5000}) {
      std::vector<TreeEntry> seen;
      std::string token;
      int pages = 0;
      do {
        ASSERT_OK_AND_ASSIGN(TreePage page, cas_->GetTree(d, page_size, token));
        seen.insert(seen.end(), page.entries.begin(), page.entries.end());
        token = page.next_page_token;
        ++pages;
      } while (!token.empty() && pages < 4000);
      EXPECT_EQ(seen, entries) << page_size;
    }
  }
}

TEST(TreeIndexPoints, MatchTheEncodedManifest) {
  std::vector<TreeEntry> entries;
  for (int i = 0; i < 5000; ++i) {
    entries.push_back({"p/" + std::to_string(i), Digest{std::string(64, 'b'), int64_t{i + 1} * 31}, i % 2 == 0});
  }
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree(entries));
  ASSERT_OK_AND_ASSIGN(entries, ParseTree(manifest));
  std::vector<TreeIndexPoint> points = TreeIndexPoints(entries, 100);
  ASSERT_EQ(points.size(), 50u);
  for (const TreeIndexPoint& p : points) {
    size_t nl = manifest.find('\n', p.byte_offset);
    ASSERT_OK_AND_ASSIGN(TreeEntry e,
                         ParseTreeLine(absl::string_view(manifest).substr(p.byte_offset, nl - p.byte_offset)));
    EXPECT_EQ(e, entries[p.entry]);
  }
}

}  // namespace
}  // namespace fairtrace
