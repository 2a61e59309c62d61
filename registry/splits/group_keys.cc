#include "registry/splits/group_keys.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/core/resource_util.h"
#include "registry/investigations/investigation_names.h"

namespace fairtrace::splits {

using json = nlohmann::json;

GroupKeys::GroupKeys(const DatasetVersionRow& version, InvestigationStore* investigations)
    : investigations_(investigations) {
  std::vector<absl::string_view> rev = absl::StrSplit(version.investigation_revision, '/');
  if (rev.size() == 4 && ParseCanonicalInt(rev[3], &revision_)) investigation_ = std::string(rev[1]);
}

absl::Status GroupKeys::CheckGroupBy(const std::string& g, const std::string& field) {
  static const char* kNamed[] = {"",     "observation_unit", "biological_material", "sample", "acquired_date", "sensor",
                                 "view", "station"};
  for (const char* n : kNamed) {
    if (g == n) return absl::OkStatus();
  }
  if (absl::StartsWith(g, "attributes.") && g.size() > 11 && g.size() <= 139) return absl::OkStatus();
  return InvalidField(field,
                      "observation_unit, biological_material, sample, acquired_date, sensor, view, station or "
                      "attributes.<key>");
}

absl::StatusOr<std::vector<std::string>> GroupKeys::Field(const std::string& section, const std::string& id,
                                                          const std::string& codename) {
  auto key = std::make_pair(section, id);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  std::vector<std::string> out;
  if (!investigation_.empty()) {
    FT_ASSIGN_OR_RETURN(std::optional<EntityRow> e, investigations_->GetEntity(investigation_, revision_, section, id));
    if (e) {
      json rec = json::parse(e->record_json, nullptr, false);
      if (rec.is_object() && rec.contains("values") && rec["values"].is_object() && rec["values"].contains(codename) &&
          rec["values"][codename].is_string()) {
        for (absl::string_view v :
             absl::StrSplit(rec["values"][codename].get<std::string>(), ';', absl::SkipWhitespace())) {
          out.emplace_back(absl::StripAsciiWhitespace(v));
        }
      }
    }
  }
  cache_.emplace(key, out);
  return out;
}

absl::StatusOr<std::vector<std::string>> GroupKeys::UnitsOfSample(const std::string& sample) {
  return Field("sample", sample, "obsUnitId");
}

absl::StatusOr<std::vector<std::string>> GroupKeys::MaterialsOfUnit(const std::string& unit) {
  return Field("observation_unit", unit, "biologicalMaterialId");
}

absl::StatusOr<std::vector<std::string>> GroupKeys::Linked(const ItemRow& item, const std::string& section) {
  std::vector<std::string> out;
  json links = json::parse(item.links_json, nullptr, false);
  if (!links.is_array()) return out;
  for (const json& l : links) {
    if (!l.is_string()) continue;
    absl::StatusOr<EntityName> e = ParseEntityName(l.get<std::string>(), "link");
    if (e.ok() && e->section == section) out.push_back(e->entity_id);
  }
  return out;
}

absl::StatusOr<std::string> GroupKeys::KeyOf(const ItemRow& item, const std::string& g) {
  std::set<std::string> keys;
  const bool by_links = g == "observation_unit" || g == "biological_material" || g == "sample";
  if (by_links) {
    if (auto it = by_links_.find({g, item.links_json}); it != by_links_.end()) return it->second;
  }
  if (g == "observation_unit" || g == "biological_material") {
    FT_ASSIGN_OR_RETURN(std::vector<std::string> units, Linked(item, "observation_unit"));
    FT_ASSIGN_OR_RETURN(std::vector<std::string> samples, Linked(item, "sample"));
    for (const std::string& s : samples) {
      FT_ASSIGN_OR_RETURN(std::vector<std::string> up, UnitsOfSample(s));
      units.insert(units.end(), up.begin(), up.end());
    }
    if (g == "observation_unit") {
      keys.insert(units.begin(), units.end());
    } else {
      FT_ASSIGN_OR_RETURN(std::vector<std::string> materials, Linked(item, "biological_material"));
      keys.insert(materials.begin(), materials.end());
      for (const std::string& u : units) {
        FT_ASSIGN_OR_RETURN(std::vector<std::string> m, MaterialsOfUnit(u));
        keys.insert(m.begin(), m.end());
      }
    }
  } else if (g == "sample") {
    FT_ASSIGN_OR_RETURN(std::vector<std::string> samples, Linked(item, "sample"));
    keys.insert(samples.begin(), samples.end());
  } else if (g == "acquired_date") {
    if (item.acquired_at.size() >= 10) keys.insert(item.acquired_at.substr(0, 10));
  } else if (g == "sensor") {
    if (!item.sensor.empty()) keys.insert(item.sensor);
  } else if (g == "view") {
    if (!item.view.empty()) keys.insert(item.view);
  } else if (g == "station") {
    if (!item.station.empty()) keys.insert(item.station);
  } else if (absl::StartsWith(g, "attributes.")) {
    json attrs = json::parse(item.attributes_json, nullptr, false);
    const std::string k = g.substr(11);
    if (attrs.is_object() && attrs.contains(k) && attrs[k].is_string()) keys.insert(attrs[k].get<std::string>());
  }
  std::string key = absl::StrJoin(keys, ";");
  if (by_links) by_links_.emplace(std::make_pair(g, item.links_json), key);
  return key;
}

}  // namespace fairtrace::splits
