#include "registry/runs/run_registry.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/content/sha256.h"
#include "common/query/filter.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/time_util.h"
#include "registry/annotations/annotation_names.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_project.h"
#include "registry/core/resource_util.h"
#include "registry/runs/run_proto.h"

namespace fairtrace {
namespace {

// "{collection}/{parent}/versions/{n}": a model or dataset named as a run's
// input or output. INVALID_ARGUMENT on `<field>.artifact.resource`.
struct VersionName {
  std::string parent;
  int64_t version = 0;
};
absl::StatusOr<VersionName> ParseVersionName(absl::string_view name, absl::string_view collection,
                                             absl::string_view noun, absl::string_view field) {
  std::vector<absl::string_view> p = absl::StrSplit(name, '/');
  VersionName out;
  if (p.size() != 4 || p[0] != collection || p[2] != "versions" || !ParseCanonicalInt(p[3], &out.version)) {
    return InvalidField(
        absl::StrCat(field, ".artifact.resource"),
        absl::StrCat("a ", noun, " is referenced by version: \"", collection, "/{", noun, "}/versions/{n}\""));
  }
  out.parent = std::string(p[1]);
  return out;
}

using google::protobuf::util::TimeUtil;

const std::vector<FilterField>& RunFilterFields() {
  static const auto* fields = new std::vector<FilterField>{
      {"experiment", FilterType::kString},
      {"kind", FilterType::kEnum, {"TRAINING", "EVALUATION", "PREPROCESSING", "ANNOTATION", "IMPORT"}},
      {"status", FilterType::kEnum, {"RUNNING", "FINISHED", "FAILED", "KILLED"}},
      {"create_time", FilterType::kTimestamp},
      {"start_time", FilterType::kTimestamp},
      {"end_time", FilterType::kTimestamp},
      {"code.commit", FilterType::kString},
      {"params.", FilterType::kDynamic},
      {"tags.", FilterType::kDynamic},
  };
  return *fields;
}

// Param and metric keys, as MLflow allows them: letters, digits, _ - . / space.
bool IsValidKey(const std::string& k, size_t max) {
  if (k.empty() || k.size() > max) return false;
  for (char c : k) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/' ||
          c == ' ')) {
      return false;
    }
  }
  return true;
}

bool IsValidRole(const std::string& r) {
  if (r.empty() || r.size() > 64) return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

// "collection/id[/collection/id...]" with segments of [A-Za-z0-9._~-].
bool IsResourceNameSyntax(const std::string& name) {
  if (name.empty() || name.size() > 512) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() % 2 != 0) return false;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 128) return false;
    for (char c : p) {
      if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '~' || c == '-')) {
        return false;
      }
    }
  }
  return true;
}

bool IsHex(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

absl::Status RunNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no run ", name))
      .Reason("RUN_NOT_FOUND")
      .Resource("run", name);
}

absl::StatusOr<int64_t> TimeOrNow(const google::protobuf::Timestamp& t, int64_t now, const std::string& field) {
  if (t.seconds() == 0 && t.nanos() == 0) return now;
  if (t.seconds() < 0 || t.nanos() < 0 || t.nanos() > 999999999 || t.seconds() > 253402300799) {
    return InvalidField(field, "not a valid time");
  }
  return TimeUtil::TimestampToMicroseconds(t);
}

}  // namespace

RunRegistry::RunRegistry(Store* store, ModelStore* models, RunStore* runs, DatasetStore* datasets,
                         AnnotationStore* annotations, SplitStore* splits, RunEndCheck* end_check,
                         ModelRegistry* model_registry, std::string page_token_key, std::function<int64_t()> now_micros,
                         RunLimits limits)
    : store_(store),
      models_(models),
      runs_(runs),
      datasets_(datasets),
      annotations_(annotations),
      splits_(splits),
      end_check_(end_check),
      model_registry_(model_registry),
      token_key_(std::move(page_token_key)),
      now_(std::move(now_micros)),
      limits_(limits) {}

absl::StatusOr<bool> RunRegistry::SplitChildExists(const std::string& name, const std::string& field) {
  std::vector<absl::string_view> p = absl::StrSplit(name, '/');
  const std::string split = absl::StrJoin(p.begin(), p.begin() + std::min<size_t>(p.size(), 6), "/");
  FT_ASSIGN_OR_RETURN(DatasetChildName n, ParseDatasetChildName(split, "splits", field));
  FT_ASSIGN_OR_RETURN(std::optional<SplitRow> row, splits_->GetSplit(n.dataset_id, n.version, n.id));
  if (p.size() == 6 || !row) return row.has_value();
  if (p.size() != 8 || (p[6] != "parts" && p[6] != "leakageReports")) {
    return InvalidField(field, "expected \"datasets/{d}/versions/{v}/splits/{s}[/parts/{part}]\"");
  }
  if (p[6] == "leakageReports") {
    FT_ASSIGN_OR_RETURN(std::optional<LeakageReportRow> report, splits_->GetReport(row->uid, std::string(p[7])));
    return report.has_value();
  }
  return absl::StrContains(row->parts_json, absl::StrCat("\"part\":\"", p[7], "\""));
}

