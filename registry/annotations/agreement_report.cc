#include "registry/annotations/agreement_report.h"

#include <algorithm>
#include <cmath>
#include <list>
#include <set>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace fairtrace::annotations {
namespace {

using agreement::Estimate;
using agreement::Interval;
using agreement::Table;
using agreement::Weights;
using json = nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

json EstimateJson(const Estimate& e) { return e.defined ? json(e.value) : json(nullptr); }

json CoefficientJson(const Coefficient& c) {
  json j = {{"measure", c.measure}, {"value", EstimateJson(c.estimate)}, {"units", c.units}};
  if (!c.estimate.defined) j["undefined_reason"] = c.estimate.undefined_reason;
  if (c.has_interval) {
    json ci = {{"defined_replicates", c.interval.defined_replicates}};
    if (c.interval.lower.defined) {
      ci["lower"] = c.interval.lower.value;
      ci["upper"] = c.interval.upper.value;
    } else {
      ci["undefined_reason"] = c.interval.lower.undefined_reason;
    }
    j["interval_95"] = ci;
  }
  return j;
}

json CoefficientsJson(const std::vector<Coefficient>& cs) {
  json out = json::array();
  for (const Coefficient& c : cs) out.push_back(CoefficientJson(c));
  return out;
}

// Statistics computed together over weighted units, named.
struct StatSet {
  std::vector<std::string> measures;
  std::function<std::vector<Estimate>(Weights)> compute;
};

// Point estimates and (when replicates > 0) their intervals.
std::vector<Coefficient> Evaluate(const StatSet& stats, size_t units, int64_t counted_units,
                                  const AgreementOptions& o) {
  std::vector<Estimate> point = stats.compute({});
  std::vector<Coefficient> out;
  std::vector<Interval> intervals;
  if (o.replicates > 0) intervals = agreement::BootstrapIntervals(units, o.replicates, o.seed, stats.compute);
  for (size_t i = 0; i < stats.measures.size(); ++i) {
    Coefficient c{stats.measures[i], point[i], {}, o.replicates > 0, counted_units};
    if (c.has_interval) c.interval = intervals[i];
    out.push_back(std::move(c));
  }
  return out;
}

// The units (items) of each (factor, level), in level order.
std::map<std::pair<std::string, std::string>, std::vector<size_t>> UnitsByLevel(const AgreementInput& in,
                                                                                const std::vector<std::string>& paths) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> out;
  if (in.factor_levels.empty()) return out;
  for (size_t u = 0; u < paths.size(); ++u) {
    auto it = in.factor_levels.find(paths[u]);
    if (it == in.factor_levels.end()) continue;
    for (const auto& level : it->second) out[level].push_back(u);
  }
  return out;
}

json PerFactor(const AgreementInput& in, const std::vector<std::string>& paths, const AgreementOptions& o,
               const std::function<StatSet(const std::vector<size_t>&)>& stats_of) {
  json out = json::array();
  for (const auto& [level, subset] : UnitsByLevel(in, paths)) {
    StatSet s = stats_of(subset);
    out.push_back({{"factor", level.first},
                   {"level", level.second},
                   {"units", subset.size()},
                   {"coefficients", CoefficientsJson(Evaluate(s, subset.size(), subset.size(), o))}});
  }
  return out;
}

std::vector<std::string> UnitPaths(const AgreementInput& in) {
  std::set<std::string> paths;
  for (const SetData& s : in.sets) {
    for (const AnnotationRow& a : s.annotations) paths.insert(a.path);
  }
  return {paths.begin(), paths.end()};
}

absl::flat_hash_map<std::string, size_t> IndexOf(const std::vector<std::string>& v) {
  absl::flat_hash_map<std::string, size_t> out;
  for (size_t i = 0; i < v.size(); ++i) out.emplace(v[i], i);
  return out;
}

// Worst items: `score` per unit (NaN: not scored), lowest first (or
// highest with `descending`), ties by path.
json WorstItems(const std::vector<std::string>& paths, const std::vector<double>& score, bool descending, int n,
                const std::function<json(size_t)>& detail) {
  std::vector<size_t> order;
  for (size_t u = 0; u < paths.size(); ++u) {
    if (!std::isnan(score[u])) order.push_back(u);
  }
  auto better = [&](size_t a, size_t b) {
    if (score[a] != score[b]) return descending ? score[a] > score[b] : score[a] < score[b];
    return paths[a] < paths[b];
  };
  const size_t take = std::min(order.size(), static_cast<size_t>(n));
  std::partial_sort(order.begin(), order.begin() + take, order.end(), better);
  json out = json::array();
  for (size_t i = 0; i < take; ++i) {
    json item = {{"path", paths[order[i]]}, {"score", score[order[i]]}};
    item.update(detail(order[i]));
    out.push_back(std::move(item));
  }
  return out;
}

