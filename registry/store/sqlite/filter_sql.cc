#include "registry/store/sqlite/filter_sql.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status/status_macros.h"

namespace fairtrace::sqlite {
namespace {

// Replaces the placeholders of `tmpl` in order of appearance, pushing the
// arguments they stand for.
std::string Expand(absl::string_view tmpl, const std::string& key, const std::string& inner,
                   std::vector<FilterValue>* args, const std::vector<FilterValue>& inner_args,
                   const std::string& scope) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '%' && i + 1 < tmpl.size() && tmpl[i + 1] == 'P') {
      out += "?";
      args->push_back(scope);
      ++i;
      continue;
    }
    if (tmpl[i] == '%' && i + 1 < tmpl.size() && tmpl[i + 1] == 'K') {
      out += "?";
      args->push_back(key);
      ++i;
    } else if (tmpl[i] == '%' && i + 1 < tmpl.size() && tmpl[i + 1] == 'E') {
      out += inner;
      args->insert(args->end(), inner_args.begin(), inner_args.end());
      ++i;
    } else {
      out.push_back(tmpl[i]);
    }
  }
  return out;
}

absl::Status Compile(const FilterExpr& e, const std::vector<SqlColumn>& columns, const std::string& scope,
                     std::string* sql, std::vector<FilterValue>* args) {
  switch (e.kind) {
    case FilterExpr::Kind::kAnd:
    case FilterExpr::Kind::kOr: {
      *sql += "(";
      for (size_t i = 0; i < e.children.size(); ++i) {
        if (i > 0) *sql += e.kind == FilterExpr::Kind::kAnd ? " AND " : " OR ";
        FT_RETURN_IF_ERROR(Compile(e.children[i], columns, scope, sql, args));
      }
      *sql += ")";
      return absl::OkStatus();
    }
    case FilterExpr::Kind::kNot:
      *sql += "(NOT ";
      FT_RETURN_IF_ERROR(Compile(e.children[0], columns, scope, sql, args));
      *sql += ")";
      return absl::OkStatus();
    case FilterExpr::Kind::kCompare:
      break;
  }
  const SqlColumn* col = nullptr;
  for (const SqlColumn& c : columns) {
    if (c.field == e.field) col = &c;
  }
  if (col == nullptr) return absl::InternalError(absl::StrCat("filter field ", e.field, " has no column"));
  // Operators come from the parser's fixed set; map them to SQL explicitly.
  static const std::pair<const char*, const char*> kOps[] = {{"=", "="},   {"!=", "<>"}, {"<", "<"},
                                                             {"<=", "<="}, {">", ">"},   {">=", ">="}};
  const char* op = nullptr;
  for (const auto& [in, out] : kOps) {
    if (e.op == in) op = out;
  }
  if (op == nullptr) return absl::InternalError("unknown filter operator");
  std::vector<FilterValue> expr_args;
  std::string expr = Expand(col->expr, e.key, "", &expr_args, {}, scope);
  if (std::holds_alternative<double>(e.value)) expr = absl::StrCat("CAST(", expr, " AS REAL)");
  std::string cmp = absl::StrCat(expr, " ", op, " ?");
  expr_args.push_back(e.value);
  if (col->wrapper.empty()) {
    *sql += absl::StrCat("(", cmp, ")");
    args->insert(args->end(), expr_args.begin(), expr_args.end());
  } else {
    *sql += absl::StrCat("(", Expand(col->wrapper, e.key, cmp, args, expr_args, scope), ")");
  }
  return absl::OkStatus();
}

}  // namespace

int SqlFilter::BindTo(Stmt* q, int first) const {
  for (const FilterValue& v : args) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      q->Bind(first++, *i);
    } else if (const auto* d = std::get_if<double>(&v)) {
      q->BindDouble(first++, *d);
    } else {
      q->Bind(first++, std::get<std::string>(v));
    }
  }
  return first;
}

absl::StatusOr<SqlFilter> CompileFilter(const ParsedFilter& filter, const std::vector<SqlColumn>& columns,
                                        const std::string& scope) {
  SqlFilter out;
  if (!filter.has_filter) return out;
  out.where.clear();
  FT_RETURN_IF_ERROR(Compile(filter.root, columns, scope, &out.where, &out.args));
  return out;
}

}  // namespace fairtrace::sqlite
