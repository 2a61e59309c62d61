// Opaque, tamper-proof page tokens: base64url(payload ‖ HMAC-SHA256(key,
// kind ‖ 0 ‖ payload)[0..16)). A token altered by a client, or minted for
// another list (`kind`), is rejected with INVALID_ARGUMENT. The key is a
// server secret kept in the database, so tokens survive restarts.
// Pure; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fairtrace {

std::string EncodePageToken(absl::string_view key, absl::string_view kind, absl::string_view payload);
// The payload; an empty token decodes to an empty payload (first page).
absl::StatusOr<std::string> DecodePageToken(absl::string_view key, absl::string_view kind, absl::string_view token);

}  // namespace fairtrace