// ---- labels ---------------------------------------------------------------

// Category names across sets: the first set's order, then names only other
// sets use, in byte order.
std::vector<std::string> CategoryUnion(const AgreementInput& in) {
  std::vector<std::string> out;
  std::set<std::string> seen, extra;
  for (size_t s = 0; s < in.sets.size(); ++s) {
    for (const Category& c : in.sets[s].categories) {
      if (s == 0 && seen.insert(c.name).second) out.push_back(c.name);
      if (s > 0 && !seen.contains(c.name)) extra.insert(c.name);
    }
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

Table SubTable(const Table& t, const std::vector<size_t>& subset) {
  Table sub(subset.size(), t.raters());
  for (size_t i = 0; i < subset.size(); ++i) {
    for (int r = 0; r < t.raters(); ++r) sub.set(i, r, t.at(subset[i], r));
  }
  return sub;
}

double PairAgreement(const Table& t, size_t u) {
  double pairs = 0, same = 0;
  for (int a = 0; a < t.raters(); ++a) {
    for (int b = a + 1; b < t.raters(); ++b) {
      if (Table::missing(t.at(u, a)) || Table::missing(t.at(u, b))) continue;
      pairs += 1;
      same += t.at(u, a) == t.at(u, b) ? 1 : 0;
    }
  }
  return pairs == 0 ? kNaN : same / pairs;
}

absl::StatusOr<AgreementResult> Labels(const AgreementInput& in, const AgreementOptions& o) {
  const std::vector<std::string> paths = UnitPaths(in);
  const auto unit_of = IndexOf(paths);
  const std::vector<std::string> names = CategoryUnion(in);
  const auto category_of = IndexOf(names);
  const int raters = static_cast<int>(in.sets.size());
  const int k = static_cast<int>(names.size());
  Table table(paths.size(), raters);
  for (int s = 0; s < raters; ++s) {
    absl::flat_hash_map<int64_t, std::string> name_of;
    for (const Category& c : in.sets[s].categories) name_of.emplace(c.id, c.name);
    for (const AnnotationRow& a : in.sets[s].annotations) {
      auto n = name_of.find(a.category_id);
      if (n == name_of.end()) continue;
      table.set(unit_of.at(a.path), s, static_cast<double>(category_of.at(n->second)));
    }
  }
  const agreement::Metric metric =
      o.scale == Scale::kOrdinal ? agreement::Metric::kOrdinal : agreement::Metric::kNominal;
  // The interval scale reads the labels as numbers (scores 0-5, ...).
  std::optional<Table> numeric;
  if (o.scale == Scale::kInterval) {
    std::vector<double> value_of(names.size());
    for (size_t c = 0; c < names.size(); ++c) {
      if (!absl::SimpleAtod(names[c], &value_of[c]) || !std::isfinite(value_of[c])) {
        return absl::InvalidArgumentError(
            absl::StrCat("the interval scale needs numeric labels; \"", names[c], "\" is not a number"));
      }
    }
    numeric.emplace(paths.size(), raters);
    for (size_t u = 0; u < paths.size(); ++u) {
      for (int r = 0; r < raters; ++r) {
        if (double v = table.at(u, r); !Table::missing(v)) numeric->set(u, r, value_of[static_cast<size_t>(v)]);
      }
    }
  }
  const char* alpha_name = o.scale == Scale::kOrdinal    ? "krippendorff_alpha_ordinal"
                           : o.scale == Scale::kInterval ? "krippendorff_alpha_interval"
                                                         : "krippendorff_alpha_nominal";
  auto stats_of = [&](const agreement::LabelStats& t, bool per_category) {
    StatSet s;
    s.measures = {"percent_agreement"};
    if (raters == 2) s.measures.push_back("cohen_kappa");
    if (raters == 2 && o.scale == Scale::kOrdinal) s.measures.push_back("weighted_kappa");
    s.measures.push_back("fleiss_kappa");
    s.measures.push_back(alpha_name);
    if (per_category) {
      for (const std::string& n : names) s.measures.push_back(absl::StrCat("fleiss_kappa:", n));
    }
    // The interval α reads the numeric table of all items (factor subsets
    // report it as not computed).
    const Table* values = per_category && numeric ? &*numeric : nullptr;
    s.compute = [&t, raters, metric, per_category, values, scale = o.scale](Weights w) {
      std::vector<Estimate> e = {agreement::PercentAgreement(t, w)};
      if (raters == 2) e.push_back(agreement::CohenKappa(t, agreement::KappaWeighting::kNone, w));
      if (raters == 2 && scale == Scale::kOrdinal) {
        e.push_back(agreement::CohenKappa(t, agreement::KappaWeighting::kQuadratic, w));
      }
      std::vector<Estimate> per;
      e.push_back(agreement::FleissKappa(t, w, nullptr, per_category ? &per : nullptr));
      if (values) {
        e.push_back(agreement::KrippendorffAlpha(*values, agreement::Metric::kInterval, 0, w));
      } else if (scale == Scale::kInterval) {
        e.push_back(Estimate::Undefined("the interval alpha is computed over all items only"));
      } else {
        e.push_back(agreement::KrippendorffAlpha(t, metric, w));
      }
      if (per_category) e.insert(e.end(), per.begin(), per.end());
      return e;
    };
    return s;
  };
  const agreement::LabelStats summary(table, k);
  size_t left_out = 0;
  (void)agreement::FleissKappa(summary, {}, &left_out);
  std::vector<Coefficient> all = Evaluate(stats_of(summary, true), paths.size(), paths.size(), o);
  const size_t n_overall = all.size() - names.size();
  AgreementResult r;
  r.overall.assign(all.begin(), all.begin() + n_overall);
  json per_category = json::array();
  for (size_t c = 0; c < names.size(); ++c) {
    Coefficient coef = all[n_overall + c];
    coef.measure = "fleiss_kappa";
    coef.units = static_cast<int64_t>(paths.size() - left_out);
    per_category.push_back({{"category", names[c]}, {"coefficients", CoefficientsJson({coef})}});
  }
  for (Coefficient& c : r.overall) {
    if (c.measure == "fleiss_kappa") c.units = static_cast<int64_t>(paths.size() - left_out);
  }
  std::list<agreement::LabelStats> keep;  // the factor subsets' summaries outlive their StatSets' use
  json per_factor = PerFactor(in, paths, o, [&](const std::vector<size_t>& subset) {
    keep.emplace_back(SubTable(table, subset), k);
    return stats_of(keep.back(), false);
  });
  std::vector<double> score(paths.size());
  for (size_t u = 0; u < paths.size(); ++u) score[u] = PairAgreement(table, u);
  json worst = WorstItems(paths, score, false, o.worst_items, [&](size_t u) {
    json ratings = json::object();
    for (int s = 0; s < raters; ++s) {
      double v = table.at(u, s);
      ratings[in.sets[s].name] = Table::missing(v) ? json(nullptr) : json(names[static_cast<size_t>(v)]);
    }
    return json{{"ratings", ratings}};
  });
  json categories = json::array();
  for (const std::string& n : names) categories.push_back(n);
  r.document = {
      {"categories", categories},     {"units", {{"items", paths.size()}, {"left_out_of_fleiss_kappa", left_out}}},
      {"per_category", per_category}, {"per_factor", per_factor},
      {"worst_items", worst},         {"worst_items_score", "share of agreeing rater pairs"}};
  return r;
}

// ---- measurements ---------------------------------------------------------

absl::StatusOr<AgreementResult> Measurements(const AgreementInput& in, const AgreementOptions& o) {
  const std::vector<std::string> paths = UnitPaths(in);
  const auto unit_of = IndexOf(paths);
  const int raters = static_cast<int>(in.sets.size());
  Table table(paths.size(), raters);
  for (int s = 0; s < raters; ++s) {
    for (const AnnotationRow& a : in.sets[s].annotations) table.set(unit_of.at(a.path), s, a.value);
  }
  auto stats_of = [&](const Table& t) {
    StatSet s;
    s.measures = {"icc_2_1", "krippendorff_alpha_interval"};
    if (raters == 2)
      s.measures.insert(s.measures.end(), {"bland_altman_bias", "bland_altman_lower", "bland_altman_upper"});
    s.compute = [&t, raters](Weights w) {
      std::vector<Estimate> e = {agreement::Icc21(t, w),
                                 agreement::KrippendorffAlpha(t, agreement::Metric::kInterval, 0, w)};
      if (raters == 2) {
        agreement::BlandAltman ba = agreement::BlandAltmanOf(t, 0, 1, w);
        e.insert(e.end(), {ba.bias, ba.lower, ba.upper});
      }
      return e;
    };
    return s;
  };
  size_t left_out = 0;
  (void)agreement::Icc21(table, {}, &left_out);
  AgreementResult r;
  r.overall = Evaluate(stats_of(table), paths.size(), paths.size(), o);
  for (Coefficient& c : r.overall) {
    if (c.measure == "icc_2_1") c.units = static_cast<int64_t>(paths.size() - left_out);
  }
  json pairs = json::array();
  for (int a = 0; a < raters; ++a) {
    for (int b = a + 1; b < raters; ++b) {
      agreement::BlandAltman ba = agreement::BlandAltmanOf(table, a, b);
      pairs.push_back({{"a", in.sets[a].name},
                       {"b", in.sets[b].name},
                       {"units", ba.n},
                       {"bland_altman_bias", EstimateJson(ba.bias)},
                       {"bland_altman_sd", EstimateJson(ba.sd)},
                       {"bland_altman_lower", EstimateJson(ba.lower)},
                       {"bland_altman_upper", EstimateJson(ba.upper)}});
    }
  }
  std::list<Table> keep;  // the factor sub-tables outlive their StatSets' use
  json per_factor = PerFactor(in, paths, o, [&](const std::vector<size_t>& subset) {
    keep.push_back(SubTable(table, subset));
    return stats_of(keep.back());
  });
  std::vector<double> score(paths.size(), kNaN);
  for (size_t u = 0; u < paths.size(); ++u) {
    double lo = INFINITY, hi = -INFINITY;
    int n = 0;
    for (int s = 0; s < raters; ++s) {
      if (double v = table.at(u, s); !Table::missing(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        ++n;
      }
    }
    if (n >= 2) score[u] = hi - lo;
  }
  json worst = WorstItems(paths, score, true, o.worst_items, [&](size_t u) {
    json values = json::object();
    for (int s = 0; s < raters; ++s) {
      double v = table.at(u, s);
      values[in.sets[s].name] = Table::missing(v) ? json(nullptr) : json(v);
    }
    return json{{"values", values}};
  });
  r.document = {{"units", {{"items", paths.size()}, {"left_out_of_icc", left_out}}},
                {"pairs", pairs},
                {"per_category", json::array()},
                {"per_factor", per_factor},
                {"worst_items", worst},
                {"worst_items_score", "range (largest minus smallest value)"}};
  return r;
}

// ---- masks (a folder of class-id PNGs) -----------------------------------

absl::StatusOr<AgreementResult> MaskFolders(const AgreementInput& in, const AgreementOptions& o) {
  const std::vector<std::string> paths = UnitPaths(in);
  const int raters = static_cast<int>(in.sets.size());
  std::set<int64_t> class_set;
  for (const SetData& s : in.sets) {
    for (const Category& c : s.categories) {
      if (c.id != 0) class_set.insert(c.id);
    }
  }
  const std::vector<int64_t> classes(class_set.begin(), class_set.end());
  std::map<int64_t, std::string> class_name;
  for (const SetData& s : in.sets) {
    for (const Category& c : s.categories) class_name.emplace(c.id, c.name);
  }
  std::vector<absl::flat_hash_map<std::string, std::string>> mask_of(raters);
  for (int s = 0; s < raters; ++s) {
    for (const AnnotationRow& a : in.sets[s].annotations) mask_of[s].emplace(a.path, a.mask_digest);
  }
  const size_t nc = classes.size();
  // dice[u * nc + c], iou[...]: mean over rater pairs where defined, NaN
  // when no pair is (both empty, or fewer than two masks).
  std::vector<double> dice(paths.size() * nc, kNaN), iou(paths.size() * nc, kNaN);
  std::vector<int64_t> both_empty(nc, 0);
  // Class ids are at most the largest declared one (the masks were checked
  // on the way in); anything above lands in one overflow bucket.
  const size_t buckets = classes.empty() ? 2 : static_cast<size_t>(classes.back()) + 2;
  // One worker scores the units u with u % workers == index: decoding and
  // counting are independent per unit. Two workers: the server's machine
  // kind has two cores, and heavy calls are limited to two at once.
  struct Worker {
    std::vector<int64_t> both_empty;
    absl::Status status;
  };
  const int workers = paths.size() >= 64 ? 2 : 1;
  std::vector<Worker> results(workers, Worker{std::vector<int64_t>(nc, 0), absl::OkStatus()});
  auto work = [&](int index) {
    Worker& me = results[index];
    std::vector<uint64_t> count_a(buckets), count_b(buckets), count_ab(buckets);
    auto bucket = [&](uint16_t v) { return std::min<size_t>(v, buckets - 1); };
    for (size_t u = index; u < paths.size(); u += workers) {
      if (u % 64 == static_cast<size_t>(index) && in.should_stop && in.should_stop()) {
        me.status = absl::DeadlineExceededError("stopped: the call was cancelled or reached its deadline");
        return;
      }
      std::vector<std::optional<Mask>> masks(raters);
      for (int s = 0; s < raters; ++s) {
        auto it = mask_of[s].find(paths[u]);
        if (it == mask_of[s].end()) continue;
        absl::StatusOr<Mask> m = in.load_mask(it->second);
        if (!m.ok()) {
          me.status = m.status();
          return;
        }
        masks[s] = *std::move(m);
      }
      std::vector<double> dsum(nc, 0), isum(nc, 0);
      std::vector<int> defined(nc, 0);
      for (int a = 0; a < raters; ++a) {
        for (int b = a + 1; b < raters; ++b) {
          if (!masks[a] || !masks[b] || masks[a]->pixels.size() != masks[b]->pixels.size()) continue;
          std::fill(count_a.begin(), count_a.end(), 0);
          std::fill(count_b.begin(), count_b.end(), 0);
          std::fill(count_ab.begin(), count_ab.end(), 0);
          const std::vector<uint16_t>& pa = masks[a]->pixels;
          const std::vector<uint16_t>& pb = masks[b]->pixels;
          for (size_t p = 0; p < pa.size(); ++p) {
            const size_t x = bucket(pa[p]), y = bucket(pb[p]);
            ++count_a[x];
            ++count_b[y];
            count_ab[x] += x == y;
          }
          for (size_t c = 0; c < nc; ++c) {
            const size_t id = static_cast<size_t>(classes[c]);
            const double x = static_cast<double>(count_a[id]), y = static_cast<double>(count_b[id]);
            const double both = static_cast<double>(count_ab[id]);
            if (x + y == 0) {
              ++me.both_empty[c];
              continue;
            }
            dsum[c] += 2 * both / (x + y);
            isum[c] += both / (x + y - both);
            ++defined[c];
          }
        }
      }
      for (size_t c = 0; c < nc; ++c) {
        if (defined[c] > 0) {
          dice[u * nc + c] = dsum[c] / defined[c];
          iou[u * nc + c] = isum[c] / defined[c];
        }
      }
    }
  };
  {
    std::vector<std::thread> threads;
    for (int t = 1; t < workers; ++t) threads.emplace_back(work, t);
    work(0);
    for (std::thread& t : threads) t.join();
  }
  for (const Worker& w : results) {
    if (!w.status.ok()) return w.status;
    for (size_t c = 0; c < nc; ++c) both_empty[c] += w.both_empty[c];
  }
  // Per unit: the mean over the classes it scores.
  std::vector<double> unit_dice(paths.size(), kNaN), unit_iou(paths.size(), kNaN);
  for (size_t u = 0; u < paths.size(); ++u) {
    double d = 0, i = 0;
    int n = 0;
    for (size_t c = 0; c < nc; ++c) {
      if (std::isnan(dice[u * nc + c])) continue;
      d += dice[u * nc + c];
      i += iou[u * nc + c];
      ++n;
    }
    if (n > 0) {
      unit_dice[u] = d / n;
      unit_iou[u] = i / n;
    }
  }
  // Mean and sd over the units where a value is defined.
  auto stats_of = [&](const std::vector<size_t>& subset, const std::vector<double>* d_values,
                      const std::vector<double>* i_values, size_t stride, size_t offset) {
    StatSet s;
    s.measures = {"dice_mean", "dice_sd", "iou_mean", "iou_sd"};
    s.compute = [subset, d_values, i_values, stride, offset](Weights w) {
      std::vector<double> d, i;
      std::vector<uint32_t> weights;
      for (size_t k = 0; k < subset.size(); ++k) {
        const double dv = (*d_values)[subset[k] * stride + offset];
        if (std::isnan(dv)) continue;
        d.push_back(dv);
        i.push_back((*i_values)[subset[k] * stride + offset]);
        weights.push_back(w.empty() ? 1 : w[k]);
      }
      agreement::MeanSd md = agreement::MeanSdOf(d, weights), mi = agreement::MeanSdOf(i, weights);
      return std::vector<Estimate>{md.mean, md.sd, mi.mean, mi.sd};
    };
    return s;
  };
  auto scored = [](const std::vector<size_t>& subset, const std::vector<double>& v, size_t stride, size_t offset) {
    int64_t n = 0;
    for (size_t u : subset) n += std::isnan(v[u * stride + offset]) ? 0 : 1;
    return n;
  };
  std::vector<size_t> all(paths.size());
  for (size_t u = 0; u < all.size(); ++u) all[u] = u;
  AgreementResult r;
  r.overall = Evaluate(stats_of(all, &unit_dice, &unit_iou, 1, 0), all.size(), scored(all, unit_dice, 1, 0), o);
  json per_category = json::array();
  for (size_t c = 0; c < nc; ++c) {
    per_category.push_back({{"category", class_name[classes[c]]},
                            {"class_id", classes[c]},
                            {"excluded_both_empty", both_empty[c]},
                            {"coefficients", CoefficientsJson(Evaluate(stats_of(all, &dice, &iou, nc, c), all.size(),
                                                                       scored(all, dice, nc, c), o))}});
  }
  json per_factor = PerFactor(
      in, paths, o, [&](const std::vector<size_t>& subset) { return stats_of(subset, &unit_dice, &unit_iou, 1, 0); });
  json worst = WorstItems(paths, unit_dice, false, o.worst_items, [&](size_t u) { return json{{"iou", unit_iou[u]}}; });
  int64_t excluded = 0;
  for (int64_t e : both_empty) excluded += e;
  r.document = {{"units", {{"items", paths.size()}, {"scored_items", scored(all, unit_dice, 1, 0)}}},
                {"excluded_both_empty", excluded},
                {"per_category", per_category},
                {"per_factor", per_factor},
                {"worst_items", worst},
                {"worst_items_score", "Dice, mean over classes and rater pairs"}};
  return r;
}

// ---- instances (boxes, polygons, COCO masks) ------------------------------

// An instance as pixels of its integer bounding window (polygons, RLE), or
// as a box (boxes: IoU of the rectangles).
struct Shape {
  int64_t category = 0;  // index into the category union
  double box[4] = {0, 0, 0, 0};
  bool raster = false;
  int64_t x0 = 0, y0 = 0, w = 0, h = 0, area = 0;
  std::vector<uint8_t> bits;
};

void RasterPolygons(const json& polygons, Shape* s) {
  std::vector<double> xs;
  for (int64_t row = 0; row < s->h; ++row) {
    const double yc = static_cast<double>(s->y0 + row) + 0.5;
    for (const json& part : polygons) {
      xs.clear();
      const size_t n = part.size() / 2;
      for (size_t i = 0; i < n; ++i) {
        const double x1 = part[2 * i].get<double>(), y1 = part[2 * i + 1].get<double>();
        const double x2 = part[2 * ((i + 1) % n)].get<double>(), y2 = part[2 * ((i + 1) % n) + 1].get<double>();
        if ((y1 <= yc) != (y2 <= yc)) xs.push_back(x1 + (yc - y1) * (x2 - x1) / (y2 - y1));
      }
      std::sort(xs.begin(), xs.end());
      for (size_t i = 0; i + 1 < xs.size(); i += 2) {
        // Pixels whose centre lies in [xs[i], xs[i+1]).
        int64_t from = static_cast<int64_t>(std::ceil(xs[i] - 0.5)) - s->x0;
        int64_t to = static_cast<int64_t>(std::ceil(xs[i + 1] - 0.5)) - s->x0;
        from = std::max<int64_t>(from, 0);
        to = std::min<int64_t>(to, s->w);
        for (int64_t x = from; x < to; ++x) s->bits[row * s->w + x] = 1;
      }
    }
  }
}

void RasterRle(const json& g, Shape* s) {
  const int64_t h = g["h"].get<int64_t>();
  int64_t idx = 0;
  size_t k = 0;
  for (const json& run : g["rle"]) {
    const int64_t n = run.get<int64_t>();
    if (k++ % 2 == 1) {
      for (int64_t p = idx; p < idx + n; ++p) {
        const int64_t x = p / h - s->x0, y = p % h - s->y0;
        if (x >= 0 && x < s->w && y >= 0 && y < s->h) s->bits[y * s->w + x] = 1;
      }
    }
    idx += n;
  }
}

absl::StatusOr<Shape> ShapeOf(const AnnotationRow& a, int64_t category, bool boxes, int64_t* budget) {
  Shape s;
  s.category = category;
  std::copy(a.bbox, a.bbox + 4, s.box);
  if (boxes || a.geometry_json.empty()) return s;
  json g = json::parse(a.geometry_json, nullptr, false);
  if (!g.is_object()) return absl::DataLossError(absl::StrCat("the stored geometry of an annotation of ", a.path));
  s.raster = true;
  s.x0 = static_cast<int64_t>(std::floor(a.bbox[0]));
  s.y0 = static_cast<int64_t>(std::floor(a.bbox[1]));
  s.w = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(a.bbox[0] + a.bbox[2])) - s.x0);
  s.h = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(a.bbox[1] + a.bbox[3])) - s.y0);
  *budget -= s.w * s.h;
  if (*budget < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the instances of ", a.path, " cover more pixels than one item may (a limit of the server)"));
  }
  s.bits.assign(static_cast<size_t>(s.w * s.h), 0);
  if (g.contains("polygons")) RasterPolygons(g["polygons"], &s);
  if (g.contains("rle")) RasterRle(g, &s);
  for (uint8_t b : s.bits) s.area += b;
  return s;
}