absl::StatusOr<v1::Run> RunRegistry::Load(const std::string& run_id) {
  FT_ASSIGN_OR_RETURN(std::optional<RunRow> row, runs_->GetRun(run_id));
  if (!row) return RunNotFound(RunName(run_id));
  return LoadRun(runs_, *row, /*edges=*/true);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RunRegistry::ValidateParams(
    const google::protobuf::Map<std::string, std::string>& params, const std::string& field) {
  if (static_cast<int>(params.size()) > limits_.max_params_per_call) {
    return InvalidField(field, absl::StrCat("at most ", limits_.max_params_per_call, " params per call"));
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : params) {
    if (!IsValidKey(k, limits_.max_key)) {
      return InvalidField(absl::StrCat(field, "[", text::ClipText(k, 40), "]"),
                          absl::StrCat("keys have 1-", limits_.max_key, " of letters, digits, _ - . / and space"));
    }
    if (v.size() > limits_.max_param_value) {
      return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                          absl::StrCat("param \"", k, "\" has ", v.size(), " bytes; the limit is ",
                                       limits_.max_param_value, " (store large values as a blob input)"))
          .Reason("PARAM_TOO_LARGE")
          .Field(absl::StrCat(field, "[", k, "]"), absl::StrCat("at most ", limits_.max_param_value, " bytes"));
    }
    out.emplace_back(k, v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<MetricRow>> RunRegistry::ValidateMetrics(
    const google::protobuf::RepeatedPtrField<v1::Metric>& metrics, int max, const std::string& field) {
  if (metrics.size() > max) {
    return InvalidField(field, absl::StrCat("at most ", max, " points per call, got ", metrics.size()));
  }
  int64_t now = now_();
  std::vector<MetricRow> out;
  out.reserve(metrics.size());
  for (int i = 0; i < metrics.size(); ++i) {
    const v1::Metric& m = metrics[i];
    std::string f = absl::StrCat(field, "[", i, "]");
    if (!IsValidKey(m.key(), limits_.max_key)) {
      return InvalidField(absl::StrCat(f, ".key"),
                          absl::StrCat("keys have 1-", limits_.max_key, " of letters, digits, _ - . / and space"));
    }
    FT_ASSIGN_OR_RETURN(int64_t ts, TimeOrNow(m.timestamp(), now, absl::StrCat(f, ".timestamp")));
    out.push_back(MetricRow{m.key(), m.value(), m.step(), ts, 0});
  }
  return out;
}

absl::StatusOr<std::vector<EdgeRow>> RunRegistry::ValidateEdges(
    const std::string& run_name, const google::protobuf::RepeatedPtrField<v1::RunEdge>& inputs,
    const google::protobuf::RepeatedPtrField<v1::RunEdge>& outputs) {
  if (inputs.size() + outputs.size() > limits_.max_edges_per_call) {
    return InvalidField("inputs", absl::StrCat("at most ", limits_.max_edges_per_call, " inputs and outputs"));
  }
  std::vector<EdgeRow> out;
  std::vector<std::pair<std::string, std::string>> missing;  // (node, field)
  for (int side = 0; side < 2; ++side) {
    const auto& edges = side == 0 ? inputs : outputs;
    for (int i = 0; i < edges.size(); ++i) {
      const v1::RunEdge& e = edges[i];
      std::string f = absl::StrCat(side == 0 ? "inputs" : "outputs", "[", i, "]");
      if (!IsValidRole(e.role())) return InvalidField(absl::StrCat(f, ".role"), "1-64 of [a-z0-9_.-]");
      const v1::Artifact& a = e.artifact();
      bool exists = true;
      switch (a.target_case()) {
        case v1::Artifact::kBlob:
        case v1::Artifact::kTree: {
          bool tree = a.target_case() == v1::Artifact::kTree;
          FT_ASSIGN_OR_RETURN(Digest d, DigestFromProto(tree ? a.tree() : a.blob(),
                                                        absl::StrCat(f, ".artifact.", tree ? "tree" : "blob")));
          if (tree) {
            FT_ASSIGN_OR_RETURN(std::optional<TreeRow> t, store_->GetTree(d));
            exists = t.has_value();
          } else {
            FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs({d}));
            exists = has[0];
          }
          break;
        }
        case v1::Artifact::kResource: {
          const std::string& r = a.resource();
          if (!IsResourceNameSyntax(r)) {
            return InvalidField(absl::StrCat(f, ".artifact.resource"),
                                "expected a resource name such as \"datasets/d/versions/1\"");
          }
          if (absl::StartsWith(r, "runs/")) {
            FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(r, absl::StrCat(f, ".artifact.resource")));
            FT_ASSIGN_OR_RETURN(std::optional<RunRow> run, runs_->GetRun(id));
            exists = run.has_value();
          } else if (absl::StartsWith(r, "models/")) {
            FT_ASSIGN_OR_RETURN(VersionName v, ParseVersionName(r, "models", "model", f));
            FT_ASSIGN_OR_RETURN(std::optional<ModelVersionRow> row, models_->GetModelVersion(v.parent, v.version));
            exists = row.has_value();
          } else if (absl::StartsWith(r, "datasets/") && absl::StrContains(r, "/splits/")) {
            FT_ASSIGN_OR_RETURN(exists, SplitChildExists(r, absl::StrCat(f, ".artifact.resource")));
          } else if (absl::StartsWith(r, "datasets/") && absl::StrContains(r, "/annotationSets/")) {
            FT_ASSIGN_OR_RETURN(DatasetChildName n,
                                ParseDatasetChildName(r, "annotationSets", absl::StrCat(f, ".artifact.resource")));
            FT_ASSIGN_OR_RETURN(std::optional<AnnotationSetRow> row,
                                annotations_->GetSet(n.dataset_id, n.version, n.id));
            exists = row.has_value();
          } else if (absl::StartsWith(r, "datasets/") && absl::StrContains(r, "/agreementReports/")) {
            FT_ASSIGN_OR_RETURN(DatasetChildName n,
                                ParseDatasetChildName(r, "agreementReports", absl::StrCat(f, ".artifact.resource")));
            FT_ASSIGN_OR_RETURN(std::optional<AgreementReportRow> row,
                                annotations_->GetReport(n.dataset_id, n.version, n.id));
            exists = row.has_value();
          } else if (absl::StartsWith(r, "datasets/")) {
            FT_ASSIGN_OR_RETURN(VersionName v, ParseVersionName(r, "datasets", "dataset", f));
            FT_ASSIGN_OR_RETURN(std::optional<DatasetVersionRow> row, datasets_->GetVersion(v.parent, v.version));
            exists = row.has_value();
          }
          break;
        }
        default:
          return InvalidField(absl::StrCat(f, ".artifact"), "set one of resource, blob, tree");
      }
      std::string node = ArtifactNode(a);
      if (!exists) missing.emplace_back(node, f);
      if (side == 0) {
        out.push_back({run_name, "used", node, e.role()});
      } else {
        out.push_back({node, "wasGeneratedBy", run_name, e.role()});
      }
    }
  }
  if (!missing.empty()) {
    ErrorBuilder err(absl::StatusCode::kFailedPrecondition,
                     absl::StrCat(missing.size(), " input(s)/output(s) do not exist; first: ", missing[0].first));
    err.Reason("MISSING_ARTIFACTS").Meta("missing_count", absl::StrCat(missing.size()));
    for (const auto& [node, field] : missing) err.Precondition("MISSING_ARTIFACT", node, field);
    return err.Build();
  }
  return out;
}

absl::StatusOr<RunWrite> RunRegistry::ValidateRun(const v1::Run& run, bool finished) {
  RunWrite w;
  RunRow& r = w.run;
  int64_t now = now_();
  r.run_id = NewUid();
  r.uid = NewUid();
  if (run.experiment().empty() || run.experiment().size() > limits_.max_experiment) {
    return InvalidField("run.experiment", absl::StrCat("1-", limits_.max_experiment, " characters"));
  }
  r.experiment = run.experiment();
  FT_ASSIGN_OR_RETURN(r.project, ProjectOfCreate(run.project(), "run.project"));
  r.kind = run.kind() == v1::RUN_KIND_UNSPECIFIED ? "TRAINING" : RunKindName(run.kind());
  if (r.kind.empty()) return InvalidField("run.kind", "unknown kind");
  if (finished) {
    r.status = RunStatusName(run.status());
    if (run.status() == v1::RUN_STATUS_UNSPECIFIED || run.status() == v1::RUN_STATUS_RUNNING || r.status.empty()) {
      return InvalidField("run.status", "a registered run has ended: FINISHED, FAILED or KILLED");
    }
    if (!run.has_start_time() || !run.has_end_time()) {
      return InvalidField(run.has_start_time() ? "run.end_time" : "run.start_time",
                          "a registered run needs its start and end time");
    }
  } else {
    if (run.status() != v1::RUN_STATUS_UNSPECIFIED && run.status() != v1::RUN_STATUS_RUNNING) {
      return InvalidField("run.status", "a created run is RUNNING; finish it with UpdateRun or use RegisterRun");
    }
    r.status = "RUNNING";
  }
  FT_RETURN_IF_ERROR(CheckLength(run.status_message(), limits_.max_text, "run.status_message"));
  r.status_message = run.status_message();
  FT_ASSIGN_OR_RETURN(r.start_time, TimeOrNow(run.start_time(), now, "run.start_time"));
  if (finished) {
    FT_ASSIGN_OR_RETURN(int64_t end, TimeOrNow(run.end_time(), now, "run.end_time"));
    if (end < r.start_time) return InvalidField("run.end_time", "before start_time");
    r.end_time = end;
  }
  // Seeds: named, unique.
  if (run.seeds_size() > limits_.max_seeds) {
    return InvalidField("run.seeds", absl::StrCat("at most ", limits_.max_seeds, " seeds"));
  }
  std::set<std::string> seed_names;
  for (int i = 0; i < run.seeds_size(); ++i) {
    const std::string& n = run.seeds(i).name();
    if (!IsValidRole(n)) return InvalidField(absl::StrCat("run.seeds[", i, "].name"), "1-64 of [a-z0-9_.-]");
    if (!seed_names.insert(n).second) {
      return InvalidField(absl::StrCat("run.seeds[", i, "].name"), absl::StrCat("seed \"", n, "\" given twice"));
    }
  }
  r.seeds_json = SeedsJson(run);
  // Code.
  const v1::CodeVersion& code = run.code();
  FT_RETURN_IF_ERROR(CheckLength(code.repository_url(), limits_.max_short, "run.code.repository_url"));
  FT_RETURN_IF_ERROR(CheckLength(code.branch(), 256, "run.code.branch"));
  FT_RETURN_IF_ERROR(CheckLength(code.entry_point(), limits_.max_short, "run.code.entry_point"));
  if (!code.commit().empty() && !((code.commit().size() == 40 || code.commit().size() == 64) && IsHex(code.commit()))) {
    return InvalidField("run.code.commit", "40 or 64 lowercase hex characters");
  }
  if (code.has_dirty_diff()) {
    FT_ASSIGN_OR_RETURN(Digest diff, DigestFromProto(code.dirty_diff(), "run.code.dirty_diff"));
    FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs({diff}));
    if (!has[0]) {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("the dirty diff ", diff.ToString(), " is not stored; upload it first"))
          .Reason("MISSING_BLOBS")
          .Precondition("MISSING_BLOB", BlobResourceName(diff), "run.code.dirty_diff");
    }
  }
  r.code_json = CodeJson(code);
  r.code_commit = code.commit();
  // Environment.
  const v1::Environment& env = run.environment();
  for (const auto* f : {&env.python_version(), &env.os(), &env.cpu_model(), &env.gpu_model(), &env.gpu_driver(),
                        &env.cuda_version(), &env.container_image_digest(), &env.hostname()}) {
    FT_RETURN_IF_ERROR(CheckLength(*f, limits_.max_short, "run.environment"));
  }
  if (env.packages_size() > limits_.max_packages) {
    return InvalidField("run.environment.packages", absl::StrCat("at most ", limits_.max_packages, " packages"));
  }
  for (const auto& [k, v] : env.packages()) {
    if (k.empty() || k.size() > 256 || v.size() > 256) {
      return InvalidField(absl::StrCat("run.environment.packages[", text::ClipText(k, 40), "]"),
                          "names of 1-256 and versions of at most 256 characters");
    }
  }
  r.environment_json = EnvironmentJson(env);
  FT_RETURN_IF_ERROR(CheckLength(run.description(), limits_.max_text, "run.description"));
  r.description = run.description();
  FT_RETURN_IF_ERROR(CheckTags(run.tags(), "run.tags", limits_.tags));
  r.tags_json = TagsJson(run.tags());
  r.create_time = r.update_time = now;
  FT_ASSIGN_OR_RETURN(w.params, ValidateParams(run.params(), "run.params"));
  FT_ASSIGN_OR_RETURN(w.edges, ValidateEdges(RunName(r.run_id), run.inputs(), run.outputs()));
  return w;
}

