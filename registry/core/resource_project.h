// Which project a resource belongs to (docs/security.md, "Projects").
//
// Investigations, datasets, registered models, runs and (MLflow)
// experiments carry a project;
// every resource under one of them ("models/m/versions/3",
// "datasets/d/versions/2/splits/s", "investigations/i/studies/s") is in its
// project. Other names (blobs/, trees/, tokens/, grants/) belong to no
// project. Thread-safe as the store given.
#pragma once

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/store/project_scope.h"
#include "registry/store/store.h"

namespace fairtrace {

// The top-level resource `name` is under: {"models", "m"} for
// "models/m/versions/3"; nullopt for a name of no project.
struct ProjectOwner {
  std::string collection, id;
  std::string name() const { return collection + "/" + id; }
};
std::optional<ProjectOwner> ProjectOwnerOf(absl::string_view name);
// Whether `owner`'s id could name a stored resource (a run id is 32 lower
// hex digits; the others are resource ids): an id that cannot is reported
// by the call itself (INVALID_ARGUMENT), not as missing.
bool CouldExist(const ProjectOwner& owner);

struct ResourceProject {
  enum class State { kNoProject, kMissing, kFound };
  State state = State::kNoProject;
  std::string project;  // when kFound
  ProjectOwner owner;   // unless kNoProject
};
// INTERNAL for store errors.
absl::StatusOr<ResourceProject> LookUpResourceProject(Store* store, absl::string_view name);

// Which names a caller may not see: those of stored resources in projects
// outside `scope`. A name of no project or of nothing stored hides
// nothing. One lookup per top-level resource (cached); the scope and the
// store are borrowed. For one call: not thread-safe.
class ProjectVisibility {
 public:
  ProjectVisibility(Store* store, const ProjectScope& scope) : store_(store), scope_(scope) {}
  // INTERNAL for store errors.
  absl::StatusOr<bool> Hidden(absl::string_view name);

 private:
  Store* store_;
  const ProjectScope& scope_;
  absl::flat_hash_map<std::string, bool> hidden_;  // by top-level resource
};

}  // namespace fairtrace
