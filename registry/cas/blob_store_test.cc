#include "registry/cas/blob_store.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = BlobStore::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  testing::TempDir dir_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(BlobStoreTest, EmptyBlobExistsFromTheStart) { EXPECT_TRUE(store_->FileExists(EmptyDigest())); }

TEST_F(BlobStoreTest, PutBatchPacksMatchingAndRejectsMismatched) {
  Digest a = DigestOf("alpha"), b = DigestOf("beta"), c = DigestOf("gamma");
  std::vector<std::pair<Digest, absl::string_view>> items = {
      {a, "alpha"}, {b, "BETA"}, {Digest{a.sha256, 4}, "alph"}, {c, "gamma"}};
  auto out = store_->PutBatch(items);
  EXPECT_OK(out[0].status);
  EXPECT_THAT(out[1].status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(out[2].status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(out[3].status);
  // Both good blobs share one pack, end to end.
  ASSERT_TRUE(out[0].location.packed());
  EXPECT_EQ(out[0].location.pack, out[3].location.pack);
  EXPECT_EQ(out[0].location.pack_offset, 0);
  EXPECT_EQ(out[3].location.pack_offset, 5);
  EXPECT_EQ(std::filesystem::file_size(store_->PackPath(out[0].location.pack)), 10u);
  ASSERT_OK_AND_ASSIGN(std::string back, store_->ReadAll(c, out[3].location));
  EXPECT_EQ(back, "gamma");
  int64_t hashed = 0;
  EXPECT_OK(store_->Verify(c, out[3].location, &hashed));
  EXPECT_THAT(store_->Verify(c, out[0].location, &hashed), StatusIs(absl::StatusCode::kDataLoss));
  // Nothing is left in tmp/.
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "tmp"));
}

TEST_F(BlobStoreTest, PutBatchWithNothingValidWritesNoPack) {
  std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf("x"), "y"}};
  EXPECT_FALSE(store_->PutBatch(items)[0].status.ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "packs"));
}

TEST_F(BlobStoreTest, ReadRangesAndNotFound) {
  Digest pad = DigestOf("pad"), d = DigestOf("0123456789");
  std::vector<std::pair<Digest, absl::string_view>> items = {{pad, "pad"}, {d, "0123456789"}};
  auto put = store_->PutBatch(items);
  ASSERT_OK(put[1].status);
  std::string got;
  ASSERT_OK(store_->Read(d, put[1].location, 3, 4, 2, [&](absl::string_view s) {
    EXPECT_LE(s.size(), 2u);
    got.append(s.data(), s.size());
    return true;
  }));
  EXPECT_EQ(got, "3456");
  EXPECT_THAT(store_->Read(DigestOf("nope"), BlobLocation::Loose(), 0, 0, 10, [](absl::string_view) { return true; }),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BlobStoreTest, UploadResumesAfterSuspend) {
  std::string data(100000, 'q');
  data[500] = 'z';
  Digest d = DigestOf(data);
  {
    ASSERT_OK_AND_ASSIGN(auto up, store_->OpenUpload("u1", d));
    ASSERT_OK(up->Append(absl::string_view(data).substr(0, 40000)));
  }  // destroyed: suspended
  ASSERT_OK_AND_ASSIGN(int64_t partial, store_->PartialSize("u1", d));
  EXPECT_EQ(partial, 40000);
  ASSERT_OK_AND_ASSIGN(auto up, store_->OpenUpload("u1", d));
  EXPECT_EQ(up->committed(), 40000);
  ASSERT_OK(up->Append(absl::string_view(data).substr(40000)));
  ASSERT_OK(up->Finish());
  EXPECT_TRUE(store_->FileExists(d));
  EXPECT_EQ(store_->CountPartialUploads(), 0);
  int64_t hashed = 0;
  EXPECT_OK(store_->Verify(d, BlobLocation::Loose(), &hashed));
  EXPECT_EQ(hashed, 100000);
  ASSERT_OK_AND_ASSIGN(std::string back, store_->ReadAll(d, BlobLocation::Loose()));
  EXPECT_EQ(back, data);
}

TEST_F(BlobStoreTest, UploadWithWrongBytesStoresNothing) {
  Digest d = DigestOf("expected");
  ASSERT_OK_AND_ASSIGN(auto up, store_->OpenUpload("u2", d));
  ASSERT_OK(up->Append("unexpect"));
  EXPECT_THAT(up->Finish(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(store_->FileExists(d));
  EXPECT_EQ(store_->CountPartialUploads(), 0);
}

TEST_F(BlobStoreTest, UploadTooManyBytesIsDiscarded) {
  Digest d = DigestOf("abc");
  ASSERT_OK_AND_ASSIGN(auto up, store_->OpenUpload("u3", d));
  EXPECT_THAT(up->Append("abcd"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store_->CountPartialUploads(), 0);
}

TEST_F(BlobStoreTest, UploadIdIsExclusiveAndBoundToItsDigest) {
  Digest d = DigestOf("abc");
  ASSERT_OK_AND_ASSIGN(auto up, store_->OpenUpload("u4", d));
  EXPECT_THAT(store_->OpenUpload("u4", d), StatusIs(absl::StatusCode::kAborted));
  up.reset();
  EXPECT_THAT(store_->OpenUpload("u4", DigestOf("other")), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->OpenUpload("../evil", d), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BlobStoreTest, CleansOnlyAbandonedUploads) {
  Digest d = DigestOf("abc");
  { ASSERT_OK_AND_ASSIGN(auto up, store_->OpenUpload("old", d)); }
  ASSERT_OK_AND_ASSIGN(auto open, store_->OpenUpload("open", d));
  EXPECT_EQ(store_->CleanAbandonedUploads(absl::Hours(1)), 0);
  EXPECT_EQ(store_->CleanAbandonedUploads(absl::ZeroDuration()), 1);  // "open" is in use
  EXPECT_EQ(store_->CountPartialUploads(), 1);
}

TEST_F(BlobStoreTest, VerifyDetectsCorruption) {
  std::string data = "pristine";
  Digest d = DigestOf(data);
  {
    ASSERT_OK_AND_ASSIGN(auto up, store_->OpenUpload("v", d));
    ASSERT_OK(up->Append(data));
    ASSERT_OK(up->Finish());
  }
  std::ofstream(store_->PathOf(d), std::ios::binary | std::ios::in) << "P";
  int64_t hashed = 0;
  EXPECT_THAT(store_->Verify(d, BlobLocation::Loose(), &hashed), StatusIs(absl::StatusCode::kDataLoss));
  std::filesystem::remove(store_->PathOf(d));
  EXPECT_THAT(store_->Verify(d, BlobLocation::Loose(), &hashed), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BlobStoreTest, ListsLooseFilesAndPacks) {
  std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf("p"), "p"}};
  auto put = store_->PutBatch(items);
  std::vector<std::string> packs;
  ASSERT_OK(store_->ForEachPack([&](const std::string& p) {
    packs.push_back(p);
    return absl::OkStatus();
  }));
  EXPECT_EQ(packs, std::vector<std::string>{put[0].location.pack});
  std::vector<Digest> loose;
  ASSERT_OK(store_->ForEachLooseFile([&](const Digest& d) {
    loose.push_back(d);
    return absl::OkStatus();
  }));
  EXPECT_EQ(loose, std::vector<Digest>{EmptyDigest()});
}

}  // namespace
}  // namespace fairtrace
