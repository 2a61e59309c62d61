#include "registry/mlflow/run_search.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"

namespace fairtrace::mlflow {

namespace {

using Entity = RunSearch::Entity;

constexpr size_t kMaxFilterBytes = 10000;
constexpr int kMaxClauses = 50;
constexpr size_t kMaxOrderTerms = 10;
constexpr int kMaxLikeWildcards = 16;

bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsBareKeyChar(char c) { return IsWordChar(c) || c == '.' || c == '-' || c == '/' || c == ':'; }
bool IsNumberChar(char c) {
  return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

std::optional<Entity> EntityOf(absl::string_view word) {
  const std::string w = absl::AsciiStrToLower(word);
  if (w == "metric" || w == "metrics") return Entity::kMetric;
  if (w == "param" || w == "params" || w == "parameter" || w == "parameters") return Entity::kParam;
  if (w == "tag" || w == "tags") return Entity::kTag;
  if (w == "attribute" || w == "attributes" || w == "attr" || w == "run") return Entity::kAttribute;
  if (w == "dataset" || w == "datasets") return Entity::kDataset;
  return std::nullopt;
}

bool IsNumericAttribute(const std::string& key) { return key == "start_time" || key == "end_time"; }
bool IsTextAttribute(const std::string& key) {
  return key == "status" || key == "run_name" || key == "user_id" || key == "artifact_uri";
}
bool IsDatasetKey(const std::string& key) { return key == "name" || key == "digest" || key == "context"; }

// A cursor over filter or order-by text; errors name `field_` and the
// position.
class Scanner {
 public:
  Scanner(absl::string_view text, std::string field) : s_(text), field_(std::move(field)) {}

  void SkipSpace() {
    while (pos_ < s_.size() && absl::ascii_isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == s_.size();
  }
  absl::Status Error(absl::string_view what) const {
    return InvalidField(field_, absl::StrCat(what, " at position ", pos_ + 1, " of '", text::ClipText(s_, 120), "'"));
  }
  // A case-insensitive keyword followed by a non-word character.
  bool Keyword(absl::string_view kw) {
    SkipSpace();
    if (s_.size() - pos_ < kw.size() || !absl::EqualsIgnoreCase(s_.substr(pos_, kw.size()), kw)) return false;
    if (pos_ + kw.size() < s_.size() && IsWordChar(s_[pos_ + kw.size()])) return false;
    pos_ += kw.size();
    return true;
  }
  bool Symbol(absl::string_view sym) {
    SkipSpace();
    if (!absl::StartsWith(s_.substr(pos_), sym)) return false;
    pos_ += sym.size();
    return true;
  }
  char Peek() {
    SkipSpace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  // Text between `quote` characters (no escapes, as MLflow).
  absl::StatusOr<std::string> Quoted() {
    const char quote = s_[pos_];
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == absl::string_view::npos) return Error("an unterminated quote");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  // entity.key
  absl::StatusOr<std::pair<Entity, std::string>> Identifier() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < s_.size() && IsWordChar(s_[pos_])) ++pos_;
    const absl::string_view word = s_.substr(start, pos_ - start);
    if (word.empty() || pos_ >= s_.size() || s_[pos_] != '.') {
      pos_ = start;
      return Error(
          "expected an identifier such as metrics.<key>, params.<key>, tags.<key>, attributes.<name> or "
          "datasets.<name>");
    }
    std::optional<Entity> entity = EntityOf(word);
    if (!entity) {
      pos_ = start;
      return Error(
          absl::StrCat("'", text::ClipText(word, 40), "' is not metrics, params, tags, attributes or datasets"));
    }
    ++pos_;  // '.'
    std::string key;
    if (pos_ < s_.size() && (s_[pos_] == '`' || s_[pos_] == '"')) {
      FT_ASSIGN_OR_RETURN(key, Quoted());
    } else {
      const size_t k = pos_;
      while (pos_ < s_.size() && IsBareKeyChar(s_[pos_])) ++pos_;
      key = std::string(s_.substr(k, pos_ - k));
    }
    if (key.empty()) return Error("an empty key");
    return std::make_pair(*entity, std::move(key));
  }
  absl::StatusOr<std::string> Operator() {
    for (absl::string_view op : {"!=", "<=", ">=", "=", "<", ">"}) {
      if (Symbol(op)) return std::string(op);
    }
    if (Keyword("NOT")) {
      if (Keyword("IN")) return std::string("NOT IN");
      return Error("expected IN after NOT");
    }
    for (absl::string_view op : {"IN", "LIKE", "ILIKE"}) {
      if (Keyword(op)) return std::string(op);
    }
    return Error("expected a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)");
  }
  // A quoted string, or a number; what was found.
  absl::StatusOr<std::variant<std::string, double>> Value() {
    const char c = Peek();
    if (c == '\'' || c == '"') {
      FT_ASSIGN_OR_RETURN(std::string text, Quoted());
      return text;
    }
    const size_t start = pos_;
    while (pos_ < s_.size() && IsNumberChar(s_[pos_])) ++pos_;
    double v = 0;
    if (pos_ == start || !absl::SimpleAtod(s_.substr(start, pos_ - start), &v)) {
      pos_ = start;
      return Error("expected a quoted string or a number");
    }
    return v;
  }
  // ('a', 'b', …)
  absl::StatusOr<std::vector<std::string>> List() {
    if (!Symbol("(")) return Error("expected a list ('a', 'b', …)");
    std::vector<std::string> out;
    do {
      const char c = Peek();
      if (c != '\'' && c != '"') return Error("expected a quoted string");
      FT_ASSIGN_OR_RETURN(std::string v, Quoted());
      out.push_back(std::move(v));
    } while (Symbol(","));
    if (!Symbol(")")) return Error("expected ')'");
    return out;
  }

 private:
  absl::string_view s_;
  std::string field_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::shared_ptr<re2::RE2>> MlflowLikePattern(const std::string& pattern, bool fold_case) {
  // Each % multiplies the states a match may track: a bound keeps every
  // comparison a short linear scan.
  if (std::count(pattern.begin(), pattern.end(), '%') > kMaxLikeWildcards) {
    return InvalidField("filter", absl::StrCat("a LIKE pattern with more than ", kMaxLikeWildcards, " '%'"));
  }
  std::string re;
  std::string literal;
  auto flush = [&] {
    re += RE2::QuoteMeta(literal);
    literal.clear();
  };
  for (char c : pattern) {
    if (c == '%' || c == '_') {
      flush();
      re += c == '%' ? "(?s:.*)" : "(?s:.)";
    } else {
      literal += c;
    }
  }
  flush();
  RE2::Options options;
  options.set_case_sensitive(!fold_case);
  options.set_log_errors(false);
  options.set_max_mem(int64_t{1} << 20);
  auto out = std::make_shared<re2::RE2>(re, options);
  if (!out->ok()) return InvalidField("filter", "a LIKE pattern this server cannot match");
  return out;
}

namespace {

absl::Status CheckClause(RunSearch::Clause& c, const std::variant<std::string, double>* value, Scanner& scan) {
  const bool is_number = value != nullptr && std::holds_alternative<double>(*value);
  auto want_number = [&]() -> absl::Status {
    if (c.op == "LIKE" || c.op == "ILIKE" || c.op == "IN" || c.op == "NOT IN") {
      return scan.Error(absl::StrCat(c.op, " does not compare numbers"));
    }
    if (!is_number) return scan.Error("expected a number (unquoted)");
    c.number = std::get<double>(*value);
    return absl::OkStatus();
  };
  auto want_text = [&]() -> absl::Status {
    if (c.op != "=" && c.op != "!=" && c.op != "LIKE" && c.op != "ILIKE") {
      return scan.Error(absl::StrCat("strings are compared with =, !=, LIKE or ILIKE, not ", c.op));
    }
    if (is_number) return scan.Error("expected a quoted string");
    c.text = std::get<std::string>(*value);
    if (c.op == "LIKE" || c.op == "ILIKE") {
      FT_ASSIGN_OR_RETURN(c.pattern, MlflowLikePattern(c.text, c.op == "ILIKE"));
    }
    return absl::OkStatus();
  };
  switch (c.entity) {
    case Entity::kMetric:
      return want_number();
    case Entity::kParam:
    case Entity::kTag:
      return want_text();
    case Entity::kAttribute:
      if (c.key == "created") c.key = "start_time";
      if (c.key == "run_id") {
        if (c.op == "IN" || c.op == "NOT IN") return absl::OkStatus();
        if (c.op != "=" && c.op != "!=") return scan.Error("run_id is compared with =, !=, IN or NOT IN");
        if (is_number) return scan.Error("expected a quoted string");
        c.text = std::get<std::string>(*value);
        return absl::OkStatus();
      }
      if (IsNumericAttribute(c.key)) return want_number();
      if (IsTextAttribute(c.key)) return want_text();
      return scan.Error(absl::StrCat("'", text::ClipText(c.key, 40),
                                     "' is not an attribute (run_id, run_name, status, user_id, artifact_uri, "
                                     "start_time, end_time)"));
    case Entity::kDataset:
      if (!IsDatasetKey(c.key)) {
        return scan.Error(
            absl::StrCat("'", text::ClipText(c.key, 40), "' is not a dataset key (name, digest, context)"));
      }
      if (c.op == "IN" || c.op == "NOT IN") return absl::OkStatus();
      return want_text();
  }
  return absl::OkStatus();
}

std::optional<std::string> TextOf(const RunView& r, Entity e, const std::string& key) {
  auto find = [&](const std::map<std::string, std::string>& m) -> std::optional<std::string> {
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
  if (e == Entity::kParam) return find(r.params);
  if (e == Entity::kTag) return find(r.tags);
  if (key == "run_id") return r.run_id;
  if (key == "run_name") return r.run_name;
  if (key == "status") return r.status;
  if (key == "user_id") return r.user_id;
  if (key == "artifact_uri") return r.artifact_uri;
  return std::nullopt;
}

std::optional<double> NumberOf(const RunView& r, Entity e, const std::string& key) {
  if (e == Entity::kMetric) {
    auto it = r.metrics.find(key);
    if (it == r.metrics.end()) return std::nullopt;
    return it->second;
  }
  if (key == "start_time") return static_cast<double>(r.start_time);
  if (key == "end_time" && r.end_time) return static_cast<double>(*r.end_time);
  return std::nullopt;
}

bool IsNumeric(Entity e, const std::string& key) { return e == Entity::kMetric || IsNumericAttribute(key); }

}  // namespace

absl::StatusOr<RunSearch> RunSearch::Parse(absl::string_view filter, const std::vector<std::string>& order_by) {
  if (filter.size() > kMaxFilterBytes) return InvalidField("filter", "longer than 10,000 bytes");
  if (!text::IsValidUtf8(filter)) return InvalidField("filter", "not valid UTF-8");
  RunSearch out;
  Scanner scan(filter, "filter");
  while (!scan.AtEnd()) {
    if (!out.clauses_.empty() && !scan.Keyword("AND")) return scan.Error("expected AND (OR is not supported)");
    if (static_cast<int>(out.clauses_.size()) == kMaxClauses) return scan.Error("more than 50 clauses");
    Clause c;
    FT_ASSIGN_OR_RETURN(auto id, scan.Identifier());
    c.entity = id.first;
    c.key = std::move(id.second);
    FT_ASSIGN_OR_RETURN(c.op, scan.Operator());
    if (c.op == "IN" || c.op == "NOT IN") {
      if (!(c.entity == Entity::kAttribute && c.key == "run_id") && c.entity != Entity::kDataset) {
        return scan.Error("IN compares attributes.run_id and datasets.<key> only");
      }
      FT_ASSIGN_OR_RETURN(c.list, scan.List());
      FT_RETURN_IF_ERROR(CheckClause(c, nullptr, scan));
    } else {
      FT_ASSIGN_OR_RETURN(auto value, scan.Value());
      FT_RETURN_IF_ERROR(CheckClause(c, &value, scan));
    }
    out.clauses_.push_back(std::move(c));
  }
  if (order_by.size() > kMaxOrderTerms) return InvalidField("order_by", "at most 10 terms");
  for (const std::string& term : order_by) {
    if (term.size() > 1000 || !text::IsValidUtf8(term)) return InvalidField("order_by", "a term too long or not UTF-8");
    Scanner s(term, "order_by");
    FT_ASSIGN_OR_RETURN(auto id, s.Identifier());
    OrderTerm t{id.first, std::move(id.second), true};
    if (t.entity == Entity::kDataset) return s.Error("runs are not ordered by datasets");
    if (t.entity == Entity::kAttribute) {
      if (t.key == "created") t.key = "start_time";
      if (t.key != "run_id" && !IsNumericAttribute(t.key) && !IsTextAttribute(t.key)) {
        return s.Error(absl::StrCat("'", text::ClipText(t.key, 40), "' is not an attribute"));
      }
    }
    if (s.Keyword("DESC")) {
      t.ascending = false;
    } else {
      s.Keyword("ASC");
    }
    if (!s.AtEnd()) return s.Error("expected ASC, DESC or the end of the term");
    out.order_.push_back(std::move(t));
  }
  return out;
}

bool RunSearch::uses_datasets() const {
  return std::any_of(clauses_.begin(), clauses_.end(), [](const Clause& c) { return c.entity == Entity::kDataset; });
}

namespace {

// One text value against a clause of strings: =, !=, LIKE, ILIKE, IN, NOT IN.
bool TextMatches(const RunSearch::Clause& c, const std::string& v) {
  if (c.op == "IN" || c.op == "NOT IN") {
    return (std::find(c.list.begin(), c.list.end(), v) != c.list.end()) == (c.op == "IN");
  }
  if (c.pattern) return RE2::FullMatch(v, *c.pattern);
  return CompareByOp(v, c.op, c.text);
}

}  // namespace

bool RunSearch::Matches(const RunView& run) const {
  for (const Clause& c : clauses_) {
    if (c.entity == Entity::kDataset) {
      // Any of the run's dataset inputs, as MLflow's search does.
      const bool any = std::any_of(run.datasets.begin(), run.datasets.end(), [&](const RunView::DatasetInput& d) {
        return TextMatches(c, c.key == "name" ? d.name : c.key == "digest" ? d.digest : d.context);
      });
      if (!any) return false;
      continue;
    }
    if (c.op == "IN" || c.op == "NOT IN") {
      const bool in = std::find(c.list.begin(), c.list.end(), run.run_id) != c.list.end();
      if (in != (c.op == "IN")) return false;
      continue;
    }
    if (IsNumeric(c.entity, c.key)) {
      std::optional<double> v = NumberOf(run, c.entity, c.key);
      if (!v || !CompareByOp(*v, c.op, c.number)) return false;
      continue;
    }
    std::optional<std::string> v = TextOf(run, c.entity, c.key);
    if (!v || !TextMatches(c, *v)) return false;
  }
  return true;
}

bool RunSearch::Before(const RunView& a, const RunView& b) const {
  for (const OrderTerm& t : order_) {
    if (IsNumeric(t.entity, t.key)) {
      std::optional<double> x = NumberOf(a, t.entity, t.key), y = NumberOf(b, t.entity, t.key);
      // Missing (and NaN) values go last in either direction.
      if (x && std::isnan(*x)) x.reset();
      if (y && std::isnan(*y)) y.reset();
      if (!x || !y) {
        if (x.has_value() != y.has_value()) return x.has_value();
        continue;
      }
      if (*x != *y) return t.ascending ? *x < *y : *x > *y;
    } else {
      std::optional<std::string> x = TextOf(a, t.entity, t.key), y = TextOf(b, t.entity, t.key);
      if (!x || !y) {
        if (x.has_value() != y.has_value()) return x.has_value();
        continue;
      }
      if (*x != *y) return t.ascending ? *x < *y : *x > *y;
    }
  }
  if (a.start_time != b.start_time) return a.start_time > b.start_time;
  return a.run_id < b.run_id;
}

}  // namespace fairtrace::mlflow
