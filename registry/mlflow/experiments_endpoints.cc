// The MLflow experiments endpoints (docs/mlflow-door.md, "Experiments"):
// create, get, get-by-name, search (GET and POST), update, delete, restore,
// set-experiment-tag, over ExperimentRegistry.
#include <re2/re2.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_project.h"
#include "registry/core/resource_util.h"
#include "registry/mlflow/mlflow_door.h"
#include "registry/mlflow/mlflow_params.h"

namespace fairtrace::mlflow {

namespace {

using json = nlohmann::json;

constexpr int kDefaultMaxResults = 1000;
constexpr int kMaxResults = 50000;
constexpr size_t kMaxFilterBytes = 10000;
constexpr size_t kMaxOrderTerms = 10;

int64_t Millis(int64_t micros) { return micros / 1000; }

json TagsArray(const std::string& tags_json) {
  json out = json::array();
  json tags = json::parse(tags_json, nullptr, false);
  if (!tags.is_object()) return out;
  for (auto& [k, v] : tags.items()) out.push_back({{"key", k}, {"value", v}});
  return out;
}

json ExperimentJson(const ExperimentRow& r) {
  json out = {{"experiment_id", std::to_string(r.experiment_id)}, {"name", r.name},
              {"artifact_location", r.artifact_location},         {"lifecycle_stage", r.lifecycle_stage},
              {"creation_time", Millis(r.create_time)},           {"last_update_time", Millis(r.update_time)}};
  json tags = TagsArray(r.tags_json);
  if (!tags.empty()) out["tags"] = std::move(tags);
  return out;
}

// The experiment an `experiment_id` parameter names, for authorization.
absl::StatusOr<std::vector<ProjectTarget>> ExperimentTarget(Store* store, const json& params) {
  FT_ASSIGN_OR_RETURN(std::string id, TextParam(params, "experiment_id", true));
  return ActOnTarget(store, "experiments", id, "experiment_id");
}

// MLflow's LIKE pattern (%, _) as a SQLite GLOB pattern; `literal`: the
// whole text matched as it is.
std::string GlobOf(absl::string_view pattern, bool literal) {
  std::string out;
  for (char c : pattern) {
    if (!literal && c == '%') {
      out += '*';
    } else if (!literal && c == '_') {
      out += '?';
    } else if (c == '*' || c == '?' || c == '[') {
      absl::StrAppend(&out, "[", std::string(1, c), "]");
    } else {
      out += c;
    }
  }
  return out;
}

// The search filter subset: clauses joined by AND, each `name = 'x'`,
// `name LIKE 'x%'`, `name ILIKE 'x%'` or `tags.key = 'v'` (key quoted with
// backticks or double quotes when it has other characters).
absl::Status ParseFilter(const std::string& filter, ExperimentQuery* q) {
  if (filter.size() > kMaxFilterBytes) return InvalidField("filter", "longer than 10,000 bytes");
  static const RE2* kClause = new RE2(
      R"re(\s*(name|attributes?\.name|tags?\.(?:`([^`]+)`|"([^"]+)"|([A-Za-z0-9_.\-]+)))\s*(=|(?i:i?like))\s*(?:'([^']*)'|"([^"]*)")\s*)re");
  static const RE2* kAnd = new RE2(R"re((?i)\s+and\s+)re");
  std::string rest = filter;
  // Split on AND outside quotes: quoted values here cannot hold quotes.
  std::vector<std::string> clauses;
  {
    std::string current;
    char quote = 0;
    for (size_t i = 0; i < rest.size(); ++i) {
      char c = rest[i];
      if (quote) {
        if (c == quote) quote = 0;
        current += c;
        continue;
      }
      if (c == '\'' || c == '"' || c == '`') quote = c;
      absl::string_view tail(rest.data() + i, rest.size() - i);
      if (c == ' ' || c == '\t') {
        re2::StringPiece consumed(tail.data(), tail.size());
        if (RE2::Consume(&consumed, *kAnd)) {
          clauses.push_back(current);
          current.clear();
          i += tail.size() - consumed.size() - 1;
          continue;
        }
      }
      current += c;
    }
    if (quote) return InvalidField("filter", "an unterminated quote");
    if (!absl::StripAsciiWhitespace(current).empty()) clauses.push_back(current);
  }
  for (const std::string& clause : clauses) {
    std::string field, k1, k2, k3, op, v1, v2;
    if (!RE2::FullMatch(clause, *kClause, &field, &k1, &k2, &k3, &op, &v1, &v2)) {
      return InvalidField("filter",
                          absl::StrCat("unsupported clause '", text::ClipText(clause, 100),
                                       "': this server searches experiments by name (=, LIKE, ILIKE) and tags (=)"));
    }
    std::string value = v1.empty() ? v2 : v1;
    std::string lower_op = absl::AsciiStrToLower(op);
    if (absl::StartsWith(field, "tag")) {
      if (lower_op != "=") return InvalidField("filter", "tags are compared with = only here");
      q->tags_equal.emplace_back(!k1.empty() ? k1 : !k2.empty() ? k2 : k3, value);
      continue;
    }
    if (!q->name_glob.empty()) return InvalidField("filter", "one name clause at most");
    q->name_glob = GlobOf(value, lower_op == "=");
    q->name_glob_case_insensitive = lower_op == "ilike";
  }
  return absl::OkStatus();
}

// One order_by term as MLflow's search_experiments takes it:
// "[attribute.]<key> [ASC|DESC]", the key bare or quoted with backticks or
// double quotes; keys name, experiment_id, creation_time,
// last_update_time. INVALID_ARGUMENT (field `order_by`) otherwise.
absl::StatusOr<ExperimentQuery::OrderTerm> ParseOrderTerm(const std::string& term) {
  auto bad = [&](absl::string_view why) {
    return InvalidField("order_by", absl::StrCat("'", text::ClipText(term, 100), "': ", why));
  };
  FT_ASSIGN_OR_RETURN(auto split, OrderTermParam(term));
  const std::string& key = split.first;
  ExperimentQuery::OrderTerm out;
  out.ascending = split.second;
  absl::string_view name = key;
  const bool attribute = absl::ConsumePrefix(&name, "attribute.") || absl::ConsumePrefix(&name, "attributes.");
  if (!attribute && absl::StrContains(name, '.')) return bad("experiments are ordered by attributes only");
  if (name == "name") {
    out.key = ExperimentQuery::OrderKey::kName;
  } else if (name == "experiment_id") {
    out.key = ExperimentQuery::OrderKey::kExperimentId;
  } else if (name == "creation_time") {
    out.key = ExperimentQuery::OrderKey::kCreateTime;
  } else if (name == "last_update_time") {
    out.key = ExperimentQuery::OrderKey::kUpdateTime;
  } else {
    return bad("keys are name, experiment_id, creation_time and last_update_time");
  }
  return out;
}

absl::StatusOr<json> Search(ExperimentRegistry* registry, const std::string& token_key, DoorCall& call) {
  const json& p = call.params;
  ExperimentQuery q;
  FT_ASSIGN_OR_RETURN(int64_t max_results, IntegerParam(p, "max_results", kDefaultMaxResults));
  if (max_results < 1 || max_results > kMaxResults) {
    return InvalidField("max_results", absl::StrCat("between 1 and ", kMaxResults));
  }
  FT_ASSIGN_OR_RETURN(std::string view, TextParam(p, "view_type", false));
  if (view.empty() || view == "ACTIVE_ONLY" || view == "1") {
    q.stage = ExperimentQuery::Stage::kActive;
  } else if (view == "DELETED_ONLY" || view == "2") {
    q.stage = ExperimentQuery::Stage::kDeleted;
  } else if (view == "ALL" || view == "3") {
    q.stage = ExperimentQuery::Stage::kAll;
  } else {
    return InvalidField("view_type", "ACTIVE_ONLY, DELETED_ONLY or ALL");
  }
  FT_ASSIGN_OR_RETURN(std::string filter, TextParam(p, "filter", false));
  FT_RETURN_IF_ERROR(ParseFilter(filter, &q));
  FT_ASSIGN_OR_RETURN(std::vector<std::string> order_by, StringListParam(p, "order_by"));
  if (order_by.size() > kMaxOrderTerms) {
    return InvalidField("order_by", absl::StrCat("at most ", kMaxOrderTerms, " terms"));
  }
  std::string identity = absl::StrCat(view, "\n", filter);
  for (const std::string& term : order_by) {
    if (term.size() > kMaxFilterBytes) return InvalidField("order_by", "a term is too long");
    FT_ASSIGN_OR_RETURN(ExperimentQuery::OrderTerm t, ParseOrderTerm(term));
    q.order.push_back(t);
    absl::StrAppend(&identity, "\n", term);
  }
  if (q.order.empty()) {  // MLflow's order: newest first, then by id
    q.order = {{ExperimentQuery::OrderKey::kCreateTime, false}, {ExperimentQuery::OrderKey::kExperimentId, true}};
  }
  // Pages are offsets into that order (as MLflow's own store pages), signed
  // and bound to the query.
  const std::string kind = absl::StrCat("mlflow-experiments:", Sha256Hex(identity).substr(0, 16));
  FT_ASSIGN_OR_RETURN(std::string token, TextParam(p, "page_token", false));
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key, kind, token));
  if (!after.empty() && (!absl::SimpleAtoi(after, &q.offset) || q.offset < 0)) {
    return InvalidField("page_token", "not a page token");
  }
  q.limit = static_cast<int>(max_results) + 1;
  FT_ASSIGN_OR_RETURN(std::vector<ExperimentRow> rows, registry->Search(q, call.projects));
  json out = json::object();
  json list = json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i)
    list.push_back(ExperimentJson(rows[i]));
  if (!list.empty()) out["experiments"] = std::move(list);
  if (rows.size() > static_cast<size_t>(max_results)) {
    out["next_page_token"] = EncodePageToken(token_key, kind, std::to_string(q.offset + max_results));
  }
  return out;
}

}  // namespace

