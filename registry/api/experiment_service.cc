#include "registry/api/experiment_service.h"

#include "registry/api/grpc_status.h"
#include "registry/api/rpc_guard.h"

namespace fairtrace::api {

grpc::Status ExperimentServiceImpl::ValidateInvestigation(grpc::ServerContext* ctx,
                                                          const v1::ValidateInvestigationRequest* req,
                                                          v1::ValidationReport* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/ValidateInvestigation", req, false, [&]() -> grpc::Status {
    return Reply(registry_->ValidateInvestigation(
                     ContextOf(ctx, "fairtrace.v1.ExperimentService", "ValidateInvestigation", *req), *req),
                 resp);
  });
}

grpc::Status ExperimentServiceImpl::ImportInvestigation(grpc::ServerContext* ctx,
                                                        const v1::ImportInvestigationRequest* req,
                                                        v1::Investigation* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/ImportInvestigation", req, true, [&]() -> grpc::Status {
    return Reply(registry_->ImportInvestigation(
                     ContextOf(ctx, "fairtrace.v1.ExperimentService", "ImportInvestigation", *req), *req),
                 resp);
  });
}

grpc::Status ExperimentServiceImpl::GetInvestigation(grpc::ServerContext* ctx, const v1::GetInvestigationRequest* req,
                                                     v1::Investigation* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/GetInvestigation", req, false, [&]() -> grpc::Status {
    return Reply(registry_->GetInvestigation(*req), resp);
  });
}

grpc::Status ExperimentServiceImpl::ListInvestigations(grpc::ServerContext* ctx, const v1::ListInvestigationsRequest* req,
                                                       v1::ListInvestigationsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/ListInvestigations", req, false, [&]() -> grpc::Status {
    return Reply(registry_->ListInvestigations(*req), resp);
  });
}

grpc::Status ExperimentServiceImpl::GetEntity(grpc::ServerContext* ctx, const v1::GetEntityRequest* req,
                                              v1::MiappeEntity* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/GetEntity", req, false, [&]() -> grpc::Status {
    return Reply(registry_->GetEntity(*req), resp);
  });
}

grpc::Status ExperimentServiceImpl::ListEntities(grpc::ServerContext* ctx, const v1::ListEntitiesRequest* req,
                                                 v1::ListEntitiesResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/ListEntities", req, false, [&]() -> grpc::Status {
    return Reply(registry_->ListEntities(*req), resp);
  });
}

grpc::Status ExperimentServiceImpl::ExportInvestigation(grpc::ServerContext* ctx, const v1::ExportInvestigationRequest* req,
                                                        v1::ExportInvestigationResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/ExportInvestigation", req, false, [&]() -> grpc::Status {
    return Reply(registry_->ExportInvestigation(*req), resp);
  });
}

grpc::Status ExperimentServiceImpl::CreateEntity(grpc::ServerContext* ctx, const v1::CreateEntityRequest* req,
                                                 v1::Investigation* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/CreateEntity", req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateEntity(ContextOf(ctx, "fairtrace.v1.ExperimentService", "CreateEntity", *req), *req),
                 resp);
  });
}

grpc::Status ExperimentServiceImpl::UpdateEntity(grpc::ServerContext* ctx, const v1::UpdateEntityRequest* req,
                                                 v1::Investigation* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/UpdateEntity", req, true, [&]() -> grpc::Status {
    return Reply(registry_->UpdateEntity(ContextOf(ctx, "fairtrace.v1.ExperimentService", "UpdateEntity", *req), *req),
                 resp);
  });
}

grpc::Status ExperimentServiceImpl::DeleteEntity(grpc::ServerContext* ctx, const v1::DeleteEntityRequest* req,
                                                 v1::Investigation* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ExperimentService/DeleteEntity", req, true, [&]() -> grpc::Status {
    return Reply(registry_->DeleteEntity(ContextOf(ctx, "fairtrace.v1.ExperimentService", "DeleteEntity", *req), *req),
                 resp);
  });
}

}  // namespace fairtrace::api
