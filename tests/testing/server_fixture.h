// GoogleTest fixture: a real fairtrace-server on a free port with its own
// data folder, a CasClient and raw stubs connected to it.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clients/cpp/fairtrace/cas_client.h"
#include "fairtrace/v1/access.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace::testing {

class ServerFixture : public ::testing::Test {
 protected:
  virtual std::vector<std::string> ServerFlags() { return {"--quiet"}; }
  // Whether Connect() gives client_ a token of "user:tester".
  virtual bool MakeTesterToken() { return true; }

  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path(), ServerFlags());
    ASSERT_TRUE(server_->Start()) << server_->error();
    Connect();
  }

  // Tokens are made through AccessService, which anyone may call while the
  // server has no grant (a fresh data folder): the client below is
  // "user:tester", authenticated.
  std::string TokenFor(const std::string& principal) {
    auto stub = v1::AccessService::NewStub(grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    if (!admin_token_.empty()) ctx.AddMetadata("authorization", "Bearer " + admin_token_);
    v1::CreateTokenRequest req;
    req.set_principal(principal);
    v1::CreatedToken resp;
    grpc::Status s = stub->CreateToken(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << "CreateToken(" << principal << "): " << s.error_message();
    return resp.secret();
  }
  void Connect() {
    client::ClientOptions o;
    o.target = server_->target();
    o.user = "tester";
    if (tester_token_.empty() && MakeTesterToken()) tester_token_ = TokenFor("user:tester");
    o.token = tester_token_;
    o.rpc_timeout = absl::Seconds(30);
    client_ = std::make_unique<client::CasClient>(o);
    channel_ = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
    cas_ = v1::CasService::NewStub(channel_);
  }

  void Restart() {
    ASSERT_TRUE(server_->Start()) << server_->error();
    Connect();
  }

  // The google.rpc.Status carried in a gRPC status's details.
  static google::rpc::Status Details(const grpc::Status& s) {
    google::rpc::Status out;
    out.ParseFromString(s.error_details());
    return out;
  }
  static std::vector<std::string> ViolatedFields(const grpc::Status& s) {
    std::vector<std::string> out;
    const google::rpc::Status details = Details(s);
    for (const auto& any : details.details()) {
      google::rpc::BadRequest br;
      if (any.UnpackTo(&br)) {
        for (const auto& v : br.field_violations()) out.push_back(v.field());
      }
    }
    return out;
  }
  static std::string Reason(const grpc::Status& s) {
    const google::rpc::Status details = Details(s);
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info)) return info.reason();
    }
    return "";
  }

  // The fairtrace CLI against this server.
  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ServerProcess::CliBinary(), "--server", server_->target()});
    return RunCommand(args);
  }
  // Writes `data` to `p` (parents made), executable when asked.
  static void WriteFile(const std::filesystem::path& p, const std::string& data, bool exec = false) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
    if (exec) {
      std::filesystem::permissions(p, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
    }
  }
  // A scratch folder beside the server's data folder.
  std::filesystem::path work() { return dir_.path() / "work"; }

  TempDir dir_;
  std::string tester_token_;  // "user:tester", the token of client_
  std::string admin_token_;   // set by tests that turn authorization on
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<client::CasClient> client_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CasService::Stub> cas_;
};

}  // namespace fairtrace::testing
