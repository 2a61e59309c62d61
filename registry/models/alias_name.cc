#include "registry/models/alias_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/status/errors.h"
#include "common/text/utf8.h"
#include "re2/re2.h"

namespace fairtrace {
namespace {

constexpr size_t kMaxCodePoints = 255;

bool AllAsciiDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool IsAliasName(absl::string_view alias) {
  static const RE2* const kAlias = new RE2("[\\pL\\pN_-]+");
  if (alias.empty() || alias.size() > 4 * kMaxCodePoints) return false;
  if (!text::IsValidUtf8(alias) || text::CodePointCount(alias) > kMaxCodePoints) return false;
  return RE2::FullMatch(re2::StringPiece(alias.data(), alias.size()), *kAlias);
}

bool IsAliasInVersionName(absl::string_view segment) { return IsAliasName(segment) && !AllAsciiDigits(segment); }

absl::Status CheckNewAlias(absl::string_view alias, absl::string_view field) {
  if (!IsAliasName(alias)) {
    return InvalidField(field, "1-255 letters, digits, '_' or '-' (MLflow's rule)");
  }
  if (absl::EqualsIgnoreCase(alias, "latest")) return InvalidField(field, "\"latest\" is reserved (MLflow's rule)");
  if ((alias[0] == 'v' || alias[0] == 'V') && alias.size() > 1 && AllAsciiDigits(alias.substr(1))) {
    return InvalidField(field, "v followed by digits is reserved for versions (MLflow's rule)");
  }
  return absl::OkStatus();
}

}  // namespace fairtrace
