#include "registry/mlflow/mlflow_params.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"

namespace fairtrace::mlflow {

using json = nlohmann::json;

namespace {

absl::Status Missing(const std::string& field) {
  return InvalidField(field, absl::StrCat("Missing value for required parameter '", field, "'"));
}

}  // namespace

absl::StatusOr<std::string> TextParam(const json& params, const std::string& field, bool required) {
  auto it = params.find(field);
  if (it == params.end() || it->is_null()) {
    if (required) return Missing(field);
    return std::string();
  }
  if (!it->is_string()) return InvalidField(field, "must be a string");
  std::string v = it->get<std::string>();
  if (required && v.empty()) return Missing(field);
  return v;
}

absl::StatusOr<int64_t> IntegerParam(const json& params, const std::string& field, int64_t fallback) {
  auto it = params.find(field);
  if (it == params.end() || it->is_null()) return fallback;
  int64_t v = 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &v)) return v;
  return InvalidField(field, "must be an integer");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> KeyValuesParam(const json& params,
                                                                                const std::string& field) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = params.find(field);
  if (it == params.end() || it->is_null()) return out;
  const std::string shape = absl::StrCat(field, " must be a list of {key, value}");
  if (!it->is_array()) return InvalidField(field, shape);
  for (const json& t : *it) {
    if (!t.is_object()) return InvalidField(field, shape);
    FT_ASSIGN_OR_RETURN(std::string key, TextParam(t, "key", true));
    FT_ASSIGN_OR_RETURN(std::string value, TextParam(t, "value", false));
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> TagsParam(const json& params) {
  FT_ASSIGN_OR_RETURN(auto pairs, KeyValuesParam(params, "tags"));
  std::map<std::string, std::string> out;
  for (auto& [k, v] : pairs) out[k] = std::move(v);
  return out;
}

absl::StatusOr<std::vector<std::string>> StringListParam(const nlohmann::json& p, const std::string& field) {
  std::vector<std::string> out;
  auto it = p.find(field);
  if (it == p.end() || it->is_null()) return out;
  if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
  if (!it->is_array()) return InvalidField(field, "must be a list of strings");
  for (const nlohmann::json& v : *it) {
    if (!v.is_string()) return InvalidField(field, "must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::pair<std::string, bool>> OrderTermParam(const std::string& term) {
  auto bad = [&](absl::string_view why) {
    return InvalidField("order_by", absl::StrCat("'", text::ClipText(term, 100), "': ", why));
  };
  if (term.size() > 1000) return bad("too long");
  absl::string_view rest = absl::StripAsciiWhitespace(term);
  std::string key;
  if (!rest.empty() && (rest.front() == '`' || rest.front() == '"')) {
    const size_t close = rest.find(rest.front(), 1);
    if (close == absl::string_view::npos) return bad("an unclosed quote");
    key = std::string(rest.substr(1, close - 1));
    rest = absl::StripLeadingAsciiWhitespace(rest.substr(close + 1));
  } else {
    const size_t space = rest.find_first_of(" \t");
    key = std::string(rest.substr(0, space));
    rest =
        space == absl::string_view::npos ? absl::string_view() : absl::StripLeadingAsciiWhitespace(rest.substr(space));
  }
  const std::string direction = absl::AsciiStrToLower(rest);
  if (key.empty() || (!direction.empty() && direction != "asc" && direction != "desc")) {
    return bad("expected a key and ASC or DESC");
  }
  return std::make_pair(key, direction != "desc");
}

}  // namespace fairtrace::mlflow
