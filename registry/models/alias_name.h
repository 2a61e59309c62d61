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
// alias is read through alias fields (MLflow's "@12"), since
// "models/{model}/versions/12" names version 12. Used wherever an alias is read.
bool IsAliasName(absl::string_view alias);

// OK when `alias` may be set: IsAliasName, and not reserved by MLflow
// ("latest" in any case; "v" or "V" followed by digits only). Else
// INVALID_ARGUMENT on field `field`, saying which rule it breaks.
absl::Status CheckNewAlias(absl::string_view alias, absl::string_view field);

}  // namespace fairtrace
