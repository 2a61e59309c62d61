// MLflow's model registry endpoints (docs/mlflow-door.md, "Registered
// models"): registered-models/* and model-versions/* over ModelRegistry.
// An MLflow name is a display name, kept in the model's tag "mlflow.name"
// and mapped to a stable model id made from it (renames change no
// lineage); a model made through gRPC without one answers to its id. A
// version is made from the subtree of a run's artifact folder that the
// client names as `source`: its files become a CAS tree, validated as any
// model version (MLmodel included), with the run as its source.
#include <random>

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
#include "google/protobuf/util/time_util.h"
#include "re2/re2.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_util.h"
#include "registry/mlflow/mlflow_door.h"
#include "registry/mlflow/mlflow_params.h"
#include "registry/mlflow/run_search.h"
#include "registry/mlflow/version_search.h"

namespace fairtrace::mlflow {

namespace {

using json = nlohmann::json;
using google::protobuf::util::TimeUtil;

constexpr char kNameTag[] = "mlflow.name";
constexpr char kSourceTag[] = "mlflow.source";
constexpr int kMaxScannedModels = 50000;

int64_t Millis(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMilliseconds(t); }

std::string MlflowName(const v1::RegisteredModel& m) {
  auto it = m.tags().find(kNameTag);
  return it != m.tags().end() ? it->second : m.name().substr(7);  // "models/" cut
}

json TagList(const google::protobuf::Map<std::string, std::string>& tags, const char* hidden) {
  json out = json::array();
  std::map<std::string, std::string> sorted(tags.begin(), tags.end());
  for (const auto& [k, v] : sorted) {
    if (k != hidden) out.push_back({{"key", k}, {"value", v}});
  }
  return out;
}

const char* StageName(v1::ModelStage s) {
  switch (s) {
    case v1::MODEL_STAGE_STAGING:
      return "Staging";
    case v1::MODEL_STAGE_PRODUCTION:
      return "Production";
    case v1::MODEL_STAGE_ARCHIVED:
      return "Archived";
    default:
      return "None";
  }
}

absl::StatusOr<v1::ModelStage> StageParam(const std::string& s) {
  const std::string l = absl::AsciiStrToLower(s);
  if (l == "none") return v1::MODEL_STAGE_NONE;
  if (l == "staging") return v1::MODEL_STAGE_STAGING;
  if (l == "production") return v1::MODEL_STAGE_PRODUCTION;
  if (l == "archived") return v1::MODEL_STAGE_ARCHIVED;
  return InvalidField("stage", "None, Staging, Production or Archived");
}

json VersionJson(const v1::ModelVersion& v, const std::string& model_name) {
  json out = {{"name", model_name},
              {"version", std::to_string(v.version())},
              {"creation_timestamp", Millis(v.create_time())},
              {"last_updated_timestamp", Millis(v.update_time())},
              {"current_stage", StageName(v.stage())},
              {"description", v.description()},
              {"status", "READY"},
              {"fairtrace_tree_sha256", v.tree_digest().sha256()}};
  if (auto s = v.tags().find(kSourceTag); s != v.tags().end()) out["source"] = s->second;
  if (absl::StartsWith(v.source_run(), "runs/")) out["run_id"] = v.source_run().substr(5);
  json tags = TagList(v.tags(), kSourceTag);
  if (!tags.empty()) out["tags"] = std::move(tags);
  if (v.aliases_size() > 0) out["aliases"] = json(std::vector<std::string>(v.aliases().begin(), v.aliases().end()));
  return out;
}

json ModelJson(const v1::RegisteredModel& m, const std::vector<v1::ModelVersion>& latest) {
  const std::string name = MlflowName(m);
  json out = {{"name", name},
              {"creation_timestamp", Millis(m.create_time())},
              {"last_updated_timestamp", Millis(m.update_time())},
              {"description", m.description()}};
  json tags = TagList(m.tags(), kNameTag);
  if (!tags.empty()) out["tags"] = std::move(tags);
  json aliases = json::array();
  std::map<std::string, int64_t> sorted(m.aliases().begin(), m.aliases().end());
  for (const auto& [a, v] : sorted) aliases.push_back({{"alias", a}, {"version", std::to_string(v)}});
  if (!aliases.empty()) out["aliases"] = std::move(aliases);
  json versions = json::array();
  for (const v1::ModelVersion& v : latest) versions.push_back(VersionJson(v, name));
  if (!versions.empty()) out["latest_versions"] = std::move(versions);
  return out;
}

// MLflow's name rules: 1–256 characters of UTF-8, no control characters.
absl::Status CheckMlflowName(const std::string& name, const char* field) {
  if (name.empty()) return InvalidField(field, absl::StrCat("Missing value for required parameter '", field, "'"));
  if (!text::IsValidUtf8(name) || text::CodePointCount(name) > 256) {
    return InvalidField(field, "1 to 256 characters of UTF-8");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return InvalidField(field, "a name without control characters");
  }
  return absl::OkStatus();
}

// A model id made from an MLflow name: [a-z0-9-], starting with a letter.
std::string IdBase(const std::string& name) {
  std::string out;
  for (char c : name) {
    const char l = absl::ascii_tolower(static_cast<unsigned char>(c));
    if (absl::ascii_isalnum(static_cast<unsigned char>(l)) && static_cast<unsigned char>(c) < 0x80) {
      out += l;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() >= 48) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(out[0]))) out = "m-" + out;
  while (out.back() == '-') out.pop_back();
  return out;
}

// "01" → 1, as MLflow's registry reads a version.
absl::StatusOr<int64_t> VersionParam(const json& p) {
  FT_ASSIGN_OR_RETURN(std::string text, TextParam(p, "version", true));
  absl::string_view v = text;
  while (v.size() > 1 && v[0] == '0') v.remove_prefix(1);
  int64_t n = 0;
  if (v.size() > 18 || !ParseCanonicalInt(v, &n) || n < 1) return InvalidField("version", "a version number");
  return n;
}

struct Names {
  ModelRegistry* models;
  absl::StatusOr<std::string> Model(const json& p, const char* field = "name") const {
    FT_ASSIGN_OR_RETURN(std::string name, TextParam(p, field, true));
    return models->ModelForMlflowName(name);
  }
};

absl::StatusOr<v1::RegisteredModel> GetModel(ModelRegistry* models, const std::string& name) {
  v1::GetRegisteredModelRequest get;
  get.set_name(name);
  return models->GetRegisteredModel(get);
}

// Every version of `model`, oldest first (models hold few versions; at
// most 100,000 are read).
absl::StatusOr<std::vector<v1::ModelVersion>> AllVersions(ModelRegistry* models, const std::string& model) {
  std::vector<v1::ModelVersion> out;
  v1::ListModelVersionsRequest list;
  list.set_parent(model);
  list.set_page_size(1000);
  do {
    FT_ASSIGN_OR_RETURN(v1::ListModelVersionsResponse page, models->ListModelVersions(list));
    for (v1::ModelVersion& v : *page.mutable_model_versions()) out.push_back(std::move(v));
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty() && out.size() < 100000);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version() < b.version(); });
  return out;
}

