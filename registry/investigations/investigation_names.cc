#include "registry/investigations/investigation_names.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "registry/core/resource_util.h"
#include "validators/miappe/miappe_json.h"

namespace fairtrace {

std::string PercentEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::StrFormat("%02X", c));
    }
  }
  return out;
}

std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int v = 0;
    if (s[i] == '%' && i + 2 < s.size() && absl::SimpleHexAtoi(s.substr(i + 1, 2), &v)) {
      out.push_back(static_cast<char>(v));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

absl::StatusOr<std::string> ParseInvestigationName(absl::string_view name, absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 || parts[0] != "investigations" || !IsValidResourceId(parts[1])) {
    return InvalidField(field, "expected \"investigations/{investigation}\"");
  }
  return std::string(parts[1]);
}

absl::StatusOr<EntityName> ParseEntityName(absl::string_view name, absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() == 4 && parts[0] == "investigations" && IsValidResourceId(parts[1]) && !parts[3].empty()) {
    for (const auto& [section, collection] : miappe::SectionCollections()) {
      if (parts[2] == collection && section != "investigation") {
        return EntityName{std::string(parts[1]), section, PercentDecode(parts[3])};
      }
    }
  }
  return InvalidField(field,
                      "expected \"investigations/{i}/{studies|persons|dataFiles|biologicalMaterials|"
                      "environmentParameters|factors|events|observationUnits|samples|observedVariables}/{id}\"");
}

absl::Status InvestigationNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no investigation ", name))
      .Reason("INVESTIGATION_NOT_FOUND")
      .Resource("investigation", name);
}

}  // namespace fairtrace
