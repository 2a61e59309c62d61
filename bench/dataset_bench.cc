// Dataset versions at scale (issue 11 targets), in process on a fresh
// SQLite store and blob folder: an investigation with 2,000 observation
// units; a folder of 100,000 files of 4 KiB, each linked to one unit by a
// CSV item table (6.9 MB). Measures, after the push (blobs stored, tree
// registered — not timed here: docs/benchmarks.md has the push figures):
//   CreateDatasetVersion (table read and parsed, links checked, digests,
//   one durable commit)            target < 3 s
//   DiffDatasetVersions of two versions, 1% of files changed   < 300 ms
//   ListItems, first page filtered by one unit                 < 10 ms
//   ExportDatasetVersion (Croissant JSON-LD of 100,000 items)  < 2 s
// and the process's peak RSS. Run: build/bench/dataset_bench
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <list>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "common/content/tree.h"
#include "registry/cas/blob_store.h"
#include "registry/datasets/dataset_registry.h"
#include "registry/investigations/investigation_registry.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/temp_dir.h"

using namespace fairtrace;
using bench::Clock;
using bench::Millis;
using bench::PeakRssMiB;

namespace {

constexpr int kUnits = 2000, kItems = 100'000, kFileBytes = 4096;

std::string FileBytes(int i, int generation) {
  std::string s = absl::StrCat("image ", i, " generation ", generation, " ");
  s.resize(kFileBytes, static_cast<char>('a' + i % 26));
  return s;
}

}  // namespace

int main() {
  testing::TempDir dir;
  auto backend = *SqliteBackend::Open({.path = (dir.path() / "db").string()});
  auto blobs = *BlobStore::Open(dir.path() / "cas");
  ContentStore cas(backend->content(), blobs.get(), CasLimits{});
  auto now = [] { return absl::ToUnixMicros(absl::Now()); };
  InvestigationRegistry investigations(backend->content(), backend->models(), backend->investigations(), "key", now);
  DatasetRegistry datasets(backend->content(), &cas, backend->models(), backend->investigations(), backend->datasets(),
                           "key", now);
  CallContext ctx{"bench", "/fairtrace.v1.DatasetService/CreateDatasetVersion", std::string(64, '0')};

  // The investigation: one study, 20 materials, 2,000 units.
  v1::ImportInvestigationRequest imp = bench::ScaleInvestigation(kUnits);
  auto inv = investigations.ImportInvestigation(ctx, imp);
  if (!inv.ok()) {
    std::printf("import failed: %s\n", inv.status().ToString().c_str());
    return 1;
  }
  v1::CreateDatasetRequest create;
  create.set_dataset_id("scale");
  if (!datasets.CreateDataset(ctx, create).ok()) return 1;

  // Two folders: the second with 1% of the files re-shot.
  std::vector<std::pair<std::string, int>> paths;
  std::string table = "path,observation_unit,acquired_at,view\n";
  for (int i = 0; i < kItems; ++i) {
    std::string path = absl::StrCat("plants/OU-", i % kUnits, "/img-", i, ".png");
    paths.emplace_back(path, i);
    absl::StrAppend(&table, path, ",OU-", i % kUnits, absl::StrFormat(",2025-04-%02dT10:00:00Z,", 1 + i % 28),
                    i % 2 ? "top" : "side", "\n");
  }
  std::sort(paths.begin(), paths.end());
  auto t0 = Clock::now();
  Digest tree1 = bench::PushTree(&cas, ctx, paths, [](int n) { return FileBytes(n, 1); });
  Digest tree2 =
      bench::PushTree(&cas, ctx, paths, [](int n) { return FileBytes(n, n % 100 == 0 ? 2 : 1); });  // 1% re-shot
  const long rss_after_push = PeakRssMiB();
  Digest table_digest = DigestOf(table);
  std::vector<std::pair<Digest, absl::string_view>> one = {{table_digest, table}};
  if (!cas.BatchUpdate(ctx, one).ok()) return 1;
  std::printf("setup: %d units, 2 x %d files of %d B, item table %.1f MB, pushed in %.1f s\n", kUnits, kItems,
              kFileBytes, table.size() / 1e6, Millis(t0) / 1000);

  std::vector<std::string> names;
  for (const Digest& tree : {tree1, tree2}) {
    v1::CreateDatasetVersionRequest req;
    req.set_parent("datasets/scale");
    *req.mutable_tree() = DigestToProto(tree);
    *req.mutable_item_table() = DigestToProto(table_digest);
    req.set_investigation_revision("investigations/bench");
    auto t = Clock::now();
    auto v = datasets.CreateDatasetVersion(ctx, req);
    double ms = Millis(t);
    if (!v.ok()) {
      std::printf("CreateDatasetVersion failed: %s\n", std::string(v.status().message()).c_str());
      return 1;
    }
    std::printf("CreateDatasetVersion %s: %.0f ms (target < 3,000 ms); %lld items, %lld units\n", v->name().c_str(), ms,
                static_cast<long long>(v->item_count()), static_cast<long long>(v->observation_unit_count()));
    names.push_back(v->name());
  }
  for (int run = 0; run < 3; ++run) {
    v1::DiffDatasetVersionsRequest req;
    req.set_base(names[0]);
    req.set_target(names[1]);
    int64_t changed = 0, pages = 0;
    auto t = Clock::now();
    auto s = datasets.DiffDatasetVersions(ctx, req, [&](const v1::DiffDatasetVersionsResponse& r) {
      if (pages++ == 0) changed = r.changed();
      return true;
    });
    double ms = Millis(t);
    if (!s.ok()) return 1;
    std::printf("DiffDatasetVersions run %d: %.0f ms (target < 300 ms); %lld changed, %lld page(s)\n", run + 1, ms,
                static_cast<long long>(changed), static_cast<long long>(pages));
  }
  {
    v1::ListItemsRequest req;
    req.set_parent(names[1]);
    auto t = Clock::now();
    int n = 0;
    for (int i = 0; i < 100; ++i) {
      req.set_filter(absl::StrCat("link = \"investigations/bench/observationUnits/OU-", (i * 37) % kUnits, "\""));
      auto page = datasets.ListItems(req);
      if (!page.ok()) return 1;
      n += page->items_size();
    }
    std::printf(
        "ListItems first page filtered by one unit: %.2f ms per call over 100 calls (target < 10 ms); "
        "%d items per page\n",
        Millis(t) / 100, n / 100);
  }
  for (int run = 0; run < 3; ++run) {
    v1::ExportDatasetVersionRequest req;
    req.set_name(names[1]);
    size_t bytes = 0;
    auto t = Clock::now();
    auto s = datasets.ExportDatasetVersion(ctx, req, [&](const v1::ExportDatasetVersionResponse& r) {
      bytes += r.data().size();
      return true;
    });
    if (!s.ok()) return 1;
    std::printf("Croissant export run %d: %.0f ms (target < 2,000 ms), %.1f MB\n", run + 1, Millis(t), bytes / 1e6);
  }
  std::printf("peak RSS: %ld MiB (%ld MiB after the push, before the calls measured)\n", PeakRssMiB(), rss_after_push);
  return 0;
}