absl::StatusOr<v1::Run> RunRegistry::CreateRun(const CallContext& ctx, const v1::CreateRunRequest& req) {
  return Audited(store_, ctx, "runs", [&]() -> absl::StatusOr<v1::Run> {
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(models_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) {
      FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(*earlier));
      return Load(id);
    }
    FT_ASSIGN_OR_RETURN(RunWrite w, ValidateRun(req.run(), /*finished=*/false));
    absl::StatusOr<std::optional<ModelVersionRow>> s = runs_->InsertRun(
        w, RequestKeyOf(ctx, req.request_id()), MakeAuditEntry(ctx, RunName(w.run.run_id), absl::OkStatus()));
    if (absl::IsAlreadyExists(s.status())) {
      FT_ASSIGN_OR_RETURN(std::optional<std::string> raced,
                          EarlierRequest(models_, RequestKeyOf(ctx, req.request_id()), ctx.method));
      if (raced) return Load(*ParseRunName(*raced));
    }
    FT_RETURN_IF_ERROR(s.status());
    return Load(w.run.run_id);
  });
}

absl::StatusOr<v1::Run> RunRegistry::GetRun(const v1::GetRunRequest& req) {
  FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(req.name()));
  return Load(id);
}

absl::Status RunRegistry::AddEdges(v1::Run* run) {
  FT_RETURN_IF_ERROR(ParseRunName(run->name()).status());
  return LoadRunEdges(runs_, run);
}

