// The MLflow runs endpoints (docs/mlflow-door.md, "Runs"): create, get,
// update, search, log-parameter, log-metric, log-batch, set-tag, delete-tag,
// metrics/get-history and artifacts/list, over RunRegistry. An MLflow run is a fairtrace run
// (the same 32-hex id); its experiment is "experiments/{id}" in the run's
// `experiment` field and its project the experiment's.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_project.h"
#include "registry/mlflow/mlflow_door.h"
#include "registry/mlflow/mlflow_params.h"
#include "registry/mlflow/run_search.h"

namespace fairtrace::mlflow {

namespace {

using json = nlohmann::json;
using google::protobuf::util::TimeUtil;

constexpr char kRunName[] = "mlflow.runName";
constexpr char kUser[] = "mlflow.user";
constexpr char kLogModelHistory[] = "mlflow.log-model.history";
// A run deleted through the door (soft: MLflow's lifecycle_stage), kept as
// a tag so that the change is audited and in the run's state document.
constexpr char kLifecycle[] = "fairtrace.lifecycle";

bool IsDeleted(const v1::Run& run) {
  auto it = run.tags().find(kLifecycle);
  return it != run.tags().end() && it->second == "deleted";
}
constexpr size_t kMaxRunTagValue = 8000;  // RunLimits::tags

std::string ExperimentIdOf(const v1::Run& run) {
  absl::string_view e = run.experiment();
  return absl::ConsumePrefix(&e, "experiments/") ? std::string(e) : "0";
}

json MetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

absl::StatusOr<double> MetricValueParam(const json& p) {
  auto it = p.find("value");
  if (it == p.end() || it->is_null()) return InvalidField("value", "Missing value for required parameter 'value'");
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    double v = 0;
    if (absl::SimpleAtod(s, &v)) return v;
  }
  return InvalidField("value", "must be a number");
}

// One metric point of a request ({key, value, timestamp, step}).
absl::StatusOr<v1::Metric> MetricParam(const json& p) {
  v1::Metric m;
  FT_ASSIGN_OR_RETURN(*m.mutable_key(), TextParam(p, "key", true));
  FT_ASSIGN_OR_RETURN(double value, MetricValueParam(p));
  m.set_value(value);
  FT_ASSIGN_OR_RETURN(int64_t step, IntegerParam(p, "step", 0));
  m.set_step(step);
  FT_ASSIGN_OR_RETURN(int64_t ms, IntegerParam(p, "timestamp", -1));
  if (ms >= 0) *m.mutable_timestamp() = TimeUtil::MillisecondsToTimestamp(ms);
  return m;
}

// MLflow's own log-batch limits (its client splits larger batches).
constexpr size_t kBatchMetrics = 1000, kBatchParams = 100, kBatchTags = 100, kBatchTotal = 1000;

// What one response may read of dataset input descriptors (runs/get,
// runs/search): MLflow returns them with every run; past this, the caller
// is asked for fewer runs per page.
constexpr int64_t kDatasetInputBytesPerResponse = int64_t{64} << 20;

// MLflow's dataset inputs of a run: its input edges to descriptor blobs
// written by runs/log-inputs (read back from `cas`; none without it).
// Reads count against *budget: RESOURCE_EXHAUSTED once it is spent.
absl::StatusOr<json> DatasetInputs(const v1::Run& run, ContentStore* cas, int64_t* budget) {
  json out = json::array();
  if (cas == nullptr) return out;
  for (const v1::RunEdge& e : run.inputs()) {
    if (!e.artifact().has_blob() || e.artifact().blob().size_bytes() > (int64_t{1} << 20)) continue;
    *budget -= e.artifact().blob().size_bytes();
    if (*budget < 0) {
      return ErrorBuilder(absl::StatusCode::kResourceExhausted,
                          "the dataset inputs this call reads exceed 64 MiB; ask for fewer runs (max_results) or "
                          "search fewer experiments")
          .Reason("RESPONSE_TOO_LARGE")
          .Build();
    }
    absl::StatusOr<std::string> bytes =
        cas->ReadBlob(Digest{e.artifact().blob().sha256(), e.artifact().blob().size_bytes()}, int64_t{1} << 20);
    if (!bytes.ok()) continue;
    json d = json::parse(*bytes, nullptr, false);
    if (!d.is_object() || !d.contains("mlflow_dataset_input")) continue;
    out.push_back(d["mlflow_dataset_input"]);
  }
  return out;
}

// A run as MLflow's Run message; `dataset_inputs` from DatasetInputs.
json RunJson(const v1::Run& run, json dataset_inputs = json::array()) {
  const std::string id(run.name().substr(5));
  json info = {{"run_id", id},
               {"run_uuid", id},
               {"experiment_id", ExperimentIdOf(run)},
               {"status", v1::RunStatus_Name(run.status()).substr(11)},  // "RUN_STATUS_" cut
               {"start_time", TimeUtil::TimestampToMilliseconds(run.start_time())},
               {"artifact_uri", absl::StrCat("mlflow-artifacts:/", ExperimentIdOf(run), "/", id, "/artifacts")},
               {"lifecycle_stage", IsDeleted(run) ? "deleted" : "active"}};
  if (run.has_end_time()) info["end_time"] = TimeUtil::TimestampToMilliseconds(run.end_time());
  if (auto n = run.tags().find(kRunName); n != run.tags().end()) info["run_name"] = n->second;
  if (auto u = run.tags().find(kUser); u != run.tags().end()) info["user_id"] = u->second;
  json data = json::object();
  json metrics = json::array(), params = json::array(), tags = json::array();
  for (const v1::Metric& m : run.latest_metrics()) {
    metrics.push_back({{"key", m.key()},
                       {"value", MetricValue(m.value())},
                       {"timestamp", TimeUtil::TimestampToMilliseconds(m.timestamp())},
                       {"step", m.step()}});
  }
  for (const auto& [k, v] : run.params()) params.push_back({{"key", k}, {"value", v}});
  for (const auto& [k, v] : run.tags()) {
    if (k != kLifecycle) tags.push_back({{"key", k}, {"value", v}});
  }
  if (!metrics.empty()) data["metrics"] = std::move(metrics);
  if (!params.empty()) data["params"] = std::move(params);
  if (!tags.empty()) data["tags"] = std::move(tags);
  json inputs = json::object();
  if (!dataset_inputs.empty()) inputs["dataset_inputs"] = std::move(dataset_inputs);
  return {{"run", {{"info", info}, {"data", data}, {"inputs", inputs}}}};
}

// What run search sees of `run` (run_search.h).
RunView ViewOf(const v1::Run& run) {
  RunView v;
  v.run_id = run.name().substr(5);
  v.status = v1::RunStatus_Name(run.status()).substr(11);
  v.start_time = TimeUtil::TimestampToMilliseconds(run.start_time());
  if (run.has_end_time()) v.end_time = TimeUtil::TimestampToMilliseconds(run.end_time());
  v.artifact_uri = absl::StrCat("mlflow-artifacts:/", ExperimentIdOf(run), "/", v.run_id, "/artifacts");
  for (const v1::Metric& m : run.latest_metrics()) v.metrics[m.key()] = m.value();
  v.params.insert(run.params().begin(), run.params().end());
  v.tags.insert(run.tags().begin(), run.tags().end());
  if (auto n = v.tags.find(kRunName); n != v.tags.end()) v.run_name = n->second;
  if (auto u = v.tags.find(kUser); u != v.tags.end()) v.user_id = u->second;
  return v;
}

// What run search compares of MLflow dataset inputs (DatasetInputs' records).
std::vector<RunView::DatasetInput> DatasetViews(const json& inputs) {
  std::vector<RunView::DatasetInput> out;
  for (const json& input : inputs) {
    RunView::DatasetInput d;
    const json dataset = input.value("dataset", json::object());
    if (dataset.is_object()) {
      d.name = dataset.value("name", std::string());
      d.digest = dataset.value("digest", std::string());
    }
    for (const json& tag : input.value("tags", json::array())) {
      if (tag.is_object() && tag.value("key", std::string()) == "mlflow.data.context") {
        d.context = tag.value("value", std::string());
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

constexpr int64_t kSearchDefaultResults = 1000, kSearchMaxResults = 50000;
constexpr size_t kSearchMaxExperiments = 100;
constexpr int kSearchMaxScanned = 50000;

// runs/search: the runs of the visible experiments among
// `experiment_ids` (missing and hidden ones have none, as MLflow answers
// for an unknown id), filtered and ordered in memory (run_search.h), paged
// by signed offsets.
absl::StatusOr<json> SearchRuns(RunRegistry* runs, ExperimentRegistry* experiments, ContentStore* cas,
                                const std::string& token_key, DoorCall& c) {
  const json& p = c.params;
  FT_ASSIGN_OR_RETURN(std::vector<std::string> ids, StringListParam(p, "experiment_ids"));
  if (ids.size() > kSearchMaxExperiments) return InvalidField("experiment_ids", "at most 100 experiments");
  FT_ASSIGN_OR_RETURN(std::string filter, TextParam(p, "filter", false));
  FT_ASSIGN_OR_RETURN(std::vector<std::string> order_by, StringListParam(p, "order_by"));
  FT_ASSIGN_OR_RETURN(RunSearch search, RunSearch::Parse(filter, order_by));
  FT_ASSIGN_OR_RETURN(int64_t max_results, IntegerParam(p, "max_results", kSearchDefaultResults));
  if (max_results < 1 || max_results > kSearchMaxResults) {
    return InvalidField("max_results", absl::StrCat("between 1 and ", kSearchMaxResults));
  }
  FT_ASSIGN_OR_RETURN(std::string view, TextParam(p, "run_view_type", false));
  if (!view.empty() && view != "ACTIVE_ONLY" && view != "DELETED_ONLY" && view != "ALL") {
    return InvalidField("run_view_type", "ACTIVE_ONLY, DELETED_ONLY or ALL");
  }
  std::string identity = absl::StrCat(view, "\n", filter);
  for (const std::string& o : order_by) absl::StrAppend(&identity, "\n", o);
  for (const std::string& id : ids) absl::StrAppend(&identity, "\n", id);
  const std::string kind = absl::StrCat("mlflow-runs:", Sha256Hex(identity).substr(0, 16));
  FT_ASSIGN_OR_RETURN(std::string token, TextParam(p, "page_token", false));
  FT_ASSIGN_OR_RETURN(std::string payload, DecodePageToken(token_key, kind, token));
  size_t offset = 0;
  if (!payload.empty() && !absl::SimpleAtoi(payload, &offset)) return InvalidField("page_token", "not a page token");

  std::vector<v1::Run> found;
  std::vector<RunView> views;
  std::vector<std::optional<json>> found_inputs;  // read while filtering (a datasets clause), else later
  int scanned = 0;
  int64_t scan_budget = kDatasetInputBytesPerResponse;  // descriptors read to filter
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) continue;
    absl::StatusOr<ExperimentRow> exp = experiments->Get(id);
    if (!exp.ok() && exp.status().code() != absl::StatusCode::kNotFound) return exp.status();
    if (!exp.ok() || !c.projects.Allows(exp->project)) continue;
    v1::ListRunsRequest list;
    list.set_page_size(1000);
    list.set_filter(absl::StrCat("experiment = \"experiments/", exp->experiment_id, "\""));
    do {
      FT_ASSIGN_OR_RETURN(v1::ListRunsResponse page, runs->ListRuns(list, c.projects));
      for (v1::Run& run : *page.mutable_runs()) {
        if (++scanned > kSearchMaxScanned) {
          return ErrorBuilder(absl::StatusCode::kResourceExhausted,
                              absl::StrCat("the experiments searched hold more than ", kSearchMaxScanned,
                                           " runs; this server searches at most that many per call: search fewer "
                                           "experiments"))
              .Reason("SEARCH_TOO_LARGE");
        }
        const bool deleted = IsDeleted(run);
        if (view == "ALL" ? false : view == "DELETED_ONLY" ? !deleted : deleted) continue;
        RunView v = ViewOf(run);
        std::optional<json> inputs;
        if (search.uses_datasets()) {  // each run's inputs read: only when a clause needs them
          FT_RETURN_IF_ERROR(runs->AddEdges(&run));
          FT_ASSIGN_OR_RETURN(inputs, DatasetInputs(run, cas, &scan_budget));
          v.datasets = DatasetViews(*inputs);
        }
        if (!search.Matches(v)) continue;
        views.push_back(std::move(v));
        found.push_back(std::move(run));
        found_inputs.push_back(std::move(inputs));
      }
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
  }
  std::vector<size_t> order(views.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return search.Before(views[a], views[b]); });
  json list = json::array();
  const size_t end = std::min(order.size(), offset + static_cast<size_t>(max_results));
  int64_t budget = kDatasetInputBytesPerResponse;
  for (size_t i = offset; i < end; ++i) {
    std::optional<json>& inputs = found_inputs[order[i]];
    if (!inputs) {
      FT_RETURN_IF_ERROR(runs->AddEdges(&found[order[i]]));  // listed without them
      FT_ASSIGN_OR_RETURN(inputs, DatasetInputs(found[order[i]], cas, &budget));
    }
    list.push_back(std::move(RunJson(found[order[i]], *std::move(inputs))["run"]));
  }
  json out = json::object();
  if (!list.empty()) out["runs"] = std::move(list);
  if (end < order.size()) out["next_page_token"] = EncodePageToken(token_key, kind, std::to_string(end));
  return out;
}

absl::StatusOr<std::string> RunName(const json& p) {
  std::string id;
  if (auto it = p.find("run_id"); it != p.end() && it->is_string()) id = it->get<std::string>();
  if (id.empty()) {
    if (auto it = p.find("run_uuid"); it != p.end() && it->is_string()) id = it->get<std::string>();
  }
  if (id.empty()) return InvalidField("run_id", "Missing value for required parameter 'run_id'");
  return absl::StrCat("runs/", id);
}

// The run a `run_id` names, for authorization.
// MLflow's server refuses to change a deleted run ("must be in the 'active'
// state"), with INVALID_PARAMETER_VALUE; so does the door. Logging checks
// it in its own transaction (the run store's RUN_DELETED, answered as
// INVALID_PARAMETER_VALUE); tag edits and updates check the run they read.
absl::Status DeletedRunError(const std::string& name) {
  return InvalidField(
      "run_id", absl::StrCat("The run ", name.substr(5), " must be in the 'active' state. Current state is deleted."));
}

absl::StatusOr<std::vector<ProjectTarget>> RunTarget(Store* store, const json& p) {
  FT_ASSIGN_OR_RETURN(std::string name, RunName(p));
  return ActOnTarget(store, "runs", name.substr(5), "run_id");
}

// Changes a run's tags, retrying once when another call changed the run
// in between (its etag guards the write). A deleted run is refused unless
// `deleted_ok` (delete and restore themselves).
absl::Status EditTags(RunRegistry* runs, const CallContext& ctx, const std::string& name,
                      const std::function<void(google::protobuf::Map<std::string, std::string>*)>& edit,
                      bool deleted_ok = false) {
  for (int attempt = 0;; ++attempt) {
    v1::GetRunRequest get;
    get.set_name(name);
    FT_ASSIGN_OR_RETURN(v1::Run run, runs->GetRun(get));
    if (!deleted_ok && IsDeleted(run)) return DeletedRunError(name);
    v1::UpdateRunRequest req;
    req.mutable_run()->set_name(name);
    req.mutable_run()->set_etag(run.etag());
    *req.mutable_run()->mutable_tags() = run.tags();
    edit(req.mutable_run()->mutable_tags());
    req.mutable_update_mask()->add_paths("tags");
    absl::StatusOr<v1::Run> done = runs->UpdateRun(ctx, req);
    if (done.ok() || done.status().code() != absl::StatusCode::kAborted || attempt > 0) return done.status();
  }
}

}  // namespace

std::vector<Endpoint> RunEndpoints(const DoorDependencies& deps, const std::string& page_token_key) {
  RunRegistry* runs = deps.runs;
  ContentStore* cas = deps.artifacts != nullptr ? deps.artifacts->cas() : nullptr;
  ExperimentRegistry* experiments = deps.experiments;
  Store* store = deps.store;
  auto by_run = [store](const json& p) { return RunTarget(store, p); };
  std::vector<Endpoint> out;
  out.push_back({"POST", "/api/2.0/mlflow/runs/create", Access::kWriteRuns, ProjectRule::kFields,
                 [store](const json& p) -> absl::StatusOr<std::vector<ProjectTarget>> {
                   FT_ASSIGN_OR_RETURN(std::string id, TextParam(p, "experiment_id", false));
                   return ActOnTarget(store, "experiments", id.empty() ? "0" : id, "experiment_id");
                 },
                 [runs, experiments](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string id, TextParam(c.params, "experiment_id", false));
                   FT_ASSIGN_OR_RETURN(ExperimentRow exp, experiments->Get(id.empty() ? "0" : id));
                   if (exp.lifecycle_stage != "active") {
                     return InvalidField("experiment_id", absl::StrCat("experiment ", id, " is deleted"));
                   }
                   v1::CreateRunRequest req;
                   v1::Run* run = req.mutable_run();
                   run->set_experiment(absl::StrCat("experiments/", exp.experiment_id));
                   run->set_project(exp.project);
                   FT_ASSIGN_OR_RETURN(auto tags, TagsParam(c.params));
                   for (const auto& [k, v] : tags) (*run->mutable_tags())[k] = v;
                   FT_ASSIGN_OR_RETURN(std::string run_name, TextParam(c.params, "run_name", false));
                   if (!run_name.empty()) (*run->mutable_tags())[kRunName] = run_name;
                   FT_ASSIGN_OR_RETURN(std::string user, TextParam(c.params, "user_id", false));
                   if (!user.empty() && !run->tags().contains(kUser)) (*run->mutable_tags())[kUser] = user;
                   FT_ASSIGN_OR_RETURN(v1::Run made, runs->CreateRun(c.ctx, req));
                   return RunJson(made);
                 }});
  out.push_back({"GET", "/api/2.0/mlflow/runs/get", Access::kRead, ProjectRule::kFields, by_run,
                 [runs, cas](DoorCall& c) -> absl::StatusOr<json> {
                   v1::GetRunRequest get;
                   FT_ASSIGN_OR_RETURN(*get.mutable_name(), RunName(c.params));
                   FT_ASSIGN_OR_RETURN(v1::Run run, runs->GetRun(get));
                   int64_t budget = kDatasetInputBytesPerResponse;
                   FT_ASSIGN_OR_RETURN(json inputs, DatasetInputs(run, cas, &budget));
                   return RunJson(run, std::move(inputs));
                 }});
  if (cas != nullptr) {
    // mlflow.log_input: each dataset's MLflow record (name, digest,
    // source, schema, context) is stored as a CAS blob and becomes an
    // input edge of the run (role: its context); a source naming a
    // fairtrace dataset version adds an edge to that version too.
    out.push_back({"POST", "/api/2.0/mlflow/runs/log-inputs", Access::kWriteRuns, ProjectRule::kFields, by_run,
                   [runs, cas](DoorCall& c) -> absl::StatusOr<json> {
                     FT_ASSIGN_OR_RETURN(std::string name, RunName(c.params));
                     auto it = c.params.find("datasets");
                     if (it == c.params.end() || it->is_null()) return json::object();
                     if (!it->is_array() || it->size() > 100) {
                       return InvalidField("datasets", "a list of at most 100 dataset inputs");
                     }
                     v1::AddRunEdgesRequest req;
                     req.set_run(name);
                     for (const json& input : *it) {
                       if (!input.is_object() || !input.contains("dataset") || !input["dataset"].is_object()) {
                         return InvalidField("datasets", "each input has a dataset object");
                       }
                       const json& dataset = input["dataset"];
                       FT_ASSIGN_OR_RETURN(std::string dataset_name, TextParam(dataset, "name", true));
                       FT_ASSIGN_OR_RETURN(std::string digest, TextParam(dataset, "digest", true));
                       FT_ASSIGN_OR_RETURN(auto tags, TagsParam(input));
                       std::string role = "mlflow-dataset";
                       if (auto ctx = tags.find("mlflow.data.context"); ctx != tags.end()) {
                         role = absl::AsciiStrToLower(ctx->second);
                         for (char& ch : role) {
                           if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' &&
                               ch != '-') {
                             ch = '-';
                           }
                         }
                         if (role.empty() || role.size() > 64) role = "mlflow-dataset";
                       }
                       const std::string record = json{{"mlflow_dataset_input", input}}.dump();
                       FT_ASSIGN_OR_RETURN(Digest d, cas->PutBytes(c.ctx, record));
                       v1::RunEdge* e = req.add_inputs();
                       e->set_role(role);
                       e->mutable_artifact()->mutable_blob()->set_sha256(d.sha256);
                       e->mutable_artifact()->mutable_blob()->set_size_bytes(d.size_bytes);
                       // A source that names a fairtrace dataset version.
                       json source = json::parse(dataset.value("source", std::string()), nullptr, false);
                       if (source.is_object() && source.contains("uri") && source["uri"].is_string()) {
                         const std::string uri = source["uri"];
                         if (absl::StartsWith(uri, "datasets/") && absl::StrContains(uri, "/versions/")) {
                           v1::RunEdge* v = req.add_inputs();
                           v->set_role(role);
                           v->mutable_artifact()->set_resource(uri);
                         }
                       }
                     }
                     FT_RETURN_IF_ERROR(runs->AddRunEdges(c.ctx, req).status());
                     return json::object();
                   }});
  }
  out.push_back({"POST", "/api/2.0/mlflow/runs/update", Access::kWriteRuns, ProjectRule::kFields, by_run,
                 [runs](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string name, RunName(c.params));
                   v1::GetRunRequest get;
                   get.set_name(name);
                   FT_ASSIGN_OR_RETURN(v1::Run cur, runs->GetRun(get));
                   if (IsDeleted(cur)) return DeletedRunError(name);
                   FT_ASSIGN_OR_RETURN(std::string status, TextParam(c.params, "status", false));
                   FT_ASSIGN_OR_RETURN(std::string run_name, TextParam(c.params, "run_name", false));
                   if (!run_name.empty()) {
                     FT_RETURN_IF_ERROR(EditTags(runs, c.ctx, name, [&](auto* tags) { (*tags)[kRunName] = run_name; }));
                   }
                   if (!status.empty()) {
                     v1::RunStatus s;
                     if (!v1::RunStatus_Parse(absl::StrCat("RUN_STATUS_", status), &s)) {
                       return InvalidField("status", "RUNNING, FINISHED, FAILED or KILLED");
                     }
                     // The tag edit above leaves the status as `cur` read it.
                     const bool ended = cur.status() != v1::RUN_STATUS_RUNNING;
                     if (ended && s == v1::RUN_STATUS_RUNNING) {
                       // start_run(run_id=…): appended to, never rewritten.
                       FT_RETURN_IF_ERROR(runs->ReopenRun(c.ctx, name).status());
                     } else if (cur.status() != s) {
                       v1::UpdateRunRequest req;
                       req.mutable_run()->set_name(name);
                       req.mutable_run()->set_status(s);
                       req.mutable_update_mask()->add_paths("status");
                       FT_RETURN_IF_ERROR(runs->UpdateRun(c.ctx, req).status());
                     }
                   }
                   FT_ASSIGN_OR_RETURN(v1::Run run, runs->GetRun(get));
                   return json{{"run_info", RunJson(run)["run"]["info"]}};
                 }});
  out.push_back({"POST", "/api/2.0/mlflow/runs/log-parameter", Access::kWriteRuns, ProjectRule::kFields, by_run,
                 [runs](DoorCall& c) -> absl::StatusOr<json> {
                   v1::LogParamsRequest req;
                   FT_ASSIGN_OR_RETURN(*req.mutable_run(), RunName(c.params));
                   FT_ASSIGN_OR_RETURN(std::string key, TextParam(c.params, "key", true));
                   FT_ASSIGN_OR_RETURN(std::string value, TextParam(c.params, "value", false));
                   (*req.mutable_params())[key] = value;
                   FT_RETURN_IF_ERROR(runs->LogParams(c.ctx, req).status());
                   return json::object();
                 }});
  out.push_back({"POST", "/api/2.0/mlflow/runs/log-metric", Access::kWriteRuns, ProjectRule::kFields, by_run,
                 [runs](DoorCall& c) -> absl::StatusOr<json> {
                   v1::LogMetricsRequest req;
                   FT_ASSIGN_OR_RETURN(*req.mutable_run(), RunName(c.params));
                   FT_ASSIGN_OR_RETURN(*req.add_metrics(), MetricParam(c.params));
                   FT_RETURN_IF_ERROR(runs->LogMetrics(c.ctx, req).status());
                   return json::object();
                 }});
  out.push_back({"POST", "/api/2.0/mlflow/runs/log-batch", Access::kWriteRuns, ProjectRule::kFields, by_run,
                 [runs](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string name, RunName(c.params));
                   FT_ASSIGN_OR_RETURN(auto params, KeyValuesParam(c.params, "params"));
                   FT_ASSIGN_OR_RETURN(auto tags, KeyValuesParam(c.params, "tags"));
                   google::protobuf::RepeatedPtrField<v1::Metric> metrics;
                   if (auto it = c.params.find("metrics"); it != c.params.end() && !it->is_null()) {
                     if (!it->is_array()) return InvalidField("metrics", "must be a list of metrics");
                     if (it->size() > kBatchMetrics) {
                       return InvalidField("metrics", absl::StrCat("at most ", kBatchMetrics, " metrics per batch"));
                     }
                     for (const json& m : *it) {
                       if (!m.is_object()) return InvalidField("metrics", "must be a list of metrics");
                       FT_ASSIGN_OR_RETURN(*metrics.Add(), MetricParam(m));
                     }
                   }
                   if (params.size() > kBatchParams) {
                     return InvalidField("params", absl::StrCat("at most ", kBatchParams, " params per batch"));
                   }
                   if (tags.size() > kBatchTags) {
                     return InvalidField("tags", absl::StrCat("at most ", kBatchTags, " tags per batch"));
                   }
                   if (params.size() + tags.size() + static_cast<size_t>(metrics.size()) > kBatchTotal) {
                     return InvalidField("metrics", absl::StrCat("at most ", kBatchTotal, " items per batch"));
                   }
                   FT_RETURN_IF_ERROR(runs->LogBatch(c.ctx, name, params, metrics, tags));
                   return json::object();
                 }});
  for (bool restore : {false, true}) {
    out.push_back({"POST", restore ? "/api/2.0/mlflow/runs/restore" : "/api/2.0/mlflow/runs/delete", Access::kWriteRuns,
                   ProjectRule::kFields, by_run, [runs, restore](DoorCall& c) -> absl::StatusOr<json> {
                     FT_ASSIGN_OR_RETURN(std::string name, RunName(c.params));
                     v1::GetRunRequest get;
                     get.set_name(name);
                     FT_ASSIGN_OR_RETURN(v1::Run run, runs->GetRun(get));
                     if (IsDeleted(run) == restore) {  // MLflow: only an active run is deleted, a deleted one restored
                       FT_RETURN_IF_ERROR(EditTags(
                           runs, c.ctx, name,
                           [&](auto* tags) {
                             if (restore) {
                               tags->erase(kLifecycle);
                             } else {
                               (*tags)[kLifecycle] = "deleted";
                             }
                           },
                           /*deleted_ok=*/true));
                     }
                     return json::object();
                   }});
  }
  for (bool set : {true, false}) {
    out.push_back({"POST", set ? "/api/2.0/mlflow/runs/set-tag" : "/api/2.0/mlflow/runs/delete-tag", Access::kWriteRuns,
                   ProjectRule::kFields, by_run, [runs, set](DoorCall& c) -> absl::StatusOr<json> {
                     FT_ASSIGN_OR_RETURN(std::string name, RunName(c.params));
                     FT_ASSIGN_OR_RETURN(std::string key, TextParam(c.params, "key", true));
                     FT_ASSIGN_OR_RETURN(std::string value, TextParam(c.params, "value", false));
                     if (key == kLifecycle)
                       return InvalidField("key", "fairtrace.lifecycle is set by delete / restore");
                     FT_RETURN_IF_ERROR(EditTags(runs, c.ctx, name, [&](auto* tags) {
                       if (set) {
                         (*tags)[key] = value;
                       } else {
                         tags->erase(key);
                       }
                     }));
                     return json::object();
                   }});
  }
  // MLflow's server keeps what log_model recorded in the run's tag
  // mlflow.log-model.history (a JSON list); so does this door, dropping
  // the oldest entries past the tag size.
  out.push_back({"POST", "/api/2.0/mlflow/runs/log-model", Access::kWriteRuns, ProjectRule::kFields, by_run,
                 [runs](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string name, RunName(c.params));
                   FT_ASSIGN_OR_RETURN(std::string model_json, TextParam(c.params, "model_json", true));
                   json model = json::parse(model_json, nullptr, false);
                   if (!model.is_object()) return InvalidField("model_json", "a JSON object");
                   FT_RETURN_IF_ERROR(EditTags(runs, c.ctx, name, [&](auto* tags) {
                     json history = json::array();
                     if (auto it = tags->find(kLogModelHistory); it != tags->end()) {
                       history = json::parse(it->second, nullptr, false);
                       if (!history.is_array()) history = json::array();
                     }
                     history.push_back(model);
                     std::string text = history.dump();
                     while (text.size() > kMaxRunTagValue && history.size() > 1) {
                       history.erase(history.begin());
                       text = history.dump();
                     }
                     if (text.size() <= kMaxRunTagValue) (*tags)[kLogModelHistory] = text;
                   }));
                   return json::object();
                 }});
  out.push_back({"POST", "/api/2.0/mlflow/runs/search", Access::kRead, ProjectRule::kList, nullptr,
                 [runs, experiments, cas, page_token_key](DoorCall& c) {
                   return SearchRuns(runs, experiments, cas, page_token_key, c);
                 }});
  if (deps.artifacts != nullptr) {
    // The tracking API's own listing of a run's artifacts (MLflow's UI and
    // older clients call it): one level, paths from the run's root.
    out.push_back({"GET", "/api/2.0/mlflow/artifacts/list", Access::kRead, ProjectRule::kFields, by_run,
                   [runs, artifacts = deps.artifacts](DoorCall& c) -> absl::StatusOr<json> {
                     v1::GetRunRequest get;
                     FT_ASSIGN_OR_RETURN(*get.mutable_name(), RunName(c.params));
                     FT_ASSIGN_OR_RETURN(std::string path, TextParam(c.params, "path", false));
                     FT_RETURN_IF_ERROR(RunArtifacts::CheckPath(path, /*allow_root=*/true));
                     FT_ASSIGN_OR_RETURN(v1::Run run, runs->GetRun(get));
                     const std::string id = run.name().substr(5);
                     FT_ASSIGN_OR_RETURN(std::vector<RunArtifacts::Entry> entries, artifacts->List(id, path));
                     json res = ArtifactFilesJson(entries, path);
                     res["root_uri"] = absl::StrCat("mlflow-artifacts:/", ExperimentIdOf(run), "/", id, "/artifacts");
                     return res;
                   }});
  }
  out.push_back({"GET", "/api/2.0/mlflow/metrics/get-history", Access::kRead, ProjectRule::kFields, by_run,
                 [runs](DoorCall& c) -> absl::StatusOr<json> {
                   v1::ListMetricHistoryRequest req;
                   FT_ASSIGN_OR_RETURN(*req.mutable_run(), RunName(c.params));
                   FT_ASSIGN_OR_RETURN(*req.mutable_key(), TextParam(c.params, "metric_key", true));
                   FT_ASSIGN_OR_RETURN(*req.mutable_page_token(), TextParam(c.params, "page_token", false));
                   FT_ASSIGN_OR_RETURN(int64_t max, IntegerParam(c.params, "max_results", 25000));
                   if (max < 1 || max > 25000) return InvalidField("max_results", "between 1 and 25,000");
                   req.set_page_size(static_cast<int32_t>(std::min<int64_t>(max, 1000)));
                   FT_ASSIGN_OR_RETURN(v1::ListMetricHistoryResponse page, runs->ListMetricHistory(req));
                   json metrics = json::array();
                   for (const v1::Metric& m : page.metrics()) {
                     metrics.push_back({{"key", m.key()},
                                        {"value", MetricValue(m.value())},
                                        {"timestamp", TimeUtil::TimestampToMilliseconds(m.timestamp())},
                                        {"step", m.step()}});
                   }
                   json out = json::object();
                   if (!metrics.empty()) out["metrics"] = std::move(metrics);
                   if (!page.next_page_token().empty()) out["next_page_token"] = page.next_page_token();
                   return out;
                 }});
  return out;
}

}  // namespace fairtrace::mlflow
