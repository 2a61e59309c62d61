// Value syntax of MIAPPE fields (MIAPPE.md section 5; the `format` column of
// schemas/miappe/fields.tsv): one function checks a non-blank value against
// its field's format and appends FMT-/VOC-/SEM- findings with a hint and,
// where the fix is certain, the fixed value (applied in lenient mode).
// Also the parsers pass 2 needs (dates, lists, key:value pairs). Pure;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "validators/miappe/report.h"
#include "validators/miappe/schema.h"

namespace fairtrace::miappe {

struct FormatOptions {
  Profile profile = Profile::k1_2;
  // Lenient import: problems with a certain automatic fix (Excel serial
  // dates, decimal commas, stray whitespace, CURIE separators) become
  // WARNINGs and carry the fixed value.
  bool lenient = false;
};

// One value of a single-value format (an id, date, coordinate, term, URI,
// e-mail, ...) longer than this gets one FMT-TOO-LONG error and no further
// format checks. Lists (of references, dates, DOIs, pairs) and free text are
// not bounded here: 100,000 observation units make long reference lists.
inline constexpr size_t kMaxFormattedValueBytes = 4096;

// Appends the findings of `value` (trimmed of nothing: whitespace is a
// finding) against rule.format. `value` is non-blank.
void CheckFormat(const FieldRule& rule, const std::string& value, const FormatOptions& options,
                 std::vector<Finding>* out);

// The calendar day of an ISO 8601 date or date-time, when it is one.
std::optional<absl::CivilDay> ParseIsoDay(absl::string_view value);

// The ISO 3166-1 alpha-2 code of a country code, alpha-3 code or name
// ("France", "FRA", "fr" -> "FR"), or "" when it names no country.
std::string CountryAlpha2(absl::string_view value);
// MIAPPE lists: split on ';' (or ',' when there is no ';'), items trimmed;
// empty items kept as "" so that callers can report them.
std::vector<std::string> SplitList(absl::string_view value, bool comma_fallback = true);
// key:value pairs separated by ';' or ','; split on the first ':' only.
std::vector<std::pair<std::string, std::string>> SplitPairs(absl::string_view value);

}  // namespace fairtrace::miappe
