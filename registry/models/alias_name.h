// Alias names of registered models (docs/models.md, "Aliases"): MLflow's
// rule, so that every alias the MLflow client sets works through the door
// and the gRPC API alike.
//
// Thread-safe; no state.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fairtrace {

// True when `alias` can name an alias: valid UTF-8, 1-255 code points, each
// a letter or digit of any script (Unicode categories L and N), '_' or '-'
// (MLflow's `^[\w\-]*$`). Digits only are allowed, as by MLflow: such an
// alias is read through alias fields (MLflow's "@12"). Used wherever an
// alias field is read.
bool IsAliasName(absl::string_view alias);

// True when `segment`, the last part of "models/{model}/versions/{segment}"
// that is not a version number, names an alias: IsAliasName and not ASCII
// digits only (so "01" or an overflowing number is refused, one spelling
// per version, rather than read as an alias).
bool IsAliasInVersionName(absl::string_view segment);

// OK when `alias` may be set: IsAliasName, and not reserved by MLflow
// ("latest" in any case; "v" or "V" followed by digits only). Else
// INVALID_ARGUMENT on field `field`, saying which rule it breaks.
absl::Status CheckNewAlias(absl::string_view alias, absl::string_view field);

}  // namespace fairtrace
