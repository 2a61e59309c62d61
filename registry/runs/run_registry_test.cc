#include "registry/runs/run_registry.h"

#include <cmath>

#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "google/protobuf/util/time_util.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

const char kMlmodel[] = "flavors:\n  sklearn:\n    pickled_model: model.pkl\nmodel_uuid: 0123\n";

class RunRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    blobs_ = *BlobStore::Open(dir_.path() / "cas");
    cas_ = std::make_unique<ContentStore>(store_->content(), blobs_.get(), CasLimits{});
    auto now = [this] { return clock_ += 1000; };
    models_ = std::make_unique<ModelRegistry>(store_->content(), store_->models(), store_->runs(), cas_.get(),
                                              &mlmodel::Validator::Default(), "secret", now);
    runs_ =
        std::make_unique<RunRegistry>(store_->content(), store_->models(), store_->runs(), store_->datasets(),
                                      store_->annotations(), store_->splits(), nullptr, models_.get(), "secret", now);
  }
  Digest PutBlob(const std::string& data) {
    blobs_data_.push_back(data);
    std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf(blobs_data_.back()), blobs_data_.back()}};
    EXPECT_TRUE(cas_->BatchUpdate(ctx_, items).ok());
    return DigestOf(data);
  }
  Digest PutModelFolder(const std::string& mlmodel) {
    std::vector<TreeEntry> entries = {{"MLmodel", PutBlob(mlmodel), false}, {"model.pkl", PutBlob("pkl"), false}};
    return PutBlob(*EncodeTree(entries));
  }
  CallContext Ctx(const std::string& method) { return CallContext{"user:t", method, std::string(64, 'a')}; }
  absl::StatusOr<v1::Run> Create(const std::string& experiment = "leaf-seg", const std::string& request_id = "") {
    v1::CreateRunRequest req;
    req.mutable_run()->set_experiment(experiment);
    (*req.mutable_run()->mutable_params())["lr"] = "0.001";
    v1::Seed* seed = req.mutable_run()->add_seeds();
    seed->set_name("numpy");
    seed->set_value(42);
    req.mutable_run()->mutable_code()->set_commit(std::string(40, 'a'));
    req.mutable_run()->mutable_code()->set_branch("main");
    (*req.mutable_run()->mutable_environment()->mutable_packages())["torch"] = "2.1.0";
    req.mutable_run()->mutable_environment()->set_gpu_model("A100");
    req.set_request_id(request_id);
    return runs_->CreateRun(Ctx("/CreateRun"), req);
  }
  absl::Status Log(const std::string& run, const std::string& key, double value, int64_t step) {
    v1::LogMetricsRequest req;
    req.set_run(run);
    v1::Metric* m = req.add_metrics();
    m->set_key(key);
    m->set_value(value);
    m->set_step(step);
    return runs_->LogMetrics(Ctx("/LogMetrics"), req).status();
  }
  absl::Status Finish(const std::string& run) {
    v1::UpdateRunRequest req;
    req.mutable_run()->set_name(run);
    req.mutable_run()->set_status(v1::RUN_STATUS_FINISHED);
    req.mutable_update_mask()->add_paths("status");
    return runs_->UpdateRun(Ctx("/UpdateRun"), req).status();
  }
  absl::StatusOr<v1::ListRunsResponse> List(const std::string& filter, int page = 0, const std::string& token = "") {
    v1::ListRunsRequest req;
    req.set_filter(filter);
    req.set_page_size(page);
    req.set_page_token(token);
    return runs_->ListRuns(req);
  }
  int64_t CountRows(const char* table) {
    auto db = sqlite::Db::Open((dir_.path() / "db").string());
    auto q = (*db)->Prepare(std::string("SELECT count(*) FROM ") + table);
    (void)(*q)->Step();
    return (*q)->Int(0);
  }
  int64_t AuditCount() { return static_cast<int64_t>(store_->content()->ListAudit(0, 100000)->size()); }

  testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ContentStore> cas_;
  std::unique_ptr<ModelRegistry> models_;
  std::unique_ptr<RunRegistry> runs_;
  std::vector<std::string> blobs_data_;
  int64_t clock_ = 1'700'000'000'000'000;
  CallContext ctx_{"user:t", "/test", std::string(64, 'a')};
};

