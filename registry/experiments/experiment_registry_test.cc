#include "registry/experiments/experiment_registry.h"

#include <gtest/gtest.h>

#include "registry/store/sqlite/resource_state.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;

class ExperimentRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    registry_ =
        std::make_unique<ExperimentRegistry>(store_->content(), store_->experiments(), [this] { return ++clock_; });
    ctx_.principal = "user:ana";
    ctx_.method = "mlflow:/api/2.0/mlflow/experiments/create";
  }
  fairtrace::testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<ExperimentRegistry> registry_;
  CallContext ctx_;
  int64_t clock_ = 1000;
};

TEST_F(ExperimentRegistryTest, CreateGetRenameDeleteRestore) {
  ASSERT_OK(registry_->EnsureDefault(ctx_));
  ASSERT_OK(registry_->EnsureDefault(ctx_));  // once
  ASSERT_OK_AND_ASSIGN(ExperimentRow def, registry_->Get("0"));
  EXPECT_EQ(def.name, "Default");
  EXPECT_EQ(def.artifact_location, "mlflow-artifacts:/0");

  ASSERT_OK_AND_ASSIGN(ExperimentRow a, registry_->Create(ctx_, "leaf segmentation ✓", "", {{"team", "phenome"}}));
  EXPECT_EQ(a.experiment_id, 1);
  EXPECT_EQ(a.project, "default");
  EXPECT_EQ(a.artifact_location, "mlflow-artifacts:/1");
  ASSERT_OK_AND_ASSIGN(ExperimentRow by_name, registry_->GetByName("leaf segmentation ✓"));
  EXPECT_EQ(by_name.experiment_id, 1);
  EXPECT_THAT(registry_->Create(ctx_, "leaf segmentation ✓", "", {}), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(registry_->Create(ctx_, "", "", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(registry_->Create(ctx_, "x", "s3://bucket/x", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(registry_->Create(ctx_, std::string("bad\xff", 4), "", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(registry_->Get("01"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(registry_->Get("99"), StatusIs(absl::StatusCode::kNotFound));

  // A soft delete frees the name; restoring needs it free again.
  ASSERT_OK(registry_->SetLifecycle(ctx_, "1", false).status());
  EXPECT_THAT(registry_->GetByName("leaf segmentation ✓"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(ExperimentRow again, registry_->Create(ctx_, "leaf segmentation ✓", "", {}));
  EXPECT_EQ(again.experiment_id, 2);
  EXPECT_THAT(registry_->SetLifecycle(ctx_, "1", true), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(registry_->Rename(ctx_, "2", "renamed").status());
  ASSERT_OK_AND_ASSIGN(ExperimentRow restored, registry_->SetLifecycle(ctx_, "1", true));
  EXPECT_EQ(restored.lifecycle_stage, "active");
  EXPECT_THAT(registry_->SetLifecycle(ctx_, "0", false), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(registry_->SetTag(ctx_, "1", "stage", "pilot").status());
  EXPECT_THAT(registry_->SetTag(ctx_, "1", kProjectTag, "rice"), StatusIs(absl::StatusCode::kInvalidArgument));

  // Every change left its state in the log, and fsck finds nothing amiss.
  int64_t checked = 0;
  auto n = store_->content()->CheckResourceStates(
      [&](Store::StateProblem p) { ADD_FAILURE() << p.resource << " " << p.kind; });
  ASSERT_OK(n.status());
  checked = *n;
  EXPECT_EQ(checked, 3);
}

TEST_F(ExperimentRegistryTest, SearchFiltersByNameTagsStageAndProject) {
  ASSERT_OK(registry_->Create(ctx_, "Wheat-A", "", {{"crop", "wheat"}}).status());
  ASSERT_OK(registry_->Create(ctx_, "wheat-b", "", {{"crop", "wheat"}, {kProjectTag, "rice"}}).status());
  ASSERT_OK(registry_->Create(ctx_, "maize", "", {{"crop", "maize"}}).status());
  ASSERT_OK(registry_->SetLifecycle(ctx_, "3", false).status());
  auto names = [&](ExperimentQuery q, ProjectScope scope = ProjectScope::All()) {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<ExperimentRow>> rows = registry_->Search(q, scope);  // kept alive while iterated
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return out;
    for (const ExperimentRow& r : *rows) out.push_back(r.name);
    return out;
  };
  ExperimentQuery q;
  EXPECT_EQ(names(q), (std::vector<std::string>{"Wheat-A", "wheat-b"}));
  q.stage = ExperimentQuery::Stage::kAll;
  EXPECT_EQ(names(q).size(), 3u);
  q.name_glob = "wheat*";
  EXPECT_EQ(names(q), (std::vector<std::string>{"wheat-b"}));  // GLOB is case-sensitive
  q.name_glob_case_insensitive = true;
  EXPECT_EQ(names(q), (std::vector<std::string>{"Wheat-A", "wheat-b"}));
  q = {};
  q.stage = ExperimentQuery::Stage::kAll;
  q.tags_equal = {{"crop", "maize"}};
  EXPECT_EQ(names(q), (std::vector<std::string>{"maize"}));
  q.tags_equal = {{"crop", "wheat"}};
  EXPECT_EQ(names(q, ProjectScope::Only({"default"})), (std::vector<std::string>{"Wheat-A"}));
  q.tags_equal = {};
  q.offset = 1;
  q.limit = 1;
  EXPECT_EQ(names(q), (std::vector<std::string>{"wheat-b"}));
  // Ordered by name, descending; by creation time (ties by id, descending).
  q = {};
  q.stage = ExperimentQuery::Stage::kAll;
  q.order = {{ExperimentQuery::OrderKey::kName, false}};
  EXPECT_EQ(names(q), (std::vector<std::string>{"wheat-b", "maize", "Wheat-A"}));
  q.order = {{ExperimentQuery::OrderKey::kCreateTime, false}};
  EXPECT_EQ(names(q), (std::vector<std::string>{"maize", "wheat-b", "Wheat-A"}));
  q.offset = 2;
  EXPECT_EQ(names(q), (std::vector<std::string>{"Wheat-A"}));
}

}  // namespace
}  // namespace fairtrace
