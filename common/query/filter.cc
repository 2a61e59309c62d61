#include "common/query/filter.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

struct Token {
  enum Type { kEnd, kLParen, kRParen, kOp, kString, kWord } type = kEnd;
  std::string text;
  size_t pos = 0;
};

absl::Status SyntaxError(size_t pos, absl::string_view what) {
  return InvalidField("filter", absl::StrCat(what, " at position ", pos + 1));
}

bool IsWordChar(char c) {
  return !std::isspace(static_cast<unsigned char>(c)) && c != '(' && c != ')' && c != '"' && c != '=' && c != '!' &&
         c != '<' && c != '>';
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')') {
      out.push_back({c == '(' ? Token::kLParen : Token::kRParen, std::string(1, c), i});
      ++i;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      size_t start = i++;
      if (i < s.size() && s[i] == '=') ++i;
      std::string op(s.substr(start, i - start));
      if (op == "!") return SyntaxError(start, "expected \"!=\"");
      out.push_back({Token::kOp, op, start});
    } else if (c == '"') {
      size_t start = i++;
      std::string text;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          text.push_back(s[i + 1]);
          i += 2;
        } else if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          text.push_back(s[i++]);
        }
      }
      if (!closed) return SyntaxError(start, "unterminated string");
      out.push_back({Token::kString, std::move(text), start});
    } else {
      size_t start = i;
      while (i < s.size() && IsWordChar(s[i])) ++i;
      out.push_back({Token::kWord, std::string(s.substr(start, i - start)), start});
    }
  }
  out.push_back({Token::kEnd, "", s.size()});
  return out;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::vector<FilterField>& fields, const FilterLimits& limits)
      : t_(std::move(tokens)), fields_(fields), limits_(limits) {}

  absl::StatusOr<FilterExpr> Parse() {
    FT_ASSIGN_OR_RETURN(FilterExpr e, Expression(0));
    if (Peek().type != Token::kEnd) {
      return SyntaxError(Peek().pos, absl::StrCat("unexpected \"", text::ClipText(Peek().text, 40),
                                                  "\" (combine comparisons with AND or OR)"));
    }
    return e;
  }

 private:
  const Token& Peek() const { return t_[i_]; }
  bool PeekWord(absl::string_view w) const { return Peek().type == Token::kWord && Peek().text == w; }

  absl::StatusOr<FilterExpr> Expression(int depth) {
    if (depth > limits_.max_depth) return SyntaxError(Peek().pos, "nested too deeply");
    return Chain(depth, "AND", FilterExpr::Kind::kAnd, &Parser::Sequence);
  }
  absl::StatusOr<FilterExpr> Sequence(int depth) { return Chain(depth, "OR", FilterExpr::Kind::kOr, &Parser::Factor); }
  absl::StatusOr<FilterExpr> Chain(int depth, absl::string_view word, FilterExpr::Kind kind,
                                   absl::StatusOr<FilterExpr> (Parser::*next)(int)) {
    FT_ASSIGN_OR_RETURN(FilterExpr first, (this->*next)(depth));
    if (!PeekWord(word)) return first;
    FilterExpr out;
    out.kind = kind;
    out.children.push_back(std::move(first));
    while (PeekWord(word)) {
      ++i_;
      FT_ASSIGN_OR_RETURN(FilterExpr e, (this->*next)(depth));
      out.children.push_back(std::move(e));
    }
    return out;
  }
  absl::StatusOr<FilterExpr> Factor(int depth) {
    bool negate = false;
    if (PeekWord("NOT")) {
      negate = true;
      ++i_;
    } else if (Peek().type == Token::kWord && Peek().text.size() > 1 && Peek().text[0] == '-') {
      negate = true;
      t_[i_].text.erase(0, 1);
      t_[i_].pos += 1;
    }
    FT_ASSIGN_OR_RETURN(FilterExpr e, Term(depth));
    if (!negate) return e;
    FilterExpr out;
    out.kind = FilterExpr::Kind::kNot;
    out.children.push_back(std::move(e));
    return out;
  }
  absl::StatusOr<FilterExpr> Term(int depth) {
    if (Peek().type == Token::kLParen) {
      ++i_;
      FT_ASSIGN_OR_RETURN(FilterExpr e, Expression(depth + 1));
      if (Peek().type != Token::kRParen) return SyntaxError(Peek().pos, "expected \")\"");
      ++i_;
      return e;
    }
    return Comparison();
  }
  absl::StatusOr<FilterExpr> Comparison() {
    const Token field = Peek();
    if (field.type != Token::kWord || field.text == "AND" || field.text == "OR" || field.text == "NOT") {
      return SyntaxError(field.pos,
                         field.type == Token::kEnd ? "expected a comparison, got the end" : "expected a field name");
    }
    ++i_;
    if (++comparisons_ > limits_.max_comparisons) {
      return SyntaxError(field.pos, absl::StrCat("more than ", limits_.max_comparisons, " comparisons"));
    }
    FilterExpr e;
    FT_ASSIGN_OR_RETURN(const FilterField* f, Resolve(field, &e));
    if (Peek().type != Token::kOp) {
      return SyntaxError(Peek().pos, "expected one of = != < <= > >= (\":\" is not supported)");
    }
    e.op = Peek().text;
    if (e.op != "=" && e.op != "!=" && e.op != "<" && e.op != "<=" && e.op != ">" && e.op != ">=") {
      return SyntaxError(Peek().pos, absl::StrCat("unknown operator \"", e.op, "\"; use one of = != < <= > >="));
    }
    ++i_;
    const Token value = Peek();
    if (value.type != Token::kString && value.type != Token::kWord) {
      return SyntaxError(value.pos, "expected a value");
    }
    ++i_;
    FT_ASSIGN_OR_RETURN(e.value, TypedValue(*f, value, e.op));
    return e;
  }
  absl::StatusOr<const FilterField*> Resolve(const Token& field, FilterExpr* e) {
    for (const FilterField& f : fields_) {
      if (f.name.back() == '.') {
        if (field.text.size() > f.name.size() && field.text.compare(0, f.name.size(), f.name) == 0) {
          e->field = f.name;
          e->key = field.text.substr(f.name.size());
          if (e->key.size() > 250) return SyntaxError(field.pos, "key longer than 250 characters");
          return &f;
        }
      } else if (f.name == field.text) {
        e->field = f.name;
        return &f;
      }
    }
    std::vector<std::string> names;
    for (const FilterField& f : fields_) names.push_back(f.name.back() == '.' ? f.name + "<key>" : f.name);
    return InvalidField("filter", absl::StrCat("unknown field \"", text::ClipText(field.text, 60), "\" at position ",
                                               field.pos + 1, "; known: ", absl::StrJoin(names, ", ")));
  }
  absl::StatusOr<FilterValue> TypedValue(const FilterField& f, const Token& v, const std::string& op) {
    auto bad = [&](absl::string_view expected) {
      return SyntaxError(v.pos,
                         absl::StrCat(f.name, " takes ", expected, ", got \"", text::ClipText(v.text, 60), "\""));
    };
    switch (f.type) {
      case FilterType::kString:
        return FilterValue(v.text);
      case FilterType::kDynamic: {
        double d;
        if (v.type == Token::kWord && absl::SimpleAtod(v.text, &d)) return FilterValue(d);
        return FilterValue(v.text);
      }
      case FilterType::kInt: {
        int64_t n;
        if (!absl::SimpleAtoi(v.text, &n)) return bad("an integer");
        return FilterValue(n);
      }
      case FilterType::kTimestamp: {
        absl::Time t;
        std::string err;
        if (!absl::ParseTime(absl::RFC3339_full, v.text, &t, &err)) {
          return bad("an RFC 3339 time such as \"2026-11-25T10:00:00Z\"");
        }
        return FilterValue(absl::ToUnixMicros(t));
      }
      case FilterType::kEnum: {
        if (op != "=" && op != "!=") return SyntaxError(v.pos, absl::StrCat(f.name, " supports = and != only"));
        if (std::find(f.enum_values.begin(), f.enum_values.end(), v.text) == f.enum_values.end()) {
          return bad(absl::StrCat("one of ", absl::StrJoin(f.enum_values, ", ")));
        }
        return FilterValue(v.text);
      }
    }
    return bad("a value");
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  const std::vector<FilterField>& fields_;
  const FilterLimits& limits_;
  int comparisons_ = 0;
};

}  // namespace

absl::StatusOr<ParsedFilter> ParseFilter(absl::string_view text, const std::vector<FilterField>& fields,
                                         const FilterLimits& limits) {
  ParsedFilter out;
  if (text.size() > limits.max_length) {
    return InvalidField("filter", absl::StrCat("longer than ", limits.max_length, " characters"));
  }
  FT_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  if (tokens.size() == 1) return out;  // blank
  Parser p(std::move(tokens), fields, limits);
  FT_ASSIGN_OR_RETURN(out.root, p.Parse());
  out.has_filter = true;
  return out;
}

}  // namespace fairtrace