absl::StatusOr<v1::ListRunsResponse> RunRegistry::ListRuns(const v1::ListRunsRequest& req, const ProjectScope& scope) {
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  int page = req.page_size() == 0 ? limits_.default_page : std::min(req.page_size(), limits_.max_page);
  FT_ASSIGN_OR_RETURN(ParsedFilter filter, ParseFilter(req.filter(), RunFilterFields()));
  std::string kind = absl::StrCat("runs:", Sha256Hex(req.filter()).substr(0, 16));
  FT_ASSIGN_OR_RETURN(std::string payload, DecodePageToken(token_key_, kind, req.page_token()));
  RunCursor cursor;
  if (!payload.empty()) {
    std::vector<std::string> parts = absl::StrSplit(payload, ':');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &cursor.create_time)) {
      return InvalidField("page_token", "not a page token of this list");
    }
    cursor.run_id = parts[1];
  }
  FT_ASSIGN_OR_RETURN(std::vector<RunRow> rows, runs_->ListRuns(filter, cursor, page + 1, scope));
  v1::ListRunsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) {
    FT_ASSIGN_OR_RETURN(*out.add_runs(), LoadRun(runs_, rows[i], /*edges=*/false));
  }
  if (static_cast<int>(rows.size()) > page) {
    const RunRow& last = rows[page - 1];
    out.set_next_page_token(EncodePageToken(token_key_, kind, absl::StrCat(last.create_time, ":", last.run_id)));
  }
  return out;
}

