#include "registry/splits/perceptual_hash.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace fairtrace::splits {

uint64_t DifferenceHash(const annotations::Gray& g) {
  double cell[8][9];
  for (int r = 0; r < 8; ++r) {
    const int64_t y0 = r * g.height / 8, y1 = std::max(y0 + 1, (r + 1) * g.height / 8);
    for (int c = 0; c < 9; ++c) {
      const int64_t x0 = c * g.width / 9, x1 = std::max(x0 + 1, (c + 1) * g.width / 9);
      double sum = 0;
      int64_t n = 0;
      for (int64_t y = y0; y < y1 && y < g.height; ++y) {
        for (int64_t x = x0; x < x1 && x < g.width; ++x, ++n) sum += g.pixels[y * g.width + x];
      }
      cell[r][c] = n > 0 ? sum / static_cast<double>(n) : 0;
    }
  }
  uint64_t h = 0;
  for (int r = 0; r < 8; ++r) {
    for (int c = 0; c < 8; ++c) h = (h << 1) | (cell[r][c] < cell[r][c + 1] ? 1 : 0);
  }
  return h;
}

absl::StatusOr<uint64_t> DifferenceHashOf(absl::string_view bytes, int64_t max_pixels) {
  absl::StatusOr<annotations::Gray> g = annotations::DecodeGray(bytes, max_pixels, 72, 64);
  if (!g.ok()) return g.status();
  if (g->width < 1 || g->height < 1) return absl::InvalidArgumentError("an empty image");
  return DifferenceHash(*g);
}

std::vector<std::pair<size_t, size_t>> NearPairs(const std::vector<uint64_t>& hashes, int max_distance) {
  std::vector<std::pair<size_t, size_t>> out;
  constexpr int kShift[] = {0, 13, 26, 39, 52};
  constexpr int kBits[] = {13, 13, 13, 13, 12};
  absl::flat_hash_set<std::pair<size_t, size_t>> seen;
  for (int chunk = 0; chunk < 5; ++chunk) {
    absl::flat_hash_map<uint64_t, std::vector<size_t>> buckets;
    for (size_t i = 0; i < hashes.size(); ++i) {
      buckets[(hashes[i] >> kShift[chunk]) & ((uint64_t{1} << kBits[chunk]) - 1)].push_back(i);
    }
    for (const auto& [key, members] : buckets) {
      for (size_t a = 0; a < members.size(); ++a) {
        for (size_t b = a + 1; b < members.size(); ++b) {
          if (Hamming(hashes[members[a]], hashes[members[b]]) > max_distance) continue;
          if (seen.insert({members[a], members[b]}).second) out.emplace_back(members[a], members[b]);
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace fairtrace::splits
