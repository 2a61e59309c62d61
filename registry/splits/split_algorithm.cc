#include "registry/splits/split_algorithm.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/content/sha256.h"
#include "registry/core/resource_util.h"

namespace fairtrace::splits {
namespace {

struct Group {
  std::string key, hash;
  std::vector<size_t> items;
  std::string label;
  int64_t latest = INT64_MIN;
};

bool IsPartName(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string GroupHash(uint64_t seed, const std::string& key) {
  Sha256 h;
  const std::string prefix = absl::StrCat(seed);
  h.Update(prefix);
  const char zero = '\0';
  h.Update(&zero, 1);
  h.Update(key);
  return h.FinishHex();
}

std::string PartDigest(std::vector<std::string> item_digests) {
  std::sort(item_digests.begin(), item_digests.end());
  Sha256 h;
  for (const std::string& d : item_digests) {
    h.Update(d);
    h.Update("\n");
  }
  return h.FinishHex();
}

std::vector<int64_t> LargestRemainder(int64_t n, const std::vector<double>& ratios) {
  std::vector<int64_t> sizes(ratios.size());
  std::vector<std::pair<double, size_t>> rest;
  int64_t given = 0;
  for (size_t i = 0; i < ratios.size(); ++i) {
    const double exact = ratios[i] * static_cast<double>(n);
    sizes[i] = static_cast<int64_t>(std::floor(exact));
    given += sizes[i];
    rest.emplace_back(exact - std::floor(exact), i);
  }
  // Largest fractional part first; ties to the earlier part.
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < n && k < rest.size(); ++k, ++given) ++sizes[rest[k].second];
  return sizes;
}

bool AcquiredMicros(const std::string& iso, int64_t* out) {
  std::string s = iso;
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s = s.substr(0, s.size() - 1) + "+00:00";
  static const char* kFormats[] = {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M%Ez", "%Y-%m-%dT%H:%M:%E*S",
                                   "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
  for (const char* f : kFormats) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(f, s, absl::UTCTimeZone(), &t, &err)) {
      *out = absl::ToUnixMicros(t);
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::vector<Part>> Split(const std::vector<SplitItem>& items, const SplitParams& p) {
  if (items.empty()) return absl::InvalidArgumentError("the dataset version has no items to split");
  std::vector<std::pair<std::string, double>> ratios = p.ratios;
  if (p.method == Method::kKFold) {
    if (p.folds < 2) return absl::InvalidArgumentError("k-fold needs k >= 2 folds");
    ratios.clear();
    for (int f = 1; f <= p.folds; ++f) ratios.emplace_back(absl::StrCat("fold-", f), 1.0 / p.folds);
  } else {
    if (ratios.size() < 2) return absl::InvalidArgumentError("a split needs two or more parts");
    double sum = 0;
    for (const auto& [name, r] : ratios) {
      if (!IsPartName(name)) {
        return absl::InvalidArgumentError(absl::StrCat("part name \"", name, "\": 1-63 of [a-z0-9_-]"));
      }
      if (!(r >= 0 && r <= 1))
        return absl::InvalidArgumentError(absl::StrCat("the ratio of ", name, " is not in [0, 1]"));
      sum += r;
    }
    if (std::abs(sum - 1) > 1e-9) {
      return absl::InvalidArgumentError(absl::StrCat("the ratios sum to ", sum, ", not 1"));
    }
    for (size_t i = 0; i < ratios.size(); ++i) {
      for (size_t j = i + 1; j < ratios.size(); ++j) {
        if (ratios[i].first == ratios[j].first) {
          return absl::InvalidArgumentError(absl::StrCat("part \"", ratios[i].first, "\" is named twice"));
        }
      }
    }
  }
  if (p.method == Method::kTemporal && p.stratified) {
    return absl::InvalidArgumentError("a temporal split is cut by time alone: it is not stratified");
  }
  // Groups: the items sharing a key (each item alone when not grouped).
  std::vector<Group> groups;
  absl::flat_hash_map<std::string, size_t> group_of;
  for (size_t i = 0; i < items.size(); ++i) {
    const SplitItem& it = items[i];
    if (p.grouped && it.group.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("item \"", it.path, "\" has no group key"));
    }
    if (p.stratified && it.label.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("item \"", it.path, "\" has no label in the annotation set"));
    }
    if (p.method == Method::kTemporal && !it.has_acquired) {
      return absl::InvalidArgumentError(absl::StrCat("item \"", it.path, "\" has no acquired_at"));
    }
    const std::string& key = p.grouped ? it.group : it.path;
    auto [g, fresh] = group_of.try_emplace(key, groups.size());
    if (fresh) groups.push_back(Group{key, GroupHash(p.seed, key), {}, "", INT64_MIN});
    Group& group = groups[g->second];
    group.items.push_back(i);
    group.latest = std::max(group.latest, it.acquired_micros);
  }
  if (p.method == Method::kKFold && static_cast<int64_t>(groups.size()) < p.folds) {
    return absl::InvalidArgumentError(
        absl::StrCat(p.folds, " folds need at least ", p.folds, " groups; there are ", groups.size()));
  }
  // Strata: a group's label is its items' most frequent one (ties: the
  // earliest in label_order).
  std::map<std::string, size_t> rank;
  for (size_t i = 0; i < p.label_order.size(); ++i) rank.emplace(p.label_order[i], i);
  auto rank_of = [&](const std::string& l) {
    auto it = rank.find(l);
    return it == rank.end() ? p.label_order.size() : it->second;
  };
  std::map<std::pair<size_t, std::string>, std::vector<size_t>> strata;  // (rank, label) -> groups
  for (size_t g = 0; g < groups.size(); ++g) {
    if (p.stratified) {
      std::map<std::string, int> votes;
      for (size_t i : groups[g].items) ++votes[items[i].label];
      std::string best;
      int most = -1;
      for (const auto& [label, n] : votes) {
        if (n > most || (n == most && rank_of(label) < rank_of(best))) {
          best = label;
          most = n;
        }
      }
      groups[g].label = best;
    }
    strata[{rank_of(groups[g].label), groups[g].label}].push_back(g);
  }
  std::vector<double> r;
  for (const auto& [name, ratio] : ratios) r.push_back(ratio);
  std::vector<Part> parts(ratios.size());
  for (size_t i = 0; i < ratios.size(); ++i) parts[i].name = ratios[i].first;
  for (auto& [stratum, members] : strata) {
    std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
      const Group &x = groups[a], &y = groups[b];
      if (p.method == Method::kTemporal && x.latest != y.latest) return x.latest < y.latest;
      if (x.hash != y.hash) return x.hash < y.hash;
      return x.key < y.key;
    });
    std::vector<int64_t> sizes = LargestRemainder(static_cast<int64_t>(members.size()), r);
    size_t next = 0;
    for (size_t part = 0; part < sizes.size(); ++part) {
      for (int64_t k = 0; k < sizes[part]; ++k, ++next) {
        const Group& g = groups[members[next]];
        parts[part].items.insert(parts[part].items.end(), g.items.begin(), g.items.end());
        ++parts[part].groups;
      }
    }
  }
  for (Part& part : parts) {
    std::sort(part.items.begin(), part.items.end());
    std::vector<std::string> digests;
    digests.reserve(part.items.size());
    for (size_t i : part.items) digests.push_back(items[i].item_digest);
    part.digest = PartDigest(std::move(digests));
  }
  return parts;
}

}  // namespace fairtrace::splits
