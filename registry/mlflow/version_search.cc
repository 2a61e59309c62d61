#include "registry/mlflow/version_search.h"

#include <re2/re2.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "registry/mlflow/mlflow_params.h"
#include "registry/mlflow/run_search.h"

namespace fairtrace::mlflow {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxFilterBytes = 10000;
constexpr size_t kMaxClauses = 50;

// One clause each, anchored where the scan stands (RE2::Consume); values
// quoted with ' or ".
const RE2& TextClause() {
  static const RE2* re = new RE2(
      R"re(\s*(?:attributes?\.)?(name|run_id|source_path)\s*(!=|=|(?i:ilike)|(?i:like))\s*(?:'([^']*)'|"([^"]*)"))re");
  return *re;
}
const RE2& InClause() {
  static const RE2* re = new RE2(R"re(\s*(?:attributes?\.)?run_id\s+(?i:in)\s*\(([^)]*)\))re");
  return *re;
}
const RE2& VersionClause() {
  static const RE2* re = new RE2(R"re(\s*(?:attributes?\.)?version_number\s*(!=|<=|>=|=|<|>)\s*(-?[0-9]{1,18}))re");
  return *re;
}
const RE2& TagClause() {
  static const RE2* re = new RE2(
      R"re(\s*tags?\.(?:`([^`]+)`|"([^"]+)"|([A-Za-z0-9_.:/-]+))\s*(!=|=|(?i:ilike)|(?i:like))\s*(?:'([^']*)'|"([^"]*)"))re");
  return *re;
}
const RE2& And() {
  static const RE2* re = new RE2(R"re(\s+(?i:and)\s+)re");
  return *re;
}
const RE2& ListItem() {
  static const RE2* re = new RE2(R"re(\s*(?:'([^']*)'|"([^"]*)")\s*(,|$))re");
  return *re;
}

std::string Or(const std::string& a, const std::string& b) { return a.empty() ? b : a; }

int64_t VersionNumber(const json& v) {
  int64_t n = 0;
  return absl::SimpleAtoi(v.value("version", ""), &n) ? n : 0;
}

}  // namespace

absl::StatusOr<VersionSearch> VersionSearch::Parse(const std::string& filter,
                                                   const std::vector<std::string>& order_by) {
  if (filter.size() > kMaxFilterBytes) return InvalidField("filter", "longer than 10,000 bytes");
  if (!text::IsValidUtf8(filter)) return InvalidField("filter", "not valid UTF-8");
  VersionSearch out;
  re2::StringPiece rest(filter);
  auto bad = [&](absl::string_view why) {
    return InvalidField("filter", absl::StrCat("at '", text::ClipText(std::string(rest), 60), "': ", why));
  };
  while (!absl::StripAsciiWhitespace(absl::string_view(rest.data(), rest.size())).empty()) {
    if (!out.clauses_.empty() && !RE2::Consume(&rest, And())) return bad("expected AND (OR is not supported)");
    if (out.clauses_.size() == kMaxClauses) return bad("more than 50 clauses");
    Clause c;
    std::string field, op, a, b, key1, key2, key3, number, list;
    if (RE2::Consume(&rest, InClause(), &list)) {
      c.field = Field::kRunId;
      c.op = "IN";
      re2::StringPiece items(list);
      std::string x, y, sep;
      while (!items.empty() && RE2::Consume(&items, ListItem(), &x, &y, &sep)) {
        c.list.push_back(Or(x, y));
        if (sep.empty()) break;
      }
      if (!absl::StripAsciiWhitespace(absl::string_view(items.data(), items.size())).empty() || c.list.empty()) {
        return bad("IN takes a list of quoted run ids");
      }
    } else if (RE2::Consume(&rest, TextClause(), &field, &op, &a, &b)) {
      c.field = field == "name" ? Field::kName : field == "run_id" ? Field::kRunId : Field::kSourcePath;
      c.op = absl::AsciiStrToUpper(op);
      c.text = Or(a, b);
    } else if (RE2::Consume(&rest, VersionClause(), &op, &number)) {
      c.field = Field::kVersion;
      c.op = op;
      if (!absl::SimpleAtoi(number, &c.number)) return bad("version_number takes an integer");
    } else if (RE2::Consume(&rest, TagClause(), &key1, &key2, &key3, &op, &a, &b)) {
      c.field = Field::kTag;
      c.tag = Or(Or(key1, key2), key3);
      c.op = absl::AsciiStrToUpper(op);
      c.text = Or(a, b);
    } else {
      return bad(
          "expected name, run_id or source_path (= != LIKE ILIKE 'text'), run_id IN (…), version_number "
          "(= != < <= > >= n) or tags.<key> (= != LIKE ILIKE 'text')");
    }
    if (c.op == "LIKE" || c.op == "ILIKE") {
      FT_ASSIGN_OR_RETURN(c.pattern, MlflowLikePattern(c.text, c.op == "ILIKE"));
    }
    if (c.field == Field::kName && c.op == "=") out.exact_name_ = c.text;
    out.clauses_.push_back(std::move(c));
  }
  bool named = false, versioned = false, created = false, updated = false;
  for (const std::string& term : order_by) {
    FT_ASSIGN_OR_RETURN(auto split, OrderTermParam(term));
    absl::string_view key = split.first;
    if (!absl::ConsumePrefix(&key, "attributes.")) absl::ConsumePrefix(&key, "attribute.");
    OrderTerm t{OrderKey::kName, split.second};
    bool* seen = nullptr;
    if (key == "name") {
      seen = &named;
    } else if (key == "version_number") {
      t.key = OrderKey::kVersion;
      seen = &versioned;
    } else if (key == "creation_timestamp") {
      t.key = OrderKey::kCreated;
      seen = &created;
    } else if (key == "last_updated_timestamp") {
      t.key = OrderKey::kUpdated;
      seen = &updated;
    } else {
      return InvalidField("order_by",
                          "versions are ordered by name, version_number, creation_timestamp or "
                          "last_updated_timestamp");
    }
    if (*seen) return InvalidField("order_by", "names a field twice");
    *seen = true;
    out.order_.push_back(t);
  }
  if (!named) out.order_.push_back({OrderKey::kName, true});
  if (!versioned) out.order_.push_back({OrderKey::kVersion, false});
  return out;
}

absl::StatusOr<VersionSearch> VersionSearch::ForModels(const std::string& filter) {
  FT_ASSIGN_OR_RETURN(VersionSearch out, Parse(filter, {}));
  for (const Clause& c : out.clauses_) {
    if ((c.field != Field::kName && c.field != Field::kTag) || c.op == "IN") {
      return InvalidField("filter", "registered models are searched by name and tags.<key> clauses");
    }
  }
  return out;
}

bool VersionSearch::Matches(const json& v) const {
  for (const Clause& c : clauses_) {
    if (c.field == Field::kVersion) {
      if (!CompareByOp(VersionNumber(v), c.op, c.number)) return false;
      continue;
    }
    std::optional<std::string> value;
    switch (c.field) {
      case Field::kName:
        value = v.value("name", "");
        break;
      case Field::kRunId:
        value = v.value("run_id", "");
        break;
      case Field::kSourcePath:
        value = v.value("source", "");
        break;
      case Field::kTag:
        for (const json& t : v.value("tags", json::array())) {
          if (t.value("key", "") == c.tag) value = t.value("value", "");
        }
        break;
      case Field::kVersion:
        break;
    }
    if (!value) return false;  // a version without the tag
    if (c.op == "IN") {
      if (std::find(c.list.begin(), c.list.end(), *value) == c.list.end()) return false;
    } else if (c.pattern) {
      if (!RE2::FullMatch(*value, *c.pattern)) return false;
    } else if (!CompareByOp(*value, c.op, c.text)) {
      return false;
    }
  }
  return true;
}

void VersionSearch::Sort(std::vector<json>* versions) const {
  std::stable_sort(versions->begin(), versions->end(), [&](const json& a, const json& b) {
    for (const OrderTerm& t : order_) {
      int c = 0;
      switch (t.key) {
        case OrderKey::kName:
          c = a.value("name", "").compare(b.value("name", ""));
          break;
        case OrderKey::kVersion:
          c = VersionNumber(a) < VersionNumber(b) ? -1 : VersionNumber(a) > VersionNumber(b) ? 1 : 0;
          break;
        case OrderKey::kCreated:
        case OrderKey::kUpdated: {
          const char* k = t.key == OrderKey::kCreated ? "creation_timestamp" : "last_updated_timestamp";
          const int64_t x = a.value(k, int64_t{0}), y = b.value(k, int64_t{0});
          c = x < y ? -1 : x > y ? 1 : 0;
          break;
        }
      }
      if (c != 0) return t.ascending ? c < 0 : c > 0;
    }
    return false;
  });
}

}  // namespace fairtrace::mlflow
