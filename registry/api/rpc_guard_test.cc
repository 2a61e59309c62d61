#include "registry/api/rpc_guard.h"

#include <stdexcept>
#include <thread>

#include "absl/synchronization/notification.h"

#include <gtest/gtest.h>

#include "fairtrace/v1/models.pb.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace::api {
namespace {

class RpcGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteBackend::Open({.path = (dir_.path() / "t.db").string()});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  std::vector<AuditRecord> Audit() {
    auto r = store_->content()->ListAudit(0, 100);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<AuditRecord>{};
  }
  fairtrace::testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
};

TEST_F(RpcGuardTest, PassesResultsThrough) {
  RpcGuard guard(store_->content());
  grpc::ServerContext ctx;
  grpc::Status s = guard.Run(&ctx, "/m", nullptr, true, [] { return grpc::Status(grpc::StatusCode::NOT_FOUND, "x"); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Audit().empty());  // the core audits its own failures
}

TEST_F(RpcGuardTest, AnEscapedExceptionIsInternalAndAuditedForMutations) {
  RpcGuard guard(store_->content());
  grpc::ServerContext ctx;
  v1::CreateRegisteredModelRequest req;
  req.set_model_id("leaf");
  grpc::Status s = guard.Run(&ctx, "/fairtrace.v1.ModelService/CreateRegisteredModel", &req, true,
                             []() -> grpc::Status { throw std::runtime_error("yaml-cpp: bad conversion"); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message().find("yaml-cpp"), std::string::npos);  // the cause is logged, not sent
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].entry.result, "INTERNAL");
  EXPECT_EQ(audit[0].entry.resource, "leaf");
  EXPECT_EQ(audit[0].entry.method, "/fairtrace.v1.ModelService/CreateRegisteredModel");

  // A read is not audited; a non-std exception is caught too.
  s = guard.Run(&ctx, "/fairtrace.v1.ModelService/GetRegisteredModel", &req, false, []() -> grpc::Status { throw 42; });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(Audit().size(), 1u);
}

// Heavy calls beyond --max-heavy-calls wait, then get RESOURCE_EXHAUSTED;
// inside a guarded heavy call the stop condition sees the server's deadline.
TEST_F(RpcGuardTest, HeavyCallsAreAdmittedUpToTheLimit) {
  GuardOptions options;
  options.max_heavy_calls = 1;
  options.admission_wait = absl::Milliseconds(100);
  options.heavy_call_limit = absl::Milliseconds(200);
  RpcGuard guard(store_->content(), options);
  const std::string heavy = "/fairtrace.v1.ExperimentService/ValidateInvestigation";
  ASSERT_TRUE(RpcGuard::IsHeavy(heavy));
  absl::Notification entered, release;
  std::thread first([&] {
    grpc::ServerContext ctx;
    guard.Run(&ctx, heavy, nullptr, false, [&] {
      entered.Notify();
      release.WaitForNotification();
      return grpc::Status::OK;
    });
  });
  entered.WaitForNotification();
  grpc::ServerContext ctx;
  grpc::Status busy = guard.Run(&ctx, heavy, nullptr, false, [] { return grpc::Status::OK; });
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A light call is never held back.
  EXPECT_TRUE(
      guard.Run(&ctx, "/fairtrace.v1.ModelService/GetRegisteredModel", nullptr, false, [] { return grpc::Status::OK; })
          .ok());
  release.Notify();
  first.join();
  // The slot is free again; the call's stop condition turns true after the
  // server's limit for heavy calls.
  bool stopped_at_start = true, stopped_later = false;
  EXPECT_TRUE(guard
                  .Run(&ctx, heavy, nullptr, false,
                       [&] {
                         auto stop = CurrentCallShouldStop();
                         stopped_at_start = stop();
                         for (absl::Time until = absl::Now() + absl::Seconds(5);
                              !stopped_later && absl::Now() < until;) {
                           absl::SleepFor(absl::Milliseconds(5));
                           stopped_later = stop();
                         }
                         return grpc::Status::OK;
                       })
                  .ok());
  EXPECT_FALSE(stopped_at_start);
  EXPECT_TRUE(stopped_later);
  EXPECT_FALSE(static_cast<bool>(CurrentCallShouldStop()));  // outside a guarded call
}

TEST(RequestResource, NamesWhatTheRequestIsAbout) {
  v1::GetRegisteredModelRequest get;
  get.set_name("models/leaf");
  EXPECT_EQ(RequestResource(get), "models/leaf");
  v1::CreateModelVersionRequest create;
  create.set_parent("models/leaf");
  EXPECT_EQ(RequestResource(create), "models/leaf");
  EXPECT_EQ(RequestResource(v1::ListRegisteredModelsRequest()), "");
}

}  // namespace
}  // namespace fairtrace::api
