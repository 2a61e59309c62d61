// Splits and leakage checks end to end as a user runs them: the fairtrace
// CLI against the real server binary (docs/splits.md). The algorithm's
// parity with the offline reference is in clients/python/tests/e2e_splits.py.
#include <nlohmann/json.hpp>

#include "fairtrace/v1/runs.grpc.pb.h"

#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

using ::testing::HasSubstr;

class SplitsTest : public ServerFixture {
 protected:
  // Four plants photographed on three days; two files hold the same bytes.
  void MakeVersion() {
    auto imp = Cli({"investigations", "import", std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe/valid-1.2",
                    "--id", "drought"});
    ASSERT_EQ(imp.exit_code, 0) << imp.err;
    std::string table = "path,observation_unit,acquired_at\n";
    for (int unit = 1; unit <= 4; ++unit) {
      for (int day = 1; day <= 3; ++day) {
        const std::string path = absl::StrCat("S1-P", unit, "/day-", day, ".png");
        WriteFile(work() / "images" / path, unit == 1 && day == 1 ? "twin" : absl::StrCat("image ", path));
        absl::StrAppend(&table, path, ",S1-P", unit, ",2025-04-0", day, "T10:00:00Z\n");
      }
    }
    WriteFile(work() / "images" / "S1-P4" / "day-9.png", "twin");
    absl::StrAppend(&table, "S1-P4/day-9.png,S1-P4,2025-04-09T10:00:00Z\n");
    WriteFile(work() / "items.csv", table);
    ASSERT_EQ(Cli({"datasets", "create", "plants"}).exit_code, 0);
    auto v = Cli({"datasets", "version", "plants", (work() / "images").string(), "--items",
                  (work() / "items.csv").string(), "--investigation", "investigations/drought"});
    ASSERT_EQ(v.exit_code, 0) << v.err;
  }
};

TEST_F(SplitsTest, GroupedFoldsDoNotLeakPlants) {
  MakeVersion();
  const std::string version = "datasets/plants/versions/1";
  auto created = Cli({"--json", "splits", "create", version, "--id", "folds", "--method", "kfold", "--k", "2",
                      "--group", "observation_unit", "--seed", "3"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto split = nlohmann::json::parse(created.out);
  EXPECT_EQ(split["name"], version + "/splits/folds");
  EXPECT_EQ(split["algorithm"], "fairtrace-split/1");
  ASSERT_EQ(split["parts"].size(), 2u);
  EXPECT_EQ(split["parts"][0]["name"], version + "/splits/folds/parts/fold-1");
  EXPECT_EQ(split["parts"][0]["group_count"], "2");
  auto get = Cli({"splits", "get", version + "/splits/folds", "--items", "fold-1"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("fold-1: "));
  auto list = Cli({"splits", "list", version});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr(version + "/splits/folds"));
  auto check = Cli({"splits", "check", version + "/splits/folds"});
  // Grouped by plant, no plant straddles; the twin files may (exit 3 then).
  EXPECT_THAT(check.out, HasSubstr("group:observation_unit: 0"));
}

TEST_F(SplitsTest, ALeakySplitExitsThreeAndNamesThePairs) {
  MakeVersion();
  const std::string version = "datasets/plants/versions/1";
  std::string assignment = "path,part\n";
  for (int unit = 1; unit <= 4; ++unit) {
    for (int day = 1; day <= 3; ++day) {
      absl::StrAppend(&assignment, "S1-P", unit, "/day-", day, ".png,", day == 3 ? "test" : "train", "\n");
    }
  }
  absl::StrAppend(&assignment, "S1-P4/day-9.png,test\n");
  WriteFile(work() / "assignment.csv", assignment);
  auto created = Cli({"splits", "create", version, "--id", "by-day", "--method", "explicit", "--assignment",
                      (work() / "assignment.csv").string()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto check = Cli({"splits", "check", version + "/splits/by-day"});
  EXPECT_EQ(check.exit_code, 3) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("LEAKAGE FOUND"));
  EXPECT_THAT(check.out, HasSubstr("exact_duplicate: 1"));
  EXPECT_THAT(check.out, HasSubstr("S1-P1/day-1.png (train)  ~  S1-P4/day-9.png (test)"));
  EXPECT_THAT(check.out, HasSubstr("group:observation_unit: 4"));
  auto bad = Cli({"splits", "create", version, "--ratio", "train=0.5", "--ratio", "test=0.4"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("the ratios sum to 0.9, not 1"));
  auto missing = Cli({"splits", "get", version + "/splits/nope"});
  EXPECT_EQ(missing.exit_code, 1);
}

// With --refuse-leakage a run whose inputs leak cannot end FINISHED.
class RefusingSplitsTest : public SplitsTest {
 protected:
  std::vector<std::string> ServerFlags() override { return {"--quiet", "--refuse-leakage"}; }
};

TEST_F(RefusingSplitsTest, ALeakyRunStaysRunning) {
  MakeVersion();
  const std::string version = "datasets/plants/versions/1";
  auto created = Cli({"splits", "create", version, "--id", "by-image", "--ratio", "train=0.5", "--ratio", "test=0.5"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto runs = v1::RunService::NewStub(channel_);
  v1::CreateRunRequest create;
  create.mutable_run()->set_experiment("leaky");
  for (const char* role : {"train", "test"}) {
    v1::RunEdge* e = create.mutable_run()->add_inputs();
    e->set_role(role);
    e->mutable_artifact()->set_resource(absl::StrCat(version, "/splits/by-image/parts/", role));
  }
  v1::Run run;
  grpc::ClientContext c1;
  ASSERT_TRUE(runs->CreateRun(&c1, create, &run).ok());
  v1::UpdateRunRequest end;
  end.mutable_run()->set_name(run.name());
  end.mutable_run()->set_status(v1::RUN_STATUS_FINISHED);
  end.mutable_update_mask()->add_paths("status");
  v1::Run ended;
  grpc::ClientContext c2;
  grpc::Status st = runs->UpdateRun(&c2, end, &ended);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(st), "LEAKAGE_FOUND");
  EXPECT_THAT(st.error_message(), HasSubstr("group:observation_unit"));
  v1::GetRunRequest get;
  get.set_name(run.name());
  v1::Run after;
  grpc::ClientContext c3;
  ASSERT_TRUE(runs->GetRun(&c3, get, &after).ok());
  EXPECT_EQ(after.status(), v1::RUN_STATUS_RUNNING);
  // Ending it FAILED is allowed: nothing was trained on leaky data.
  end.mutable_run()->set_status(v1::RUN_STATUS_FAILED);
  grpc::ClientContext c4;
  EXPECT_TRUE(runs->UpdateRun(&c4, end, &ended).ok());
}

}  // namespace
}  // namespace fairtrace::testing
