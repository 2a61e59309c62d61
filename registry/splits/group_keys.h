// The group key of a dataset item (docs/splits.md, "Groups"):
//   observation_unit     the units it links, a linked sample walked up to
//                        its unit(s) (sorted, ';'-joined)
//   biological_material  the materials it links, or those of its units
//   sample               the samples it links
//   acquired_date        the date part of acquired_at
//   sensor, view, station, attributes.<key>   the item's value
// "" when the item has none. Entities are read from the version's pinned
// MIAPPE revision, each once. Not thread-safe (a cache); one per call.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/store/dataset_store.h"
#include "registry/store/investigation_store.h"

namespace fairtrace::splits {

class GroupKeys {
 public:
  GroupKeys(const DatasetVersionRow& version, InvestigationStore* investigations);

  // INVALID_ARGUMENT for a group_by that is none of the above.
  static absl::Status CheckGroupBy(const std::string& group_by, const std::string& field);

  absl::StatusOr<std::string> KeyOf(const ItemRow& item, const std::string& group_by);

 private:
  absl::StatusOr<std::vector<std::string>> Linked(const ItemRow& item, const std::string& section);
  absl::StatusOr<std::vector<std::string>> UnitsOfSample(const std::string& sample);
  absl::StatusOr<std::vector<std::string>> MaterialsOfUnit(const std::string& unit);
  absl::StatusOr<std::vector<std::string>> Field(const std::string& section, const std::string& id,
                                                 const std::string& codename);

  std::string investigation_;
  int64_t revision_ = 0;
  InvestigationStore* investigations_;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> cache_;
  // Link-based keys by (group_by, links_json): items of one plant share
  // their links, so each distinct list is resolved once.
  std::map<std::pair<std::string, std::string>, std::string> by_links_;
};

}  // namespace fairtrace::splits