// The newest version in each of `stages` (all four when empty).
absl::StatusOr<std::vector<v1::ModelVersion>> LatestVersions(ModelRegistry* models, const std::string& model,
                                                             const std::vector<v1::ModelStage>& stages) {
  FT_ASSIGN_OR_RETURN(std::vector<v1::ModelVersion> all, AllVersions(models, model));
  std::map<int, v1::ModelVersion> latest;
  for (v1::ModelVersion& v : all) {
    const bool wanted = stages.empty() || std::find(stages.begin(), stages.end(), v.stage()) != stages.end();
    if (wanted) latest[v.stage()] = v;  // oldest first: the last one wins
  }
  std::vector<v1::ModelVersion> out;
  for (auto& [stage, v] : latest) out.push_back(std::move(v));
  return out;
}

absl::StatusOr<v1::ModelVersion> EditVersion(ModelRegistry* models, const CallContext& ctx,
                                             const std::string& version_name,
                                             const std::function<void(v1::ModelVersion*)>& edit,
                                             const std::string& path) {
  v1::GetModelVersionRequest get;
  get.set_name(version_name);
  FT_ASSIGN_OR_RETURN(v1::ModelVersion cur, models->GetModelVersion(get));
  v1::UpdateModelVersionRequest req;
  *req.mutable_model_version() = cur;
  edit(req.mutable_model_version());
  req.mutable_update_mask()->add_paths(path);
  return models->UpdateModelVersion(ctx, req);
}