absl::StatusOr<v1::Run> RunRegistry::UpdateRun(const CallContext& ctx, const v1::UpdateRunRequest& req) {
  const v1::Run& run = req.run();
  return Audited(store_, ctx, run.name(), [&]() -> absl::StatusOr<v1::Run> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(run.name(), "run.name"));
    FT_ASSIGN_OR_RETURN(
        std::vector<std::string> paths,
        MaskPaths(req.update_mask(), {"status", "status_message", "description", "tags"},
                  {"name", "uid", "experiment", "kind", "start_time", "params", "seeds", "code", "environment",
                   "inputs", "outputs", "latest_metrics", "create_time", "update_time", "etag"}));
    if (req.update_mask().paths_size() > 0) {  // end_time may only be named explicitly
      for (const auto& p : req.update_mask().paths()) {
        if (p == "end_time") paths.push_back(p);
      }
    }
    FT_ASSIGN_OR_RETURN(std::optional<RunRow> row, runs_->GetRun(id));
    if (!row) return RunNotFound(run.name());
    FT_RETURN_IF_ERROR(CheckEtag(run.etag(), row->uid, row->revision, run.name()));
    RunRow next = *row;
    if (HasPath(paths, "status")) {
      std::string status = RunStatusName(run.status());
      if (status.empty()) return InvalidField("run.status", "one of RUNNING, FINISHED, FAILED, KILLED");
      if (IsTerminal(row->status) && status != row->status) {
        return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                            absl::StrCat(run.name(), " ended as ", row->status, "; its status cannot change"))
            .Reason("RUN_ENDED")
            .Precondition("RUN_STATUS", run.name(), "the run has ended");
      }
      if (!IsTerminal(row->status) && IsTerminal(status)) next.end_time = now_();
      next.status = status;
    }
    if (HasPath(paths, "end_time")) {
      if (!IsTerminal(next.status)) return InvalidField("run.end_time", "only an ended run has an end time");
      FT_ASSIGN_OR_RETURN(int64_t end, TimeOrNow(run.end_time(), now_(), "run.end_time"));
      if (end < row->start_time) return InvalidField("run.end_time", "before start_time");
      next.end_time = end;
    }
    if (HasPath(paths, "status_message")) {
      if (IsTerminal(row->status)) {
        return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                            absl::StrCat(run.name(), " has ended; its status message cannot change"))
            .Reason("RUN_ENDED");
      }
      FT_RETURN_IF_ERROR(CheckLength(run.status_message(), limits_.max_text, "run.status_message"));
      next.status_message = run.status_message();
    }
    if (HasPath(paths, "description")) {
      FT_RETURN_IF_ERROR(CheckLength(run.description(), limits_.max_text, "run.description"));
      next.description = run.description();
    }
    if (HasPath(paths, "tags")) {
      FT_RETURN_IF_ERROR(CheckTags(run.tags(), "run.tags", limits_.tags));
      next.tags_json = TagsJson(run.tags());
    }
    // Ending FINISHED: the leakage between the run's train / validation /
    // test inputs; its report becomes an output in the same transaction.
    std::vector<EdgeRow> outputs;
    if (end_check_ != nullptr && row->status != "FINISHED" && next.status == "FINISHED") {
      FT_ASSIGN_OR_RETURN(std::vector<EdgeRow> edges, runs_->EdgesOf(run.name()));
      FT_ASSIGN_OR_RETURN(RunEndCheckResult check, end_check_->Check(ctx, run.name(), edges));
      if (check.checked) {
        if (check.leakage_found && limits_.refuse_leakage) {
          return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                              absl::StrCat(run.name(), " has leakage between its inputs (", check.summary,
                                           "); it stays RUNNING"))
              .Reason("LEAKAGE_FOUND")
              .Precondition("LEAKAGE_FOUND", BlobResourceName(check.report), check.summary);
        }
        outputs.push_back({BlobResourceName(check.report), "wasGeneratedBy", run.name(), "leakage-report"});
        google::protobuf::Map<std::string, std::string> tags;
        TagsFromJson(next.tags_json, &tags);
        tags["fairtrace.leakage"] = check.leakage_found ? absl::StrCat("found: ", check.summary) : "none";
        next.tags_json = TagsJson(tags);
      }
    }
    // Ending with artifacts: the folder as it is becomes a tree, an output.
    if (artifacts_ != nullptr && !IsTerminal(row->status) && IsTerminal(next.status)) {
      FT_ASSIGN_OR_RETURN(std::vector<ArtifactRow> files, runs_->CurrentArtifacts(id));
      if (!files.empty()) {
        FT_ASSIGN_OR_RETURN(Digest tree, artifacts_->TreeOfFiles(ctx, id, files, ""));
        outputs.push_back({TreeResourceName(tree), "wasGeneratedBy", run.name(), "artifacts"});
        google::protobuf::Map<std::string, std::string> tags;
        TagsFromJson(next.tags_json, &tags);
        tags["fairtrace.artifacts_tree"] = tree.ToString();
        next.tags_json = TagsJson(tags);
      }
    }
    FT_ASSIGN_OR_RETURN(RunRow after, runs_->UpdateRun(next, row->revision, now_(),
                                                       MakeAuditEntry(ctx, run.name(), absl::OkStatus()), outputs));
    return LoadRun(runs_, after, /*edges=*/true);
  });
}

