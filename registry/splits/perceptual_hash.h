// The 64-bit difference hash (dHash) of an image, for near-duplicate
// leakage (docs/splits.md, "Near duplicates"): the image as 8-bit luma
// (annotations::DecodeGray: BT.601 weights, EXIF orientation applied, JPEG
// through libjpeg-turbo's scaled IDCT keeping at least 72 x 64 pixels),
// shrunk to 9 x 8 by box averages (cell (c, r) averages the pixels with
// floor(c W / 9) <= x < max(that + 1, floor((c + 1) W / 9)), rows alike),
// then bit 63 - (8 r + c) is set when cell (c, r) < cell (c + 1, r).
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/annotations/image_io.h"

namespace fairtrace::splits {

uint64_t DifferenceHash(const annotations::Gray& image);
// Decodes and hashes; INVALID_ARGUMENT naming why an image is refused.
absl::StatusOr<uint64_t> DifferenceHashOf(absl::string_view bytes, int64_t max_pixels);
inline int Hamming(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

// Pairs (i, j), i < j, of `hashes` within `max_distance` (at most 4): the
// 64 bits cut in 5 chunks, candidates share one chunk (pigeonhole), so the
// work grows with the candidates, not with n².
std::vector<std::pair<size_t, size_t>> NearPairs(const std::vector<uint64_t>& hashes, int max_distance);

}  // namespace fairtrace::splits
