// How deeply a JSON text nests, measured before it is parsed: a recursive
// parser (nlohmann::json) given "[[[[…" a million levels deep would run out
// of stack, so untrusted JSON is checked with this first. Pure; thread-safe.
#pragma once

#include "absl/strings/string_view.h"

namespace fairtrace::text {

// The deepest nesting of arrays and objects in `s`, outside strings; stops
// counting (and returns) once it passes `cap`. One pass, no allocation.
int JsonDepth(absl::string_view s, int cap);

}  // namespace fairtrace::text