absl::StatusOr<v1::Run> RunRegistry::ReopenRun(const CallContext& ctx, const std::string& run) {
  return Audited(store_, ctx, run, [&]() -> absl::StatusOr<v1::Run> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(run, "run_id"));
    FT_ASSIGN_OR_RETURN(std::optional<RunRow> row, runs_->GetRun(id));
    if (!row) return RunNotFound(run);
    if (!IsTerminal(row->status)) return LoadRun(runs_, *row, /*edges=*/true);
    RunRow next = *row;
    next.status = "RUNNING";
    next.end_time.reset();
    google::protobuf::Map<std::string, std::string> tags;
    TagsFromJson(next.tags_json, &tags);
    int64_t reopened = 0;
    if (auto it = tags.find("fairtrace.reopened"); it != tags.end()) (void)absl::SimpleAtoi(it->second, &reopened);
    tags["fairtrace.reopened"] = std::to_string(reopened + 1);
    next.tags_json = TagsJson(tags);
    FT_ASSIGN_OR_RETURN(RunRow after,
                        runs_->UpdateRun(next, row->revision, now_(), MakeAuditEntry(ctx, run, absl::OkStatus())));
    return LoadRun(runs_, after, /*edges=*/true);
  });
}

absl::StatusOr<v1::LogParamsResponse> RunRegistry::LogParams(const CallContext& ctx, const v1::LogParamsRequest& req) {
  return Audited(store_, ctx, req.run(), [&]() -> absl::StatusOr<v1::LogParamsResponse> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(req.run(), "run"));
    FT_ASSIGN_OR_RETURN(auto params, ValidateParams(req.params(), "params"));
    FT_RETURN_IF_ERROR(runs_->LogParams(id, params, MakeAuditEntry(ctx, req.run(), absl::OkStatus())));
    return v1::LogParamsResponse();
  });
}

absl::StatusOr<v1::LogMetricsResponse> RunRegistry::LogMetrics(const CallContext& ctx,
                                                               const v1::LogMetricsRequest& req) {
  return Audited(store_, ctx, req.run(), [&]() -> absl::StatusOr<v1::LogMetricsResponse> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(req.run(), "run"));
    if (req.metrics_size() == 0) return InvalidField("metrics", "log at least one point");
    FT_ASSIGN_OR_RETURN(std::vector<MetricRow> rows,
                        ValidateMetrics(req.metrics(), limits_.max_metrics_per_call, "metrics"));
    FT_RETURN_IF_ERROR(runs_->LogMetrics(id, rows, MakeAuditEntry(ctx, req.run(), absl::OkStatus())));
    return v1::LogMetricsResponse();
  });
}

absl::Status RunRegistry::LogBatch(const CallContext& ctx, const std::string& run,
                                   const std::vector<std::pair<std::string, std::string>>& params,
                                   const google::protobuf::RepeatedPtrField<v1::Metric>& metrics,
                                   const std::vector<std::pair<std::string, std::string>>& tags) {
  return Audited(store_, ctx, run,
                 [&]() -> absl::StatusOr<bool> {
                   FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(run, "run_id"));
                   if (params.empty() && metrics.empty() && tags.empty()) return true;  // MLflow accepts an empty batch
                   google::protobuf::Map<std::string, std::string> param_map;
                   for (const auto& [k, v] : params) {
                     auto [it, added] = param_map.insert({k, v});
                     if (!added && it->second != v) {
                       return InvalidField(absl::StrCat("params[", text::ClipText(k, 40), "]"),
                                           "the same key twice with different values");
                     }
                   }
                   FT_ASSIGN_OR_RETURN(auto param_rows, ValidateParams(param_map, "params"));
                   std::vector<MetricRow> metric_rows;
                   if (!metrics.empty()) {
                     FT_ASSIGN_OR_RETURN(metric_rows,
                                         ValidateMetrics(metrics, limits_.max_metrics_per_call, "metrics"));
                   }
                   for (int attempt = 0;; ++attempt) {
                     std::optional<RunStore::TagsWrite> tag_write;
                     if (!tags.empty()) {
                       FT_ASSIGN_OR_RETURN(std::optional<RunRow> row, runs_->GetRun(id));
                       if (!row) return RunNotFound(run);
                       google::protobuf::Map<std::string, std::string> merged;
                       TagsFromJson(row->tags_json, &merged);
                       for (const auto& [k, v] : tags) merged[k] = v;
                       FT_RETURN_IF_ERROR(CheckTags(merged, "tags", limits_.tags));
                       tag_write = RunStore::TagsWrite{row->revision, TagsJson(merged)};
                     }
                     absl::Status done = runs_->LogBatch(id, param_rows, metric_rows, tag_write, now_(),
                                                         MakeAuditEntry(ctx, run, absl::OkStatus()));
                     // Another call changed the tags in between: merge again, once.
                     if (done.code() != absl::StatusCode::kAborted || attempt > 0) {
                       FT_RETURN_IF_ERROR(done);
                       return true;
                     }
                   }
                 })
      .status();
}

