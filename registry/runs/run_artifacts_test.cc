// RunArtifacts, RunRegistry::LogBatch and ReopenRun as the core decides
// them (the MLflow door only adapts them: tests/mlflow/e2e_*.py).
#include "registry/runs/run_artifacts.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include <sqlite3.h>

#include "common/content/sha256.h"
#include "common/status/status_macros.h"
#include "registry/content/fsck.h"
#include "registry/runs/run_registry.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

class RunArtifactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    blobs_ = *BlobStore::Open(dir_.path() / "cas");
    cas_ = std::make_unique<ContentStore>(store_->content(), blobs_.get(), CasLimits{});
    auto now = [this] { return clock_ += 1000; };
    models_ = std::make_unique<ModelRegistry>(store_->content(), store_->models(), store_->runs(), cas_.get(),
                                              &mlmodel::Validator::Default(), "secret", now);
    runs_ =
        std::make_unique<RunRegistry>(store_->content(), store_->models(), store_->runs(), store_->datasets(),
                                      store_->annotations(), store_->splits(), nullptr, models_.get(), "secret", now);
    artifacts_ = std::make_unique<RunArtifacts>(store_->content(), store_->runs(), cas_.get(), now);
    runs_->set_artifacts(artifacts_.get());
    v1::CreateRunRequest req;
    req.mutable_run()->set_experiment("experiments/0");
    run_ = runs_->CreateRun(ctx_, req)->name();
    id_ = run_.substr(5);
  }
  // Streams `data` into the CAS as the proxy does, then records it.
  absl::Status Put(const std::string& path, const std::string& data) {
    auto blob = artifacts_->BeginUpload(ctx_);
    if (!blob.ok()) return blob.status();
    for (size_t i = 0; i < data.size(); i += 3) FT_RETURN_IF_ERROR((*blob)->Append(data.substr(i, 3)));
    FT_ASSIGN_OR_RETURN(Digest d, (*blob)->Finish());
    return artifacts_->Record(ctx_, id_, path, d);
  }
  std::string Read(const std::string& path) {
    auto d = artifacts_->Find(id_, path);
    if (!d.ok()) return "<" + d.status().ToString() + ">";
    return *cas_->ReadBlob(*d, 1 << 20);
  }
  absl::Status End(v1::RunStatus status = v1::RUN_STATUS_FINISHED) {
    v1::UpdateRunRequest req;
    req.mutable_run()->set_name(run_);
    req.mutable_run()->set_status(status);
    req.mutable_update_mask()->add_paths("status");
    return runs_->UpdateRun(ctx_, req).status();
  }
  v1::Run Get() {
    v1::GetRunRequest get;
    get.set_name(run_);
    return *runs_->GetRun(get);
  }

  fairtrace::testing::TempDir dir_;
  int64_t clock_ = 1'700'000'000'000'000;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ContentStore> cas_;
  std::unique_ptr<ModelRegistry> models_;
  std::unique_ptr<RunRegistry> runs_;
  std::unique_ptr<RunArtifacts> artifacts_;
  CallContext ctx_{"user:t", "/test", std::string(64, 'a')};
  std::string run_, id_;
};

TEST_F(RunArtifactsTest, PathsAreRelativeNamesOnly) {
  for (const char* ok : {"a", "model/MLmodel", "plots/roc/fold 1 \xc3\xa9.csv", ".hidden", "a..b"}) {
    EXPECT_TRUE(RunArtifacts::CheckPath(ok, false).ok()) << ok;
  }
  for (const std::string& bad :
       {std::string(""), std::string("/etc/passwd"), std::string("../x"), std::string("a/../b"), std::string("a//b"),
        std::string("a/"), std::string("./a"), std::string("a\\b"), std::string("a\nb"), std::string("a\0b", 3),
        std::string("\xff"), std::string(1025, 'x')}) {
    EXPECT_THAT(RunArtifacts::CheckPath(bad, false), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_TRUE(RunArtifacts::CheckPath("", true).ok());  // the folder itself, for lists and deletes
}

TEST_F(RunArtifactsTest, AFolderKeepsItsHistoryAndListsOneLevel) {
  ASSERT_TRUE(Put("model/MLmodel", "flavors: {}").ok());
  ASSERT_TRUE(Put("model/data/weights.bin", "0123456789").ok());
  ASSERT_TRUE(Put("notes.txt", "first").ok());
  ASSERT_TRUE(Put("notes.txt", "second").ok());  // an overwrite
  EXPECT_EQ(Read("notes.txt"), "second");
  auto top = *artifacts_->List(id_, "");
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ((std::pair{top[0].name, top[0].is_dir}), (std::pair{std::string("model"), true}));
  EXPECT_EQ((std::pair{top[1].name, top[1].digest.size_bytes}), (std::pair{std::string("notes.txt"), int64_t{6}}));
  auto model = *artifacts_->List(id_, "model");
  ASSERT_EQ(model.size(), 2u);
  EXPECT_EQ(model[0].name, "MLmodel");
  EXPECT_EQ(model[1].name, "data");
  EXPECT_TRUE(artifacts_->List(id_, "absent")->empty());
  // A path is a file or a folder, never both.
  EXPECT_THAT(Put("model", "x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a folder")));
  EXPECT_THAT(Put("notes.txt/inner", "x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a file")));
  EXPECT_THAT(artifacts_->Find(id_, "model"), StatusIs(absl::StatusCode::kNotFound));
  // Deleting a folder deletes what is under it; a second delete finds nothing.
  ASSERT_TRUE(artifacts_->Delete(ctx_, id_, "model").ok());
  EXPECT_EQ(artifacts_->List(id_, "")->size(), 1u);
  EXPECT_THAT(artifacts_->Delete(ctx_, id_, "model"), StatusIs(absl::StatusCode::kNotFound));
  // Nothing was rewritten: every change is a row of the history.
  EXPECT_EQ(store_->runs()->CurrentArtifacts(id_)->size(), 1u);
}

