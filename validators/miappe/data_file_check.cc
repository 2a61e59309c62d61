#include "validators/miappe/data_file_check.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"

namespace fairtrace::miappe {
namespace {

constexpr int kMaxRowFindings = 100;

bool IsDecimalComma(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  size_t comma = s.find(',');
  if (comma == absl::string_view::npos || comma == 0 || comma + 1 >= s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != comma && !absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

Finding At(const std::string& code, Severity sev, const std::string& where, std::string message, std::string hint,
           const std::string& entity, const std::string& value) {
  Finding f = ReaderFinding(code, sev, "data_file", where, std::move(message), std::move(hint));
  f.entity_id = entity;
  f.value = text::ClipText(value, 200);
  return f;
}

}  // namespace

Table ParseDataFile(absl::string_view name, absl::string_view data, std::vector<Finding>* findings) {
  absl::string_view first = data.substr(0, data.find('\n'));
  size_t tabs = std::count(first.begin(), first.end(), '\t');
  size_t commas = std::count(first.begin(), first.end(), ',');
  size_t semicolons = std::count(first.begin(), first.end(), ';');
  char delimiter = '\t';
  if (commas > tabs && commas >= semicolons) delimiter = ',';
  if (semicolons > tabs && semicolons > commas) delimiter = ';';
  return ParseTsv(name, data, findings, /*ragged=*/false, delimiter);
}

void CheckDataTable(const Table& t, const DataFileScope& scope, std::vector<Finding>* findings) {
  if (t.rows.empty()) return;
  const std::vector<std::string>& header = t.rows[0];
  for (size_t c = 1; c < header.size(); ++c) {
    std::string h(absl::StripAsciiWhitespace(header[c]));
    size_t commas = 0, first = 0;
    for (size_t r = 1; r < t.rows.size(); ++r) {
      if (IsDecimalComma(t.rows[r][c]) && commas++ == 0) first = r;
    }
    if (h.empty()) continue;  // trailing separators
    std::string lower = absl::AsciiStrToLower(h);
    bool timestamp = absl::StrContains(lower, "date") || absl::StrContains(lower, "time");
    if (!timestamp && !scope.variables.contains(h)) {
      findings->push_back(
          At("XRF-DATAFILE-COLUMNS", Severity::kError, absl::StrCat(t.name, ":", t.lines[0]),
             absl::StrCat("column \"", h, "\" is not an observed variable of study \"", scope.study, "\""),
             "name data columns by a variableId of the study (or make it an id or timestamp column)", h, h));
    }
    if (commas > 0) {
      findings->push_back(At("FMT-DECIMAL-COMMA", Severity::kWarning, absl::StrCat(t.name, ":", t.lines[first]),
                             absl::StrCat(commas, " value(s) of column \"", h, "\" use a decimal comma (first: \"",
                                          t.rows[first][c], "\")"),
                             "write decimals with a point (59.07)", h, t.rows[first][c]));
    }
  }
  int bad = 0;
  for (size_t r = 1; r < t.rows.size(); ++r) {
    const std::string key(absl::StripAsciiWhitespace(t.rows[r][0]));
    if (key.empty() || scope.keys.contains(key)) continue;
    if (++bad <= kMaxRowFindings) {
      findings->push_back(At(
          "XRF-DATAFILE-ROWS", Severity::kError, absl::StrCat(t.name, ":", t.lines[r]),
          absl::StrCat("row key \"", key, "\" is no observation unit, sample or assay of study \"", scope.study, "\""),
          "key each data row by an obsUnitId or sampleId of the study", key, key));
    }
  }
  if (bad > kMaxRowFindings) {
    findings->push_back(At("XRF-DATAFILE-ROWS", Severity::kError, t.name,
                           absl::StrCat(bad - kMaxRowFindings, " more row keys are not of study \"", scope.study, "\""),
                           "key each data row by an obsUnitId or sampleId of the study", t.name, ""));
  }
}

}  // namespace fairtrace::miappe
