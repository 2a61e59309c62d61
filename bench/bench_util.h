// Helpers the in-process benchmarks share: a stopwatch, the peak RSS, and
// pushing a folder's worth of files into a ContentStore. Benchmarks only;
// aborts on failure (a broken setup is not a measurement).
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/content/tree.h"
#include "fairtrace/v1/investigations.pb.h"
#include "registry/content/content_store.h"

namespace fairtrace::bench {

using Clock = std::chrono::steady_clock;

inline double Millis(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Microseconds at the 50th and 99th percentiles of `n` timed calls of
// `fn(i)`.
struct Percentiles {
  double p50, p99;
};
template <typename Fn>
Percentiles Time(int n, Fn fn) {
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    fn(i);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

inline long PeakRssMiB() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// Stores the files (made by `bytes_of(n)`, in batches so that the bench's
// own memory stays small) and registers their tree. `paths` (path, n)
// sorted by path.
inline Digest PushTree(ContentStore* cas, const CallContext& ctx, const std::vector<std::pair<std::string, int>>& paths,
                       const std::function<std::string(int)>& bytes_of) {
  std::vector<TreeEntry> entries;
  entries.reserve(paths.size());
  std::vector<std::string> data;
  size_t bytes = 0;
  auto flush = [&] {
    std::vector<std::pair<Digest, absl::string_view>> batch;
    for (const std::string& d : data) batch.emplace_back(DigestOf(d), d);
    if (!batch.empty() && !cas->BatchUpdate(ctx, batch).ok()) std::abort();
    data.clear();
    bytes = 0;
  };
  // Batches of at most 1,000 files or 8 MiB (a batch call holds 15 MiB).
  for (const auto& [path, n] : paths) {
    std::string d = bytes_of(n);
    if (data.size() == 1000 || bytes + d.size() > (8u << 20)) flush();
    entries.push_back({path, DigestOf(d), false});
    bytes += d.size();
    data.push_back(std::move(d));
  }
  flush();
  std::string manifest = *EncodeTree(entries);
  Digest tree = DigestOf(manifest);
  std::vector<std::pair<Digest, absl::string_view>> one = {{tree, manifest}};
  if (!cas->BatchUpdate(ctx, one).ok() || !cas->CreateTree(ctx, tree).ok()) std::abort();
  return tree;
}

// The import of a scale investigation "bench": one study, 20 biological
// materials and `units` observation units OU-0 ... (material BM-(n % 20)).
inline v1::ImportInvestigationRequest ScaleInvestigation(int units) {
  v1::ImportInvestigationRequest imp;
  imp.set_investigation_id("bench");
  auto add = [&](const std::string& name, std::string data) {
    v1::SheetFile* f = imp.add_files();
    f->set_name(name);
    f->set_data(std::move(data));
  };
  add("investigation.tsv", "investigationId\tinvestigationTitle\tmiappeVersion\nbench:1\tScale\t1.2\n");
  add("study.tsv",
      "studyId\tstudyTitle\tstudyStartDate\tcontactInst\tlocationCountry\tsiteName\texpeDesignDesc\tobsUnitDesc\t"
      "growthFacilityDesc\nS1\tScale\t2025-03-01\tInst\tFR\tSite\tRCB\tplants\tchamber\n");
  add("person.tsv", "studyId\tpersonName\tpersonRole\tpersonAffiliation\nS1\tAda\tsubmitter\tInst\n");
  std::string bm = "studyId\tbiologicalMaterialId\torganism\tgenus\tspecies\n";
  for (int b = 0; b < 20; ++b) absl::StrAppend(&bm, "S1\tBM-", b, "\tNCBITAXON:3702\tArabidopsis\tthaliana\n");
  add("biological_material.tsv", bm);
  std::string ou = "studyId\tbiologicalMaterialId\tobsUnitId\tobsUnitType\n";
  for (int o = 0; o < units; ++o) absl::StrAppend(&ou, "S1\tBM-", o % 20, "\tOU-", o, "\tplant\n");
  add("observation_unit.tsv", ou);
  add("observed_variable.tsv",
      "studyId\tvariableId\ttraitName\tmethodName\tscaleName\nS1\tLeafArea\tLeaf area\tImaging\tcm2\n");
  return imp;
}

}  // namespace fairtrace::bench
