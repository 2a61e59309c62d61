// gRPC adapter for fairtrace.v1.RunService: builds the call context and
// maps results; the rules live in core/run_registry.h. Thread-safe.
#pragma once

#include "fairtrace/v1/runs.grpc.pb.h"
#include "registry/experiments/experiment_registry.h"
#include "registry/runs/run_registry.h"

#include "registry/api/rpc_guard.h"

namespace fairtrace::api {

class RunServiceImpl final : public v1::RunService::Service {
 public:
  // `experiments` serves GetExperiment (MLflow experiments, made through
  // the door); all are borrowed and must outlive this.
  RunServiceImpl(RunRegistry* registry, ExperimentRegistry* experiments, const RpcGuard* guard)
      : registry_(registry), experiments_(experiments), guard_(guard) {}

  grpc::Status CreateRun(grpc::ServerContext* ctx, const v1::CreateRunRequest* req, v1::Run* resp) override;
  grpc::Status GetRun(grpc::ServerContext* ctx, const v1::GetRunRequest* req, v1::Run* resp) override;
  grpc::Status ListRuns(grpc::ServerContext* ctx, const v1::ListRunsRequest* req, v1::ListRunsResponse* resp) override;
  grpc::Status UpdateRun(grpc::ServerContext* ctx, const v1::UpdateRunRequest* req, v1::Run* resp) override;
  grpc::Status LogParams(grpc::ServerContext* ctx, const v1::LogParamsRequest* req,
                         v1::LogParamsResponse* resp) override;
  grpc::Status LogMetrics(grpc::ServerContext* ctx, const v1::LogMetricsRequest* req,
                          v1::LogMetricsResponse* resp) override;
  grpc::Status ListMetricHistory(grpc::ServerContext* ctx, const v1::ListMetricHistoryRequest* req,
                                 v1::ListMetricHistoryResponse* resp) override;
  grpc::Status AddRunEdges(grpc::ServerContext* ctx, const v1::AddRunEdgesRequest* req, v1::Run* resp) override;
  grpc::Status RegisterRun(grpc::ServerContext* ctx, const v1::RegisterRunRequest* req,
                           v1::RegisterRunResponse* resp) override;
  grpc::Status GetLineage(grpc::ServerContext* ctx, const v1::GetLineageRequest* req,
                          v1::GetLineageResponse* resp) override;
  grpc::Status GetExperiment(grpc::ServerContext* ctx, const v1::GetExperimentRequest* req,
                             v1::Experiment* resp) override;
  grpc::Status ListArtifactChanges(grpc::ServerContext* ctx, const v1::ListArtifactChangesRequest* req,
                                   v1::ListArtifactChangesResponse* resp) override;

 private:
  RunRegistry* registry_;
  ExperimentRegistry* experiments_;
  const RpcGuard* guard_;
};

}  // namespace fairtrace::api