absl::StatusOr<v1::ListMetricHistoryResponse> RunRegistry::ListMetricHistory(const v1::ListMetricHistoryRequest& req) {
  FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(req.run(), "run"));
  if (!IsValidKey(req.key(), limits_.max_key)) return InvalidField("key", "not a metric key");
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  int page = req.page_size() == 0 ? limits_.default_metric_page : std::min(req.page_size(), limits_.max_metric_page);
  std::string kind = absl::StrCat("metrics:", id, ":", req.key());
  FT_ASSIGN_OR_RETURN(std::string payload, DecodePageToken(token_key_, kind, req.page_token()));
  MetricCursor cursor{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::min(), 0};
  if (!payload.empty()) {
    std::vector<std::string> p = absl::StrSplit(payload, ':');
    if (p.size() != 3 || !absl::SimpleAtoi(p[0], &cursor.step) || !absl::SimpleAtoi(p[1], &cursor.timestamp) ||
        !absl::SimpleAtoi(p[2], &cursor.seq)) {
      return InvalidField("page_token", "not a page token of this list");
    }
  }
  FT_ASSIGN_OR_RETURN(std::optional<RunRow> run, runs_->GetRun(id));
  if (!run) return RunNotFound(req.run());
  FT_ASSIGN_OR_RETURN(std::vector<MetricRow> rows, runs_->MetricHistory(id, req.key(), cursor, page + 1));
  v1::ListMetricHistoryResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) *out.add_metrics() = MetricProto(rows[i]);
  if (static_cast<int>(rows.size()) > page) {
    const MetricRow& m = rows[page - 1];
    out.set_next_page_token(EncodePageToken(token_key_, kind, absl::StrCat(m.step, ":", m.timestamp, ":", m.seq)));
  }
  return out;
}

absl::StatusOr<v1::ListArtifactChangesResponse> RunRegistry::ListArtifactChanges(
    const v1::ListArtifactChangesRequest& req) {
  FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(req.run(), "run"));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page =
      req.page_size() == 0 ? limits_.default_artifact_page : std::min(req.page_size(), limits_.max_artifact_page);
  const std::string kind = absl::StrCat("artifacts:", id);
  FT_ASSIGN_OR_RETURN(std::string payload, DecodePageToken(token_key_, kind, req.page_token()));
  int64_t after = 0;
  if (!payload.empty() && !absl::SimpleAtoi(payload, &after)) {
    return InvalidField("page_token", "not a page token of this list");
  }
  FT_ASSIGN_OR_RETURN(std::optional<RunRow> run, runs_->GetRun(id));
  if (!run) return RunNotFound(req.run());
  FT_ASSIGN_OR_RETURN(std::vector<ArtifactChangeRow> rows, runs_->ArtifactChanges(id, after, page + 1));
  v1::ListArtifactChangesResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) {
    v1::ArtifactChange* c = out.add_changes();
    c->set_seq(rows[i].seq);
    c->set_path(rows[i].artifact.path);
    if (rows[i].artifact.digest) *c->mutable_blob() = DigestToProto(*rows[i].artifact.digest);
    *c->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(rows[i].create_time);
  }
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, kind, absl::StrCat(rows[page - 1].seq)));
  }
  return out;
}

absl::StatusOr<v1::Run> RunRegistry::AddRunEdges(const CallContext& ctx, const v1::AddRunEdgesRequest& req) {
  return Audited(store_, ctx, req.run(), [&]() -> absl::StatusOr<v1::Run> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(req.run(), "run"));
    if (req.inputs_size() + req.outputs_size() == 0) return InvalidField("inputs", "add at least one edge");
    FT_ASSIGN_OR_RETURN(std::vector<EdgeRow> edges, ValidateEdges(req.run(), req.inputs(), req.outputs()));
    FT_RETURN_IF_ERROR(runs_->AddEdges(id, edges, MakeAuditEntry(ctx, req.run(), absl::OkStatus())));
    return Load(id);
  });
}

