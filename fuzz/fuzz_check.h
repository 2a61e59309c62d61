// Shared checks of the fuzz targets: what every error and every result that
// leaves the server must satisfy, whatever the input.
#pragma once

#include <cstdlib>

#include "absl/status/status.h"
#include "common/text/utf8.h"

namespace fairtrace::fuzz {

// A status's message is valid UTF-8 and bounded (it travels to clients).
inline void CheckStatus(const absl::Status& s) {
  if (!text::IsValidUtf8(s.message())) std::abort();
  if (s.message().size() > 8192) std::abort();
}

inline void CheckText(absl::string_view s) {
  if (!text::IsValidUtf8(s)) std::abort();
}

}  // namespace fairtrace::fuzz
