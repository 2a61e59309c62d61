// MIAPPE validation at scale (issue #3 target): an investigation with
// 100,000 observation units and 1,000,000 cross-references validated in
// under 2 s. The submission is generated as TSV text (100 studies, 10,000
// biological materials, 100,000 OUs each linking its study, a material, a
// factor level and two hierarchy levels, and 1,000 events naming 500 OUs
// each), then read, loaded and validated exactly as `fairtrace miappe
// validate` does. Prints each phase and the cross-reference count. Then
// imports the same submission through InvestigationRegistry into a fresh
// SQLite store (durable commit) — target < 10 s — in process, so the
// figure is validation + canonical digest + storage, without gRPC transfer.
// Run: build/bench/miappe_bench
//      build/bench/miappe_bench --write DIR   (only writes the TSV sheets to
//      DIR, for the end-to-end process benchmark bench/miappe_e2e.py)
#include <chrono>

#include <cstdio>
#include <string>
#include <vector>
#include "absl/time/clock.h"

#include "absl/strings/str_cat.h"
#include "registry/investigations/investigation_registry.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/temp_dir.h"
#include "validators/miappe/isatab_writer.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

using Clock = std::chrono::steady_clock;
using namespace fairtrace::miappe;

namespace {

double Secs(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Generated {
  std::vector<InputFile> files;
  long long references = 0;
};

Generated Generate() {
  constexpr int kStudies = 100, kBmPerStudy = 100, kOuPerStudy = 1000, kEvents = 1000, kOuPerEvent = 500;
  Generated g;
  std::string inv =
      "investigationId\tinvestigationTitle\tinvestigationDescription\tlicense\tmiappeVersion\n"
      "bench:1\tScale test\tGenerated\tCC-BY-4.0\t1.2\n";
  std::string study =
      "studyId\tstudyTitle\tstudyDescription\tstudyStartDate\tstudyEndDate\tcontactInst\tlocationCountry\tsiteName\t"
      "locationLatitude\tlocationLongitude\tlocationAltitude\texpeDesignDesc\tobsUnitLevelHierarchy\tobsUnitDesc\t"
      "growthFacilityDesc\tgrowthFacilityType\n";
  std::string person = "studyId\tpersonName\tpersonId\tpersonRole\tpersonAffiliation\n";
  std::string bm =
      "studyId\tbiologicalMaterialId\tbiologicalMaterialExtId\torganism\tgenus\tspecies\t"
      "infraspecificName\tmaterialSourceId\tmaterialSourceDoi\n";
  std::string factor = "studyId\texpeFactorType\texpeFactorDesc\texpeFactorValues\n";
  std::string ov = "studyId\tvariableId\tvariableName\ttraitName\tmethodName\tmethodDesc\tmethodRef\tscaleName\n";
  std::string ou = "studyId\tbiologicalMaterialId\tobsUnitId\tobsUnitType\tspatialDistribution\tobsUnitFactorValue\n";
  std::string ev = "studyId\tobsUnitId\teventType\teventDesc\teventDate\n";
  std::string all_studies;
  for (int s = 0; s < kStudies; ++s) {
    std::string sid = absl::StrCat("S", s);
    absl::StrAppend(&all_studies, s ? "; " : "", sid);
    absl::StrAppend(&study, sid, "\tStudy ", s, "\tgenerated\t2025-03-01\t2025-09-30\tExample Institute\tFR\tField ", s,
                    "\t43.6\t3.8\t50 m\tRandomised blocks\tblock>plot\tplots\tfield\tCO_715:0000162\n");
    absl::StrAppend(&factor, sid, "\twatering regime\tby weight\twatered; drought\n");
    for (int b = 0; b < kBmPerStudy; ++b) {
      absl::StrAppend(&bm, sid, "\tBM-", s, "-", b, "\tBiosamples:SAMEA", s * 1000 + b,
                      "\tNCBITAXON:3702\tArabidopsis\tthaliana\tline:L", b, "\tNASC:N", b, "\tdoi:10.1234/bm", b, "\n");
    }
    for (int o = 0; o < kOuPerStudy; ++o) {
      absl::StrAppend(&ou, sid, "\tBM-", s, "-", o % kBmPerStudy, "\tOU-", s, "-", o, "\tplot\tblock:", o / 100,
                      "; plot:", o, "\t", o % 2 ? "watered" : "drought", "\n");
      g.references += 5;  // study, material, factor level, two hierarchy levels
    }
  }
  g.references += 2LL * kStudies * kBmPerStudy;  // materials and factors link their study
  absl::StrAppend(&person, all_studies, "\tAda Example\thttps://orcid.org/0000-0002-1825-0097\tsubmitter\tExample\n");
  g.references += kStudies;
  absl::StrAppend(&ov, all_studies,
                  "\tLeafArea\tLeaf area\tLeaf area\tImaging\ttop view\t"
                  "https://doi.org/10.1234/m\tcm2\n");
  g.references += kStudies;
  for (int e = 0; e < kEvents; ++e) {
    int s = e % kStudies;
    std::string list;
    for (int k = 0; k < kOuPerEvent; ++k) absl::StrAppend(&list, k ? "; " : "", "OU-", s, "-", (e + k) % kOuPerStudy);
    absl::StrAppend(&ev, "S", s, "\t", list, "\tWatering\tdaily\t2025-04-01\n");
    g.references += kOuPerEvent + 1;
  }
  g.files = {{"investigation.tsv", inv},
             {"study.tsv", study},
             {"person.tsv", person},
             {"biological_material.tsv", bm},
             {"experimental_factor.tsv", factor},
             {"observed_variable.tsv", ov},
             {"observation_unit.tsv", ou},
             {"event.tsv", ev}};
  return g;
}

// Three runs of read + load + validate of `files`, as `fairtrace miappe
// validate` does, each printed.
void TimeReadAndValidate(const char* label, const std::vector<InputFile>& files) {
  for (int run = 0; run < 3; ++run) {
    auto t0 = Clock::now();
    std::vector<Finding> pre;
    Submission sub = LoadSheets(files, Schema::Default(), &pre);
    double load = Secs(t0);
    auto t1 = Clock::now();
    Report r = Validate(sub, Schema::Default(), {}, std::move(pre));
    double validate = Secs(t1);
    std::printf(
        "%s run %d: read+load %.3f s, validate %.3f s, total %.3f s (target < 2 s); %zu records, %d errors, "
        "%d warnings\n",
        label, run + 1, load, validate, load + validate, sub.records.size(), r.Count(Severity::kError),
        r.Count(Severity::kWarning));
    if (run == 0 && !r.ok()) std::printf("%s\n", r.ToText().substr(0, 2000).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Generated g = Generate();
  if (argc == 3 && std::string(argv[1]) == "--write") {
    for (const auto& f : g.files) {
      std::FILE* out = std::fopen(absl::StrCat(argv[2], "/", f.name).c_str(), "wb");
      if (out == nullptr || std::fwrite(f.data.data(), 1, f.data.size(), out) != f.data.size()) {
        std::perror(f.name.c_str());
        return 1;
      }
      std::fclose(out);
    }
    return 0;
  }
  size_t bytes = 0;
  for (const auto& f : g.files) bytes += f.data.size();
  std::printf("generated %zu sheets, %.1f MB, %lld cross-references\n", g.files.size(), bytes / 1e6, g.references);
  TimeReadAndValidate("TSV", g.files);
  // The same investigation as ISA-Tab (written by the exporter).
  std::vector<Finding> pre;
  Submission sub = LoadSheets(g.files, Schema::Default(), &pre);
  auto t0 = Clock::now();
  IsaTabExport isa = WriteIsaTab(sub.records);
  double write = Secs(t0);
  size_t isa_bytes = 0;
  for (const auto& f : isa.files) isa_bytes += f.data.size();
  std::printf("ISA-Tab export: %zu files, %.1f MB in %.3f s\n", isa.files.size(), isa_bytes / 1e6, write);
  TimeReadAndValidate("ISA-Tab", isa.files);
  for (int run = 0; run < 3; ++run) {
    fairtrace::testing::TempDir dir;
    auto store = *fairtrace::SqliteBackend::Open({.path = (dir.path() / "db").string()});
    fairtrace::InvestigationRegistry registry(store->content(), store->models(), store->investigations(), "key",
                                              [] { return absl::ToUnixMicros(absl::Now()); });
    fairtrace::v1::ImportInvestigationRequest req;
    req.set_investigation_id("scale");
    for (const auto& f : g.files) {
      auto* sf = req.add_files();
      sf->set_name(f.name);
      sf->set_data(f.data);
    }
    fairtrace::CallContext ctx{"bench", "/ImportInvestigation", std::string(64, '0')};
    auto t0 = Clock::now();
    auto inv = registry.ImportInvestigation(ctx, req);
    double secs = Secs(t0);
    if (!inv.ok()) {
      std::printf("import failed: %s\n", inv.status().ToString().c_str());
      return 1;
    }
    std::printf("import run %d: %.3f s (target < 10 s); revision %lld, %lld entities, digest %.12s...\n", run + 1, secs,
                static_cast<long long>(inv->revision()), static_cast<long long>(inv->entity_count()),
                inv->revision_digest().c_str());
  }
  return 0;
}