TEST_F(RunArtifactsTest, TheFoldersHistoryIsListedInOrderPageByPage) {
  ASSERT_TRUE(Put("a.txt", "one").ok());
  ASSERT_TRUE(Put("a.txt", "two").ok());  // overwritten: both kept
  ASSERT_TRUE(Put("d/b.txt", "three").ok());
  ASSERT_TRUE(artifacts_->Delete(ctx_, id_, "a.txt").ok());
  v1::ListArtifactChangesRequest req;
  req.set_run(run_);
  req.set_page_size(3);
  auto first = runs_->ListArtifactChanges(req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->changes_size(), 3);
  EXPECT_EQ(first->changes(0).path(), "a.txt");
  EXPECT_EQ(first->changes(1).blob().sha256(), Sha256Hex("two"));
  EXPECT_EQ(first->changes(2).path(), "d/b.txt");
  EXPECT_LT(first->changes(0).seq(), first->changes(1).seq());
  ASSERT_FALSE(first->next_page_token().empty());
  req.set_page_token(first->next_page_token());
  auto rest = runs_->ListArtifactChanges(req);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->changes_size(), 1);
  EXPECT_EQ(rest->changes(0).path(), "a.txt");
  EXPECT_FALSE(rest->changes(0).has_blob());  // the delete
  EXPECT_TRUE(rest->next_page_token().empty());
  // A token of another list, a bad run, a negative page, a missing run.
  req.set_run("runs/0123456789abcdef0123456789abcdef");
  EXPECT_EQ(runs_->ListArtifactChanges(req).status().code(), absl::StatusCode::kInvalidArgument);
  req.clear_page_token();
  EXPECT_EQ(runs_->ListArtifactChanges(req).status().code(), absl::StatusCode::kNotFound);
  req.set_run("runs/x");
  EXPECT_EQ(runs_->ListArtifactChanges(req).status().code(), absl::StatusCode::kInvalidArgument);
  req.set_run(run_);
  req.set_page_size(-1);
  EXPECT_EQ(runs_->ListArtifactChanges(req).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RunArtifactsTest, AnEndedRunsFolderIsFinalAndItsTreeAnOutput) {
  ASSERT_TRUE(Put("a.txt", "A").ok());
  ASSERT_TRUE(Put("b/c.txt", "C").ok());
  ASSERT_TRUE(End().ok());
  v1::Run ended = Get();
  const std::string tree = ended.tags().at("fairtrace.artifacts_tree");
  ASSERT_EQ(ended.outputs_size(), 1);
  EXPECT_EQ(ended.outputs(0).role(), "artifacts");
  ASSERT_TRUE(ended.outputs(0).artifact().has_tree());
  EXPECT_EQ(
      absl::StrCat(ended.outputs(0).artifact().tree().sha256(), "/", ended.outputs(0).artifact().tree().size_bytes()),
      tree);
  // The tree is the folder as it was: two files, registered.
  const std::string manifest = *artifacts_->ManifestOf(id_, "");
  Digest d{Sha256Hex(manifest), static_cast<int64_t>(manifest.size())};
  EXPECT_EQ(d.ToString(), tree);
  // Kept in its blob's row, registered with the tree in one write.
  ASSERT_OK_AND_ASSIGN(BlobRow row, cas_->GetBlob(d));
  EXPECT_TRUE(row.location.in_database);
  EXPECT_TRUE(row.is_tree);
  EXPECT_EQ(*cas_->ReadBlob(d, 1 << 20), manifest);
  EXPECT_EQ(cas_->TreeEntries(d)->size(), 2u);
  EXPECT_THAT(Put("late.txt", "x"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("final")));
  EXPECT_THAT(artifacts_->Delete(ctx_, id_, "a.txt"), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Reopened, appended to, ended again: a second tree; the first stays.
  ASSERT_TRUE(runs_->ReopenRun(ctx_, run_).ok());
  EXPECT_EQ(Get().status(), v1::RUN_STATUS_RUNNING);
  EXPECT_FALSE(Get().has_end_time());
  EXPECT_EQ(Get().tags().at("fairtrace.reopened"), "1");
  ASSERT_TRUE(Put("late.txt", "x").ok());
  ASSERT_TRUE(End(v1::RUN_STATUS_FAILED).ok());
  v1::Run again = Get();
  EXPECT_EQ(again.outputs_size(), 2);
  EXPECT_NE(again.tags().at("fairtrace.artifacts_tree"), tree);
  EXPECT_EQ(again.tags().at("fairtrace.reopened"), "1");
  ASSERT_TRUE(runs_->ReopenRun(ctx_, run_).ok());
  EXPECT_EQ(Get().tags().at("fairtrace.reopened"), "2");
}

TEST_F(RunArtifactsTest, AnArtifactEditedBehindTheServersBackIsNamed) {
  ASSERT_TRUE(Put("model/MLmodel", "flavors: {}").ok());
  ASSERT_TRUE(Put("weights.bin", "good weights").ok());
  auto clean = RunFsck(*store_->content(), *blobs_);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_TRUE(clean->problems.empty());
  // The folder's history is in the run's state document: pointing a path
  // at other bytes is found.
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "db").c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h,
                         "UPDATE run_artifacts SET sha256 = (SELECT sha256 FROM run_artifacts WHERE path = "
                         "'model/MLmodel') WHERE path = 'weights.bin'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
  auto found = RunFsck(*store_->content(), *blobs_);
  ASSERT_TRUE(found.ok()) << found.status();
  bool named = false;
  for (const FsckProblem& p : found->problems) named |= p.subject == run_ && p.kind == "STATE_MISMATCH";
  EXPECT_TRUE(named);
}