double ShapeIou(const Shape& a, const Shape& b) {
  if (!a.raster) {
    const double ix = std::max(0.0, std::min(a.box[0] + a.box[2], b.box[0] + b.box[2]) - std::max(a.box[0], b.box[0]));
    const double iy = std::max(0.0, std::min(a.box[1] + a.box[3], b.box[1] + b.box[3]) - std::max(a.box[1], b.box[1]));
    const double inter = ix * iy, uni = a.box[2] * a.box[3] + b.box[2] * b.box[3] - inter;
    return uni > 0 ? inter / uni : 0;
  }
  const int64_t x0 = std::max(a.x0, b.x0), x1 = std::min(a.x0 + a.w, b.x0 + b.w);
  const int64_t y0 = std::max(a.y0, b.y0), y1 = std::min(a.y0 + a.h, b.y0 + b.h);
  int64_t inter = 0;
  for (int64_t y = y0; y < y1; ++y) {
    const uint8_t* ra = &a.bits[(y - a.y0) * a.w];
    const uint8_t* rb = &b.bits[(y - b.y0) * b.w];
    for (int64_t x = x0; x < x1; ++x) inter += ra[x - a.x0] & rb[x - b.x0];
  }
  const int64_t uni = a.area + b.area - inter;
  return uni > 0 ? static_cast<double>(inter) / static_cast<double>(uni) : 0;
}

