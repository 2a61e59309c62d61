// CasService over the wire: every bad input gets a precise error with
// google.rpc details and stores nothing; uploads really resume.
#include <thread>

#include "common/content/tree.h"
#include "tests/testing/eventually.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CasTest : public ServerFixture {
 protected:
  bool Missing(const Digest& d) {
    auto m = client_->FindMissing({d});
    return m.ok() && m->size() == 1;
  }
  // Writes `data` under `digest` in chunks; returns the final status.
  grpc::Status RawWrite(const std::string& resource, const std::string& data, int64_t offset, bool finish,
                        v1::WriteResponse* resp) {
    grpc::ClientContext ctx;
    auto w = cas_->Write(&ctx, resp);
    v1::WriteRequest msg;
    msg.set_resource_name(resource);
    msg.set_write_offset(offset);
    msg.set_data(data);
    msg.set_finish_write(finish);
    w->Write(msg);
    w->WritesDone();
    return w->Finish();
  }
};

TEST_F(CasTest, EmptyBlobAlwaysExists) {
  EXPECT_FALSE(Missing(EmptyDigest()));
  ASSERT_OK_AND_ASSIGN(auto data, client_->BatchRead({EmptyDigest()}));
  EXPECT_EQ(data[0], "");
}

TEST_F(CasTest, BatchUpdateWrongHashOrSizeStoresNothing) {
  v1::BatchUpdateBlobsRequest req;
  auto add = [&](const Digest& d, const std::string& data) {
    auto* r = req.add_requests();
    *r->mutable_digest() = DigestToProto(d);
    r->set_data(data);
  };
  add(DigestOf("good"), "good");
  add(DigestOf("hash"), "HASH");
  add(Digest{DigestOf("size").sha256, 5}, "size");
  add(Digest{"not-a-digest", 1}, "x");
  grpc::ClientContext ctx;
  v1::BatchUpdateBlobsResponse resp;
  ASSERT_TRUE(cas_->BatchUpdateBlobs(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.responses_size(), 4);
  EXPECT_EQ(resp.responses(0).status().code(), 0);
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(resp.responses(i).status().code(), grpc::StatusCode::INVALID_ARGUMENT) << i;
    EXPECT_GT(resp.responses(i).status().details_size(), 0) << i;
  }
  EXPECT_FALSE(Missing(DigestOf("good")));
  EXPECT_TRUE(Missing(DigestOf("hash")));
  EXPECT_TRUE(Missing(DigestOf("HASH")));
}

TEST_F(CasTest, MalformedDigestsInFindMissingNameTheField) {
  grpc::ClientContext ctx;
  v1::FindMissingBlobsRequest req;
  *req.add_blob_digests() = DigestToProto(DigestOf("a"));
  auto* bad = req.add_blob_digests();
  bad->set_sha256("ABCDEF");
  bad->set_size_bytes(1);
  v1::FindMissingBlobsResponse resp;
  grpc::Status s = cas_->FindMissingBlobs(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(s), ElementsAre("blob_digests[1].sha256"));
  EXPECT_EQ(Reason(s), "INVALID_FIELD");
}

TEST_F(CasTest, WriteWithWrongHashOrSizeStoresNothing) {
  v1::WriteResponse resp;
  Digest d = DigestOf("expected bytes");
  grpc::Status s = RawWrite(UploadResourceName("w1", d), "unexpected byte", 0, true, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(s), "DIGEST_MISMATCH");
  s = RawWrite(UploadResourceName("w2", d), "expected", 0, true, &resp);  // too short
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = RawWrite(UploadResourceName("w3", d), "expected bytes and more", 0, true, &resp);  // too long
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Missing(d));
  ASSERT_OK_AND_ASSIGN(auto fsck, client_->Fsck());
  EXPECT_EQ(fsck.partial_uploads(), 0);
  EXPECT_EQ(fsck.unreferenced_files(), 0);
}