absl::StatusOr<v1::RegisterRunResponse> RunRegistry::RegisterRun(const CallContext& ctx,
                                                                 const v1::RegisterRunRequest& req) {
  return Audited(store_, ctx, "runs", [&]() -> absl::StatusOr<v1::RegisterRunResponse> {
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    v1::RegisterRunResponse resp;
    auto answer_earlier = [&](const std::string& run_name) -> absl::StatusOr<v1::RegisterRunResponse> {
      FT_ASSIGN_OR_RETURN(std::string id, ParseRunName(run_name));
      FT_ASSIGN_OR_RETURN(*resp.mutable_run(), Load(id));
      for (const v1::RunEdge& o : resp.run().outputs()) {
        if (o.role() == "model" && absl::StartsWith(o.artifact().resource(), "models/")) {
          v1::GetModelVersionRequest get;
          get.set_name(o.artifact().resource());
          get.set_show_deleted(true);  // the first answer, even if the version was deleted since
          FT_ASSIGN_OR_RETURN(*resp.mutable_model_version(), model_registry_->GetModelVersion(get));
        }
      }
      return resp;
    };
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(models_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) return answer_earlier(*earlier);
    FT_ASSIGN_OR_RETURN(RunWrite w, ValidateRun(req.run(), /*finished=*/true));
    FT_ASSIGN_OR_RETURN(w.metrics, ValidateMetrics(req.metrics(), limits_.max_metrics_per_register, "metrics"));
    if (req.has_model_version()) {
      v1::CreateModelVersionRequest mv = req.model_version();
      if (!mv.model_version().source_run().empty()) {
        return InvalidField("model_version.model_version.source_run", "set by RegisterRun; leave it empty");
      }
      if (!mv.request_id().empty()) {
        return InvalidField("model_version.request_id", "RegisterRun's own request_id covers the version");
      }
      FT_ASSIGN_OR_RETURN(ModelVersionRow v, model_registry_->PrepareVersion(ctx, mv));
      v.source_run = RunName(w.run.run_id);
      w.model_version = std::move(v);
    }
    absl::StatusOr<std::optional<ModelVersionRow>> inserted = runs_->InsertRun(
        w, RequestKeyOf(ctx, req.request_id()), MakeAuditEntry(ctx, RunName(w.run.run_id), absl::OkStatus()));
    if (absl::IsAlreadyExists(inserted.status())) {
      FT_ASSIGN_OR_RETURN(std::optional<std::string> raced,
                          EarlierRequest(models_, RequestKeyOf(ctx, req.request_id()), ctx.method));
      if (raced) return answer_earlier(*raced);
    }
    FT_RETURN_IF_ERROR(inserted.status());
    FT_ASSIGN_OR_RETURN(*resp.mutable_run(), Load(w.run.run_id));
    if (*inserted) {
      FT_ASSIGN_OR_RETURN(*resp.mutable_model_version(), model_registry_->VersionResource(**inserted));
    }
    return resp;
  });
}

absl::StatusOr<v1::GetLineageResponse> RunRegistry::GetLineage(const v1::GetLineageRequest& req,
                                                               const ProjectScope& scope) {
  const std::string& node = req.resource();
  bool digest_node = (absl::StartsWith(node, "blobs/") || absl::StartsWith(node, "trees/")) &&
                     ParseDigest(absl::string_view(node).substr(6)).ok();
  if (!digest_node && !IsResourceNameSyntax(node)) {
    return InvalidField("resource", "expected a resource name, \"blobs/{sha256}/{size}\" or \"trees/{sha256}/{size}\"");
  }
  if (req.max_depth() < 0 || req.max_depth() > limits_.max_lineage_depth) {
    return InvalidField("max_depth", absl::StrCat("0-", limits_.max_lineage_depth));
  }
  int depth = req.max_depth() == 0 ? limits_.default_lineage_depth : req.max_depth();
  bool upstream = req.direction() != v1::GetLineageRequest::DOWNSTREAM;
  bool truncated = false;
  FT_ASSIGN_OR_RETURN(std::vector<EdgeRow> edges,
                      runs_->Lineage(node, upstream, depth, limits_.max_lineage_edges, &truncated));
  v1::GetLineageResponse out;
  // A node in a project outside `scope` is shown as "redacted/{n}" (n
  // numbers such nodes in order of appearance, so the graph keeps its
  // shape); its edges are kept.
  ProjectVisibility visibility(store_, scope);
  absl::flat_hash_map<std::string, std::string> redacted;
  auto shown = [&](const std::string& n) -> absl::StatusOr<std::string> {
    FT_ASSIGN_OR_RETURN(bool hidden, visibility.Hidden(n));
    if (!hidden) return n;
    auto [r, added] = redacted.try_emplace(n, "");
    if (added) r->second = absl::StrCat("redacted/", redacted.size());
    return r->second;
  };
  for (const EdgeRow& e : edges) {
    v1::LineageEdge* p = out.add_edges();
    FT_ASSIGN_OR_RETURN(*p->mutable_subject(), shown(e.subject));
    p->set_predicate(e.predicate);
    FT_ASSIGN_OR_RETURN(*p->mutable_object(), shown(e.object));
    p->set_role(e.role);
    p->set_depth(e.depth);
    if (!e.origin.empty()) {
      FT_ASSIGN_OR_RETURN(*p->mutable_origin(), shown(e.origin));
    }
  }
  out.set_truncated(truncated);
  return out;
}

}  // namespace fairtrace