// Counts of one unit and category, summed over rater pairs.
struct MatchCounts {
  double tp = 0, fp = 0, fn = 0, iou = 0;
};

std::vector<Estimate> InstanceStats(const std::vector<MatchCounts>& per_unit, Weights w) {
  MatchCounts t;
  for (size_t u = 0; u < per_unit.size(); ++u) {
    const double wu = w.empty() ? 1.0 : w[u];
    t.tp += wu * per_unit[u].tp;
    t.fp += wu * per_unit[u].fp;
    t.fn += wu * per_unit[u].fn;
    t.iou += wu * per_unit[u].iou;
  }
  auto ratio = [](double num, double den, const char* why) {
    return den > 0 ? Estimate::Of(num / den) : Estimate::Undefined(why);
  };
  return {ratio(2 * t.tp, 2 * t.tp + t.fp + t.fn, "no instances"), ratio(t.tp, t.tp + t.fp, "no compared instances"),
          ratio(t.tp, t.tp + t.fn, "no reference instances"), ratio(t.iou, t.tp, "no matched instances")};
}

absl::StatusOr<AgreementResult> Instances(const AgreementInput& in, const AgreementOptions& o) {
  const std::vector<std::string> paths = UnitPaths(in);
  const auto unit_of = IndexOf(paths);
  const std::vector<std::string> names = CategoryUnion(in);
  const auto category_of = IndexOf(names);
  const int raters = static_cast<int>(in.sets.size());
  const size_t nc = names.size();
  // Annotations of each set grouped by unit.
  std::vector<std::vector<std::vector<const AnnotationRow*>>> by_unit(
      raters, std::vector<std::vector<const AnnotationRow*>>(paths.size()));
  std::vector<absl::flat_hash_map<int64_t, int64_t>> category_index(raters);
  for (int s = 0; s < raters; ++s) {
    for (const Category& c : in.sets[s].categories) category_index[s].emplace(c.id, category_of.at(c.name));
    for (const AnnotationRow& a : in.sets[s].annotations) by_unit[s][unit_of.at(a.path)].push_back(&a);
  }
  std::vector<MatchCounts> counts(paths.size() * nc);  // [u * nc + c]
  const bool boxes = in.task == TaskType::kBoxes;
  for (size_t u = 0; u < paths.size(); ++u) {
    if (u % 256 == 0 && in.should_stop && in.should_stop()) {
      return absl::DeadlineExceededError("stopped: the call was cancelled or reached its deadline");
    }
    int64_t budget = o.max_raster_pixels_per_item;
    std::vector<std::vector<Shape>> shapes(raters);
    for (int s = 0; s < raters; ++s) {
      for (const AnnotationRow* a : by_unit[s][u]) {
        auto c = category_index[s].find(a->category_id);
        if (c == category_index[s].end()) continue;
        absl::StatusOr<Shape> shape = ShapeOf(*a, c->second, boxes, &budget);
        if (!shape.ok()) return shape.status();
        shapes[s].push_back(*std::move(shape));
      }
    }
    for (int a = 0; a < raters; ++a) {
      for (int b = a + 1; b < raters; ++b) {
        for (size_t c = 0; c < nc; ++c) {
          std::vector<const Shape*> ra, rb;
          for (const Shape& s : shapes[a]) {
            if (s.category == static_cast<int64_t>(c)) ra.push_back(&s);
          }
          for (const Shape& s : shapes[b]) {
            if (s.category == static_cast<int64_t>(c)) rb.push_back(&s);
          }
          if (ra.empty() && rb.empty()) continue;
          agreement::Matching m = agreement::MatchInstances(
              static_cast<int>(ra.size()), static_cast<int>(rb.size()),
              [&](int i, int j) { return ShapeIou(*ra[i], *rb[j]); }, o.iou_threshold);
          MatchCounts& mc = counts[u * nc + c];
          mc.tp += static_cast<double>(m.pairs.size());
          mc.fn += static_cast<double>(ra.size() - m.pairs.size());
          mc.fp += static_cast<double>(rb.size() - m.pairs.size());
          for (double x : m.ious) mc.iou += x;
        }
      }
    }
  }
  std::vector<MatchCounts> unit_total(paths.size());
  for (size_t u = 0; u < paths.size(); ++u) {
    for (size_t c = 0; c < nc; ++c) {
      unit_total[u].tp += counts[u * nc + c].tp;
      unit_total[u].fp += counts[u * nc + c].fp;
      unit_total[u].fn += counts[u * nc + c].fn;
      unit_total[u].iou += counts[u * nc + c].iou;
    }
  }
  const std::vector<std::string> measures = {"f1", "precision", "recall", "mean_matched_iou"};
  auto stats_of = [&](std::vector<MatchCounts> per_unit) {
    StatSet s;
    s.measures = measures;
    s.compute = [per_unit = std::move(per_unit)](Weights w) { return InstanceStats(per_unit, w); };
    return s;
  };
  AgreementResult r;
  r.overall = Evaluate(stats_of(unit_total), paths.size(), static_cast<int64_t>(paths.size()), o);
  json per_category = json::array();
  for (size_t c = 0; c < nc; ++c) {
    std::vector<MatchCounts> column(paths.size());
    for (size_t u = 0; u < paths.size(); ++u) column[u] = counts[u * nc + c];
    per_category.push_back(
        {{"category", names[c]},
         {"coefficients", CoefficientsJson(Evaluate(stats_of(std::move(column)), paths.size(), paths.size(), o))}});
  }
  json per_factor = PerFactor(in, paths, o, [&](const std::vector<size_t>& subset) {
    std::vector<MatchCounts> part;
    for (size_t u : subset) part.push_back(unit_total[u]);
    return stats_of(std::move(part));
  });
  std::vector<double> score(paths.size(), kNaN);
  for (size_t u = 0; u < paths.size(); ++u) {
    const MatchCounts& t = unit_total[u];
    if (t.tp + t.fp + t.fn > 0) score[u] = 2 * t.tp / (2 * t.tp + t.fp + t.fn);
  }
  json worst = WorstItems(paths, score, false, o.worst_items, [&](size_t u) {
    return json{{"matched", unit_total[u].tp},
                {"unmatched_reference", unit_total[u].fn},
                {"unmatched_other", unit_total[u].fp}};
  });
  json categories = json::array();
  for (const std::string& n : names) categories.push_back(n);
  r.document = {{"categories", categories},
                {"units", {{"items", paths.size()}}},
                {"iou_threshold", o.iou_threshold},
                {"matching", boxes ? "Hungarian on 1 - IoU of the boxes" : "Hungarian on 1 - IoU of the pixels"},
                {"per_category", per_category},
                {"per_factor", per_factor},
                {"worst_items", worst},
                {"worst_items_score", "F1 of the item's instances"}};
  return r;
}

