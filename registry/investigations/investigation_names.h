// Resource names of the ExperimentService (docs/investigations.md):
// "investigations/{id}" and "investigations/{id}/{collection}/{entity id}",
// entity ids percent-encoded outside [A-Za-z0-9._~-]. Pure functions;
// thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fairtrace {

std::string PercentEncode(absl::string_view s);
std::string PercentDecode(absl::string_view s);

// The {id} of "investigations/{id}"; INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> ParseInvestigationName(absl::string_view name, absl::string_view field);

struct EntityName {
  std::string investigation;  // {id}
  std::string section;        // "observation_unit"
  std::string entity_id;      // decoded
};

// "investigations/{i}/{collection}/{id}" (collection: studies, persons,
// dataFiles, biologicalMaterials, environmentParameters, factors, events,
// observationUnits, samples, observedVariables); INVALID_ARGUMENT naming
// `field`.
absl::StatusOr<EntityName> ParseEntityName(absl::string_view name, absl::string_view field);

// NOT_FOUND, reason INVESTIGATION_NOT_FOUND.
absl::Status InvestigationNotFound(const std::string& name);

}  // namespace fairtrace
