// The split algorithm "fairtrace-split/1" (docs/split-algorithm.md): a
// documented function of (items, parameters, seed) that any language can
// reproduce byte for byte — SHA-256 orders the groups, largest-remainder
// rounding cuts them; no language's PRNG. The Python client carries an
// offline reference (clients/python/fairtrace/split_reference.py) and a
// test shows both give identical parts.
//
// Errors: INVALID_ARGUMENT describing the problem (ratios that do not sum
// to 1, more folds than groups, an item without a label, a group key or an
// acquisition time, ...). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fairtrace::splits {

enum class Method { kHoldout, kKFold, kTemporal };

struct SplitItem {
  std::string path;
  std::string item_digest;  // the dataset item's digest (docs/dataset-format.md)
  std::string group;        // "" when the split is not grouped
  std::string label;        // "" when not stratified
  int64_t acquired_micros = 0;
  bool has_acquired = false;
};

struct SplitParams {
  Method method = Method::kHoldout;
  // Holdout and temporal: part names and ratios, in order (temporal: the
  // first part is the earliest). K-fold: k.
  std::vector<std::pair<std::string, double>> ratios;
  int folds = 0;
  uint64_t seed = 0;
  bool grouped = false, stratified = false;
  // Stratified: the labels in their order (ties of a group's majority
  // label go to the earliest).
  std::vector<std::string> label_order;
};

struct Part {
  std::string name;
  std::vector<size_t> items;  // indices into the input, ascending
  std::string digest;         // PartDigest of its items
  int64_t groups = 0;
};

// The parts, in the parameters' order (k-fold: "fold-1" ... "fold-k").
absl::StatusOr<std::vector<Part>> Split(const std::vector<SplitItem>& items, const SplitParams& params);

// SHA-256 hex of the sorted item digests, each followed by '\n'.
std::string PartDigest(std::vector<std::string> item_digests);

// The order key of a group: SHA-256 hex of decimal(seed) || 0x00 || key.
std::string GroupHash(uint64_t seed, const std::string& key);

// Sizes of `n` units cut by `ratios` (summing to 1): floor(ratio * n), the
// remainder handed one by one to the largest fractional parts (ties: the
// earlier part).
std::vector<int64_t> LargestRemainder(int64_t n, const std::vector<double>& ratios);

// ISO 8601 (as the item table accepts it) as UTC microseconds; a date is
// its midnight UTC. false when it is not one.
bool AcquiredMicros(const std::string& iso, int64_t* out);

}  // namespace fairtrace::splits
