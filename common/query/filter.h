// List filters: the AIP-160 subset fairtrace accepts (docs/filtering.md),
// parsed into a typed expression tree checked against a whitelist of
// fields. Storage backends compile the tree to parameterised queries
// (store/sqlite/filter_sql.h); no value ever becomes query text.
//
// Grammar (AIP-160 precedence: OR binds tighter than AND):
//   filter     := expression?
//   expression := sequence { "AND" sequence }
//   sequence   := factor { "OR" factor }
//   factor     := ["NOT" | "-"] term
//   term       := "(" expression ")" | comparison
//   comparison := field op value        op: = != < <= > >=
//   field      := name { "." name }     value: "quoted" | number | word
//
// Errors: INVALID_ARGUMENT on field `filter` (with the position) for syntax
// errors, unknown fields, values of the wrong type or enum values out of
// range, and filters over the size limits. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fairtrace {

enum class FilterType {
  kString,     // compared as text
  kInt,        // integer literal
  kTimestamp,  // quoted RFC 3339 literal, compared as microseconds
  kEnum,       // bare word (or quoted) from `enum_values`
  kDynamic,    // "prefix.<key>" text; a number literal compares numerically
};

struct FilterField {
  FilterField(std::string n, FilterType t, std::vector<std::string> values = {})
      : name(std::move(n)), type(t), enum_values(std::move(values)) {}
  std::string name;  // "stage", or a prefix ending in '.' ("tags.")
  FilterType type = FilterType::kString;
  std::vector<std::string> enum_values;  // kEnum only
};

using FilterValue = std::variant<int64_t, double, std::string>;

struct FilterExpr {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kCompare;
  std::vector<FilterExpr> children;  // kAnd/kOr: 2+; kNot: 1
  // kCompare only:
  std::string field;  // the whitelisted name or prefix ("tags.")
  std::string key;    // the part after a prefix ("team" in tags.team)
  std::string op;     // = != < <= > >=
  FilterValue value;  // typed by the field: int64 for kInt/kTimestamp
};

struct FilterLimits {
  size_t max_length = 2000;
  int max_comparisons = 20;
  int max_depth = 10;
};

// Parses `text` against `fields`. An empty (or blank) filter yields
// std::nullopt-like empty: `has_filter` false.
struct ParsedFilter {
  bool has_filter = false;
  FilterExpr root;
};
absl::StatusOr<ParsedFilter> ParseFilter(absl::string_view text, const std::vector<FilterField>& fields,
                                         const FilterLimits& limits = {});

}  // namespace fairtrace
