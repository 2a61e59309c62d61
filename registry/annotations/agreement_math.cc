#include "registry/annotations/agreement_math.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace fairtrace::agreement {
namespace {

double WeightOf(Weights w, size_t u) { return w.empty() ? 1.0 : static_cast<double>(w[u]); }

constexpr double kTiny = 1e-12;

// The ratings of one unit that are present.
void Present(const Table& t, size_t u, std::vector<double>* out) {
  out->clear();
  for (int r = 0; r < t.raters(); ++r) {
    if (double v = t.at(u, r); !Table::missing(v)) out->push_back(v);
  }
}

int CategoryOf(double v, int categories) {
  int c = static_cast<int>(v);
  return (c >= 0 && c < categories && static_cast<double>(c) == v) ? c : -1;
}

}  // namespace

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::Below(uint64_t n) {
  // Lemire (2019), "Fast random integer generation in an interval": the high
  // word of z * n, redrawn when the low word falls below 2^64 mod n.
  unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(Next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

LabelStats::LabelStats(const Table& t, int categories) : raters_(t.raters()), k_(categories), pattern_of_(t.units()) {
  absl::flat_hash_map<std::vector<int32_t>, uint32_t> index;
  std::vector<int32_t> key(static_cast<size_t>(categories) + 3);
  for (size_t u = 0; u < t.units(); ++u) {
    std::fill(key.begin(), key.end(), 0);
    key[categories + 1] = key[categories + 2] = -1;
    for (int r = 0; r < t.raters(); ++r) {
      const int c = CategoryOf(t.at(u, r), categories);
      if (c < 0) continue;
      ++key[c];
      ++key[categories];
      if (r == 0) key[categories + 1] = c;
      if (r == 1) key[categories + 2] = c;
    }
    auto [it, fresh] = index.try_emplace(key, static_cast<uint32_t>(rated_.size()));
    if (fresh) {
      counts_.insert(counts_.end(), key.begin(), key.begin() + categories);
      rated_.push_back(key[categories]);
      first_.push_back(key[categories + 1]);
      second_.push_back(key[categories + 2]);
      multiplicity_.push_back(0);
    }
    pattern_of_[u] = it->second;
    ++multiplicity_[it->second];
  }
}

std::vector<double> LabelStats::PatternWeights(absl::Span<const uint32_t> w) const {
  std::vector<double> out(patterns(), 0.0);
  if (w.empty()) {
    for (size_t p = 0; p < patterns(); ++p) out[p] = static_cast<double>(multiplicity_[p]);
    return out;
  }
  for (size_t u = 0; u < pattern_of_.size(); ++u) out[pattern_of_[u]] += w[u];
  return out;
}

Estimate PercentAgreement(const Table& t, Weights w) {
  // Values compared as they are (they need not be category indices).
  double total = 0, agree = 0;
  std::vector<double> v;
  for (size_t u = 0; u < t.units(); ++u) {
    const double wu = WeightOf(w, u);
    if (wu == 0) continue;
    Present(t, u, &v);
    if (v.size() < 2) continue;
    double same = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      for (size_t j = i + 1; j < v.size(); ++j) same += v[i] == v[j] ? 1 : 0;
    }
    total += wu;
    agree += wu * same / (static_cast<double>(v.size()) * (v.size() - 1) / 2);
  }
  if (total == 0) return Estimate::Undefined("no unit is rated by two raters");
  return Estimate::Of(agree / total);
}

Estimate PercentAgreement(const LabelStats& s, Weights w) {
  double total = 0, agree = 0;
  const int k = s.categories();
  const std::vector<double> pw = s.PatternWeights(w);
  for (size_t u = 0; u < s.patterns(); ++u) {
    const double wu = pw[u];
    const double m = s.rated(u);
    if (wu == 0 || m < 2) continue;
    double same = 0;
    for (int c = 0; c < k; ++c) {
      const double n = s.count(u, c);
      same += n * (n - 1);
    }
    total += wu;
    agree += wu * same / (m * (m - 1));
  }
  if (total == 0) return Estimate::Undefined("no unit is rated by two raters");
  return Estimate::Of(agree / total);
}

Estimate CohenKappa(const Table& t, int categories, KappaWeighting weighting, Weights w) {
  return CohenKappa(LabelStats(t, categories), weighting, w);
}

Estimate CohenKappa(const LabelStats& s, KappaWeighting weighting, Weights w) {
  if (s.raters() != 2) return Estimate::Undefined("Cohen's kappa needs exactly two raters");
  const size_t k = static_cast<size_t>(s.categories());
  std::vector<double> o(k * k, 0.0), a(k, 0.0), b(k, 0.0);
  double n = 0;
  const std::vector<double> pw = s.PatternWeights(w);
  for (size_t u = 0; u < s.patterns(); ++u) {
    const double wu = pw[u];
    const int x = s.first(u), y = s.second(u);
    if (wu == 0 || x < 0 || y < 0) continue;
    o[x * k + y] += wu;
    a[x] += wu;
    b[y] += wu;
    n += wu;
  }
  if (n == 0) return Estimate::Undefined("no unit is rated by both raters");
  if (weighting == KappaWeighting::kNone) {
    double po = 0, pe = 0;
    for (size_t c = 0; c < k; ++c) {
      po += o[c * k + c] / n;
      pe += (a[c] / n) * (b[c] / n);
    }
    if (1 - pe < kTiny) return Estimate::Undefined("p_e = 1: both raters used one and the same category");
    return Estimate::Of((po - pe) / (1 - pe));
  }
  double observed = 0, expected = 0;
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      const double wij = (static_cast<double>(i) - j) * (static_cast<double>(i) - j);
      observed += wij * o[i * k + j] / n;
      expected += wij * (a[i] / n) * (b[j] / n);
    }
  }
  if (expected < kTiny)
    return Estimate::Undefined("no expected disagreement: both raters used one and the same category");
  return Estimate::Of(1 - observed / expected);
}

