// Compiles a parsed list filter (core/filter.h) to an SQLite WHERE fragment
// with `?` parameters. The fragment's text comes only from the column map
// below and fixed operator strings; every value, key and JSON path is a
// bound parameter. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/query/filter.h"
#include "registry/store/sqlite/db.h"

namespace fairtrace::sqlite {

// How one filter field maps to SQL.
struct SqlColumn {
  std::string field;  // as in FilterField::name ("stage", "tags.")
  // The compared expression; "%K" stands for the bound key (prefix fields).
  std::string expr;
  // Optional wrapper around the comparison; "%E" stands for "expr op ?",
  // "%K" for the bound key, "%P" for the bound scope value given to
  // CompileFilter (e.g. the parent model). E.g. "EXISTS (SELECT 1 ... AND %E)".
  std::string wrapper;
};

struct SqlFilter {
  std::string where = "1";  // always a valid boolean expression
  std::vector<FilterValue> args;
  // Binds args starting at parameter `first`; returns the next index.
  int BindTo(Stmt* q, int first) const;
};

// INTERNAL when a field has no column (a programming error: the field list
// and the column map disagree).
absl::StatusOr<SqlFilter> CompileFilter(const ParsedFilter& filter, const std::vector<SqlColumn>& columns,
                                        const std::string& scope = "");

}  // namespace fairtrace::sqlite