TEST_F(RunRegistryTest, CreateRecordsEverythingGiven) {
  ASSERT_OK_AND_ASSIGN(v1::Run run, Create());
  EXPECT_THAT(run.name(), ::testing::MatchesRegex("runs/[0-9a-f]{32}"));
  EXPECT_EQ(run.status(), v1::RUN_STATUS_RUNNING);
  EXPECT_EQ(run.kind(), v1::RUN_KIND_TRAINING);
  EXPECT_GT(run.start_time().seconds(), 0);
  EXPECT_EQ(run.params().at("lr"), "0.001");
  ASSERT_EQ(run.seeds_size(), 1);
  EXPECT_EQ(run.seeds(0).value(), 42u);
  EXPECT_EQ(run.code().branch(), "main");
  EXPECT_EQ(run.environment().packages().at("torch"), "2.1.0");
  EXPECT_EQ(run.environment().gpu_model(), "A100");
  v1::GetRunRequest get;
  get.set_name(run.name());
  ASSERT_OK_AND_ASSIGN(v1::Run back, runs_->GetRun(get));
  EXPECT_EQ(back.uid(), run.uid());
  get.set_name("runs/" + std::string(32, '0'));
  EXPECT_THAT(runs_->GetRun(get), StatusIs(absl::StatusCode::kNotFound));
  get.set_name("runs/xyz");
  EXPECT_THAT(runs_->GetRun(get), StatusIs(absl::StatusCode::kInvalidArgument));
}

