#include "registry/splits/perceptual_hash.h"

#include <gtest/gtest.h>

namespace fairtrace::splits {
namespace {

annotations::Gray Image(int w, int h, int (*f)(int, int)) {
  annotations::Gray g{w, h, std::vector<uint8_t>(static_cast<size_t>(w * h))};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) g.pixels[y * w + x] = static_cast<uint8_t>(f(x, y));
  }
  return g;
}

TEST(DifferenceHash, BrighterToTheRightSetsEveryBit) {
  EXPECT_EQ(DifferenceHash(Image(90, 80, [](int x, int) { return x * 2; })), ~uint64_t{0});
  EXPECT_EQ(DifferenceHash(Image(90, 80, [](int x, int) { return 255 - x * 2; })), 0u);
  // One row flips: only its 8 bits (bits 63-8r .. 56-8r) change.
  uint64_t h = DifferenceHash(Image(90, 80, [](int x, int y) { return y < 10 ? 255 - x * 2 : x * 2; }));
  EXPECT_EQ(h, uint64_t{0x00ffffffffffffff});
}

TEST(DifferenceHash, SmallChangesStayNear) {
  auto a = Image(90, 80, [](int x, int y) { return (x * 3 + y * 2) % 256; });
  auto b = a;
  b.pixels[5] = static_cast<uint8_t>(b.pixels[5] + 3);
  EXPECT_LE(Hamming(DifferenceHash(a), DifferenceHash(b)), 1);
}

TEST(NearPairs, FindsPairsWithinTheDistanceOnly) {
  std::vector<uint64_t> h = {0x0, 0x3, 0xF0F0F0F0F0F0F0F0, 0x1F, 0xF0F0F0F0F0F0F0F1};
  auto pairs = NearPairs(h, 4);
  // 0x0 and 0x1F differ in 5 bits: not a pair.
  std::vector<std::pair<size_t, size_t>> expected = {{0, 1}, {1, 3}, {2, 4}};
  EXPECT_EQ(pairs, expected);
}

TEST(DifferenceHashOf, RefusesWhatItCannotDecode) {
  EXPECT_EQ(DifferenceHashOf("GIF89a", 1 << 20).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DifferenceHashOf(std::string("II*\0", 4), 1 << 20).status().message(),
            "TIFF images are not decoded for perceptual hashes");
}

}  // namespace
}  // namespace fairtrace::splits
