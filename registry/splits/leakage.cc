#include "registry/splits/leakage.h"

#include <algorithm>
#include <functional>
#include <set>

#include "absl/container/flat_hash_map.h"

namespace fairtrace::splits {
namespace {

// Per shared value: the first item of each part it appears in, by part order.
LeakageFindingOut Shared(const std::vector<const LeakageItem*>& ordered, const std::string& kind,
                         const std::function<std::string(const LeakageItem&)>& value, size_t max_pairs) {
  LeakageFindingOut f;
  f.kind = kind;
  std::vector<std::string> order;
  absl::flat_hash_map<std::string, std::vector<const LeakageItem*>> first_per_part;
  for (const LeakageItem* it : ordered) {
    const std::string v = value(*it);
    if (v.empty()) {
      ++f.unkeyed_items;
      continue;
    }
    auto [entry, fresh] = first_per_part.try_emplace(v);
    if (fresh) order.push_back(v);
    if (entry->second.empty() || entry->second.back()->part != it->part) {
      bool seen = false;
      for (const LeakageItem* x : entry->second) seen = seen || x->part == it->part;
      if (!seen) entry->second.push_back(it);
    }
  }
  for (const std::string& v : order) {
    const auto& firsts = first_per_part[v];
    if (firsts.size() < 2) continue;
    ++f.count;
    if (f.pairs.size() < max_pairs) {
      f.pairs.push_back({firsts[0]->path, firsts[0]->part, firsts[1]->path, firsts[1]->part, v});
    }
  }
  return f;
}

}  // namespace

std::vector<LeakageFindingOut> FindLeakage(const std::vector<LeakageItem>& items, const LeakageOptions& o) {
  absl::flat_hash_map<std::string, size_t> rank;
  for (size_t i = 0; i < o.part_order.size(); ++i) rank.emplace(o.part_order[i], i);
  std::vector<const LeakageItem*> ordered;
  ordered.reserve(items.size());
  for (const LeakageItem& it : items) ordered.push_back(&it);
  std::sort(ordered.begin(), ordered.end(), [&](const LeakageItem* a, const LeakageItem* b) {
    const size_t ra = rank.contains(a->part) ? rank[a->part] : rank.size();
    const size_t rb = rank.contains(b->part) ? rank[b->part] : rank.size();
    if (ra != rb) return ra < rb;
    return a->path < b->path;
  });
  std::vector<LeakageFindingOut> out;
  out.push_back(Shared(
      ordered, "exact_duplicate", [](const LeakageItem& it) { return it.blob; }, o.max_pairs));
  for (const std::string& g : o.group_by) {
    out.push_back(Shared(
        ordered, "group:" + g,
        [&](const LeakageItem& it) {
          auto k = it.groups.find(g);
          return k == it.groups.end() ? std::string() : k->second;
        },
        o.max_pairs));
  }
  if (o.temporal) {
    LeakageFindingOut f;
    f.kind = "temporal";
    const LeakageItem* latest = nullptr;  // of the parts before the current one
    const LeakageItem* latest_in_part = nullptr;
    std::string part;
    for (const LeakageItem* it : ordered) {
      if (it->part != part) {
        if (latest_in_part && (!latest || latest_in_part->acquired_micros > latest->acquired_micros)) {
          latest = latest_in_part;
        }
        latest_in_part = nullptr;
        part = it->part;
      }
      if (!it->has_acquired) continue;
      if (!latest_in_part || it->acquired_micros > latest_in_part->acquired_micros) latest_in_part = it;
      if (latest && it->acquired_micros < latest->acquired_micros) {
        ++f.count;
        if (f.pairs.size() < o.max_pairs) f.pairs.push_back({latest->path, latest->part, it->path, it->part, ""});
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::map<std::pair<std::string, std::string>, std::map<std::string, int64_t>> PartPairCounts(
    const std::vector<LeakageItem>& items, const std::vector<std::string>& group_by) {
  std::map<std::pair<std::string, std::string>, std::map<std::string, int64_t>> out;
  auto count = [&](const std::string& kind, const std::function<std::string(const LeakageItem&)>& value) {
    absl::flat_hash_map<std::string, std::set<std::string>> parts_of;
    for (const LeakageItem& it : items) {
      std::string v = value(it);
      if (!v.empty()) parts_of[v].insert(it.part);
    }
    for (const auto& [v, parts] : parts_of) {
      for (auto a = parts.begin(); a != parts.end(); ++a) {
        for (auto b = std::next(a); b != parts.end(); ++b) ++out[{*a, *b}][kind];
      }
    }
  };
  count("exact_duplicate", [](const LeakageItem& it) { return it.blob; });
  for (const std::string& g : group_by) {
    count("group:" + g, [&](const LeakageItem& it) {
      auto k = it.groups.find(g);
      return k == it.groups.end() ? std::string() : k->second;
    });
  }
  return out;
}

}  // namespace fairtrace::splits