// A run soft-deleted through the MLflow door (its tag fairtrace.lifecycle)
// takes no params, metrics or edges through either API until the tag is
// removed; its tags still change (that is how it is restored).
TEST_F(RunRegistryTest, ADeletedRunTakesNothingUntilRestored) {
  v1::CreateRunRequest create;
  create.mutable_run()->set_experiment("e");
  (*create.mutable_run()->mutable_tags())["fairtrace.lifecycle"] = "deleted";
  ASSERT_OK_AND_ASSIGN(v1::Run run, runs_->CreateRun(ctx_, create));
  v1::LogMetricsRequest log;
  log.set_run(run.name());
  v1::Metric* m = log.add_metrics();
  m->set_key("acc");
  m->set_value(0.9);
  absl::Status refused = runs_->LogMetrics(ctx_, log).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("must be in the 'active' state")));
  EXPECT_EQ(ErrorDetailsOf(refused)->reason, "RUN_DELETED");
  v1::LogParamsRequest params;
  params.set_run(run.name());
  (*params.mutable_params())["lr"] = "1";
  EXPECT_THAT(runs_->LogParams(ctx_, params).status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  google::protobuf::RepeatedPtrField<v1::Metric> none;
  EXPECT_THAT(runs_->LogBatch(ctx_, run.name(), {}, none, {{"t", "v"}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A value "deleted" under another key is no deletion.
  v1::UpdateRunRequest restore;
  restore.mutable_run()->set_name(run.name());
  (*restore.mutable_run()->mutable_tags())["note"] = "fairtrace.lifecycle was deleted";
  restore.mutable_update_mask()->add_paths("tags");
  ASSERT_OK(runs_->UpdateRun(ctx_, restore).status());
  EXPECT_OK(runs_->LogMetrics(ctx_, log).status());
}

TEST_F(RunRegistryTest, BadRunsAreRejectedAndAudited) {
  int64_t before = AuditCount();
  EXPECT_THAT(Create(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("run.experiment")));
  v1::CreateRunRequest req;
  req.mutable_run()->set_experiment("e");
  req.mutable_run()->mutable_code()->set_commit("not-a-sha");
  EXPECT_THAT(runs_->CreateRun(ctx_, req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("commit")));
  req.mutable_run()->mutable_code()->clear_commit();
  req.mutable_run()->add_seeds()->set_name("torch");
  req.mutable_run()->add_seeds()->set_name("torch");
  EXPECT_THAT(runs_->CreateRun(ctx_, req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  req.mutable_run()->clear_seeds();
  *req.mutable_run()->mutable_code()->mutable_dirty_diff() = DigestToProto(DigestOf("never stored"));
  EXPECT_THAT(runs_->CreateRun(ctx_, req), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(CountRows("runs"), 0);
  EXPECT_EQ(AuditCount(), before + 4);  // every failure is audited
}

TEST_F(RunRegistryTest, RequestIdReturnsTheFirstRunAndIsBoundToItsMethod) {
  ASSERT_OK_AND_ASSIGN(v1::Run first, Create("e", "req-1"));
  ASSERT_OK_AND_ASSIGN(v1::Run again, Create("e", "req-1"));
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(CountRows("runs"), 1);
  v1::CreateRegisteredModelRequest m;
  m.set_model_id("m");
  m.set_request_id("req-1");
  EXPECT_THAT(models_->CreateRegisteredModel(Ctx("/CreateRegisteredModel"), m),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("another call")));
}

TEST_F(RunRegistryTest, ParamsAreWriteOnceAndLimited) {
  ASSERT_OK_AND_ASSIGN(v1::Run run, Create());
  v1::LogParamsRequest req;
  req.set_run(run.name());
  (*req.mutable_params())["lr"] = "0.001";  // same value: fine
  (*req.mutable_params())["epochs"] = "20";
  ASSERT_OK(runs_->LogParams(ctx_, req).status());
  (*req.mutable_params())["lr"] = "0.1";
  (*req.mutable_params())["batch"] = "8";
  EXPECT_THAT(runs_->LogParams(ctx_, req), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("write-once")));
  v1::LogParamsRequest huge;
  huge.set_run(run.name());
  (*huge.mutable_params())["notes"] = std::string(6001, 'x');
  EXPECT_THAT(runs_->LogParams(ctx_, huge), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("6000")));
  v1::LogParamsRequest bad_key;
  bad_key.set_run(run.name());
  (*bad_key.mutable_params())["a\nb"] = "1";
  EXPECT_THAT(runs_->LogParams(ctx_, bad_key), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::GetRunRequest get;
  get.set_name(run.name());
  ASSERT_OK_AND_ASSIGN(v1::Run back, runs_->GetRun(get));
  EXPECT_EQ(back.params_size(), 2);  // the failed call added no "batch"
  EXPECT_EQ(back.params().at("lr"), "0.001");
}

TEST_F(RunRegistryTest, MetricsKeepHistoryNanAndInfinity) {
  ASSERT_OK_AND_ASSIGN(v1::Run run, Create());
  for (int step = 0; step < 25; ++step) ASSERT_OK(Log(run.name(), "loss", 1.0 / (step + 1), step));
  ASSERT_OK(Log(run.name(), "val/dice", std::nan(""), 1));
  ASSERT_OK(Log(run.name(), "val/dice", INFINITY, 2));
  ASSERT_OK(Log(run.name(), "val/dice", -INFINITY, 3));
  v1::ListMetricHistoryRequest hist;
  hist.set_run(run.name());
  hist.set_key("val/dice");
  ASSERT_OK_AND_ASSIGN(auto h, runs_->ListMetricHistory(hist));
  ASSERT_EQ(h.metrics_size(), 3);
  EXPECT_TRUE(std::isnan(h.metrics(0).value()));
  EXPECT_EQ(h.metrics(1).value(), INFINITY);
  EXPECT_EQ(h.metrics(2).value(), -INFINITY);
  // Paging through 25 points, 10 at a time, in step order.
  hist.set_key("loss");
  hist.set_page_size(10);
  std::vector<int64_t> steps;
  do {
    ASSERT_OK_AND_ASSIGN(h, runs_->ListMetricHistory(hist));
    for (const auto& m : h.metrics()) steps.push_back(m.step());
    hist.set_page_token(h.next_page_token());
  } while (!h.next_page_token().empty());
  ASSERT_EQ(steps.size(), 25u);
  EXPECT_TRUE(std::is_sorted(steps.begin(), steps.end()));
  hist.set_key("val/dice");  // a token of another metric
  hist.set_page_token(runs_
                          ->ListMetricHistory([&] {
                            v1::ListMetricHistoryRequest r = hist;
                            r.set_key("loss");
                            r.clear_page_token();
                            return r;
                          }())
                          ->next_page_token());
  EXPECT_THAT(runs_->ListMetricHistory(hist), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::GetRunRequest get;
  get.set_name(run.name());
  ASSERT_OK_AND_ASSIGN(v1::Run back, runs_->GetRun(get));
  ASSERT_EQ(back.latest_metrics_size(), 2);
  EXPECT_EQ(back.latest_metrics(0).key(), "loss");
  EXPECT_EQ(back.latest_metrics(0).step(), 24);
  EXPECT_EQ(back.latest_metrics(1).value(), -INFINITY);
}

TEST_F(RunRegistryTest, MetricBatchesAreBoundedAndAllOrNothing) {
  ASSERT_OK_AND_ASSIGN(v1::Run run, Create());
  v1::LogMetricsRequest req;
  req.set_run(run.name());
  for (int i = 0; i < 1001; ++i) req.add_metrics()->set_key("x");
  EXPECT_THAT(runs_->LogMetrics(ctx_, req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1000")));
  req.mutable_metrics()->DeleteSubrange(0, 990);
  req.mutable_metrics(5)->set_key("");
  EXPECT_THAT(runs_->LogMetrics(ctx_, req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("metrics[5]")));
  EXPECT_EQ(CountRows("run_metrics"), 0);
  v1::LogMetricsRequest empty;
  empty.set_run(run.name());
  EXPECT_THAT(runs_->LogMetrics(ctx_, empty), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RunRegistryTest, AnEndedRunIsFrozen) {
  ASSERT_OK_AND_ASSIGN(v1::Run run, Create());
  ASSERT_OK(Finish(run.name()));
  v1::GetRunRequest get;
  get.set_name(run.name());
  ASSERT_OK_AND_ASSIGN(v1::Run done, runs_->GetRun(get));
  EXPECT_EQ(done.status(), v1::RUN_STATUS_FINISHED);
  EXPECT_TRUE(done.has_end_time());
  EXPECT_THAT(Log(run.name(), "loss", 1, 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::LogParamsRequest p;
  p.set_run(run.name());
  (*p.mutable_params())["late"] = "1";
  EXPECT_THAT(runs_->LogParams(ctx_, p), StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::UpdateRunRequest back;
  back.mutable_run()->set_name(run.name());
  back.mutable_run()->set_status(v1::RUN_STATUS_RUNNING);
  back.mutable_update_mask()->add_paths("status");
  EXPECT_THAT(runs_->UpdateRun(ctx_, back), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Description and tags stay mutable, guarded by the etag.
  v1::UpdateRunRequest label;
  label.mutable_run()->set_name(run.name());
  label.mutable_run()->set_description("best so far");
  label.mutable_run()->set_etag(run.etag());  // stale: read before Finish
  label.mutable_update_mask()->add_paths("description");
  EXPECT_THAT(runs_->UpdateRun(ctx_, label), StatusIs(absl::StatusCode::kAborted));
  label.mutable_run()->set_etag(done.etag());
  ASSERT_OK_AND_ASSIGN(v1::Run labelled, runs_->UpdateRun(ctx_, label));
  EXPECT_EQ(labelled.description(), "best so far");
  label.mutable_update_mask()->set_paths(0, "params");
  EXPECT_THAT(runs_->UpdateRun(ctx_, label), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("immutable")));
}

TEST_F(RunRegistryTest, ListFiltersAndPages) {
  for (int i = 0; i < 7; ++i) {
    v1::CreateRunRequest req;
    req.mutable_run()->set_experiment(i % 2 ? "odd" : "even");
    (*req.mutable_run()->mutable_params())["lr"] = i < 3 ? "0.1" : "0.001";
    (*req.mutable_run()->mutable_tags())["team"] = "phenome";
    ASSERT_OK(runs_->CreateRun(ctx_, req).status());
  }
  ASSERT_OK_AND_ASSIGN(auto all, List(""));
  EXPECT_EQ(all.runs_size(), 7);
  EXPECT_GT(all.runs(0).create_time().seconds() * 1000000 + all.runs(0).create_time().nanos() / 1000,
            all.runs(6).create_time().seconds() * 1000000 + all.runs(6).create_time().nanos() / 1000);
  ASSERT_OK_AND_ASSIGN(auto odd, List("experiment = \"odd\""));
  EXPECT_EQ(odd.runs_size(), 3);
  ASSERT_OK_AND_ASSIGN(auto small_lr, List("params.lr < 0.01 AND experiment = \"even\""));
  EXPECT_EQ(small_lr.runs_size(), 2);  // runs 4 and 6
  ASSERT_OK_AND_ASSIGN(auto tagged, List("tags.team = \"phenome\" AND NOT status = FINISHED"));
  EXPECT_EQ(tagged.runs_size(), 7);
  ASSERT_OK_AND_ASSIGN(auto none, List("tags.team = \"x' OR 1=1 --\""));
  EXPECT_EQ(none.runs_size(), 0);  // values are bound, never spliced
  EXPECT_THAT(List("owner = \"me\""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field")));
  // Pages of 3 over the "even" runs; the token is bound to the filter.
  ASSERT_OK_AND_ASSIGN(auto p1, List("experiment = \"even\"", 3));
  ASSERT_EQ(p1.runs_size(), 3);
  ASSERT_FALSE(p1.next_page_token().empty());
  ASSERT_OK_AND_ASSIGN(auto p2, List("experiment = \"even\"", 3, p1.next_page_token()));
  ASSERT_EQ(p2.runs_size(), 1);
  EXPECT_TRUE(p2.next_page_token().empty());
  EXPECT_THAT(List("experiment = \"odd\"", 3, p1.next_page_token()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RunRegistryTest, EdgesMustNameWhatExists) {
  ASSERT_OK_AND_ASSIGN(v1::Run run, Create());
  // datasets/arabidopsis with versions 1 to 3.
  const AuditEntry audit{"user:t", "/m", "datasets/arabidopsis", std::string(64, 'b'), "OK"};
  ASSERT_TRUE(store_->datasets()->InsertDataset({"arabidopsis", "uid-a", "{}"}, {}, audit).ok());
  for (int i = 0; i < 3; ++i) {
    DatasetVersionRow v;
    v.dataset_id = "arabidopsis";
    v.uid = "version-" + std::to_string(i);
    v.digest = v.tree_digest = std::string(64, 'c');
    ASSERT_TRUE(store_->datasets()->InsertVersion(v, {}, {}, {}, {}, audit).ok());
  }
  Digest data = PutBlob("images.tar");
  v1::AddRunEdgesRequest req;
  req.set_run(run.name());
  v1::RunEdge* in = req.add_inputs();
  in->set_role("train");
  *in->mutable_artifact()->mutable_blob() = DigestToProto(data);
  v1::RunEdge* split = req.add_inputs();
  split->set_role("split");
  split->mutable_artifact()->set_resource("datasets/arabidopsis/versions/3");
  v1::RunEdge* gone = req.add_inputs();
  gone->set_role("test");
  *gone->mutable_artifact()->mutable_blob() = DigestToProto(DigestOf("not stored"));
  absl::Status s = runs_->AddRunEdges(ctx_, req).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("do not exist")));
  EXPECT_EQ(CountRows("lineage_edges"), 0);  // nothing partial
  req.mutable_inputs()->RemoveLast();
  req.add_outputs()->mutable_artifact()->set_resource("models/none/versions/1");
  req.mutable_outputs(0)->set_role("model");
  EXPECT_THAT(runs_->AddRunEdges(ctx_, req), StatusIs(absl::StatusCode::kFailedPrecondition));
  req.clear_outputs();
  split->mutable_artifact()->set_resource("datasets/../etc");
  EXPECT_THAT(runs_->AddRunEdges(ctx_, req), StatusIs(absl::StatusCode::kInvalidArgument));
  split->mutable_artifact()->set_resource("datasets/arabidopsis/versions/4");  // not there
  EXPECT_THAT(runs_->AddRunEdges(ctx_, req), StatusIs(absl::StatusCode::kFailedPrecondition));
  split->mutable_artifact()->set_resource("datasets/arabidopsis/versions/3");
  ASSERT_OK_AND_ASSIGN(v1::Run with, runs_->AddRunEdges(ctx_, req));
  ASSERT_EQ(with.inputs_size(), 2);
  EXPECT_EQ(with.inputs(0).artifact().blob().sha256(), data.sha256);
  EXPECT_EQ(with.inputs(1).artifact().resource(), "datasets/arabidopsis/versions/3");
}

v1::RegisterRunRequest FinishedRun(const std::string& request_id) {
  v1::RegisterRunRequest req;
  v1::Run* run = req.mutable_run();
  run->set_experiment("leaf-seg");
  run->set_status(v1::RUN_STATUS_FINISHED);
  *run->mutable_start_time() = TimeUtil::SecondsToTimestamp(1'700'000'000);
  *run->mutable_end_time() = TimeUtil::SecondsToTimestamp(1'700'003'600);
  (*run->mutable_params())["epochs"] = "20";
  v1::Metric* m = req.add_metrics();
  m->set_key("val_dice");
  m->set_value(0.87);
  m->set_step(20);
  req.set_request_id(request_id);
  return req;
}

TEST_F(RunRegistryTest, RegisterRunWritesRunAndVersionAtomically) {
  v1::CreateRegisteredModelRequest cm;
  cm.set_model_id("leaf-segmenter");
  ASSERT_OK(models_->CreateRegisteredModel(ctx_, cm).status());
  Digest images = PutBlob("images");
  v1::RegisterRunRequest req = FinishedRun("reg-1");
  v1::RunEdge* in = req.mutable_run()->add_inputs();
  in->set_role("train");
  *in->mutable_artifact()->mutable_blob() = DigestToProto(images);
  req.mutable_model_version()->set_parent("models/leaf-segmenter");
  *req.mutable_model_version()->mutable_model_version()->mutable_tree_digest() =
      DigestToProto(PutModelFolder(kMlmodel));
  ASSERT_OK_AND_ASSIGN(v1::RegisterRunResponse resp, runs_->RegisterRun(Ctx("/RegisterRun"), req));
  EXPECT_EQ(resp.run().status(), v1::RUN_STATUS_FINISHED);
  EXPECT_EQ(resp.run().latest_metrics(0).value(), 0.87);
  EXPECT_EQ(resp.model_version().name(), "models/leaf-segmenter/versions/1");
  EXPECT_EQ(resp.model_version().source_run(), resp.run().name());
  ASSERT_EQ(resp.run().outputs_size(), 1);
  EXPECT_EQ(resp.run().outputs(0).artifact().resource(), "models/leaf-segmenter/versions/1");
  // A retry answers with the same run and version and writes nothing.
  ASSERT_OK_AND_ASSIGN(v1::RegisterRunResponse again, runs_->RegisterRun(Ctx("/RegisterRun"), req));
  EXPECT_EQ(again.run().name(), resp.run().name());
  EXPECT_EQ(again.model_version().uid(), resp.model_version().uid());
  EXPECT_EQ(CountRows("runs"), 1);
  // GetModelVersion can return the source run with its inputs.
  v1::GetModelVersionRequest get;
  get.set_name("models/leaf-segmenter/versions/1");
  get.set_include_source_run(true);
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion v, models_->GetModelVersion(get));
  EXPECT_EQ(v.source_run_detail().name(), resp.run().name());
  ASSERT_EQ(v.source_run_detail().inputs_size(), 1);
  // Lineage: version <- run <- images, in one query.
  v1::GetLineageRequest lineage;
  lineage.set_resource("models/leaf-segmenter/versions/1");
  ASSERT_OK_AND_ASSIGN(auto graph, runs_->GetLineage(lineage));
  std::set<std::string> reached;
  for (const auto& e : graph.edges()) reached.insert(e.object());
  EXPECT_TRUE(reached.count(resp.run().name()));
  EXPECT_TRUE(reached.count(BlobResourceName(images)));
  EXPECT_FALSE(graph.truncated());
  lineage.set_max_depth(1);
  ASSERT_OK_AND_ASSIGN(graph, runs_->GetLineage(lineage));
  EXPECT_TRUE(graph.truncated());
  lineage.set_resource(BlobResourceName(images));
  lineage.set_direction(v1::GetLineageRequest::DOWNSTREAM);
  lineage.set_max_depth(0);
  ASSERT_OK_AND_ASSIGN(graph, runs_->GetLineage(lineage));
  std::set<std::string> made;
  for (const auto& e : graph.edges()) made.insert(e.subject());
  EXPECT_TRUE(made.count("models/leaf-segmenter/versions/1"));
  // Deleted since, the version still answers the retry (as deleted), and
  // its lineage stays.
  v1::DeleteModelVersionRequest del;
  del.set_name("models/leaf-segmenter/versions/1");
  ASSERT_OK(models_->DeleteModelVersion(ctx_, del).status());
  ASSERT_OK_AND_ASSIGN(again, runs_->RegisterRun(Ctx("/RegisterRun"), req));
  EXPECT_EQ(again.model_version().uid(), resp.model_version().uid());
  EXPECT_TRUE(again.model_version().has_delete_time());
  EXPECT_EQ(CountRows("model_versions"), 1);
  lineage.set_resource("models/leaf-segmenter/versions/1");
  lineage.set_direction(v1::GetLineageRequest::UPSTREAM);
  ASSERT_OK_AND_ASSIGN(graph, runs_->GetLineage(lineage));
  reached.clear();
  for (const auto& e : graph.edges()) reached.insert(e.object());
  EXPECT_TRUE(reached.count(BlobResourceName(images)));
}

TEST_F(RunRegistryTest, RegisterRunWithABadVersionWritesNothing) {
  v1::CreateRegisteredModelRequest cm;
  cm.set_model_id("m");
  ASSERT_OK(models_->CreateRegisteredModel(ctx_, cm).status());
  v1::RegisterRunRequest req = FinishedRun("");
  req.mutable_model_version()->set_parent("models/m");
  *req.mutable_model_version()->mutable_model_version()->mutable_tree_digest() =
      DigestToProto(PutModelFolder("flavors: [unclosed"));
  EXPECT_THAT(runs_->RegisterRun(ctx_, req), StatusIs(absl::StatusCode::kInvalidArgument));
  req.mutable_model_version()->set_parent("models/absent");
  EXPECT_THAT(runs_->RegisterRun(ctx_, req), StatusIs(absl::StatusCode::kNotFound));
  req.clear_model_version();
  req.mutable_run()->set_status(v1::RUN_STATUS_RUNNING);
  EXPECT_THAT(runs_->RegisterRun(ctx_, req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ended")));
  req.mutable_run()->set_status(v1::RUN_STATUS_FAILED);
  *req.mutable_run()->mutable_end_time() = TimeUtil::SecondsToTimestamp(1'600'000'000);
  EXPECT_THAT(runs_->RegisterRun(ctx_, req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("before")));
  EXPECT_EQ(CountRows("runs"), 0);
  EXPECT_EQ(CountRows("run_metrics"), 0);
  EXPECT_EQ(CountRows("model_versions"), 0);
}

TEST_F(RunRegistryTest, VersionsNeedAnExistingSourceRunAndFilterByStageAndTags) {
  v1::CreateRegisteredModelRequest cm;
  cm.set_model_id("m");
  ASSERT_OK(models_->CreateRegisteredModel(ctx_, cm).status());
  Digest tree = PutModelFolder(kMlmodel);
  v1::CreateModelVersionRequest cv;
  cv.set_parent("models/m");
  *cv.mutable_model_version()->mutable_tree_digest() = DigestToProto(tree);
  cv.mutable_model_version()->set_source_run("runs/" + std::string(32, 'f'));
  EXPECT_THAT(models_->CreateModelVersion(ctx_, cv),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not exist")));
  ASSERT_OK_AND_ASSIGN(v1::Run run, Create());
  cv.mutable_model_version()->set_source_run(run.name());
  for (int i = 0; i < 5; ++i) {
    (*cv.mutable_model_version()->mutable_tags())["fold"] = std::to_string(i);
    ASSERT_OK(models_->CreateModelVersion(ctx_, cv).status());
  }
  v1::UpdateModelVersionRequest up;
  up.mutable_model_version()->set_name("models/m/versions/4");
  up.mutable_model_version()->set_stage(v1::MODEL_STAGE_PRODUCTION);
  up.mutable_update_mask()->add_paths("stage");
  ASSERT_OK(models_->UpdateModelVersion(ctx_, up).status());
  v1::ListModelVersionsRequest list;
  list.set_parent("models/m");
  list.set_filter("stage = PRODUCTION");
  ASSERT_OK_AND_ASSIGN(auto prod, models_->ListModelVersions(list));
  ASSERT_EQ(prod.model_versions_size(), 1);
  EXPECT_EQ(prod.model_versions(0).version(), 4);
  list.set_filter("tags.fold >= 2 AND mlmodel.flavor = \"sklearn\" AND version != 3");
  ASSERT_OK_AND_ASSIGN(auto some, models_->ListModelVersions(list));
  EXPECT_EQ(some.model_versions_size(), 2);
  list.set_filter(absl::StrCat("source_run = \"", run.name(), "\""));
  list.set_page_size(2);
  ASSERT_OK_AND_ASSIGN(auto page, models_->ListModelVersions(list));
  EXPECT_EQ(page.model_versions_size(), 2);
  list.set_filter("stage = PRODUCTION");
  list.set_page_token(page.next_page_token());  // minted for another filter
  EXPECT_THAT(models_->ListModelVersions(list), StatusIs(absl::StatusCode::kInvalidArgument));
  list.clear_page_token();
  // Tag filters follow updates, and NOT matches versions without the tag.
  v1::UpdateModelVersionRequest retag;
  retag.mutable_model_version()->set_name("models/m/versions/2");
  (*retag.mutable_model_version()->mutable_tags())["fold"] = "9";
  retag.mutable_update_mask()->add_paths("tags");
  ASSERT_OK(models_->UpdateModelVersion(ctx_, retag).status());
  list.set_page_size(0);
  list.set_filter("tags.fold = \"9\"");
  ASSERT_OK_AND_ASSIGN(auto nine, models_->ListModelVersions(list));
  ASSERT_EQ(nine.model_versions_size(), 1);
  EXPECT_EQ(nine.model_versions(0).version(), 2);
  list.set_filter("NOT tags.team = \"x\" AND tags.fold != \"9\"");
  ASSERT_OK_AND_ASSIGN(auto rest, models_->ListModelVersions(list));
  EXPECT_EQ(rest.model_versions_size(), 4);
  list.set_filter("tags.team != \"x\"");  // no version has a team tag
  ASSERT_OK_AND_ASSIGN(auto none, models_->ListModelVersions(list));
  EXPECT_EQ(none.model_versions_size(), 0);
  list.set_filter("flavor = sklearn");
  EXPECT_THAT(models_->ListModelVersions(list), StatusIs(absl::StatusCode::kInvalidArgument));
  // Flavor filters: a required flavor drives the query from its rows, any
  // other flavor comparison probes version by version; both answer alike.
  for (const auto& [filter, n] : std::vector<std::pair<std::string, int>>{
           {"mlmodel.flavor = \"pytorch\"", 0},
           {"mlmodel.flavor = \"sklearn\" AND version > 3", 2},
           {"mlmodel.flavor = \"sklearn\" OR version = 99", 5},
           {"NOT mlmodel.flavor = \"sklearn\"", 0},
           {"mlmodel.flavor != \"sklearn\"", 0}}) {  // sklearn is their only flavor
    list.set_filter(filter);
    ASSERT_OK_AND_ASSIGN(auto got, models_->ListModelVersions(list));
    EXPECT_EQ(got.model_versions_size(), n) << filter;
  }
}

}  // namespace
}  // namespace fairtrace
