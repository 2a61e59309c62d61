// What state digests cost (docs/audit-log.md, "State digests";
// docs/benchmarks.md): the digest a dataset version's creation adds to its
// transaction (a chain over 100,000 items), what each LogMetrics pays (the
// run's document with 50 params and its stored metrics chain), and fsck's
// state check over the whole database. In process, fresh SQLite store.
//
// Usage: state_bench [items]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "registry/store/sqlite/resource_state.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/temp_dir.h"

namespace {

using fairtrace::bench::Clock;
using fairtrace::bench::Millis;
using fairtrace::bench::Percentiles;
using fairtrace::bench::Time;

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  const int items = argc > 1 ? std::atoi(argv[1]) : 100'000;
  fairtrace::testing::TempDir dir;
  const std::string path = (dir.path() / "fairtrace.db").string();
  auto backend = fairtrace::SqliteBackend::Open({.path = path});
  Check(backend.status(), "open");

  // A dataset version of `items` items, written straight into SQLite.
  auto db = fairtrace::sqlite::Db::Open(path);
  Check(db.status(), "open raw");
  fairtrace::sqlite::Db* raw = db->get();
  Check(raw->Exec("BEGIN"), "begin");
  Check(raw->Exec("INSERT INTO datasets VALUES ('plants', 'u-ds', '{}', 1, 1, 1, 1);"
                  "INSERT INTO dataset_versions VALUES ('plants', 1, 'u-v1', '" +
                  std::string(64, 'a') + "', '" + std::string(64, 'b') + "', 10, '" + std::string(64, 'c') +
                  "', 10, 'investigations/x/revisions/1', '" + std::string(64, 'd') +
                  "', 100000, 100000, 409600000, 2000, 2000, 0, 1)"),
        "version");
  auto ins = raw->Prepare(
      "INSERT INTO dataset_items VALUES ('u-v1', ?, ?, 4096, 'image/png', '2025-06-01T10:00:00Z', 'rgb-top', "
      "'top', 'phenoarch', ?, ?, ?)");
  Check(ins.status(), "prepare");
  for (int i = 0; i < items; ++i) {
    std::string n = absl::StrCat(i);
    Check((*ins)
              ->Bind(1, absl::StrCat("plants/day-", i % 30, "/img-", n, ".png"))
              .Bind(2, absl::StrCat(std::string(58, '0'), n.size() < 6 ? std::string(6 - n.size(), '0') + n : n))
              .Bind(3, absl::StrCat("{\"plant\":\"p", i % 2000, "\",\"dap\":", i % 60, "}"))
              .Bind(4, absl::StrCat("[\"investigations/x/revisions/1/observationUnits/ou-", i % 2000, "\"]"))
              .Bind(5, std::string(64, 'e'))
              .Run(),
          "item");
  }
  Check(raw->Exec("COMMIT"), "commit");
  const std::string version = "datasets/plants/versions/1";
  Percentiles version_digest = Time(5, [&](int) {
    auto d = fairtrace::ResourceStateDigest(raw, version, fairtrace::StateRead::kStoredChains);
    Check(d.status(), "digest");
  });
  std::printf("state digest of a dataset version of %d items (added to CreateDatasetVersion): p50 %.0f ms\n", items,
              version_digest.p50 / 1000);

  // A run with 50 params: what each LogMetrics of one metric costs, and
  // the digest's share of it.
  fairtrace::RunWrite w;
  w.run.run_id = std::string(32, 'f');
  w.run.uid = "u-run";
  w.run.experiment = "bench";
  for (int i = 0; i < 50; ++i) w.params.emplace_back(absl::StrCat("param_", i), absl::StrCat(i * 0.001));
  const std::string run = "runs/" + w.run.run_id;
  fairtrace::AuditEntry entry{"user:bench", "/bench", run, std::string(64, '0'), "OK"};
  Check((*backend)->runs()->InsertRun(w, "", entry).status(), "run");
  int64_t step = 0;
  Percentiles log_metric = Time(2000, [&](int) {
    Check((*backend)->runs()->LogMetrics(w.run.run_id, {{"loss", 0.5, ++step, step}}, entry), "log");
  });
  Percentiles run_digest = Time(2000, [&](int) {
    Check(fairtrace::ResourceStateDigest(raw, run, fairtrace::StateRead::kStoredChains).status(), "run digest");
  });
  std::printf(
      "LogMetrics of one metric (50 params, 2,000 metrics logged): p50 %.1f µs; the run's state digest "
      "alone: p50 %.1f µs\n",
      log_metric.p50, run_digest.p50);
  fairtrace::RunWrite bare = w;
  bare.run.run_id = std::string(32, 'e');
  bare.run.uid = "u-bare";
  bare.params.clear();
  Check((*backend)->runs()->InsertRun(bare, "", entry).status(), "bare run");
  Percentiles bare_digest = Time(2000, [&](int) {
    Check(fairtrace::ResourceStateDigest(raw, "runs/" + bare.run.run_id, fairtrace::StateRead::kStoredChains).status(),
          "bare digest");
  });
  std::printf("the state digest of a run with no params: p50 %.1f µs\n", bare_digest.p50);

  auto t0 = Clock::now();
  int64_t problems = 0;
  auto checked = (*backend)->content()->CheckResourceStates([&](fairtrace::Store::StateProblem) { ++problems; });
  Check(checked.status(), "check");
  std::printf("fsck state check: %lld resources (%d items, %lld audit records), %.0f ms, %lld problems\n",
              static_cast<long long>(*checked), items, static_cast<long long>(step + 2), Millis(t0),
              static_cast<long long>(problems));
  return 0;
}
