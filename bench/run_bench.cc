// Run tracking and filtered listing against the real server on loopback
// (issue #4 targets):
//   LogMetrics with one point ("LogMetric"): p50 < 1 ms sequential;
//     >= 5,000 calls/s with 8 concurrent clients, commits durable.
//   LogMetrics with a batch of 1,000 points: < 10 ms.
//   ListModelVersions with a filter over 100,000 versions: first page < 20 ms.
// The 100,000 versions are bulk-inserted into the database between two
// server starts (copies of one version registered through the API), so the
// measurement is the list, not the seeding. Run: build/bench/run_bench
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "clients/cpp/fairtrace/cas_client.h"
#include "clients/cpp/fairtrace/model_client.h"
#include "common/content/tree.h"
#include "fairtrace/v1/models.grpc.pb.h"
#include "fairtrace/v1/runs.grpc.pb.h"
#include "registry/store/sqlite/db.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

using fairtrace::Digest;
using fairtrace::DigestOf;
using Clock = std::chrono::steady_clock;
namespace v1 = fairtrace::v1;

namespace {

double Ms(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Stats {
  double p50, p99;
};
Stats Percentiles(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

std::string NewRun(v1::RunService::Stub* runs) {
  grpc::ClientContext ctx;
  v1::CreateRunRequest req;
  req.mutable_run()->set_experiment("bench");
  v1::Run run;
  grpc::Status s = runs->CreateRun(&ctx, req, &run);
  if (!s.ok()) std::fprintf(stderr, "CreateRun: %s\n", s.error_message().c_str());
  return run.name();
}

bool LogOne(v1::RunService::Stub* runs, const std::string& run, int step) {
  grpc::ClientContext ctx;
  v1::LogMetricsRequest req;
  req.set_run(run);
  v1::Metric* m = req.add_metrics();
  m->set_key("loss");
  m->set_value(1.0 / (step + 1));
  m->set_step(step);
  v1::LogMetricsResponse resp;
  return runs->LogMetrics(&ctx, req, &resp).ok();
}

// Registers models/bench with one version through the API; returns false
// on failure.
bool SeedOneVersion(const std::string& target) {
  fairtrace::client::ClientOptions o;
  o.target = target;
  fairtrace::client::CasClient cas(o);
  fairtrace::client::ModelClient models(o);
  const std::string mlmodel =
      "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
      "  sklearn:\n    pickled_model: model.pkl\nmlflow_version: 2.10.2\n";
  std::string manifest =
      *fairtrace::EncodeTree({{"MLmodel", DigestOf(mlmodel), false}, {"model.pkl", DigestOf("pickle"), false}});
  std::vector<std::pair<Digest, std::string>> blobs = {
      {DigestOf(mlmodel), mlmodel}, {DigestOf("pickle"), "pickle"}, {DigestOf(manifest), manifest}};
  if (!cas.UploadBatch(blobs).ok() || !cas.CreateTree(DigestOf(manifest)).ok()) return false;
  v1::CreateRegisteredModelRequest create;
  create.set_model_id("bench");
  if (!models.CreateModel(create).ok()) return false;
  v1::CreateModelVersionRequest req;
  req.set_parent("models/bench");
  *req.mutable_model_version()->mutable_tree_digest() = fairtrace::DigestToProto(DigestOf(manifest));
  return models.CreateVersion(req).ok();
}

// Copies version 1 into versions 2..n in one transaction: every 1,000th is
// PRODUCTION, tags {"fold": i % 10, "team": "phenome" or "rare" for the
// last 10}.
bool BulkInsertVersions(const std::string& db_path, int n) {
  auto db = fairtrace::sqlite::Db::Open(db_path);
  if (!db.ok()) return false;
  auto s = (*db)->Exec("BEGIN");
  auto ins = (*db)->Prepare(
      "INSERT INTO model_versions (model_id, version, uid, tree_sha256, tree_size, mlmodel_json, source_run, "
      "description, tags_json, create_time, update_time, revision, stage) SELECT model_id, ?1, ?2, tree_sha256, "
      "tree_size, mlmodel_json, '', '', ?3, create_time + ?1, update_time, 1, ?4 FROM model_versions "
      "WHERE model_id = 'bench' AND version = 1");
  if (!ins.ok() || !s.ok()) {
    std::fprintf(stderr, "prepare: %s %s\n", ins.status().ToString().c_str(), s.ToString().c_str());
    return false;
  }
  for (int v = 2; v <= n; ++v) {
    std::string tags =
        "{\"fold\":\"" + std::to_string(v % 10) + "\",\"team\":\"" + (v > n - 10 ? "rare" : "phenome") + "\"}";
    (*ins)
        ->Bind(1, int64_t{v})
        .Bind(2, "uid-" + std::to_string(v))
        .Bind(3, tags)
        .Bind(4, v % 1000 == 0 ? "PRODUCTION" : "NONE");
    absl::Status st = (*ins)->Run();
    if (!st.ok()) {
      std::fprintf(stderr, "insert: %s\n", st.ToString().c_str());
      return false;
    }
  }
  if (!(*db)
           ->Exec("INSERT INTO model_version_tags (model_id, key, value, version) SELECT v.model_id, t.key, "
                  "t.value, v.version FROM model_versions v, json_each(v.tags_json) t WHERE v.version > 1")
           .ok()) {
    return false;
  }
  if (!(*db)
           ->Exec("INSERT INTO model_version_flavors (model_id, flavor, version) SELECT v.model_id, f.value, "
                  "v.version FROM model_versions v, json_each(v.mlmodel_json, '$.flavors') f "
                  "WHERE v.version > 1 AND f.type = 'text'")
           .ok()) {
    return false;
  }
  auto upd = (*db)->Prepare("UPDATE registered_models SET next_version = ? WHERE model_id = 'bench'");
  if (!upd.ok() || !(*upd)->Bind(1, int64_t{n + 1}).Run().ok()) return false;
  return (*db)->Exec("COMMIT").ok() && (*db)->Exec("ANALYZE").ok();
}

}  // namespace

int main() {
  fairtrace::testing::TempDir dir;
  fairtrace::testing::ServerProcess server(dir.path(), {"--quiet"});
  if (!server.Start()) {
    std::fprintf(stderr, "server: %s\n", server.error().c_str());
    return 1;
  }
  auto channel = grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  auto runs = v1::RunService::NewStub(channel);

  // LogMetric: one point per call.
  std::string run = NewRun(runs.get());
  if (run.empty()) return 1;
  std::vector<double> ms;
  for (int i = 0; i < 2000; ++i) {
    auto t0 = Clock::now();
    if (!LogOne(runs.get(), run, i)) return 1;
    ms.push_back(Ms(t0));
  }
  Stats one = Percentiles(ms);
  std::printf("LogMetric sequential: p50 %.3f ms  p99 %.3f ms  (target p50 < 1 ms)\n", one.p50, one.p99);

  std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  auto t0 = Clock::now();
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      // Each client its own connection, as separate training scripts have
      // (channels to one target otherwise share one HTTP/2 connection).
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto mine =
          v1::RunService::NewStub(grpc::CreateCustomChannel(server.target(), grpc::InsecureChannelCredentials(), args));
      std::string r = NewRun(mine.get());
      for (int step = 0; !stop; ++step) {
        if (LogOne(mine.get(), r, step)) ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));
  stop = true;
  for (auto& t : clients) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("LogMetric 8 clients: %.0f calls/s  (target >= 5000)\n", done / secs);

  // LogMetrics: batches of 1,000 points.
  ms.clear();
  std::string batch_run = NewRun(runs.get());
  for (int i = 0; i < 100; ++i) {
    v1::LogMetricsRequest req;
    req.set_run(batch_run);
    for (int p = 0; p < 1000; ++p) {
      v1::Metric* m = req.add_metrics();
      m->set_key(p % 2 ? "loss" : "val_dice");
      m->set_value(p * 0.001);
      m->set_step(i * 1000 + p);
    }
    grpc::ClientContext ctx;
    v1::LogMetricsResponse resp;
    auto t1 = Clock::now();
    grpc::Status s = runs->LogMetrics(&ctx, req, &resp);
    ms.push_back(Ms(t1));
    if (!s.ok()) return 1;
  }
  Stats batch = Percentiles(ms);
  std::printf("LogMetrics 1,000 points: p50 %.3f ms  p99 %.3f ms  (target < 10 ms)\n", batch.p50, batch.p99);

  // ListModelVersions with filters over 100,000 versions.
  if (!SeedOneVersion(server.target())) return 1;
  server.Stop();
  auto t2 = Clock::now();
  if (!BulkInsertVersions((dir.path() / "data" / "fairtrace.db").string(), 100000)) {
    std::fprintf(stderr, "bulk insert failed\n");
    return 1;
  }
  std::printf("(seeded 100,000 versions in %.1f s)\n", Ms(t2) / 1000);
  if (!server.Start()) return 1;
  auto models = v1::ModelService::NewStub(grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials()));
  for (const char* filter :
       {"stage = PRODUCTION", "tags.fold = \"3\"", "mlmodel.flavor = \"sklearn\" AND version > 50000",
        "tags.team = \"rare\"", "mlmodel.mlflow_version = \"9.9\"", "mlmodel.flavor = \"pytorch\"",
        "source_run = \"runs/none\"", "mlmodel.flavor = \"sklearn\"", "mlmodel.mlflow_version = \"2.10.2\""}) {
    ms.clear();
    int count = 0;
    for (int i = 0; i < 30; ++i) {
      v1::ListModelVersionsRequest req;
      req.set_parent("models/bench");
      req.set_filter(filter);
      v1::ListModelVersionsResponse resp;
      grpc::ClientContext ctx;
      auto t3 = Clock::now();
      grpc::Status s = models->ListModelVersions(&ctx, req, &resp);
      ms.push_back(Ms(t3));
      if (!s.ok()) {
        std::fprintf(stderr, "%s: %s\n", filter, s.error_message().c_str());
        return 1;
      }
      count = resp.model_versions_size();
    }
    Stats list = Percentiles(ms);
    std::printf(
        "ListModelVersions first page (%d rows) of 100,000, filter '%s': p50 %.2f ms  p99 %.2f ms  "
        "(target < 20 ms)\n",
        count, filter, list.p50, list.p99);
  }
  return 0;
}
