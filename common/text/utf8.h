// UTF-8 at the boundary: validation, code-point truncation, and the two
// escapings every place that shows or records request text uses.
//
// Request bytes are hostile. Any text that leaves the server (error messages,
// google.rpc details, audit records, findings) must be valid UTF-8 and
// bounded; cutting a string by bytes can split a character and poison every
// reader (protobuf refuses invalid UTF-8 in `string` fields). So:
//  - ClipText(s, n): what to show a person: at most n code points, invalid
//    bytes shown as \xNN, an ellipsis when cut. Not reversible.
//  - EscapeText(s): what to record: reversible (UnescapeText gives s back),
//    injective (two inputs never give one output), valid UTF-8. Valid UTF-8
//    other than '\' and control characters is kept as it is.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace fairtrace::text {

// Length of the well-formed UTF-8 sequence starting at s[i] (1-4), or 0 when
// the bytes there are not one (overlong forms, surrogates and code points
// above U+10FFFF are not well-formed). Requires i < s.size().
size_t Utf8SequenceLength(absl::string_view s, size_t i);

bool IsValidUtf8(absl::string_view s);

// Byte offset of the first invalid sequence, or nullopt when s is valid.
std::optional<size_t> FirstInvalidUtf8(absl::string_view s);

// The number of code points in valid UTF-8 `s` (invalid bytes count one each).
size_t CodePointCount(absl::string_view s);

// The longest prefix of `s` with at most `max_code_points` code points that
// ends on a character boundary (an invalid byte counts as one code point).
absl::string_view TruncateCodePoints(absl::string_view s, size_t max_code_points);

// For people: at most `max_code_points` code points of `s`, bytes that are
// not UTF-8 and C0/DEL control characters written as \xNN, "…" appended when
// cut. Always valid UTF-8.
std::string ClipText(absl::string_view s, size_t max_code_points);

// `s` itself when it is valid UTF-8 of at most `max_code_points` bytes
// (kept as sent, control characters included), else ClipText(s,
// max_code_points): the bound every error and finding string goes through.
std::string BoundText(absl::string_view s, size_t max_code_points);

// For records: reversible escaping into valid UTF-8. '\' becomes "\\",
// bytes that are not well-formed UTF-8 and C0/DEL control characters become
// "\xNN" (lowercase hex); everything else is kept.
std::string EscapeText(absl::string_view s);
// Inverse of EscapeText; nullopt when `s` is not an EscapeText output.
std::optional<std::string> UnescapeText(absl::string_view s);

}  // namespace fairtrace::text
