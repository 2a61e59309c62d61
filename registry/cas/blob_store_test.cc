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

TEST_F(BlobStoreTest, EmptyBlobExistsFromTheStart) {
  EXPECT_TRUE(store_->FileExists(EmptyDigest()));
}

TEST_F(BlobStoreTest, PutBatchStoresMatchingAndRejectsMismatched) {
  Digest a = DigestOf("alpha"), b = DigestOf("beta");
  std::vector<std::pair<Digest, absl::string_view>> items = {
      {a, "alpha"}, {b, "BETA"}, {Digest{a.sha256, 4}, "alph"}};
  auto out = store_->PutBatch(items);
  EXPECT_OK(out[0]);
  EXPECT_THAT(out[1], StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(out[2], StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(store_->FileExists(a));
  EXPECT_FALSE(store_->FileExists(b));
  ASSERT_OK_AND_ASSIGN(std::string back, store_->ReadAll(a));
  EXPECT_EQ(back, "alpha");
  // Nothing is left in tmp/.
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "tmp"));
}

TEST_F(BlobStoreTest, ReadRangesAndNotFound) {
  Digest d = DigestOf("0123456789");
  std::vector<std::pair<Digest, absl::string_view>> items = {{d, "0123456789"}};
  ASSERT_OK(store_->PutBatch(items)[0]);
  std::string got;
  ASSERT_OK(store_->Read(d, 3, 4, 2, [&](absl::string_view s) {
    EXPECT_LE(s.size(), 2u);
    got.append(s.data(), s.size());
    return true;
  }));
  EXPECT_EQ(got, "3456");
  EXPECT_THAT(store_->Read(DigestOf("nope"), 0, 0, 10, [](absl::string_view) { return true; }),
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
  EXPECT_OK(store_->Verify(d, &hashed));
  EXPECT_EQ(hashed, 100000);
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
  EXPECT_THAT(store_->OpenUpload("u4", DigestOf("other")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
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
  Digest d = DigestOf("pristine");
  std::vector<std::pair<Digest, absl::string_view>> items = {{d, "pristine"}};
  ASSERT_OK(store_->PutBatch(items)[0]);
  std::filesystem::permissions(store_->PathOf(d), std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::ofstream(store_->PathOf(d), std::ios::binary | std::ios::in) << "P";
  int64_t hashed = 0;
  EXPECT_THAT(store_->Verify(d, &hashed), StatusIs(absl::StatusCode::kDataLoss));
  std::filesystem::remove(store_->PathOf(d));
  EXPECT_THAT(store_->Verify(d, &hashed), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace fairtrace
