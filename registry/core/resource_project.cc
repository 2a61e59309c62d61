#include "registry/core/resource_project.h"

#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "registry/core/resource_util.h"

namespace fairtrace {

std::optional<ProjectOwner> ProjectOwnerOf(absl::string_view name) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(name, absl::MaxSplits('/', 1));
  absl::string_view id = parts.second.substr(0, parts.second.find('/'));
  if (id.empty()) return std::nullopt;
  for (absl::string_view c : {"models", "runs", "datasets", "investigations", "experiments"}) {
    if (parts.first == c) return ProjectOwner{std::string(c), std::string(id)};
  }
  return std::nullopt;
}

bool CouldExist(const ProjectOwner& owner) {
  if (owner.collection == "experiments") {
    return !owner.id.empty() && owner.id.size() <= 18 && (owner.id == "0" || owner.id[0] != '0') &&
           owner.id.find_first_not_of("0123456789") == std::string::npos;
  }
  if (owner.collection != "runs") return IsValidResourceId(owner.id);
  if (owner.id.size() != 32) return false;
  for (char c : owner.id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::StatusOr<ResourceProject> LookUpResourceProject(Store* store, absl::string_view name) {
  ResourceProject out;
  std::optional<ProjectOwner> owner = ProjectOwnerOf(name);
  if (!owner) return out;
  out.owner = *owner;
  FT_ASSIGN_OR_RETURN(std::optional<std::string> project, store->ResourceProject(owner->collection, owner->id));
  out.state = project ? ResourceProject::State::kFound : ResourceProject::State::kMissing;
  if (project) out.project = *std::move(project);
  return out;
}

absl::StatusOr<bool> ProjectVisibility::Hidden(absl::string_view name) {
  if (scope_.all) return false;
  std::optional<ProjectOwner> owner = ProjectOwnerOf(name);
  if (!owner) return false;
  auto it = hidden_.find(owner->name());
  if (it != hidden_.end()) return it->second;
  FT_ASSIGN_OR_RETURN(std::optional<std::string> project, store_->ResourceProject(owner->collection, owner->id));
  const bool hidden = project.has_value() && !scope_.Allows(*project);
  hidden_[owner->name()] = hidden;
  return hidden;
}

}  // namespace fairtrace