Estimate FleissKappa(const Table& t, int categories, Weights w, size_t* left_out, std::vector<Estimate>* per_category) {
  return FleissKappa(LabelStats(t, categories), w, left_out, per_category);
}

Estimate FleissKappa(const LabelStats& s, Weights w, size_t* left_out, std::vector<Estimate>* per_category) {
  const int n = s.raters();
  const size_t k = static_cast<size_t>(s.categories());
  std::vector<double> pj(k, 0.0), disagree_j(k, 0.0);
  double units = 0, p_bar = 0;
  size_t out = 0;
  const std::vector<double> pw = s.PatternWeights(w);
  for (size_t u = 0; u < s.patterns(); ++u) {
    if (s.rated(u) != n) {
      out += static_cast<size_t>(s.multiplicity(u));
      continue;
    }
    const double wu = pw[u];
    if (wu == 0) continue;
    double sq = 0;
    for (size_t c = 0; c < k; ++c) {
      const double x = s.count(u, static_cast<int>(c));
      sq += x * x;
      pj[c] += wu * x;
      disagree_j[c] += wu * x * (n - x);
    }
    if (n >= 2) p_bar += wu * (sq - n) / (static_cast<double>(n) * (n - 1));
    units += wu;
  }
  if (left_out) *left_out = out;
  if (per_category) per_category->assign(k, Estimate::Undefined("no unit is rated by every rater"));
  if (n < 2) return Estimate::Undefined("Fleiss' kappa needs two or more raters");
  if (units == 0) return Estimate::Undefined("no unit is rated by every rater");
  double pe = 0;
  for (size_t c = 0; c < k; ++c) {
    pj[c] /= units * n;
    pe += pj[c] * pj[c];
  }
  p_bar /= units;
  if (per_category) {
    for (size_t c = 0; c < k; ++c) {
      const double den = units * n * (n - 1) * pj[c] * (1 - pj[c]);
      (*per_category)[c] =
          den < kTiny ? Estimate::Undefined(pj[c] == 0 ? "category never used" : "category used for every rating")
                      : Estimate::Of(1 - disagree_j[c] / den);
    }
  }
  if (1 - pe < kTiny) return Estimate::Undefined("P_e = 1: every rating is one and the same category");
  return Estimate::Of((p_bar - pe) / (1 - pe));
}

