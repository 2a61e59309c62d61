// Near-duplicate leakage at scale (issue 13 target), in process: 10,000
// JPEG images of 512 x 512 (quality 85; every 100th re-encoded with one
// pixel changed, a near duplicate) split 80/20, then CheckLeakage with
// near_duplicates — hashes computed by two workers — and again (hashes from
// the cache). The same for 2,000 PNG images, to report PNG's cost.
//   near-duplicate check over 10,000 JPEGs          < 10 s on 2 cores
// Run: build/bench/near_duplicate_bench
#include <cstdio>
#include <random>
#include <string>
#include <vector>

// clang-format off
#include <jpeglib.h>
// clang-format on

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "registry/annotations/image_io.h"
#include "registry/cas/blob_store.h"
#include "registry/datasets/dataset_registry.h"
#include "registry/splits/split_registry.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/temp_dir.h"

using namespace fairtrace;
using bench::Clock;
using bench::Millis;

namespace {

constexpr int kSide = 512;

// Picture n: an 8 x 8 grid of random intensities (seeded by n), 64-pixel
// blocks, with a fine texture — every picture its own difference hash.
std::vector<unsigned char> Pixels(int n) {
  std::mt19937 rng(static_cast<unsigned>(n) * 2654435761u + 1);
  int grid[8][8][3];
  for (auto& row : grid) {
    for (auto& cell : row) {
      for (int& c : cell) c = static_cast<int>(rng() % 224);
    }
  }
  std::vector<unsigned char> rgb(kSide * kSide * 3);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      unsigned char* p = &rgb[(y * kSide + x) * 3];
      for (int c = 0; c < 3; ++c) p[c] = static_cast<unsigned char>(grid[y / 64][x / 64][c] + ((x ^ y) & 31));
    }
  }
  return rgb;
}

std::string Jpeg(const std::vector<unsigned char>& rgb) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &out, &size);
  c.image_width = kSide;
  c.image_height = kSide;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 85, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(&rgb[c.next_scanline * kSide * 3]);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string s(reinterpret_cast<char*>(out), size);
  free(out);
  return s;
}

std::string Png(const std::vector<unsigned char>& rgb) {
  annotations::Mask gray{kSide, kSide, std::vector<uint16_t>(kSide * kSide)};
  for (int i = 0; i < kSide * kSide; ++i) gray.pixels[i] = rgb[3 * i];
  return annotations::EncodeMaskPng(gray);
}

// The image of item n: its own picture, except that item n (n % 100 == 1)
// is item n - 1's picture with one pixel changed.
std::string ImageOf(int n, bool jpeg) {
  std::vector<unsigned char> rgb = Pixels(n % 100 == 1 ? n - 1 : n);
  if (n % 100 == 1) rgb[0] = static_cast<unsigned char>(rgb[0] + 9);
  return jpeg ? Jpeg(rgb) : Png(rgb);
}

int Run(const char* kind, int images, bool jpeg) {
  testing::TempDir dir;
  auto backend = *SqliteBackend::Open({.path = (dir.path() / "db").string()});
  auto blobs = *BlobStore::Open(dir.path() / "cas");
  ContentStore cas(backend->content(), blobs.get(), CasLimits{});
  auto now = [] { return absl::ToUnixMicros(absl::Now()); };
  DatasetRegistry datasets(backend->content(), &cas, backend->models(), backend->investigations(), backend->datasets(),
                           "key", now);
  SplitRegistry splits(backend->content(), &cas, backend->models(), backend->datasets(), backend->annotations(),
                       backend->investigations(), backend->splits(), backend->runs(), "key", now);
  CallContext ctx{"bench", "/fairtrace.v1.SplitService/CheckLeakage", std::string(64, '0')};
  std::vector<std::pair<std::string, int>> paths;
  for (int i = 0; i < images; ++i) paths.emplace_back(absl::StrCat("img-", 100000 + i, jpeg ? ".jpg" : ".png"), i);
  auto t0 = Clock::now();
  Digest tree = bench::PushTree(&cas, ctx, paths, [&](int n) { return ImageOf(n, jpeg); });
  std::printf("%s: %d images of %dx%d made and stored in %.1f s\n", kind, images, kSide, kSide, Millis(t0) / 1000);
  v1::CreateDatasetRequest create;
  create.set_dataset_id("near");
  if (!datasets.CreateDataset(ctx, create).ok()) return 1;
  v1::CreateDatasetVersionRequest version;
  version.set_parent("datasets/near");
  *version.mutable_tree() = DigestToProto(tree);
  if (!datasets.CreateDatasetVersion(ctx, version).ok()) return 1;
  v1::CreateSplitRequest req;
  req.set_parent("datasets/near/versions/1");
  req.set_split_id("holdout");
  req.mutable_split()->set_method(v1::SPLIT_METHOD_HOLDOUT);
  for (auto [part, ratio] : {std::pair<const char*, double>{"train", 0.8}, {"test", 0.2}}) {
    v1::PartRatio* r = req.mutable_split()->add_ratios();
    r->set_part(part);
    r->set_ratio(ratio);
  }
  if (!splits.CreateSplit(ctx, req).ok()) return 1;
  for (const char* pass : {"hashes computed", "hashes cached"}) {
    v1::CheckLeakageRequest check;
    check.set_split("datasets/near/versions/1/splits/holdout");
    check.set_near_duplicates(true);
    t0 = Clock::now();
    auto report = splits.CheckLeakage(ctx, check);
    if (!report.ok()) {
      std::printf("CheckLeakage failed: %s\n", report.status().ToString().c_str());
      return 1;
    }
    int64_t near = 0;
    for (const auto& f : report->findings()) near += f.kind() == "near_duplicate" ? f.count() : 0;
    const double seconds = Millis(t0) / 1000;
    auto doc = cas.ReadBlob({report->document().sha256(), report->document().size_bytes()}, 16 << 20);
    if (!doc.ok()) return 1;
    auto j = nlohmann::json::parse(*doc);
    std::printf(
        "%s: CheckLeakage with near duplicates (%s): %.2f s; %lld near-duplicate pair(s) across parts; "
        "%s images hashed now, %s refused\n",
        kind, pass, seconds, static_cast<long long>(near), j["near_duplicates"]["computed_now"].dump().c_str(),
        j["near_duplicates"]["refused"].dump().c_str());
  }
  return 0;
}

}  // namespace

int main() {
  if (int rc = Run("JPEG", 10'000, true); rc != 0) return rc;
  if (int rc = Run("PNG", 2'000, false); rc != 0) return rc;
  std::printf("peak RSS: %ld MiB\n", bench::PeakRssMiB());
  return 0;
}
