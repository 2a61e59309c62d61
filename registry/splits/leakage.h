// Leakage between the parts of a split (docs/splits.md, "Leakage";
// ../shared/COMPLIANCE.md §4):
//   exact_duplicate   the same blob in two parts (L1.4)
//   group:<key>       the same group key in two parts (L3.2)
//   temporal          an item of a later part acquired before the latest
//                     item of the earlier parts (L3.1; temporal splits)
// Each finding counts what leaks (blobs, groups, items) and lists the first
// `max_pairs` offending pairs, in a fixed order (parts in split order, then
// paths). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fairtrace::splits {

struct LeakageItem {
  std::string path, part, blob;
  int64_t acquired_micros = 0;
  bool has_acquired = false;
  std::map<std::string, std::string> groups;  // group_by -> key ("" none)
};

struct LeakagePairOut {
  std::string a, a_part, b, b_part, shared;
};

struct LeakageFindingOut {
  std::string kind;
  int64_t count = 0;
  int64_t unkeyed_items = 0;  // group findings: items without a key
  std::vector<LeakagePairOut> pairs;
};

struct LeakageOptions {
  std::vector<std::string> part_order;
  std::vector<std::string> group_by;
  bool temporal = false;
  size_t max_pairs = 20;
};

std::vector<LeakageFindingOut> FindLeakage(const std::vector<LeakageItem>& items, const LeakageOptions& options);

// For every two parts that share something: how many blobs
// ("exact_duplicate") and group keys ("group:<key>" for each of
// `group_by`) they share. Keys: the two part names in byte order. Kept
// with a split so that a run ending on two of its parts is checked without
// reading the items again.
std::map<std::pair<std::string, std::string>, std::map<std::string, int64_t>> PartPairCounts(
    const std::vector<LeakageItem>& items, const std::vector<std::string>& group_by);

}  // namespace fairtrace::splits