TEST_F(RunArtifactsTest, ARunWithoutArtifactsEndsWithoutATree) {
  ASSERT_TRUE(End().ok());
  EXPECT_EQ(Get().outputs_size(), 0);
  EXPECT_FALSE(Get().tags().contains("fairtrace.artifacts_tree"));
  EXPECT_THAT(artifacts_->TreeOf(ctx_, id_, ""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RunArtifactsTest, ABatchLandsWholeOrNotAtAll) {
  google::protobuf::RepeatedPtrField<v1::Metric> metrics;
  for (int i = 0; i < 3; ++i) {
    v1::Metric* m = metrics.Add();
    m->set_key("loss");
    m->set_value(1.0 / (i + 1));
    m->set_step(i);
  }
  ASSERT_TRUE(runs_->LogBatch(ctx_, run_, {{"lr", "0.1"}}, metrics, {{"stage", "dev"}}).ok());
  v1::Run got = Get();
  EXPECT_EQ(got.params().at("lr"), "0.1");
  EXPECT_EQ(got.tags().at("stage"), "dev");
  // A changed param refuses the whole batch: no metric, no tag lands.
  google::protobuf::RepeatedPtrField<v1::Metric> more = metrics;
  more.Mutable(0)->set_key("after");
  EXPECT_THAT(runs_->LogBatch(ctx_, run_, {{"lr", "0.5"}}, more, {{"t", "v"}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  got = Get();
  EXPECT_FALSE(got.tags().contains("t"));
  for (const v1::Metric& m : got.latest_metrics()) EXPECT_NE(m.key(), "after");
  EXPECT_THAT(runs_->LogBatch(ctx_, run_, {{"k", "1"}, {"k", "2"}}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  // Tags may change after the end; params and metrics may not.
  ASSERT_TRUE(End().ok());
  EXPECT_TRUE(runs_->LogBatch(ctx_, run_, {}, {}, {{"reviewed", "yes"}}).ok());
  EXPECT_THAT(runs_->LogBatch(ctx_, run_, {{"late", "1"}}, {}, {}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace fairtrace