const char* ScaleName(Scale s) {
  switch (s) {
    case Scale::kNominal:
      return "nominal";
    case Scale::kOrdinal:
      return "ordinal";
    case Scale::kInterval:
      return "interval";
  }
  return "?";
}

}  // namespace

absl::StatusOr<AgreementResult> ComputeAgreementReport(const AgreementInput& in, const AgreementOptions& o) {
  if (in.sets.size() < 2) return absl::InvalidArgumentError("agreement needs two or more annotation sets");
  absl::StatusOr<AgreementResult> r;
  bool mask_folder = false;
  for (const SetData& s : in.sets) {
    for (const AnnotationRow& a : s.annotations) mask_folder = mask_folder || !a.mask_digest.empty();
  }
  switch (in.task) {
    case TaskType::kLabels:
      r = Labels(in, o);
      break;
    case TaskType::kMeasurements:
      r = Measurements(in, o);
      break;
    case TaskType::kMasks:
      r = mask_folder ? MaskFolders(in, o) : Instances(in, o);
      break;
    case TaskType::kBoxes:
    case TaskType::kPolygons:
      r = Instances(in, o);
      break;
  }
  if (!r.ok()) return r.status();
  json sets = json::array();
  for (const SetData& s : in.sets) {
    sets.push_back(
        {{"name", s.name}, {"digest", s.digest}, {"annotator", s.annotator}, {"annotations", s.annotations.size()}});
  }
  json& d = r->document;
  d["format"] = "fairtrace-agreement-report/1";
  d["dataset_version"] = in.dataset_version;
  d["annotation_sets"] = sets;
  d["task"] = TaskTypeName(in.task);
  d["scale"] = ScaleName(o.scale);
  d["overall"] = CoefficientsJson(r->overall);
  d["bootstrap"] = o.replicates > 0 ? json{{"replicates", o.replicates},
                                           {"seed", std::to_string(o.seed)},
                                           {"generator", "splitmix64"},
                                           {"interval", "percentile, 2.5 and 97.5, linear interpolation"}}
                                    : json(nullptr);
  return r;
}

std::string ReportBytes(const json& document) { return document.dump() + "\n"; }

}  // namespace fairtrace::annotations