absl::StatusOr<v1::RegisteredModel> EditModel(ModelRegistry* models, const CallContext& ctx, const std::string& name,
                                              const std::function<void(v1::RegisteredModel*)>& edit,
                                              const std::string& path) {
  FT_ASSIGN_OR_RETURN(v1::RegisteredModel cur, GetModel(models, name));
  v1::UpdateRegisteredModelRequest req;
  *req.mutable_registered_model() = cur;
  edit(req.mutable_registered_model());
  req.mutable_update_mask()->add_paths(path);
  return models->UpdateRegisteredModel(ctx, req);
}

absl::Status NameTaken(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kAlreadyExists,
                      absl::StrCat("Registered Model (name=", text::ClipText(name, 200), ") already exists."))
      .Reason("MODEL_NAME_TAKEN")
      .Build();
}

// The run and the folder inside its artifacts that a version's `source`
// names: "mlflow-artifacts:/{E}/{R}/artifacts[/sub]" or "runs:/{R}[/sub]".
absl::StatusOr<std::pair<std::string, std::string>> SourceOf(const std::string& source) {
  absl::string_view s = source;
  std::vector<std::string> parts;
  if (absl::ConsumePrefix(&s, "mlflow-artifacts:/")) {
    parts = absl::StrSplit(s, absl::MaxSplits('/', 3));
    if (parts.size() >= 3 && parts[2] == "artifacts")
      return std::make_pair(parts[1], parts.size() == 4 ? parts[3] : "");
  } else if (absl::ConsumePrefix(&s, "runs:/")) {
    parts = absl::StrSplit(s, absl::MaxSplits('/', 1));
    if (!parts.empty()) return std::make_pair(parts[0], parts.size() == 2 ? parts[1] : "");
  }
  return InvalidField("source",
                      "a folder of a run's artifacts on this server: mlflow-artifacts:/{experiment}/{run}/artifacts/"
                      "{path} or runs:/{run}/{path}");
}

// model-versions/search's filter: clauses joined by AND, each
// name = '…' or run_id = '…'.
// Sorts `models` as MLflow's registered-models/search orders: each term
// "<key> [ASC|DESC]" with keys name and timestamp / last_updated_timestamp
// (the same field), each field once, then by name ascending unless a term
// names it. INVALID_ARGUMENT (field `order_by`) otherwise.
absl::Status SortModels(const std::vector<std::string>& order_by, std::vector<v1::RegisteredModel>* models) {
  struct Term {
    bool by_name = true;
    bool ascending = true;
  };
  std::vector<Term> terms;
  bool named = false, timed = false;
  for (const std::string& o : order_by) {
    FT_ASSIGN_OR_RETURN(auto split, OrderTermParam(o));
    Term t{split.first == "name", split.second};
    if (!t.by_name && split.first != "timestamp" && split.first != "last_updated_timestamp") {
      return InvalidField("order_by", "registered models are ordered by name or timestamp (last_updated_timestamp)");
    }
    bool& seen = t.by_name ? named : timed;
    if (seen) return InvalidField("order_by", "names a field twice");
    seen = true;
    terms.push_back(t);
  }
  if (!named) terms.push_back({true, true});
  std::vector<std::pair<std::string, const v1::RegisteredModel*>> keyed;
  for (const v1::RegisteredModel& m : *models) keyed.emplace_back(MlflowName(m), &m);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    for (const Term& t : terms) {
      int c = 0;
      if (t.by_name) {
        c = a.first.compare(b.first);
      } else {
        const int64_t x = TimeUtil::TimestampToMicroseconds(a.second->update_time());
        const int64_t y = TimeUtil::TimestampToMicroseconds(b.second->update_time());
        c = x < y ? -1 : x > y ? 1 : 0;
      }
      if (c != 0) return t.ascending ? c < 0 : c > 0;
    }
    return false;
  });
  std::vector<v1::RegisteredModel> sorted;
  sorted.reserve(keyed.size());
  for (const auto& [name, m] : keyed) sorted.push_back(*m);
  *models = std::move(sorted);
  return absl::OkStatus();
}

}  // namespace

