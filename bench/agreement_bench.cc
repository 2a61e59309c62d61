// Annotation sets and agreement at scale (issue 12 targets), in process:
//   Fleiss' kappa + Krippendorff's alpha (nominal), 3 raters x 100,000
//   labels, point estimates                                    < 1 s
//   the same with a 1,000-replicate bootstrap                  < 5 s
//   Dice over 1,000 mask pairs of 512 x 512 (PNG decoding included) < 2 s
//   importing a 100,000-annotation COCO file (CreateAnnotationSet on a
//   fresh SQLite store: parse, checks, one durable commit)     < 5 s
// plus, for context, the whole report (every coefficient, per category,
// worst items) of the labels and of the two 100,000-box sets, and the
// process's peak RSS. Run: build/bench/agreement_bench
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "registry/annotations/agreement_math.h"
#include "registry/annotations/agreement_report.h"
#include "registry/annotations/annotation_registry.h"
#include "registry/annotations/image_io.h"
#include "registry/cas/blob_store.h"
#include "registry/datasets/dataset_registry.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/temp_dir.h"

using namespace fairtrace;
using bench::Clock;
using bench::Millis;
using bench::PeakRssMiB;

namespace {

constexpr int kLabels = 100'000, kMasks = 1000, kSide = 512, kImages = 10'000, kBoxesPerImage = 10;

void Labels() {
  std::mt19937 rng(1);
  agreement::Table t(kLabels, 3);
  std::vector<annotations::SetData> sets(3);
  for (int r = 0; r < 3; ++r) {
    sets[r].name = absl::StrCat("set-", r);
    for (int c = 0; c < 5; ++c) sets[r].categories.push_back({c, absl::StrCat("c", c)});
  }
  for (int u = 0; u < kLabels; ++u) {
    const int truth = static_cast<int>(rng() % 5);
    for (int r = 0; r < 3; ++r) {
      const int label = rng() % 10 < 7 ? truth : static_cast<int>(rng() % 5);
      t.set(u, r, label);
      AnnotationRow a;
      a.path = absl::StrCat("img/", u, ".png");
      a.category_id = label;
      sets[r].annotations.push_back(std::move(a));
    }
  }
  for (int run = 0; run < 3; ++run) {
    auto t0 = Clock::now();
    const agreement::LabelStats summary(t, 5);  // what the server builds once per report
    agreement::Estimate f = agreement::FleissKappa(summary);
    agreement::Estimate a = agreement::KrippendorffAlpha(summary, agreement::Metric::kNominal);
    std::printf("labels 3 x %d: Fleiss kappa %.4f + alpha %.4f point estimates: %.0f ms (target < 1,000 ms)\n", kLabels,
                f.value, a.value, Millis(t0));
  }
  for (int run = 0; run < 2; ++run) {
    auto t0 = Clock::now();
    const agreement::LabelStats summary(t, 5);
    auto ci = agreement::BootstrapIntervals(kLabels, 1000, 7, [&](agreement::Weights w) {
      return std::vector<agreement::Estimate>{agreement::FleissKappa(summary, w),
                                              agreement::KrippendorffAlpha(summary, agreement::Metric::kNominal, w)};
    });
    std::printf(
        "labels 3 x %d: the same with 1,000 bootstrap replicates: %.0f ms (target < 5,000 ms); "
        "Fleiss CI [%.4f, %.4f]\n",
        kLabels, Millis(t0), ci[0].lower.value, ci[0].upper.value);
  }
  annotations::AgreementInput in;
  in.task = annotations::TaskType::kLabels;
  in.sets = sets;
  annotations::AgreementOptions o;
  o.seed = 7;
  for (int replicates : {0, 1000}) {
    o.replicates = replicates;
    auto t0 = Clock::now();
    auto r = annotations::ComputeAgreementReport(in, o);
    if (!r.ok()) std::abort();
    std::printf(
        "labels: the whole report (percent, Fleiss, alpha, 5 per-category kappas, worst items), "
        "%d replicates: %.0f ms\n",
        replicates, Millis(t0));
  }
}

// A 512 x 512 mask of 3 classes: a leaf disc and a stem bar that move a
// little between raters, plus scattered noise.
std::string MaskPng(int item, int rater, std::mt19937& rng) {
  annotations::Mask m{kSide, kSide, std::vector<uint16_t>(kSide * kSide, 0)};
  const int cx = 200 + item % 100 + rater * 3, cy = 250 + rater * 2, radius = 120 + item % 30;
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      uint16_t v = 0;
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius) v = 1;
      if (x > 380 + rater * 2 && x < 400 && y > 50) v = 2;
      if (rng() % 200 == 0) v = static_cast<uint16_t>(rng() % 3);
      m.pixels[y * kSide + x] = v;
    }
  }
  return annotations::EncodeMaskPng(m);
}

void Masks() {
  std::mt19937 rng(2);
  std::map<std::string, std::string> pngs;  // digest -> bytes
  annotations::AgreementInput in;
  in.task = annotations::TaskType::kMasks;
  in.sets.resize(2);
  size_t bytes = 0;
  for (int r = 0; r < 2; ++r) {
    in.sets[r].name = absl::StrCat("painter-", r);
    in.sets[r].categories = {{1, "leaf"}, {2, "stem"}};
    for (int i = 0; i < kMasks; ++i) {
      std::string png = MaskPng(i, r, rng);
      bytes += png.size();
      AnnotationRow a;
      a.path = absl::StrCat("img/", i, ".png");
      a.mask_digest = DigestOf(png).ToString();
      pngs.emplace(a.mask_digest, std::move(png));
      in.sets[r].annotations.push_back(std::move(a));
    }
  }
  in.load_mask = [&](const std::string& d) { return annotations::DecodeMask(pngs.at(d), int64_t{1} << 26); };
  std::printf("masks: 2 x %d PNGs of %dx%d, %.1f MB encoded\n", kMasks, kSide, kSide, bytes / 1e6);
  annotations::AgreementOptions o;
  for (int replicates : {0, 0, 1000}) {
    o.replicates = replicates;
    auto t0 = Clock::now();
    auto r = annotations::ComputeAgreementReport(in, o);
    if (!r.ok()) std::abort();
    std::printf(
        "masks: Dice/IoU per class over %d pairs (PNG decoding included), %d replicates: %.0f ms "
        "(target < 2,000 ms); dice_mean %.4f\n",
        kMasks, replicates, Millis(t0), r->overall[0].estimate.value);
  }
}