TEST_F(CasTest, MalformedResourceNames) {
  v1::WriteResponse resp;
  Digest d = DigestOf("x");
  for (const std::string& name : std::vector<std::string>{
           "", "blobs/" + d.sha256 + "/1", "uploads/../blobs/" + d.sha256 + "/1",
           "uploads/a/b/blobs/" + d.sha256 + "/1", "uploads/ok/blobs/xyz/1", "uploads/ok/blobs/" + d.sha256 + "/-1"}) {
    grpc::Status s = RawWrite(name, "x", 0, true, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_THAT(ViolatedFields(s), ::testing::Contains("resource_name")) << name;
  }
  grpc::ClientContext ctx;
  v1::ReadRequest req;
  req.set_resource_name("blobs/../../etc/passwd");
  auto reader = cas_->Read(&ctx, req);
  v1::ReadResponse msg;
  while (reader->Read(&msg)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CasTest, WriteOffsetMustEqualCommittedSize) {
  std::string data(10000, 'o');
  Digest d = DigestOf(data);
  v1::WriteResponse resp;
  grpc::Status s = RawWrite(UploadResourceName("off", d), data.substr(0, 4000), 0, false, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // ended without finish_write
  EXPECT_EQ(Reason(s), "WRITE_NOT_FINISHED");
  s = RawWrite(UploadResourceName("off", d), data.substr(5000), 5000, true, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(s), "WRITE_OFFSET_MISMATCH");
  EXPECT_THAT(ViolatedFields(s), ElementsAre("write_offset"));
  ASSERT_OK_AND_ASSIGN(auto st, client_->QueryWriteStatus("off", d));
  EXPECT_EQ(st.committed_size(), 4000);
  s = RawWrite(UploadResourceName("off", d), data.substr(4000), 4000, true, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.committed_size(), 10000);
  EXPECT_FALSE(Missing(d));
}

TEST_F(CasTest, ClientDisconnectMidStreamThenResume) {
  std::string data(3 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131);
  Digest d = DigestOf(data);
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + tester_token_);  // the principal client_ uses
    v1::WriteResponse resp;
    auto w = cas_->Write(&ctx, &resp);
    v1::WriteRequest msg;
    msg.set_resource_name(UploadResourceName("dc", d));
    msg.set_data(data.substr(0, 1 << 20));
    ASSERT_TRUE(w->Write(msg));
    // The server has opened the upload (its meta file is on disk).
    ASSERT_TRUE(
        Eventually([&] { return std::filesystem::exists(dir_.path() / "data" / "cas" / "uploads" / "dc.meta"); }));
    ctx.TryCancel();  // the client vanishes
    w->Finish();
  }
  // The interrupted session keeps what it received.
  ASSERT_TRUE(Eventually([&] {
    auto st = client_->QueryWriteStatus("dc", d);
    return st.ok() && st->committed_size() > 0;
  }));
  ASSERT_OK_AND_ASSIGN(auto st, client_->QueryWriteStatus("dc", d));
  EXPECT_LE(st.committed_size(), 1 << 20);
  EXPECT_FALSE(st.complete());
  EXPECT_TRUE(Missing(d));  // nothing visible yet
  // The server releases the upload once it notices the cancelled stream.
  absl::Status resumed;
  ASSERT_TRUE(Eventually([&] {
    resumed = client_->UploadStream(
        "dc", d, st.committed_size(),
        [&](int64_t off, size_t n) -> absl::StatusOr<std::string> { return data.substr(off, n); }, nullptr);
    return !absl::IsAborted(resumed);
  }));
  ASSERT_OK(resumed);
  EXPECT_FALSE(Missing(d));
  ASSERT_OK_AND_ASSIGN(auto back, client_->BatchRead({d}));
  EXPECT_EQ(back[0], data);
}

TEST_F(CasTest, WriteOfExistingBlobCompletesAtOnce) {
  ASSERT_OK(client_->UploadBatch({{DigestOf("dup"), "dup"}}));
  v1::WriteResponse resp;
  grpc::Status s = RawWrite(UploadResourceName("dup", DigestOf("dup")), "", 0, false, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.committed_size(), 3);
}

TEST_F(CasTest, ReadWithOffsetAndLimit) {
  ASSERT_OK(client_->UploadBatch({{DigestOf("0123456789"), "0123456789"}}));
  grpc::ClientContext ctx;
  v1::ReadRequest req;
  req.set_resource_name(BlobResourceName(DigestOf("0123456789")));
  req.set_read_offset(2);
  req.set_read_limit(5);
  auto reader = cas_->Read(&ctx, req);
  v1::ReadResponse msg;
  std::string got;
  while (reader->Read(&msg)) got += msg.data();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(got, "23456");
}

TEST_F(CasTest, TreesWithBadEntriesAreRejectedWithEveryProblem) {
  std::string h = DigestOf("a").sha256;
  ASSERT_OK(client_->UploadBatch({{DigestOf("a"), "a"}}));
  const std::string header = "fairtrace-tree/1\n";
  struct Case {
    std::string name, manifest;
  };
  for (const Case& c : std::vector<Case>{
           {"dotdot", header + "f " + h + " 1 ../a\n"},
           {"absolute", header + "f " + h + " 1 /a\n"},
           {"duplicate", header + "f " + h + " 1 a\nf " + h + " 1 a\n"},
           {"unsorted", header + "f " + h + " 1 b\nf " + h + " 1 a\n"},
       }) {
    Digest md = DigestOf(c.manifest);
    ASSERT_OK(client_->UploadBatch({{md, c.manifest}}));
    grpc::ClientContext ctx;
    v1::CreateTreeRequest req;
    *req.mutable_digest() = DigestToProto(md);
    v1::Tree resp;
    grpc::Status s = cas_->CreateTree(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_EQ(Reason(s), "INVALID_TREE") << c.name;
    EXPECT_FALSE(ViolatedFields(s).empty()) << c.name;
    EXPECT_THAT(client_->GetTreeEntries(md), StatusIs(absl::StatusCode::kNotFound)) << c.name;
  }
}

TEST_F(CasTest, TreeWithMissingBlobsListsThem) {
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree({{"x", DigestOf("not uploaded"), false}}));
  ASSERT_OK(client_->UploadBatch({{DigestOf(manifest), manifest}}));
  grpc::ClientContext ctx;
  v1::CreateTreeRequest req;
  *req.mutable_digest() = DigestToProto(DigestOf(manifest));
  v1::Tree resp;
  grpc::Status s = cas_->CreateTree(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::PreconditionFailure pf;
  const google::rpc::Status details = Details(s);
  for (const auto& any : details.details()) any.UnpackTo(&pf);
  ASSERT_EQ(pf.violations_size(), 1);
  EXPECT_EQ(pf.violations(0).subject(), BlobResourceName(DigestOf("not uploaded")));
}

TEST_F(CasTest, EveryMutationIsAudited) {
  ASSERT_OK(client_->UploadBatch({{DigestOf("one"), "one"}}));
  v1::WriteResponse resp;
  RawWrite(UploadResourceName("bad", DigestOf("two")), "TWO", 0, true, &resp);
  ASSERT_OK_AND_ASSIGN(int64_t n, client_->VerifyAuditChain());
  EXPECT_EQ(n, 3);  // the fixture's token, then the two calls
  grpc::ClientContext ctx;
  auto audit = v1::AuditService::NewStub(channel_);
  v1::ListAuditRecordsRequest req;
  v1::ListAuditRecordsResponse list;
  ASSERT_TRUE(audit->ListAuditRecords(&ctx, req, &list).ok());
  EXPECT_EQ(list.records(0).method(), "/fairtrace.v1.AccessService/CreateToken");
  EXPECT_EQ(list.records(1).method(), "/fairtrace.v1.CasService/BatchUpdateBlobs");
  EXPECT_EQ(list.records(1).principal(), "user:tester");  // authenticated by its token
  EXPECT_EQ(list.records(1).result(), "OK");
  EXPECT_EQ(list.records(2).method(), "/fairtrace.v1.CasService/Write");
  EXPECT_EQ(list.records(2).result(), "INVALID_ARGUMENT");
}

}  // namespace
}  // namespace fairtrace::testing