std::vector<Endpoint> ModelEndpoints(const DoorDependencies& deps, const std::string& page_token_key) {
  ModelRegistry* models = deps.models;
  RunArtifacts* artifacts = deps.artifacts;
  Store* store = deps.store;
  Names names{models};
  // The model a `name` parameter names, for authorization.
  auto by_name = [store, names](const json& p) -> absl::StatusOr<std::vector<ProjectTarget>> {
    FT_ASSIGN_OR_RETURN(std::string model, names.Model(p));
    return ActOnTarget(store, "models", model.substr(7), "name");
  };
  auto rm = [](const char* n) { return absl::StrCat("/api/2.0/mlflow/registered-models/", n); };
  auto mv = [](const char* n) { return absl::StrCat("/api/2.0/mlflow/model-versions/", n); };
  std::vector<Endpoint> out;

  out.push_back({"POST", rm("create"), Access::kWriteRuns, ProjectRule::kFields, CreateInTaggedProject,
                 [models](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string name, TextParam(c.params, "name", true));
                   FT_RETURN_IF_ERROR(CheckMlflowName(name, "name"));
                   if (models->ModelForMlflowName(name).ok()) return NameTaken(name);
                   FT_ASSIGN_OR_RETURN(auto tags, TagsParam(c.params));
                   if (tags.contains(kNameTag)) return InvalidField("tags", "mlflow.name is the model's name");
                   v1::CreateRegisteredModelRequest req;
                   v1::RegisteredModel* m = req.mutable_registered_model();
                   FT_ASSIGN_OR_RETURN(*m->mutable_description(), TextParam(c.params, "description", false));
                   for (const auto& [k, v] : tags) (*m->mutable_tags())[k] = v;
                   (*m->mutable_tags())[kNameTag] = name;
                   if (auto it = tags.find(kProjectTag); it != tags.end()) m->set_project(it->second);
                   const std::string base = IdBase(name);
                   std::mt19937_64 rng(std::random_device{}());
                   for (int attempt = 0;; ++attempt) {
                     // The id is made from the name; a taken one gets a suffix.
                     req.set_model_id(attempt == 0  ? base
                                      : attempt < 4 ? absl::StrCat(base, "-", attempt + 1)
                                                    : absl::StrCat(base, "-", absl::Hex(rng() & 0xffffff)));
                     absl::StatusOr<v1::RegisteredModel> made = models->CreateRegisteredModel(c.ctx, req);
                     if (made.ok()) return json{{"registered_model", ModelJson(*made, {})}};
                     if (made.status().code() != absl::StatusCode::kAlreadyExists || attempt >= 8) {
                       return made.status();
                     }
                     if (models->ModelForMlflowName(name).ok()) return NameTaken(name);  // a create raced
                   }
                 }});
  out.push_back({"GET", rm("get"), Access::kRead, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(v1::RegisteredModel m, GetModel(models, model));
                   FT_ASSIGN_OR_RETURN(auto latest, LatestVersions(models, model, {}));
                   return json{{"registered_model", ModelJson(m, latest)}};
                 }});
  out.push_back({"POST", rm("rename"), Access::kWriteRuns, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(std::string new_name, TextParam(c.params, "new_name", true));
                   FT_RETURN_IF_ERROR(CheckMlflowName(new_name, "new_name"));
                   if (models->ModelForMlflowName(new_name).ok()) return NameTaken(new_name);
                   FT_ASSIGN_OR_RETURN(
                       v1::RegisteredModel m,
                       EditModel(
                           models, c.ctx, model,
                           [&](v1::RegisteredModel* m) { (*m->mutable_tags())[kNameTag] = new_name; }, "tags"));
                   return json{{"registered_model", ModelJson(m, {})}};
                 }});
  out.push_back({"PATCH", rm("update"), Access::kWriteRuns, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(std::string description, TextParam(c.params, "description", false));
                   FT_ASSIGN_OR_RETURN(
                       v1::RegisteredModel m,
                       EditModel(
                           models, c.ctx, model, [&](v1::RegisteredModel* m) { m->set_description(description); },
                           "description"));
                   return json{{"registered_model", ModelJson(m, {})}};
                 }});
  out.push_back({"DELETE", rm("delete"), Access::kWriteRuns, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   v1::DeleteRegisteredModelRequest del;
                   del.set_name(model);
                   del.set_force(true);  // a soft delete: versions stay, the name is freed
                   FT_RETURN_IF_ERROR(models->DeleteRegisteredModel(c.ctx, del).status());
                   return json::object();
                 }});
  out.push_back({"GET", rm("search"), Access::kRead, ProjectRule::kList, nullptr,
                 [models, page_token_key](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string filter, TextParam(c.params, "filter", false));
                   FT_ASSIGN_OR_RETURN(int64_t max_results, IntegerParam(c.params, "max_results", 100));
                   if (max_results < 1 || max_results > 1000) return InvalidField("max_results", "between 1 and 1,000");
                   // MLflow's name and tags.<key> clauses (version_search.h).
                   FT_ASSIGN_OR_RETURN(VersionSearch search, VersionSearch::ForModels(filter));
                   FT_ASSIGN_OR_RETURN(std::vector<std::string> order_by, StringListParam(c.params, "order_by"));
                   std::string identity = filter;
                   for (const std::string& o : order_by) absl::StrAppend(&identity, "\n", o);
                   const std::string kind = absl::StrCat("mlflow-models:", Sha256Hex(identity).substr(0, 16));
                   FT_ASSIGN_OR_RETURN(std::string token, TextParam(c.params, "page_token", false));
                   FT_ASSIGN_OR_RETURN(std::string payload, DecodePageToken(page_token_key, kind, token));
                   size_t offset = 0;
                   if (!payload.empty() && !absl::SimpleAtoi(payload, &offset))
                     return InvalidField("page_token", "not one");
                   std::vector<v1::RegisteredModel> found;
                   v1::ListRegisteredModelsRequest list;
                   list.set_page_size(1000);
                   int scanned = 0;
                   do {
                     FT_ASSIGN_OR_RETURN(v1::ListRegisteredModelsResponse page,
                                         models->ListRegisteredModels(list, c.projects));
                     for (v1::RegisteredModel& m : *page.mutable_registered_models()) {
                       if (++scanned > kMaxScannedModels) {
                         return ErrorBuilder(absl::StatusCode::kResourceExhausted, "more than 50,000 models to search")
                             .Reason("SEARCH_TOO_LARGE")
                             .Build();
                       }
                       json shown = {{"name", MlflowName(m)}, {"tags", TagList(m.tags(), kNameTag)}};
                       if (!search.Matches(shown)) continue;
                       found.push_back(std::move(m));
                     }
                     list.set_page_token(page.next_page_token());
                   } while (!list.page_token().empty());
                   FT_RETURN_IF_ERROR(SortModels(order_by, &found));
                   json list_json = json::array();
                   const size_t end = std::min(found.size(), offset + static_cast<size_t>(max_results));
                   for (size_t i = offset; i < end; ++i) {
                     FT_ASSIGN_OR_RETURN(auto latest, LatestVersions(models, found[i].name(), {}));
                     list_json.push_back(ModelJson(found[i], latest));
                   }
                   json res = json::object();
                   if (!list_json.empty()) res["registered_models"] = std::move(list_json);
                   if (end < found.size())
                     res["next_page_token"] = EncodePageToken(page_token_key, kind, std::to_string(end));
                   return res;
                 }});
  for (const char* method : {"POST", "GET"}) {
    out.push_back({method, rm("get-latest-versions"), Access::kRead, ProjectRule::kFields, by_name,
                   [models, names](DoorCall& c) -> absl::StatusOr<json> {
                     FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                     FT_ASSIGN_OR_RETURN(v1::RegisteredModel m, GetModel(models, model));
                     std::vector<v1::ModelStage> stages;
                     if (auto it = c.params.find("stages"); it != c.params.end() && !it->is_null()) {
                       std::vector<std::string> given;
                       if (it->is_string()) {
                         given.push_back(it->get<std::string>());
                       } else if (it->is_array()) {
                         for (const json& s : *it) {
                           if (!s.is_string()) return InvalidField("stages", "a list of stage names");
                           given.push_back(s.get<std::string>());
                         }
                       }
                       for (const std::string& s : given) {
                         FT_ASSIGN_OR_RETURN(v1::ModelStage st, StageParam(s));
                         stages.push_back(st);
                       }
                     }
                     FT_ASSIGN_OR_RETURN(auto latest, LatestVersions(models, model, stages));
                     json versions = json::array();
                     for (const auto& v : latest) versions.push_back(VersionJson(v, MlflowName(m)));
                     json res = json::object();
                     if (!versions.empty()) res["model_versions"] = std::move(versions);
                     return res;
                   }});
  }
  for (bool set : {true, false}) {
    out.push_back({set ? "POST" : "DELETE", rm(set ? "set-tag" : "delete-tag"), Access::kWriteRuns,
                   ProjectRule::kFields, by_name, [models, names, set](DoorCall& c) -> absl::StatusOr<json> {
                     FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                     FT_ASSIGN_OR_RETURN(std::string key, TextParam(c.params, "key", true));
                     FT_ASSIGN_OR_RETURN(std::string value, TextParam(c.params, "value", false));
                     if (key == kNameTag) return InvalidField("key", "mlflow.name is the model's name: rename it");
                     FT_RETURN_IF_ERROR(EditModel(
                                            models, c.ctx, model,
                                            [&](v1::RegisteredModel* m) {
                                              if (set) {
                                                (*m->mutable_tags())[key] = value;
                                              } else {
                                                m->mutable_tags()->erase(key);
                                              }
                                            },
                                            "tags")
                                            .status());
                     return json::object();
                   }});
  }
  out.push_back({"POST", rm("alias"), Access::kWriteRuns, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   v1::SetModelAliasRequest req;
                   FT_ASSIGN_OR_RETURN(*req.mutable_name(), names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(*req.mutable_alias(), TextParam(c.params, "alias", true));
                   FT_ASSIGN_OR_RETURN(int64_t version, VersionParam(c.params));
                   req.set_version(version);
                   FT_RETURN_IF_ERROR(models->SetModelAlias(c.ctx, req).status());
                   return json::object();
                 }});
  out.push_back({"DELETE", rm("alias"), Access::kWriteRuns, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   v1::DeleteModelAliasRequest req;
                   FT_ASSIGN_OR_RETURN(*req.mutable_name(), names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(*req.mutable_alias(), TextParam(c.params, "alias", true));
                   FT_RETURN_IF_ERROR(models->DeleteModelAlias(c.ctx, req).status());
                   return json::object();
                 }});
  out.push_back({"GET", rm("alias"), Access::kRead, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(std::string alias, TextParam(c.params, "alias", true));
                   FT_ASSIGN_OR_RETURN(v1::RegisteredModel m, GetModel(models, model));
                   // Resolved through the model's alias map, not "versions/{alias}":
                   // an alias may be digits only ("12"), as with MLflow's "@12".
                   auto found = m.aliases().find(alias);
                   if (found == m.aliases().end()) {
                     return ErrorBuilder(
                                absl::StatusCode::kNotFound,
                                absl::StrCat("Registered model alias ", text::ClipText(alias, 100), " not found."))
                         .Reason("ALIAS_NOT_FOUND")
                         .Build();
                   }
                   v1::GetModelVersionRequest get;
                   get.set_name(absl::StrCat(model, "/versions/", found->second));
                   FT_ASSIGN_OR_RETURN(v1::ModelVersion v, models->GetModelVersion(get));
                   return json{{"model_version", VersionJson(v, MlflowName(m))}};
                 }});

  out.push_back({"POST", mv("create"), Access::kWriteRuns, ProjectRule::kFields, by_name,
                 [models, names, artifacts](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(std::string source, TextParam(c.params, "source", true));
                   FT_ASSIGN_OR_RETURN(std::string run_id, TextParam(c.params, "run_id", false));
                   FT_ASSIGN_OR_RETURN(auto where, SourceOf(source));
                   if (!run_id.empty() && run_id != where.first) {
                     return InvalidField("run_id", "the run of `source` is another");
                   }
                   // The folder's manifest goes with the request: a new tree is
                   // registered in the version's own transaction.
                   FT_ASSIGN_OR_RETURN(std::string manifest, artifacts->ManifestOf(where.first, where.second));
                   const Digest tree{Sha256Hex(manifest), static_cast<int64_t>(manifest.size())};
                   FT_ASSIGN_OR_RETURN(v1::RegisteredModel m, GetModel(models, model));
                   v1::CreateModelVersionRequest req;
                   req.set_parent(model);
                   v1::ModelVersion* v = req.mutable_model_version();
                   v->mutable_tree_digest()->set_sha256(tree.sha256);
                   v->mutable_tree_digest()->set_size_bytes(tree.size_bytes);
                   v->set_source_run(absl::StrCat("runs/", where.first));
                   FT_ASSIGN_OR_RETURN(*v->mutable_description(), TextParam(c.params, "description", false));
                   FT_ASSIGN_OR_RETURN(auto tags, TagsParam(c.params));
                   for (const auto& [k, val] : tags) (*v->mutable_tags())[k] = val;
                   (*v->mutable_tags())[kSourceTag] = source;
                   FT_ASSIGN_OR_RETURN(v1::ModelVersion made,
                                       models->CreateModelVersion(c.ctx, req, std::move(manifest)));
                   return json{{"model_version", VersionJson(made, MlflowName(m))}};
                 }});
  out.push_back({"GET", mv("get"), Access::kRead, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(int64_t version, VersionParam(c.params));
                   FT_ASSIGN_OR_RETURN(v1::RegisteredModel m, GetModel(models, model));
                   v1::GetModelVersionRequest get;
                   get.set_name(absl::StrCat(model, "/versions/", version));
                   FT_ASSIGN_OR_RETURN(v1::ModelVersion v, models->GetModelVersion(get));
                   return json{{"model_version", VersionJson(v, MlflowName(m))}};
                 }});
  out.push_back({"GET", mv("get-download-uri"), Access::kRead, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(int64_t version, VersionParam(c.params));
                   v1::GetModelVersionRequest get;
                   get.set_name(absl::StrCat(model, "/versions/", version));
                   FT_RETURN_IF_ERROR(models->GetModelVersion(get).status());
                   // The version's own tree, served read-only by the artifact proxy.
                   return json{{"artifact_uri", absl::StrCat("mlflow-artifacts:/", model, "/versions/", version)}};
                 }});
  out.push_back({"PATCH", mv("update"), Access::kWriteRuns, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(int64_t version, VersionParam(c.params));
                   FT_ASSIGN_OR_RETURN(std::string description, TextParam(c.params, "description", false));
                   FT_ASSIGN_OR_RETURN(v1::RegisteredModel m, GetModel(models, model));
                   FT_ASSIGN_OR_RETURN(
                       v1::ModelVersion v,
                       EditVersion(
                           models, c.ctx, absl::StrCat(model, "/versions/", version),
                           [&](v1::ModelVersion* v) { v->set_description(description); }, "description"));
                   return json{{"model_version", VersionJson(v, MlflowName(m))}};
                 }});
  out.push_back(
      {"POST", mv("transition-stage"), Access::kWriteRuns, ProjectRule::kFields, by_name,
       [models, names](DoorCall& c) -> absl::StatusOr<json> {
         FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
         FT_ASSIGN_OR_RETURN(int64_t version, VersionParam(c.params));
         FT_ASSIGN_OR_RETURN(std::string stage_text, TextParam(c.params, "stage", true));
         FT_ASSIGN_OR_RETURN(v1::ModelStage stage, StageParam(stage_text));
         bool archive = false;
         if (auto it = c.params.find("archive_existing_versions"); it != c.params.end()) {
           archive = it->is_boolean() ? it->get<bool>() : (it->is_string() && *it == "true");
         }
         FT_ASSIGN_OR_RETURN(v1::RegisteredModel m, GetModel(models, model));
         FT_ASSIGN_OR_RETURN(v1::ModelVersion v, EditVersion(
                                                     models, c.ctx, absl::StrCat(model, "/versions/", version),
                                                     [&](v1::ModelVersion* v) { v->set_stage(stage); }, "stage"));
         if (archive && (stage == v1::MODEL_STAGE_STAGING || stage == v1::MODEL_STAGE_PRODUCTION)) {
           FT_ASSIGN_OR_RETURN(auto all, AllVersions(models, model));
           for (const v1::ModelVersion& other : all) {
             if (other.version() == version || other.stage() != stage) continue;
             FT_RETURN_IF_ERROR(EditVersion(
                                    models, c.ctx, other.name(),
                                    [](v1::ModelVersion* o) { o->set_stage(v1::MODEL_STAGE_ARCHIVED); }, "stage")
                                    .status());
           }
         }
         return json{{"model_version", VersionJson(v, MlflowName(m))}};
       }});
  for (bool set : {true, false}) {
    out.push_back({set ? "POST" : "DELETE", mv(set ? "set-tag" : "delete-tag"), Access::kWriteRuns,
                   ProjectRule::kFields, by_name, [models, names, set](DoorCall& c) -> absl::StatusOr<json> {
                     FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                     FT_ASSIGN_OR_RETURN(int64_t version, VersionParam(c.params));
                     FT_ASSIGN_OR_RETURN(std::string key, TextParam(c.params, "key", true));
                     FT_ASSIGN_OR_RETURN(std::string value, TextParam(c.params, "value", false));
                     if (key == kSourceTag) return InvalidField("key", "mlflow.source records the version's source");
                     FT_RETURN_IF_ERROR(EditVersion(
                                            models, c.ctx, absl::StrCat(model, "/versions/", version),
                                            [&](v1::ModelVersion* v) {
                                              if (set) {
                                                (*v->mutable_tags())[key] = value;
                                              } else {
                                                v->mutable_tags()->erase(key);
                                              }
                                            },
                                            "tags")
                                            .status());
                     return json::object();
                   }});
  }
  out.push_back({"DELETE", mv("delete"), Access::kWriteRuns, ProjectRule::kFields, by_name,
                 [models, names](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string model, names.Model(c.params));
                   FT_ASSIGN_OR_RETURN(int64_t version, VersionParam(c.params));
                   // A soft delete: MLflow no longer sees the version; its
                   // tree, lineage and audit trail stay (docs/mlflow-door.md).
                   v1::DeleteModelVersionRequest del;
                   del.set_name(absl::StrCat(model, "/versions/", version));
                   FT_RETURN_IF_ERROR(models->DeleteModelVersion(c.ctx, del).status());
                   return json::object();
                 }});
  out.push_back({"GET", mv("search"), Access::kRead, ProjectRule::kList, nullptr,
                 [models, page_token_key](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string filter, TextParam(c.params, "filter", false));
                   FT_ASSIGN_OR_RETURN(std::vector<std::string> order_by, StringListParam(c.params, "order_by"));
                   FT_ASSIGN_OR_RETURN(VersionSearch search, VersionSearch::Parse(filter, order_by));
                   FT_ASSIGN_OR_RETURN(int64_t max_results, IntegerParam(c.params, "max_results", 10000));
                   if (max_results < 1 || max_results > 200000) return InvalidField("max_results", "1 to 200,000");
                   std::vector<std::pair<std::string, std::string>> targets;  // (model, MLflow name)
                   if (const std::optional<std::string>& name = search.exact_name()) {
                     absl::StatusOr<std::string> model = models->ModelForMlflowName(*name);
                     if (model.ok()) {
                       absl::StatusOr<v1::RegisteredModel> m = GetModel(models, *model);
                       if (m.ok() && c.projects.Allows(m->project().empty() ? "default" : m->project())) {
                         targets.emplace_back(*model, *name);
                       }
                     }
                   } else {
                     v1::ListRegisteredModelsRequest list;
                     list.set_page_size(1000);
                     do {
                       FT_ASSIGN_OR_RETURN(auto page, models->ListRegisteredModels(list, c.projects));
                       for (const auto& m : page.registered_models()) targets.emplace_back(m.name(), MlflowName(m));
                       list.set_page_token(page.next_page_token());
                     } while (!list.page_token().empty() && targets.size() < kMaxScannedModels);
                   }
                   std::string identity = filter;
                   for (const std::string& o : order_by) absl::StrAppend(&identity, "\n", o);
                   const std::string kind = absl::StrCat("mlflow-versions:", Sha256Hex(identity).substr(0, 16));
                   FT_ASSIGN_OR_RETURN(std::string token, TextParam(c.params, "page_token", false));
                   FT_ASSIGN_OR_RETURN(std::string payload, DecodePageToken(page_token_key, kind, token));
                   size_t offset = 0;
                   if (!payload.empty() && !absl::SimpleAtoi(payload, &offset)) {
                     return InvalidField("page_token", "not one");
                   }
                   std::vector<json> found;
                   for (const auto& [model, mlflow_name] : targets) {
                     FT_ASSIGN_OR_RETURN(auto all, AllVersions(models, model));
                     for (const v1::ModelVersion& v : all) {
                       json j = VersionJson(v, mlflow_name);
                       if (search.Matches(j)) found.push_back(std::move(j));
                     }
                   }
                   search.Sort(&found);
                   json res = json::object();
                   json page = json::array();
                   const size_t end = std::min(found.size(), offset + static_cast<size_t>(max_results));
                   for (size_t i = offset; i < end; ++i) page.push_back(std::move(found[i]));
                   if (!page.empty()) res["model_versions"] = std::move(page);
                   if (end < found.size()) {
                     res["next_page_token"] = EncodePageToken(page_token_key, kind, std::to_string(end));
                   }
                   return res;
                 }});
  return out;
}

}  // namespace fairtrace::mlflow