std::vector<Endpoint> ExperimentEndpoints(const DoorDependencies& deps, const std::string& page_token_key) {
  ExperimentRegistry* reg = deps.experiments;
  Store* store = deps.store;
  auto by_id = [store](const json& p) { return ExperimentTarget(store, p); };
  constexpr char kBase[] = "/api/2.0/mlflow/experiments/";
  auto path = [&](const char* name) { return absl::StrCat(kBase, name); };
  std::vector<Endpoint> out;
  out.push_back({"POST", path("create"), Access::kWriteRuns, ProjectRule::kFields, CreateInTaggedProject,
                 [reg](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string name, TextParam(c.params, "name", true));
                   FT_ASSIGN_OR_RETURN(std::string location, TextParam(c.params, "artifact_location", false));
                   FT_ASSIGN_OR_RETURN(auto tags, TagsParam(c.params));
                   FT_ASSIGN_OR_RETURN(ExperimentRow row, reg->Create(c.ctx, name, location, tags));
                   return json{{"experiment_id", std::to_string(row.experiment_id)}};
                 }});
  out.push_back(
      {"GET", path("get"), Access::kRead, ProjectRule::kFields, by_id, [reg](DoorCall& c) -> absl::StatusOr<json> {
         FT_ASSIGN_OR_RETURN(std::string id, TextParam(c.params, "experiment_id", true));
         FT_ASSIGN_OR_RETURN(ExperimentRow row, reg->Get(id));
         return json{{"experiment", ExperimentJson(row)}};
       }});
  out.push_back({"GET", path("get-by-name"), Access::kRead, ProjectRule::kList, nullptr,
                 [reg](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string name, TextParam(c.params, "experiment_name", true));
                   FT_ASSIGN_OR_RETURN(ExperimentRow row, reg->GetByName(name));
                   // One answer for a missing and a hidden experiment.
                   if (!c.projects.Allows(row.project)) return ExperimentRegistry::NameNotFound(name);
                   return json{{"experiment", ExperimentJson(row)}};
                 }});
  for (const char* method : {"GET", "POST"}) {
    out.push_back({method, path("search"), Access::kRead, ProjectRule::kList, nullptr,
                   [reg, page_token_key](DoorCall& c) { return Search(reg, page_token_key, c); }});
  }
  out.push_back({"POST", path("update"), Access::kWriteRuns, ProjectRule::kFields, by_id,
                 [reg](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string id, TextParam(c.params, "experiment_id", true));
                   FT_ASSIGN_OR_RETURN(std::string name, TextParam(c.params, "new_name", true));
                   FT_RETURN_IF_ERROR(reg->Rename(c.ctx, id, name).status());
                   return json::object();
                 }});
  for (bool active : {false, true}) {
    out.push_back({"POST", path(active ? "restore" : "delete"), Access::kWriteRuns, ProjectRule::kFields, by_id,
                   [reg, active](DoorCall& c) -> absl::StatusOr<json> {
                     FT_ASSIGN_OR_RETURN(std::string id, TextParam(c.params, "experiment_id", true));
                     FT_RETURN_IF_ERROR(reg->SetLifecycle(c.ctx, id, active).status());
                     return json::object();
                   }});
  }
  out.push_back({"POST", path("set-experiment-tag"), Access::kWriteRuns, ProjectRule::kFields, by_id,
                 [reg](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string id, TextParam(c.params, "experiment_id", true));
                   FT_ASSIGN_OR_RETURN(std::string key, TextParam(c.params, "key", true));
                   FT_ASSIGN_OR_RETURN(std::string value, TextParam(c.params, "value", false));
                   FT_RETURN_IF_ERROR(reg->SetTag(c.ctx, id, key, value).status());
                   return json::object();
                 }});
  return out;
}

}  // namespace fairtrace::mlflow
