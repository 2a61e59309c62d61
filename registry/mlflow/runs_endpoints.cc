// The MLflow runs endpoints (docs/mlflow-door.md, "Runs"): create, get,
// update, log-parameter, log-metric, set-tag, delete-tag and
// metrics/get-history, over RunRegistry. An MLflow run is a fairtrace run
// (the same 32-hex id); its experiment is "experiments/{id}" in the run's
// `experiment` field and its project the experiment's.
#include <cmath>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "registry/core/resource_project.h"
#include "registry/mlflow/mlflow_door.h"
#include "registry/mlflow/mlflow_params.h"

namespace fairtrace::mlflow {

namespace {

using json = nlohmann::json;
using google::protobuf::util::TimeUtil;

constexpr char kRunName[] = "mlflow.runName";
constexpr char kUser[] = "mlflow.user";

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

json RunJson(const v1::Run& run) {
  const std::string id(run.name().substr(5));
  json info = {{"run_id", id},
               {"run_uuid", id},
               {"experiment_id", ExperimentIdOf(run)},
               {"status", v1::RunStatus_Name(run.status()).substr(11)},  // "RUN_STATUS_" cut
               {"start_time", TimeUtil::TimestampToMilliseconds(run.start_time())},
               {"artifact_uri", absl::StrCat("mlflow-artifacts:/", ExperimentIdOf(run), "/", id, "/artifacts")},
               {"lifecycle_stage", "active"}};
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
  for (const auto& [k, v] : run.tags()) tags.push_back({{"key", k}, {"value", v}});
  if (!metrics.empty()) data["metrics"] = std::move(metrics);
  if (!params.empty()) data["params"] = std::move(params);
  if (!tags.empty()) data["tags"] = std::move(tags);
  return {{"run", {{"info", info}, {"data", data}, {"inputs", json::object()}}}};
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
absl::StatusOr<std::vector<ProjectTarget>> RunTarget(Store* store, const json& p) {
  FT_ASSIGN_OR_RETURN(std::string name, RunName(p));
  return ActOnTarget(store, "runs", name.substr(5), "run_id");
}

// Changes a run's tags, retrying once when another call changed the run
// in between (its etag guards the write).
absl::Status EditTags(RunRegistry* runs, const CallContext& ctx, const std::string& name,
                      const std::function<void(google::protobuf::Map<std::string, std::string>*)>& edit) {
  for (int attempt = 0;; ++attempt) {
    v1::GetRunRequest get;
    get.set_name(name);
    FT_ASSIGN_OR_RETURN(v1::Run run, runs->GetRun(get));
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

std::vector<Endpoint> RunEndpoints(const DoorDependencies& deps) {
  RunRegistry* runs = deps.runs;
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
                 [runs](DoorCall& c) -> absl::StatusOr<json> {
                   v1::GetRunRequest get;
                   FT_ASSIGN_OR_RETURN(*get.mutable_name(), RunName(c.params));
                   FT_ASSIGN_OR_RETURN(v1::Run run, runs->GetRun(get));
                   return RunJson(run);
                 }});
  out.push_back({"POST", "/api/2.0/mlflow/runs/update", Access::kWriteRuns, ProjectRule::kFields, by_run,
                 [runs](DoorCall& c) -> absl::StatusOr<json> {
                   FT_ASSIGN_OR_RETURN(std::string name, RunName(c.params));
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
                     v1::GetRunRequest get;
                     get.set_name(name);
                     FT_ASSIGN_OR_RETURN(v1::Run cur, runs->GetRun(get));
                     if (cur.status() != s) {
                       v1::UpdateRunRequest req;
                       req.mutable_run()->set_name(name);
                       req.mutable_run()->set_status(s);
                       req.mutable_update_mask()->add_paths("status");
                       FT_RETURN_IF_ERROR(runs->UpdateRun(c.ctx, req).status());
                     }
                   }
                   v1::GetRunRequest get;
                   get.set_name(name);
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
                   v1::Metric* m = req.add_metrics();
                   FT_ASSIGN_OR_RETURN(*m->mutable_key(), TextParam(c.params, "key", true));
                   FT_ASSIGN_OR_RETURN(double value, MetricValueParam(c.params));
                   m->set_value(value);
                   FT_ASSIGN_OR_RETURN(int64_t step, IntegerParam(c.params, "step", 0));
                   m->set_step(step);
                   FT_ASSIGN_OR_RETURN(int64_t ms, IntegerParam(c.params, "timestamp", -1));
                   if (ms >= 0) *m->mutable_timestamp() = TimeUtil::MillisecondsToTimestamp(ms);
                   FT_RETURN_IF_ERROR(runs->LogMetrics(c.ctx, req).status());
                   return json::object();
                 }});
  for (bool set : {true, false}) {
    out.push_back({"POST", set ? "/api/2.0/mlflow/runs/set-tag" : "/api/2.0/mlflow/runs/delete-tag", Access::kWriteRuns,
                   ProjectRule::kFields, by_run, [runs, set](DoorCall& c) -> absl::StatusOr<json> {
                     FT_ASSIGN_OR_RETURN(std::string name, RunName(c.params));
                     FT_ASSIGN_OR_RETURN(std::string key, TextParam(c.params, "key", true));
                     FT_ASSIGN_OR_RETURN(std::string value, TextParam(c.params, "value", false));
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
