// Which projects' resources a call may see (docs/security.md, "Projects"):
// every project (access control off, or a grant on "*"), or a list. Lists
// of top-level resources are filtered by it in SQL; lineage redacts nodes
// outside it. Plain data; thread-compatible.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace fairtrace {

struct ProjectScope {
  bool all = true;
  std::vector<std::string> projects;  // sorted, unique; used when !all

  static ProjectScope All() { return ProjectScope{}; }
  static ProjectScope Only(std::vector<std::string> projects) {
    std::sort(projects.begin(), projects.end());
    projects.erase(std::unique(projects.begin(), projects.end()), projects.end());
    return ProjectScope{false, std::move(projects)};
  }
  bool Allows(absl::string_view project) const {
    return all || std::binary_search(projects.begin(), projects.end(), project);
  }
  // The projects as a JSON array, for SQL's json_each (bound, never spliced).
  std::string ProjectsJson() const { return nlohmann::json(projects).dump(); }
};

}  // namespace fairtrace
