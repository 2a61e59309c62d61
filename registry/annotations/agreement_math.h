// Agreement coefficients between raters (docs/agreement.md, formulas in
// ../shared/COMPLIANCE.md §5). Pure functions over a units × raters table;
// no I/O, no allocation beyond their own scratch.
//
// Every coefficient takes optional unit weights: weight w counts a unit w
// times (0 leaves it out). The bootstrap draws units with replacement and
// passes the draw counts as weights, so one code path serves the point
// estimate (no weights) and every replicate.
//
// A coefficient that is not a number (κ with p_e = 1, α with no expected
// disagreement, too few units) is an Estimate with defined = false and the
// reason in words — never NaN, never a made-up number.
//
// Thread-safe (no shared state).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace fairtrace::agreement {

struct Estimate {
  bool defined = false;
  double value = 0;
  std::string undefined_reason;  // set when !defined
  static Estimate Of(double v) { return Estimate{true, v, {}}; }
  static Estimate Undefined(std::string why) { return Estimate{false, 0, std::move(why)}; }
};

// A units × raters table of ratings; NaN is "not rated". Categorical
// ratings hold the category's index (0..K-1) as a double; for ordinal
// measures the index is the category's rank.
class Table {
 public:
  Table(size_t units, int raters) : units_(units), raters_(raters), v_(units * raters, std::nan("")) {}
  size_t units() const { return units_; }
  int raters() const { return raters_; }
  double at(size_t unit, int rater) const { return v_[unit * raters_ + rater]; }
  void set(size_t unit, int rater, double value) { v_[unit * raters_ + rater] = value; }
  static bool missing(double v) { return std::isnan(v); }

 private:
  size_t units_;
  int raters_;
  std::vector<double> v_;
};

// Unit weights: empty = every unit once.
using Weights = absl::Span<const uint32_t>;

// Categorical ratings summarised once: units with the same ratings
// pattern (the count in each category, and the first two raters' ratings)
// are grouped, so every coefficient costs one pass adding up the units'
// weights per pattern plus O(patterns x categories) — with 3 raters and 5
// categories there are at most a few dozen patterns, whatever the number
// of units. That keeps each bootstrap replicate cheap. Ratings outside
// 0..K-1 count as missing.
class LabelStats {
 public:
  LabelStats(const Table& t, int categories);
  size_t units() const { return pattern_of_.size(); }
  size_t patterns() const { return rated_.size(); }
  int raters() const { return raters_; }
  int categories() const { return k_; }
  // Of pattern p:
  int rated(size_t p) const { return rated_[p]; }
  int count(size_t p, int c) const { return counts_[p * k_ + c]; }
  int first(size_t p) const { return first_[p]; }  // rater 0's category, -1 when missing
  int second(size_t p) const { return second_[p]; }
  // The summed weight of each pattern's units (empty `w`: one each).
  std::vector<double> PatternWeights(absl::Span<const uint32_t> w) const;
  // Units whose pattern is `p`, with unit weights of one.
  int64_t multiplicity(size_t p) const { return multiplicity_[p]; }

 private:
  int raters_, k_;
  std::vector<uint32_t> pattern_of_;  // per unit
  std::vector<int32_t> counts_;       // patterns x k
  std::vector<int32_t> rated_, first_, second_;
  std::vector<int64_t> multiplicity_;
};

// Raw agreement: over units rated by >= 2 raters, the weighted mean share
// of agreeing rater pairs (for two raters: the share of units where both
// gave the same rating).
Estimate PercentAgreement(const Table& t, Weights w = {});
Estimate PercentAgreement(const LabelStats& s, Weights w = {});

enum class KappaWeighting { kNone, kQuadratic };
// Cohen's κ (2 raters, units both rated); quadratic weights (i - j)^2 over
// the K ordered categories give weighted κ. Undefined when p_e = 1 (both
// raters used one and the same category) or no unit is rated by both.
Estimate CohenKappa(const Table& t, int categories, KappaWeighting weighting, Weights w = {});
Estimate CohenKappa(const LabelStats& s, KappaWeighting weighting, Weights w = {});

