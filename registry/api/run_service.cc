#include "registry/api/run_service.h"

#include "registry/api/grpc_status.h"
#include "registry/api/rpc_guard.h"

namespace fairtrace::api {
namespace {

template <typename Req>
CallContext Context(grpc::ServerContext* ctx, const char* method, const Req& req) {
  return ContextOf(ctx, "fairtrace.v1.RunService", method, req);
}

}  // namespace

grpc::Status RunServiceImpl::CreateRun(grpc::ServerContext* ctx, const v1::CreateRunRequest* req, v1::Run* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/CreateRun", req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateRun(Context(ctx, "CreateRun", *req), *req), resp);
  });
}

grpc::Status RunServiceImpl::GetRun(grpc::ServerContext* ctx, const v1::GetRunRequest* req, v1::Run* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/GetRun", req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetRun(*req), resp); });
}

grpc::Status RunServiceImpl::ListRuns(grpc::ServerContext* ctx, const v1::ListRunsRequest* req,
                                      v1::ListRunsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/ListRuns", req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListRuns(*req, CurrentCallProjects()), resp); });
}

grpc::Status RunServiceImpl::UpdateRun(grpc::ServerContext* ctx, const v1::UpdateRunRequest* req, v1::Run* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/UpdateRun", req, true, [&]() -> grpc::Status {
    return Reply(registry_->UpdateRun(Context(ctx, "UpdateRun", *req), *req), resp);
  });
}

grpc::Status RunServiceImpl::LogParams(grpc::ServerContext* ctx, const v1::LogParamsRequest* req,
                                       v1::LogParamsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/LogParams", req, true, [&]() -> grpc::Status {
    return Reply(registry_->LogParams(Context(ctx, "LogParams", *req), *req), resp);
  });
}

grpc::Status RunServiceImpl::LogMetrics(grpc::ServerContext* ctx, const v1::LogMetricsRequest* req,
                                        v1::LogMetricsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/LogMetrics", req, true, [&]() -> grpc::Status {
    return Reply(registry_->LogMetrics(Context(ctx, "LogMetrics", *req), *req), resp);
  });
}

grpc::Status RunServiceImpl::ListMetricHistory(grpc::ServerContext* ctx, const v1::ListMetricHistoryRequest* req,
                                               v1::ListMetricHistoryResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/ListMetricHistory", req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListMetricHistory(*req), resp); });
}

grpc::Status RunServiceImpl::AddRunEdges(grpc::ServerContext* ctx, const v1::AddRunEdgesRequest* req, v1::Run* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/AddRunEdges", req, true, [&]() -> grpc::Status {
    return Reply(registry_->AddRunEdges(Context(ctx, "AddRunEdges", *req), *req), resp);
  });
}

grpc::Status RunServiceImpl::RegisterRun(grpc::ServerContext* ctx, const v1::RegisterRunRequest* req,
                                         v1::RegisterRunResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/RegisterRun", req, true, [&]() -> grpc::Status {
    return Reply(registry_->RegisterRun(Context(ctx, "RegisterRun", *req), *req), resp);
  });
}

grpc::Status RunServiceImpl::GetLineage(grpc::ServerContext* ctx, const v1::GetLineageRequest* req,
                                        v1::GetLineageResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/GetLineage", req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetLineage(*req, CurrentCallProjects()), resp); });
}

grpc::Status RunServiceImpl::ListArtifactChanges(grpc::ServerContext* ctx, const v1::ListArtifactChangesRequest* req,
                                                 v1::ListArtifactChangesResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/ListArtifactChanges", req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListArtifactChanges(*req), resp); });
}

grpc::Status RunServiceImpl::GetExperiment(grpc::ServerContext* ctx, const v1::GetExperimentRequest* req,
                                           v1::Experiment* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.RunService/GetExperiment", req, false,
                     [&]() -> grpc::Status { return Reply(experiments_->GetExperiment(*req), resp); });
}

}  // namespace fairtrace::api
