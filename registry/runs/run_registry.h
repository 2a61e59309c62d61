// RunRegistry: the rules of runs (docs/runs.md), transport-free. Protos of
// fairtrace.v1 in and out; api/run_service.cc only adapts the gRPC call.
//
// Rules: runs are named "runs/{32 hex}" by the server; `request_id` makes
// CreateRun and RegisterRun idempotent; params are write-once; params,
// metrics and edges change only while the run is RUNNING; an ended run
// keeps only description and tags mutable (etag-guarded). Inputs and
// outputs are lineage edges; what they name must exist when fairtrace
// knows the collection (model versions, runs, blobs, trees), other
// resource names (datasets, splits, annotation sets: later issues) are
// checked for syntax only. RegisterRun writes a finished run, its metrics,
// edges and optionally a new model version in one transaction. Limits on
// every size (RunLimits). Every mutating call, failed or not, leaves one
// audit record.
//
// Thread-safe; borrows everything it is given.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "fairtrace/v1/runs.pb.h"
#include "registry/content/content_store.h"
#include "registry/core/call_context.h"
#include "registry/core/resource_util.h"
#include "registry/models/model_registry.h"
#include "registry/runs/run_artifacts.h"
#include "registry/runs/run_end_check.h"
#include "registry/store/annotation_store.h"
#include "registry/store/dataset_store.h"
#include "registry/store/model_store.h"
#include "registry/store/run_store.h"
#include "registry/store/split_store.h"
#include "registry/store/store.h"

namespace fairtrace {

struct RunLimits {
  int default_page = 50;
  int max_page = 1000;
  int default_metric_page = 1000;
  int max_metric_page = 10000;
  int default_artifact_page = 1000;
  int max_artifact_page = 10000;
  size_t max_key = 250;           // param and metric keys (as MLflow)
  size_t max_param_value = 6000;  // bytes (as MLflow 2.x)
  int max_params_per_call = 1000;
  int max_metrics_per_call = 1000;  // LogMetrics
  int max_metrics_per_register = 100000;
  int max_edges_per_call = 1000;
  // Run tags, as MLflow allows them (its client keeps its own in them:
  // mlflow.source.name, mlflow.log-model.history, …).
  TagLimits tags{.max_tags = 256, .max_key = 250, .max_value = 8000};
  int max_seeds = 64;
  size_t max_experiment = 256;
  size_t max_text = 16 << 10;  // description, status_message
  size_t max_short = 2048;     // code and environment fields
  int max_packages = 10000;
  int max_lineage_edges = 10000;
  int default_lineage_depth = 10;
  int max_lineage_depth = 50;
  // A run whose train / validation / test inputs leak may not end FINISHED
  // (FAILED_PRECONDITION, LEAKAGE_FOUND; it stays RUNNING). Default: the
  // leakage is a warning recorded with the run.
  bool refuse_leakage = false;
};

class RunRegistry {
 public:
  // `datasets`: dataset versions named as inputs or outputs
  // ("datasets/d/versions/n") must exist in it; `annotations`: so must
  // annotation sets and agreement reports ("…/annotationSets/a",
  // "…/agreementReports/r"); `splits`: so must split parts
  // ("…/splits/s/parts/p") and leakage reports ("…/leakageReports/r").
  // `end_check` (may be null): the leakage check a run gets when it ends
  // FINISHED (run_end_check.h).
  RunRegistry(Store* store, ModelStore* models, RunStore* runs, DatasetStore* datasets, AnnotationStore* annotations,
              SplitStore* splits, RunEndCheck* end_check, ModelRegistry* model_registry, std::string page_token_key,
              std::function<int64_t()> now_micros, RunLimits limits = {});

  // When set (it may stay null), a run that ends with artifacts (MLflow's
  // artifact proxy) gets its folder as a CAS tree: an output edge (role
  // "artifacts") and the tag fairtrace.artifacts_tree ("{sha256}/{size}"),
  // in the same transaction as its end. Set before serving.
  void set_artifacts(RunArtifacts* artifacts) { artifacts_ = artifacts; }