std::string Coco(int shift, std::mt19937& rng) {
  nlohmann::json images = nlohmann::json::array(), anns = nlohmann::json::array();
  for (int i = 0; i < kImages; ++i) {
    images.push_back({{"id", i + 1}, {"file_name", absl::StrCat("img/", i, ".png")}, {"width", 640}, {"height", 480}});
    for (int b = 0; b < kBoxesPerImage; ++b) {
      const double x = 10 + 60 * b + shift * (rng() % 3), y = 20 + 30 * b;
      anns.push_back({{"id", i * kBoxesPerImage + b + 1},
                      {"image_id", i + 1},
                      {"category_id", 1 + b % 3},
                      {"bbox", {x, y, 40.5, 25.25}},
                      {"area", 40.5 * 25.25},
                      {"iscrowd", 0}});
    }
  }
  nlohmann::json cats = {{{"id", 1}, {"name", "leaf"}}, {{"id", 2}, {"name", "flower"}}, {{"id", 3}, {"name", "pod"}}};
  return nlohmann::json{{"images", images}, {"annotations", anns}, {"categories", cats}}.dump();
}

int CocoImport() {
  testing::TempDir dir;
  auto backend = *SqliteBackend::Open({.path = (dir.path() / "db").string()});
  auto blobs = *BlobStore::Open(dir.path() / "cas");
  ContentStore cas(backend->content(), blobs.get(), CasLimits{});
  auto now = [] { return absl::ToUnixMicros(absl::Now()); };
  DatasetRegistry datasets(backend->content(), &cas, backend->models(), backend->investigations(), backend->datasets(),
                           "key", now);
  AnnotationRegistry annotations(backend->content(), &cas, backend->models(), backend->datasets(),
                                 backend->annotations(), backend->investigations(), "key", now);
  CallContext ctx{"bench", "/fairtrace.v1.AnnotationService/CreateAnnotationSet", std::string(64, '0')};
  std::vector<std::pair<std::string, int>> paths;
  for (int i = 0; i < kImages; ++i) paths.emplace_back(absl::StrCat("img/", i, ".png"), i);
  std::sort(paths.begin(), paths.end());
  Digest tree = bench::PushTree(&cas, ctx, paths, [](int n) { return absl::StrCat("image ", n); });
  v1::CreateDatasetRequest create;
  create.set_dataset_id("boxes");
  if (!datasets.CreateDataset(ctx, create).ok()) return 1;
  v1::CreateDatasetVersionRequest version;
  version.set_parent("datasets/boxes");
  *version.mutable_tree() = DigestToProto(tree);
  if (!datasets.CreateDatasetVersion(ctx, version).ok()) return 1;
  std::mt19937 rng(3);
  std::vector<std::string> names;
  for (int rater = 0; rater < 2; ++rater) {
    std::string coco = Coco(rater, rng);
    Digest d = DigestOf(coco);
    std::vector<std::pair<Digest, absl::string_view>> one = {{d, coco}};
    auto put = cas.BatchUpdate(ctx, one);  // ~12 MB: one batch (at most 15 MiB)
    if (!put.ok() || !(*put)[0].ok()) return 1;
    v1::CreateAnnotationSetRequest req;
    req.set_parent("datasets/boxes/versions/1");
    req.set_annotation_set_id(absl::StrCat("rater-", rater));
    v1::AnnotationSet* s = req.mutable_annotation_set();
    s->set_task(v1::ANNOTATION_TASK_BOXES);
    s->set_format(v1::ANNOTATION_FORMAT_COCO_JSON);
    *s->mutable_source_blob() = DigestToProto(d);
    auto t0 = Clock::now();
    auto set = annotations.CreateAnnotationSet(ctx, req);
    if (!set.ok()) {
      std::printf("CreateAnnotationSet failed: %s\n", set.status().ToString().c_str());
      return 1;
    }
    std::printf("COCO import of %lld boxes on %d images (%.1f MB): %.0f ms (target < 5,000 ms)\n",
                static_cast<long long>(set->annotation_count()), kImages, coco.size() / 1e6, Millis(t0));
    names.push_back(set->name());
  }
  v1::ComputeAgreementRequest agree;
  for (const std::string& n : names) agree.add_annotation_sets(n);
  agree.set_seed(1);
  auto t0 = Clock::now();
  auto report = annotations.ComputeAgreement(ctx, agree);
  if (!report.ok()) {
    std::printf("ComputeAgreement failed: %s\n", report.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "boxes: ComputeAgreement of 2 x %d boxes (Hungarian per image and category, 1,000 replicates, stored): "
      "%.0f ms; f1 %.4f\n",
      kImages * kBoxesPerImage, Millis(t0), report->overall(0).value());
  return 0;
}

}  // namespace

int main() {
  Labels();
  Masks();
  if (int rc = CocoImport(); rc != 0) return rc;
  std::printf("peak RSS: %ld MiB\n", PeakRssMiB());
  return 0;
}
