// Splits and leakage checks at scale (issue 13 targets), in process on a
// fresh SQLite store: 100,000 items linked to 2,000 observation units (the
// dataset_bench setup). Measures
//   CreateSplit, 5 folds grouped by observation unit (items read, group
//   keys, the algorithm, part digests, one durable commit)   < 1 s
//   CheckLeakage of it (exact duplicates + group leakage)    < 1 s
//   ending a run that trained on fold-1 and tested on fold-2: what the
//   check adds to UpdateRun (run ended with and without it)   < 50 ms
// and the process's peak RSS. Run: build/bench/split_bench
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "registry/cas/blob_store.h"
#include "registry/datasets/dataset_registry.h"
#include "registry/investigations/investigation_registry.h"
#include "registry/models/model_registry.h"
#include "registry/runs/run_registry.h"
#include "registry/splits/run_leakage.h"
#include "registry/splits/split_registry.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/temp_dir.h"
#include "validators/mlmodel/mlmodel_validator.h"

using namespace fairtrace;
using bench::Clock;
using bench::Millis;

namespace {
constexpr int kUnits = 2000, kItems = 100'000;
}

int main() {
  testing::TempDir dir;
  auto backend = *SqliteBackend::Open({.path = (dir.path() / "db").string()});
  auto blobs = *BlobStore::Open(dir.path() / "cas");
  ContentStore cas(backend->content(), blobs.get(), CasLimits{});
  auto now = [] { return absl::ToUnixMicros(absl::Now()); };
  InvestigationRegistry investigations(backend->content(), backend->models(), backend->investigations(), "key", now);
  DatasetRegistry datasets(backend->content(), &cas, backend->models(), backend->investigations(), backend->datasets(),
                           "key", now);
  SplitRegistry splits(backend->content(), &cas, backend->models(), backend->datasets(), backend->annotations(),
                       backend->investigations(), backend->splits(), backend->runs(), "key", now);
  CallContext ctx{"bench", "/fairtrace.v1.SplitService/CreateSplit", std::string(64, '0')};
  if (!investigations.ImportInvestigation(ctx, bench::ScaleInvestigation(kUnits)).ok()) return 1;
  std::vector<std::pair<std::string, int>> paths;
  std::string table = "path,observation_unit,acquired_at\n";
  for (int i = 0; i < kItems; ++i) {
    std::string path = absl::StrCat("plants/OU-", i % kUnits, "/img-", i, ".png");
    paths.emplace_back(path, i);
    absl::StrAppend(&table, path, ",OU-", i % kUnits, absl::StrFormat(",2025-04-%02dT10:00:00Z\n", 1 + i % 28));
  }
  std::sort(paths.begin(), paths.end());
  Digest tree = bench::PushTree(&cas, ctx, paths, [](int n) { return absl::StrCat("image ", n); });
  Digest table_digest = DigestOf(table);
  std::vector<std::pair<Digest, absl::string_view>> one = {{table_digest, table}};
  if (!cas.BatchUpdate(ctx, one).ok()) return 1;
  v1::CreateDatasetRequest create;
  create.set_dataset_id("scale");
  if (!datasets.CreateDataset(ctx, create).ok()) return 1;
  v1::CreateDatasetVersionRequest version;
  version.set_parent("datasets/scale");
  *version.mutable_tree() = DigestToProto(tree);
  *version.mutable_item_table() = DigestToProto(table_digest);
  version.set_investigation_revision("investigations/bench");
  if (!datasets.CreateDatasetVersion(ctx, version).ok()) return 1;
  std::printf("setup: %d items linked to %d observation units\n", kItems, kUnits);
  for (int run = 0; run < 3; ++run) {
    v1::CreateSplitRequest req;
    req.set_parent("datasets/scale/versions/1");
    req.set_split_id(absl::StrCat("folds-", run));
    req.mutable_split()->set_method(v1::SPLIT_METHOD_KFOLD);
    req.mutable_split()->set_folds(5);
    req.mutable_split()->set_group_by("observation_unit");
    req.mutable_split()->set_seed(run);
    auto t0 = Clock::now();
    auto split = splits.CreateSplit(ctx, req);
    const double split_ms = Millis(t0);
    if (!split.ok()) {
      std::printf("CreateSplit failed: %s\n", split.status().ToString().c_str());
      return 1;
    }
    v1::CheckLeakageRequest check;
    check.set_split(split->name());
    t0 = Clock::now();
    auto report = splits.CheckLeakage(ctx, check);
    const double check_ms = Millis(t0);
    if (!report.ok()) {
      std::printf("CheckLeakage failed: %s\n", report.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "run %d: CreateSplit 5 folds grouped by unit: %.0f ms (target < 1,000 ms); CheckLeakage (exact + "
        "group): %.0f ms (target < 1,000 ms); leakage found: %s\n",
        run + 1, split_ms, check_ms, report->leakage_found() ? "yes" : "no");
  }
  // Ending runs: one without the check, one with it (train fold-1, test fold-2).
  ModelRegistry models(backend->content(), backend->models(), backend->runs(), &cas, &mlmodel::Validator::Default(),
                       "key", now);
  splits::RunLeakageCheck end_check(&cas, backend->datasets(), backend->splits(), backend->investigations(),
                                    backend->runs());
  RunRegistry plain(backend->content(), backend->models(), backend->runs(), backend->datasets(), backend->annotations(),
                    backend->splits(), nullptr, &models, "key", now);
  RunRegistry checked(backend->content(), backend->models(), backend->runs(), backend->datasets(),
                      backend->annotations(), backend->splits(), &end_check, &models, "key", now);
  for (int run = 0; run < 3; ++run) {
    double ms[2];
    for (int with = 0; with < 2; ++with) {
      RunRegistry& runs = with ? checked : plain;
      v1::CreateRunRequest create;
      create.mutable_run()->set_experiment("bench");
      for (const char* role : {"train", "test"}) {
        v1::RunEdge* e = create.mutable_run()->add_inputs();
        e->set_role(role);
        e->mutable_artifact()->set_resource(
            absl::StrCat("datasets/scale/versions/1/splits/folds-0/parts/fold-", std::string(role) == "train" ? 1 : 2));
      }
      auto r = runs.CreateRun(ctx, create);
      if (!r.ok()) {
        std::printf("CreateRun failed: %s\n", r.status().ToString().c_str());
        return 1;
      }
      v1::UpdateRunRequest end;
      end.mutable_run()->set_name(r->name());
      end.mutable_run()->set_status(v1::RUN_STATUS_FINISHED);
      end.mutable_update_mask()->add_paths("status");
      auto t0 = Clock::now();
      auto ended = runs.UpdateRun(ctx, end);
      ms[with] = Millis(t0);
      if (!ended.ok()) return 1;
    }
    std::printf(
        "run %d: ending a run on fold-1/fold-2: %.1f ms without the check, %.1f ms with it: +%.1f ms "
        "(target < 50 ms)\n",
        run + 1, ms[0], ms[1], ms[1] - ms[0]);
  }
  std::printf("peak RSS: %ld MiB\n", bench::PeakRssMiB());
  return 0;
}
