// Runs over the wire and from the CLI, against the real server: the atomic
// RegisterRun with a model version, error details, `fairtrace runs ...`.
#include <fstream>

#include <nlohmann/json.hpp>

#include "clients/cpp/fairtrace/push.h"
#include "fairtrace/v1/models.grpc.pb.h"
#include "fairtrace/v1/runs.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace::testing {
namespace {

namespace stdfs = std::filesystem;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

class RunsTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    runs_ = v1::RunService::NewStub(channel_);
    models_ = v1::ModelService::NewStub(channel_);
  }
  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ServerProcess::CliBinary(), "--server", server_->target()});
    return RunCommand(args);
  }
  Digest PushModelFolder(const std::string& mlmodel) {
    stdfs::path d = dir_.path() / ("model-" + std::to_string(folders_++));
    stdfs::create_directories(d);
    std::ofstream(d / "MLmodel") << mlmodel;
    std::ofstream(d / "model.pkl") << "weights";
    return client::Push(*client_, d, {}).value().digest;
  }
  v1::RegisterRunRequest FinishedRun() {
    v1::RegisterRunRequest req;
    v1::Run* run = req.mutable_run();
    run->set_experiment("leaf-seg");
    run->set_status(v1::RUN_STATUS_FINISHED);
    *run->mutable_start_time() = TimeUtil::SecondsToTimestamp(1'790'000'000);
    *run->mutable_end_time() = TimeUtil::SecondsToTimestamp(1'790'003'600);
    (*run->mutable_params())["lr"] = "0.001";
    for (int step = 1; step <= 3; ++step) {
      v1::Metric* m = req.add_metrics();
      m->set_key("val_dice");
      m->set_value(0.8 + step / 100.0);
      m->set_step(step);
    }
    v1::Metric* nan = req.add_metrics();
    nan->set_key("loss");
    nan->set_value(std::nan(""));
    return req;
  }
  int folders_ = 0;
  std::unique_ptr<v1::RunService::Stub> runs_;
  std::unique_ptr<v1::ModelService::Stub> models_;
};

TEST_F(RunsTest, RegisterRunIsAllOrNothingOverTheWire) {
  {
    grpc::ClientContext ctx;
    v1::CreateRegisteredModelRequest req;
    req.set_model_id("leaf-segmenter");
    v1::RegisteredModel m;
    ASSERT_TRUE(models_->CreateRegisteredModel(&ctx, req, &m).ok());
  }
  // A version whose MLmodel names a missing file: nothing at all is written.
  v1::RegisterRunRequest bad = FinishedRun();
  bad.mutable_model_version()->set_parent("models/leaf-segmenter");
  *bad.mutable_model_version()->mutable_model_version()->mutable_tree_digest() =
      DigestToProto(PushModelFolder("flavors:\n  sklearn:\n    pickled_model: gone.pkl\n"));
  v1::RegisterRunResponse resp;
  grpc::ClientContext c1;
  grpc::Status s = runs_->RegisterRun(&c1, bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  bool named = false;
  for (const auto& any : details.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br)) named = br.field_violations(0).field() == "MLmodel.flavors.sklearn.pickled_model";
  }
  EXPECT_TRUE(named) << s.error_message();
  grpc::ClientContext c2;
  v1::ListRunsResponse none;
  ASSERT_TRUE(runs_->ListRuns(&c2, v1::ListRunsRequest(), &none).ok());
  EXPECT_EQ(none.runs_size(), 0);

  v1::RegisterRunRequest good = FinishedRun();
  good.set_request_id("train-2026-11-25");
  good.mutable_model_version()->set_parent("models/leaf-segmenter");
  *good.mutable_model_version()->mutable_model_version()->mutable_tree_digest() =
      DigestToProto(PushModelFolder("flavors:\n  sklearn:\n    pickled_model: model.pkl\n"));
  grpc::ClientContext c3;
  s = runs_->RegisterRun(&c3, good, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.model_version().source_run(), resp.run().name());
  EXPECT_TRUE(std::isnan(resp.run().latest_metrics(0).value()));  // "loss" sorts first

  // The CLI reads it back.
  auto list = Cli({"runs", "list", "--filter", "experiment = \"leaf-seg\" AND params.lr < 0.01"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(resp.run().name()));
  EXPECT_THAT(list.out, HasSubstr("FINISHED"));
  auto get = Cli({"--json", "runs", "get", resp.run().name().substr(5)});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  auto j = nlohmann::json::parse(get.out);
  EXPECT_EQ(j["params"]["lr"], "0.001");
  EXPECT_EQ(j["outputs"][0]["artifact"]["resource"], "models/leaf-segmenter/versions/1");
  auto metrics = Cli({"--json", "runs", "metrics", resp.run().name(), "val_dice"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_EQ(std::count(metrics.out.begin(), metrics.out.end(), '\n'), 3);
  auto nan = Cli({"--json", "runs", "metrics", resp.run().name(), "loss"});
  EXPECT_THAT(nan.out, HasSubstr("\"NaN\""));
  auto lineage = Cli({"runs", "lineage", "models/leaf-segmenter/versions/1"});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  EXPECT_THAT(lineage.out, HasSubstr("--wasGeneratedBy(model)--> " + resp.run().name()));
  EXPECT_THAT(lineage.out, HasSubstr("--wasDerivedFrom(content)--> trees/"));
  auto versions = Cli({"models", "versions", "list", "leaf-segmenter", "--filter", "stage = NONE"});
  ASSERT_EQ(versions.exit_code, 0) << versions.err;
  EXPECT_THAT(versions.out, HasSubstr("models/leaf-segmenter/versions/1"));
}

TEST_F(RunsTest, CliErrorsAreTheUsersFault) {
  auto bad_filter = Cli({"runs", "list", "--filter", "owner = \"me\""});
  EXPECT_EQ(bad_filter.exit_code, 1);
  EXPECT_THAT(bad_filter.err, HasSubstr("unknown field"));
  auto missing = Cli({"runs", "get", std::string(32, '0')});
  EXPECT_EQ(missing.exit_code, 1);
  auto malformed = Cli({"runs", "metrics", "nope", "loss"});
  EXPECT_EQ(malformed.exit_code, 1);
}

}  // namespace
}  // namespace fairtrace::testing