Estimate KrippendorffAlpha(const LabelStats& s, Metric metric, Weights w) {
  const size_t k = static_cast<size_t>(s.categories());
  std::vector<double> nc(k, 0.0);
  double n = 0;
  const std::vector<double> pw = s.PatternWeights(w);
  for (size_t u = 0; u < s.patterns(); ++u) {
    const double wu = pw[u];
    if (wu == 0 || s.rated(u) < 2) continue;
    for (size_t c = 0; c < k; ++c) nc[c] += wu * s.count(u, static_cast<int>(c));
    n += wu * s.rated(u);
  }
  if (n <= 1) return Estimate::Undefined("fewer than two pairable values");
  // δ² between categories.
  std::vector<double> delta(k * k, 0.0);
  for (size_t c = 0; c < k; ++c) {
    for (size_t d = 0; d < k; ++d) {
      if (c == d) continue;
      if (metric != Metric::kOrdinal) {
        delta[c * k + d] = 1;
      } else {
        double between = 0;
        for (size_t g = std::min(c, d); g <= std::max(c, d); ++g) between += nc[g];
        between -= (nc[c] + nc[d]) / 2;
        delta[c * k + d] = between * between;
      }
    }
  }
  double d_o = 0;
  std::vector<size_t> present;
  for (size_t u = 0; u < s.patterns(); ++u) {
    const double wu = pw[u];
    const double m = s.rated(u);
    if (wu == 0 || m < 2) continue;
    double unit = 0;
    if (metric != Metric::kOrdinal) {
      double sq = 0;
      for (size_t c = 0; c < k; ++c)
        sq += static_cast<double>(s.count(u, static_cast<int>(c))) * s.count(u, static_cast<int>(c));
      unit = m * m - sq;
    } else {
      present.clear();
      for (size_t c = 0; c < k; ++c) {
        if (s.count(u, static_cast<int>(c)) > 0) present.push_back(c);
      }
      for (size_t c : present) {
        for (size_t d : present) {
          unit +=
              static_cast<double>(s.count(u, static_cast<int>(c))) * s.count(u, static_cast<int>(d)) * delta[c * k + d];
        }
      }
    }
    d_o += wu * unit / (m - 1);
  }
  d_o /= n;
  double d_e = 0;
  for (size_t c = 0; c < k; ++c) {
    for (size_t d = 0; d < k; ++d) d_e += nc[c] * nc[d] * delta[c * k + d];
  }
  d_e /= n * (n - 1);
  if (d_e < kTiny) return Estimate::Undefined("no expected disagreement: every value is the same");
  return Estimate::Of(1 - d_o / d_e);
}

Estimate KrippendorffAlpha(const Table& t, Metric metric, int categories, Weights w) {
  std::vector<double> v;
  if (metric == Metric::kInterval) {
    // Two passes: the values are centred on their mean so the sums of
    // squares do not lose precision.
    double sum = 0, count = 0;
    for (size_t u = 0; u < t.units(); ++u) {
      const double wu = WeightOf(w, u);
      Present(t, u, &v);
      if (wu == 0 || v.size() < 2) continue;
      for (double x : v) sum += wu * x;
      count += wu * v.size();
    }
    if (count <= 1) return Estimate::Undefined("fewer than two pairable values");
    const double centre = sum / count;
    double n = 0, t1 = 0, t2 = 0, d_o = 0;
    for (size_t u = 0; u < t.units(); ++u) {
      const double wu = WeightOf(w, u);
      Present(t, u, &v);
      if (wu == 0 || v.size() < 2) continue;
      double s1 = 0, s2 = 0;
      for (double x : v) {
        s1 += x - centre;
        s2 += (x - centre) * (x - centre);
      }
      const double m = static_cast<double>(v.size());
      d_o += wu * (2 * m * s2 - 2 * s1 * s1) / (m - 1);
      n += wu * m;
      t1 += wu * s1;
      t2 += wu * s2;
    }
    const double d_e = (2 * n * t2 - 2 * t1 * t1) / (n * (n - 1));
    d_o /= n;
    if (d_e < kTiny) return Estimate::Undefined("no expected disagreement: every value is the same");
    return Estimate::Of(1 - d_o / d_e);
  }
  return KrippendorffAlpha(LabelStats(t, categories), metric, w);
}

