// The server process as an operator sees it: flags, health, reflection,
// request log, limits, graceful shutdown.
#include <signal.h>

#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tests/testing/eventually.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace::testing {
namespace {

class ServerTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerFlags() override {
    return {"--max-message-bytes", "2097152", "--max-blob-bytes", "100000000"};
  }
};

TEST_F(ServerTest, HealthCheckServes) {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(stub->Check(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(ServerTest, ReflectionListsOurServices) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext ctx;
  auto stream = stub->ServerReflectionInfo(&ctx);
  grpc::reflection::v1alpha::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  grpc::reflection::v1alpha::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::set<std::string> names;
  for (const auto& s : resp.list_services_response().service()) names.insert(s.name());
  EXPECT_TRUE(names.count("fairtrace.v1.CasService"));
  EXPECT_TRUE(names.count("fairtrace.v1.AdminService"));
  EXPECT_TRUE(names.count("fairtrace.v1.AuditService"));
  EXPECT_TRUE(names.count("fairtrace.v1.ModelService"));
  EXPECT_TRUE(names.count("fairtrace.v1.RunService"));
  EXPECT_TRUE(names.count("fairtrace.v1.InvestigationService"));
  EXPECT_TRUE(names.count("fairtrace.v1.ExperimentService"));  // deprecated alias until v0.3
  stream->WritesDone();
  stream->Finish();
}

TEST_F(ServerTest, LogsOneLinePerRequest) {
  ASSERT_OK(client_->FindMissing({DigestOf("x")}).status());
  EXPECT_THAT(client_->GetBlob(DigestOf("x")), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_EQ(server_->Stop(), 0);
  std::string log = server_->log();
  EXPECT_THAT(log, ::testing::HasSubstr("rpc /fairtrace.v1.CasService/FindMissingBlobs OK"));
  EXPECT_THAT(log, ::testing::HasSubstr("rpc /fairtrace.v1.CasService/GetBlob NOT_FOUND"));
  EXPECT_THAT(log, ::testing::HasSubstr("stopped cleanly"));
}

TEST_F(ServerTest, OversizeMessageIsRejected) {
  std::string big(3 << 20, 'b');
  grpc::ClientContext ctx;
  v1::BatchUpdateBlobsRequest req;
  auto* r = req.add_requests();
  *r->mutable_digest() = DigestToProto(DigestOf(big));
  r->set_data(big);
  v1::BatchUpdateBlobsResponse resp;
  grpc::Status s = cas_->BatchUpdateBlobs(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  ASSERT_OK_AND_ASSIGN(auto missing, client_->FindMissing({DigestOf(big)}));
  EXPECT_EQ(missing.size(), 1u);
}

TEST_F(ServerTest, BlobOverTheMaximumIsRejected) {
  grpc::ClientContext ctx;
  v1::WriteResponse resp;
  auto w = cas_->Write(&ctx, &resp);
  v1::WriteRequest msg;
  msg.set_resource_name(UploadResourceName("big", Digest{std::string(64, 'a'), 200000000}));
  msg.set_data("x");
  w->Write(msg);
  w->WritesDone();
  grpc::Status s = w->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(s), "BLOB_TOO_LARGE");
}

TEST_F(ServerTest, SigtermLetsInFlightCallsFinish) {
  std::string data(1 << 20, 'g');
  Digest d = DigestOf(data);
  grpc::ClientContext ctx;
  v1::WriteResponse resp;
  auto w = cas_->Write(&ctx, &resp);
  v1::WriteRequest msg;
  msg.set_resource_name(UploadResourceName("inflight", d));
  msg.set_data(data.substr(0, 1000));
  ASSERT_TRUE(w->Write(msg));
  // The server has opened the upload (its meta file is on disk): the call is in flight.
  ASSERT_TRUE(
      Eventually([&] { return std::filesystem::exists(dir_.path() / "data" / "cas" / "uploads" / "inflight.meta"); }));
  ::kill(server_->pid(), SIGTERM);
  // The server has taken the signal (it says so) before the rest is sent.
  ASSERT_TRUE(Eventually([&] { return server_->log().find("SIGTERM") != std::string::npos; }));
  msg.clear_resource_name();
  msg.set_write_offset(1000);
  msg.set_data(data.substr(1000));
  msg.set_finish_write(true);
  ASSERT_TRUE(w->Write(msg));
  w->WritesDone();
  grpc::Status s = w->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.committed_size(), data.size());
  EXPECT_EQ(server_->Stop(), 0);
  EXPECT_THAT(server_->log(), ::testing::HasSubstr("stopped cleanly"));
  // The blob survived the shutdown.
  Restart();
  ASSERT_OK_AND_ASSIGN(auto missing, client_->FindMissing({d}));
  EXPECT_TRUE(missing.empty());
}

TEST(ServerFlags, RejectsBadFlagsAndUnusableDataDir) {
  auto r = RunCommand({ServerProcess::ServerBinary(), "--max-message-bytes", "12"});
  EXPECT_NE(r.exit_code, 0);
  r = RunCommand({ServerProcess::ServerBinary(), "--data-dir", "/proc/fairtrace-cannot", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("cannot create data folder"));
}

}  // namespace
}  // namespace fairtrace::testing
