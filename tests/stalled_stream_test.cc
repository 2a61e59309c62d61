// Streams whose client stops moving are cancelled (docs/limits.md,
// "Stalled streams"): a download the client stops reading and an upload
// the client stops sending each hold a server thread only for the stall
// limit (here 2 s: enough for the first message to arrive on a loaded
// machine), and the upload stays resumable.
#include "absl/strings/str_cat.h"
#include "common/content/digest.h"
#include "fairtrace/v1/cas.grpc.pb.h"
#include "tests/testing/eventually.h"
#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

using ::testing::HasSubstr;

class StalledStreamTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerFlags() override { return {"--quiet", "--stalled-stream-seconds", "2"}; }
  bool Logged(const std::string& method) {
    return server_->log().find(absl::StrCat(method, ": cancelled a stream stalled")) != std::string::npos;
  }
};

TEST_F(StalledStreamTest, ADownloadTheClientStopsReadingIsCancelled) {
  // Far more than the flow-control windows hold, so the server's writes block.
  const std::string data(64 << 20, 'x');
  const Digest digest = DigestOf(data);
  ASSERT_TRUE(client_
                  ->UploadStream(
                      "big", digest, 0,
                      [&](int64_t offset, size_t n) -> absl::StatusOr<std::string> {
                        return data.substr(static_cast<size_t>(offset), n);
                      },
                      nullptr)
                  .ok());
  grpc::ClientContext ctx;
  v1::ReadRequest req;
  req.set_resource_name(BlobResourceName(digest));
  std::unique_ptr<grpc::ClientReader<v1::ReadResponse>> reader = cas_->Read(&ctx, req);
  ASSERT_TRUE(Eventually([&] { return Logged("/fairtrace.v1.CasService/Read"); })) << server_->log();
  v1::ReadResponse msg;
  int64_t received = 0;
  while (reader->Read(&msg)) received += static_cast<int64_t>(msg.data().size());
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
  EXPECT_LT(received, digest.size_bytes);  // it did not complete behind our back
}

TEST_F(StalledStreamTest, AnUploadTheClientStopsSendingIsCancelledAndStaysResumable) {
  const std::string data(1 << 20, 'y');
  const Digest digest = DigestOf(data);
  const std::string upload = absl::StrCat("uploads/stalled/", BlobResourceName(digest));
  grpc::ClientContext ctx;
  v1::WriteResponse resp;
  std::unique_ptr<grpc::ClientWriter<v1::WriteRequest>> writer = cas_->Write(&ctx, &resp);
  v1::WriteRequest first;
  first.set_resource_name(upload);
  first.set_data(data.substr(0, 4096));
  ASSERT_TRUE(writer->Write(first));
  // ... and nothing more: no further data, no half-close.
  ASSERT_TRUE(Eventually([&] { return Logged("/fairtrace.v1.CasService/Write"); })) << server_->log();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
  v1::QueryWriteStatusRequest query;
  query.set_resource_name(upload);
  v1::QueryWriteStatusResponse status;
  grpc::ClientContext qctx;
  ASSERT_TRUE(cas_->QueryWriteStatus(&qctx, query, &status).ok());
  EXPECT_EQ(status.committed_size(), 4096);
}

}  // namespace
}  // namespace fairtrace::testing