Estimate Icc21(const Table& t, Weights w, size_t* left_out) {
  const int k = t.raters();
  std::vector<double> col(k, 0.0);
  double n = 0, grand = 0;
  size_t out = 0;
  auto complete = [&](size_t u) {
    for (int r = 0; r < k; ++r) {
      if (Table::missing(t.at(u, r))) return false;
    }
    return true;
  };
  for (size_t u = 0; u < t.units(); ++u) {
    if (!complete(u)) {
      ++out;
      continue;
    }
    const double wu = WeightOf(w, u);
    for (int r = 0; r < k; ++r) {
      col[r] += wu * t.at(u, r);
      grand += wu * t.at(u, r);
    }
    n += wu;
  }
  if (left_out) *left_out = out;
  if (k < 2) return Estimate::Undefined("ICC needs two or more raters");
  if (n < 2) return Estimate::Undefined("fewer than two units rated by every rater");
  grand /= n * k;
  for (double& c : col) c /= n;
  double ss_rows = 0, ss_total = 0, ss_cols = 0;
  for (size_t u = 0; u < t.units(); ++u) {
    const double wu = WeightOf(w, u);
    if (wu == 0 || !complete(u)) continue;
    double row = 0;
    for (int r = 0; r < k; ++r) {
      row += t.at(u, r);
      ss_total += wu * (t.at(u, r) - grand) * (t.at(u, r) - grand);
    }
    row /= k;
    ss_rows += wu * k * (row - grand) * (row - grand);
  }
  for (double c : col) ss_cols += n * (c - grand) * (c - grand);
  const double ms_r = ss_rows / (n - 1), ms_c = ss_cols / (k - 1);
  const double ms_e = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1));
  const double den = ms_r + (k - 1) * ms_e + k * (ms_c - ms_e) / n;
  if (std::abs(den) < kTiny) return Estimate::Undefined("no variance: every value is the same");
  return Estimate::Of((ms_r - ms_e) / den);
}

BlandAltman BlandAltmanOf(const Table& t, int a, int b, Weights w) {
  std::vector<double> diffs;
  std::vector<uint32_t> weights;
  for (size_t u = 0; u < t.units(); ++u) {
    double x = t.at(u, a), y = t.at(u, b);
    if (Table::missing(x) || Table::missing(y)) continue;
    diffs.push_back(x - y);
    weights.push_back(w.empty() ? 1 : w[u]);
  }
  MeanSd m = MeanSdOf(diffs, weights);
  BlandAltman out;
  out.n = diffs.size();
  out.bias = m.mean;
  out.sd = m.sd;
  if (m.mean.defined && m.sd.defined) {
    out.lower = Estimate::Of(m.mean.value - 1.96 * m.sd.value);
    out.upper = Estimate::Of(m.mean.value + 1.96 * m.sd.value);
  } else {
    out.lower = out.upper = Estimate::Undefined("fewer than two units rated by both raters");
  }
  return out;
}

MeanSd MeanSdOf(absl::Span<const double> values, Weights w) {
  MeanSd out;
  double n = 0, sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    n += WeightOf(w, i);
    sum += WeightOf(w, i) * values[i];
  }
  out.n = static_cast<size_t>(n);
  if (n == 0) {
    out.mean = out.sd = Estimate::Undefined("no values");
    return out;
  }
  const double mean = sum / n;
  out.mean = Estimate::Of(mean);
  if (n < 2) {
    out.sd = Estimate::Undefined("fewer than two values");
    return out;
  }
  double ss = 0;
  for (size_t i = 0; i < values.size(); ++i) ss += WeightOf(w, i) * (values[i] - mean) * (values[i] - mean);
  out.sd = Estimate::Of(std::sqrt(ss / (n - 1)));
  return out;
}

