#include "registry/api/experiment_service.h"

#include "registry/api/grpc_status.h"

namespace fairtrace::api {

grpc::Status ExperimentServiceImpl::ValidateInvestigation(grpc::ServerContext*,
                                                          const v1::ValidateInvestigationRequest* req,
                                                          v1::ValidationReport* resp) {
  return Reply(registry_->ValidateInvestigation(*req), resp);
}

grpc::Status ExperimentServiceImpl::ImportInvestigation(grpc::ServerContext* ctx,
                                                        const v1::ImportInvestigationRequest* req,
                                                        v1::Investigation* resp) {
  return Reply(registry_->ImportInvestigation(
                   ContextOf(ctx, "fairtrace.v1.ExperimentService", "ImportInvestigation", *req), *req),
               resp);
}

grpc::Status ExperimentServiceImpl::GetInvestigation(grpc::ServerContext*, const v1::GetInvestigationRequest* req,
                                                     v1::Investigation* resp) {
  return Reply(registry_->GetInvestigation(*req), resp);
}

grpc::Status ExperimentServiceImpl::ListInvestigations(grpc::ServerContext*, const v1::ListInvestigationsRequest* req,
                                                       v1::ListInvestigationsResponse* resp) {
  return Reply(registry_->ListInvestigations(*req), resp);
}

grpc::Status ExperimentServiceImpl::GetEntity(grpc::ServerContext*, const v1::GetEntityRequest* req,
                                              v1::MiappeEntity* resp) {
  return Reply(registry_->GetEntity(*req), resp);
}

grpc::Status ExperimentServiceImpl::ListEntities(grpc::ServerContext*, const v1::ListEntitiesRequest* req,
                                                 v1::ListEntitiesResponse* resp) {
  return Reply(registry_->ListEntities(*req), resp);
}

grpc::Status ExperimentServiceImpl::ExportInvestigation(grpc::ServerContext*, const v1::ExportInvestigationRequest* req,
                                                        v1::ExportInvestigationResponse* resp) {
  return Reply(registry_->ExportInvestigation(*req), resp);
}

grpc::Status ExperimentServiceImpl::CreateEntity(grpc::ServerContext* ctx, const v1::CreateEntityRequest* req,
                                                 v1::Investigation* resp) {
  return Reply(registry_->CreateEntity(ContextOf(ctx, "fairtrace.v1.ExperimentService", "CreateEntity", *req), *req),
               resp);
}

grpc::Status ExperimentServiceImpl::UpdateEntity(grpc::ServerContext* ctx, const v1::UpdateEntityRequest* req,
                                                 v1::Investigation* resp) {
  return Reply(registry_->UpdateEntity(ContextOf(ctx, "fairtrace.v1.ExperimentService", "UpdateEntity", *req), *req),
               resp);
}

grpc::Status ExperimentServiceImpl::DeleteEntity(grpc::ServerContext* ctx, const v1::DeleteEntityRequest* req,
                                                 v1::Investigation* resp) {
  return Reply(registry_->DeleteEntity(ContextOf(ctx, "fairtrace.v1.ExperimentService", "DeleteEntity", *req), *req),
               resp);
}

}  // namespace fairtrace::api
