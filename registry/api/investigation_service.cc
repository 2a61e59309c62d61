#include "registry/api/investigation_service.h"

#include "registry/api/grpc_status.h"

namespace fairtrace::api {

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::ValidateInvestigation(grpc::ServerContext* ctx,
                                                                         const v1::ValidateInvestigationRequest* req,
                                                                         v1::ValidationReport* resp) {
  return guard_->Run(ctx, Method("ValidateInvestigation"), req, false, [&]() -> grpc::Status {
    return Reply(registry_->ValidateInvestigation(ContextOf(ctx, service_, "ValidateInvestigation", *req), *req), resp);
  });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::ImportInvestigation(grpc::ServerContext* ctx,
                                                                       const v1::ImportInvestigationRequest* req,
                                                                       v1::Investigation* resp) {
  return guard_->Run(ctx, Method("ImportInvestigation"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->ImportInvestigation(ContextOf(ctx, service_, "ImportInvestigation", *req), *req), resp);
  });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::GetInvestigation(grpc::ServerContext* ctx,
                                                                    const v1::GetInvestigationRequest* req,
                                                                    v1::Investigation* resp) {
  return guard_->Run(ctx, Method("GetInvestigation"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetInvestigation(*req), resp); });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::ListInvestigations(grpc::ServerContext* ctx,
                                                                      const v1::ListInvestigationsRequest* req,
                                                                      v1::ListInvestigationsResponse* resp) {
  return guard_->Run(ctx, Method("ListInvestigations"), req, false, [&]() -> grpc::Status {
    return Reply(registry_->ListInvestigations(*req, CurrentCallProjects()), resp);
  });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::GetEntity(grpc::ServerContext* ctx, const v1::GetEntityRequest* req,
                                                             v1::MiappeEntity* resp) {
  return guard_->Run(ctx, Method("GetEntity"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetEntity(*req), resp); });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::ListEntities(grpc::ServerContext* ctx,
                                                                const v1::ListEntitiesRequest* req,
                                                                v1::ListEntitiesResponse* resp) {
  return guard_->Run(ctx, Method("ListEntities"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListEntities(*req), resp); });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::ExportInvestigation(grpc::ServerContext* ctx,
                                                                       const v1::ExportInvestigationRequest* req,
                                                                       v1::ExportInvestigationResponse* resp) {
  return guard_->Run(ctx, Method("ExportInvestigation"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ExportInvestigation(*req), resp); });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::CreateEntity(grpc::ServerContext* ctx,
                                                                const v1::CreateEntityRequest* req,
                                                                v1::Investigation* resp) {
  return guard_->Run(ctx, Method("CreateEntity"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateEntity(ContextOf(ctx, service_, "CreateEntity", *req), *req), resp);
  });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::UpdateEntity(grpc::ServerContext* ctx,
                                                                const v1::UpdateEntityRequest* req,
                                                                v1::Investigation* resp) {
  return guard_->Run(ctx, Method("UpdateEntity"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->UpdateEntity(ContextOf(ctx, service_, "UpdateEntity", *req), *req), resp);
  });
}

template <typename Service>
grpc::Status InvestigationServiceAdapter<Service>::DeleteEntity(grpc::ServerContext* ctx,
                                                                const v1::DeleteEntityRequest* req,
                                                                v1::Investigation* resp) {
  return guard_->Run(ctx, Method("DeleteEntity"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->DeleteEntity(ContextOf(ctx, service_, "DeleteEntity", *req), *req), resp);
  });
}

template class InvestigationServiceAdapter<v1::InvestigationService::Service>;
template class InvestigationServiceAdapter<v1::ExperimentService::Service>;

}  // namespace fairtrace::api