Matching MatchInstances(int a_count, int b_count, const std::function<double(int, int)>& iou, double threshold) {
  Matching out;
  const int size = std::max(a_count, b_count);
  if (a_count == 0 || b_count == 0) return out;
  // Square cost matrix: 1 - IoU for allowed pairs, 1 (as if unmatched) for
  // pairs under the threshold and for the padding.
  std::vector<double> cost(static_cast<size_t>(size) * size, 1.0), value(cost.size(), 0.0);
  for (int i = 0; i < a_count; ++i) {
    for (int j = 0; j < b_count; ++j) {
      double x = iou(i, j);
      value[static_cast<size_t>(i) * size + j] = x;
      if (x >= threshold) cost[static_cast<size_t>(i) * size + j] = 1.0 - x;
    }
  }
  // Hungarian algorithm with potentials (Kuhn-Munkres, O(size^3)); rows and
  // columns are 1-based, 0 is the sentinel.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> row_pot(size + 1, 0.0), col_pot(size + 1, 0.0), min_to(size + 1);
  std::vector<int> row_of_col(size + 1, 0), way(size + 1, 0);
  std::vector<char> used(size + 1);
  for (int i = 1; i <= size; ++i) {
    row_of_col[0] = i;
    int j0 = 0;
    std::fill(min_to.begin(), min_to.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int i0 = row_of_col[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= size; ++j) {
        if (used[j]) continue;
        const double c = cost[static_cast<size_t>(i0 - 1) * size + (j - 1)] - row_pot[i0] - col_pot[j];
        if (c < min_to[j]) {
          min_to[j] = c;
          way[j] = j0;
        }
        if (min_to[j] < delta) {
          delta = min_to[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= size; ++j) {
        if (used[j]) {
          row_pot[row_of_col[j]] += delta;
          col_pot[j] -= delta;
        } else {
          min_to[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of_col[j0] != 0);
    do {
      const int j1 = way[j0];
      row_of_col[j0] = row_of_col[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  for (int j = 1; j <= size; ++j) {
    const int i = row_of_col[j] - 1, jj = j - 1;
    if (i < a_count && jj < b_count && value[static_cast<size_t>(i) * size + jj] >= threshold) {
      out.pairs.emplace_back(i, jj);
    }
  }
  std::sort(out.pairs.begin(), out.pairs.end());
  for (const auto& [i, j] : out.pairs) out.ious.push_back(value[static_cast<size_t>(i) * size + j]);
  return out;
}

Interval BootstrapInterval(size_t units, int replicates, uint64_t seed,
                           const std::function<Estimate(Weights)>& statistic) {
  return BootstrapIntervals(units, replicates, seed, [&](Weights w) { return std::vector<Estimate>{statistic(w)}; })[0];
}

std::vector<Interval> BootstrapIntervals(size_t units, int replicates, uint64_t seed,
                                         const std::function<std::vector<Estimate>(Weights)>& statistics) {
  const Estimate none = Estimate::Undefined("fewer than half of the bootstrap replicates are defined");
  std::vector<std::vector<double>> values;
  if (units > 0 && replicates > 0) {
    SplitMix64 rng(seed);
    std::vector<uint32_t> counts(units);
    for (int b = 0; b < replicates; ++b) {
      std::fill(counts.begin(), counts.end(), 0);
      for (size_t i = 0; i < units; ++i) ++counts[rng.Below(units)];
      std::vector<Estimate> e = statistics(counts);
      if (values.size() < e.size()) values.resize(e.size());
      for (size_t k = 0; k < e.size(); ++k) {
        if (e[k].defined) values[k].push_back(e[k].value);
      }
    }
  } else {
    values.resize(statistics({}).size());
  }
  std::vector<Interval> out(values.size());
  for (size_t k = 0; k < values.size(); ++k) {
    std::vector<double>& v = values[k];
    out[k].defined_replicates = static_cast<int>(v.size());
    if (v.empty() || 2 * v.size() < static_cast<size_t>(replicates)) {
      out[k].lower = out[k].upper = none;
      continue;
    }
    std::sort(v.begin(), v.end());
    auto quantile = [&](double p) {
      const double pos = p * static_cast<double>(v.size() - 1);
      const size_t lo = static_cast<size_t>(pos);
      const size_t hi = std::min(lo + 1, v.size() - 1);
      return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
    };
    out[k].lower = Estimate::Of(quantile(0.025));
    out[k].upper = Estimate::Of(quantile(0.975));
  }
  return out;
}

}  // namespace fairtrace::agreement