// Fleiss' κ over the units rated by every rater (`left_out`, when given,
// receives the number of units left out). `per_category`, when given,
// receives the category-specific κ_j = 1 - Σ_i n_ij (n - n_ij) /
// (N n (n - 1) p_j (1 - p_j)) (undefined when p_j is 0 or 1).
Estimate FleissKappa(const Table& t, int categories, Weights w = {}, size_t* left_out = nullptr,
                     std::vector<Estimate>* per_category = nullptr);
Estimate FleissKappa(const LabelStats& s, Weights w = {}, size_t* left_out = nullptr,
                     std::vector<Estimate>* per_category = nullptr);

enum class Metric { kNominal, kOrdinal, kInterval };
// Krippendorff's α, missing ratings allowed; units with fewer than two
// ratings are not pairable and do not count. Nominal and ordinal need the
// number of categories (ordinal ranks are the indices); interval uses the
// values as numbers. Undefined when there is no expected disagreement.
Estimate KrippendorffAlpha(const Table& t, Metric metric, int categories, Weights w = {});
// Nominal or ordinal only.
Estimate KrippendorffAlpha(const LabelStats& s, Metric metric, Weights w = {});

// ICC(2,1) (two-way random effects, absolute agreement, single rater;
// Shrout & Fleiss 1979) over the units rated by every rater.
Estimate Icc21(const Table& t, Weights w = {}, size_t* left_out = nullptr);

// Bland–Altman between raters a and b over units both rated: the bias is
// the mean of (a - b), the limits bias ± 1.96 sd (sd with n - 1).
struct BlandAltman {
  size_t n = 0;
  Estimate bias, sd, lower, upper;
};
BlandAltman BlandAltmanOf(const Table& t, int a, int b, Weights w = {});

// Mean and sample standard deviation of `values` (weighted by counts).
struct MeanSd {
  size_t n = 0;
  Estimate mean, sd;
};
MeanSd MeanSdOf(absl::Span<const double> values, Weights w = {});

// One-to-one matching of two sets of instances maximising the summed IoU
// among pairs with IoU >= threshold (Hungarian algorithm on cost 1 - IoU,
// pairs under the threshold forbidden). iou(i, j) is IoU of a_i and b_j.
struct Matching {
  std::vector<std::pair<int, int>> pairs;  // (i, j) matched
  std::vector<double> ious;                // of each pair
};
Matching MatchInstances(int a_count, int b_count, const std::function<double(int, int)>& iou, double threshold = 0.5);

// Percentile bootstrap: `replicates` draws of `units` units with
// replacement from a SplitMix64 stream seeded with `seed` (docs/agreement.md
// gives the exact draw), `statistic` evaluated on each draw's counts. The
// 95 % interval is the 2.5th and 97.5th percentile (linear interpolation)
// of the defined replicates; undefined when fewer than half are defined.
struct Interval {
  Estimate lower, upper;
  int defined_replicates = 0;
};
Interval BootstrapInterval(size_t units, int replicates, uint64_t seed,
                           const std::function<Estimate(Weights)>& statistic);

// The same for statistics computed together (Fleiss' κ and its per
// category κ_j): one draw per replicate, one interval per statistic.
std::vector<Interval> BootstrapIntervals(size_t units, int replicates, uint64_t seed,
                                         const std::function<std::vector<Estimate>(Weights)>& statistics);

// The generator: SplitMix64 (Steele, Lea, Flood 2014), and an index in
// [0, n) by Lemire's multiply-shift with rejection (unbiased, no division
// in the common case).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  uint64_t Below(uint64_t n);

 private:
  uint64_t state_;
};

}  // namespace fairtrace::agreement