  absl::StatusOr<v1::Run> CreateRun(const CallContext& ctx, const v1::CreateRunRequest& req);
  absl::StatusOr<v1::Run> GetRun(const v1::GetRunRequest& req);
  // Only runs in `scope`'s projects. Listed runs carry no inputs or
  // outputs (AddEdges fills them).
  absl::StatusOr<v1::ListRunsResponse> ListRuns(const v1::ListRunsRequest& req,
                                                const ProjectScope& scope = ProjectScope::All());
  // Fills the inputs and outputs of a run from ListRuns, as GetRun has them.
  absl::Status AddEdges(v1::Run* run);
  absl::StatusOr<v1::Run> UpdateRun(const CallContext& ctx, const v1::UpdateRunRequest& req);
  absl::StatusOr<v1::LogParamsResponse> LogParams(const CallContext& ctx, const v1::LogParamsRequest& req);
  absl::StatusOr<v1::LogMetricsResponse> LogMetrics(const CallContext& ctx, const v1::LogMetricsRequest& req);
  absl::StatusOr<v1::ListMetricHistoryResponse> ListMetricHistory(const v1::ListMetricHistoryRequest& req);
  // The history of a run's artifact folder (docs/runs.md); pages of
  // default_artifact_page, at most max_artifact_page.
  absl::StatusOr<v1::ListArtifactChangesResponse> ListArtifactChanges(const v1::ListArtifactChangesRequest& req);
  absl::StatusOr<v1::Run> AddRunEdges(const CallContext& ctx, const v1::AddRunEdgesRequest& req);
  // MLflow's start_run(run_id=…) on an ended run (docs/mlflow-door.md):
  // the run is RUNNING again, its end time cleared and its tag
  // fairtrace.reopened counting the reopenings; what it logged stays, and
  // the audit log keeps its earlier end. A RUNNING run is returned as is.
  absl::StatusOr<v1::Run> ReopenRun(const CallContext& ctx, const std::string& run);
  // MLflow's log-batch (docs/mlflow-door.md): params, metric points and
  // tags set on a run in one audited transaction, all or nothing. Params
  // and metrics need a RUNNING run (FAILED_PRECONDITION, RUN_NOT_RUNNING);
  // tags may change after the end, as with UpdateRun. The same key twice
  // among `params` with different values, or more than
  // max_metrics_per_call points, is INVALID_ARGUMENT; a param logged
  // earlier with another value is FAILED_PRECONDITION (PARAM_CHANGED).
  absl::Status LogBatch(const CallContext& ctx, const std::string& run,
                        const std::vector<std::pair<std::string, std::string>>& params,
                        const google::protobuf::RepeatedPtrField<v1::Metric>& metrics,
                        const std::vector<std::pair<std::string, std::string>>& tags);
  absl::StatusOr<v1::RegisterRunResponse> RegisterRun(const CallContext& ctx, const v1::RegisterRunRequest& req);
  // Nodes outside `scope`'s projects are redacted (docs/security.md).
  absl::StatusOr<v1::GetLineageResponse> GetLineage(const v1::GetLineageRequest& req,
                                                    const ProjectScope& scope = ProjectScope::All());

 private:
  // Whether a split ("…/splits/s"), one of its parts ("…/parts/p") or a
  // leakage report ("…/leakageReports/r") exists; INVALID_ARGUMENT on
  // `field` for another shape.
  absl::StatusOr<bool> SplitChildExists(const std::string& name, const std::string& field);

 public:
 private:
  // Validates a run as given by a client into a write (row, params, seeds,
  // code, environment, edges); `finished` for RegisterRun.
  absl::StatusOr<RunWrite> ValidateRun(const v1::Run& run, bool finished);
  absl::StatusOr<std::vector<EdgeRow>> ValidateEdges(const std::string& run_name,
                                                     const google::protobuf::RepeatedPtrField<v1::RunEdge>& inputs,
                                                     const google::protobuf::RepeatedPtrField<v1::RunEdge>& outputs);
  absl::StatusOr<std::vector<MetricRow>> ValidateMetrics(const google::protobuf::RepeatedPtrField<v1::Metric>& metrics,
                                                         int max, const std::string& field);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ValidateParams(
      const google::protobuf::Map<std::string, std::string>& params, const std::string& field);
  absl::StatusOr<v1::Run> Load(const std::string& run_id);

  Store* store_;
  ModelStore* models_;
  RunStore* runs_;
  DatasetStore* datasets_;
  AnnotationStore* annotations_;
  SplitStore* splits_;
  RunEndCheck* end_check_;
  ModelRegistry* model_registry_;
  std::string token_key_;
  std::function<int64_t()> now_;
  RunArtifacts* artifacts_ = nullptr;
  RunLimits limits_;
};

}  // namespace fairtrace
