// gRPC adapter for fairtrace.v1.ExperimentService; the rules live in
// core/experiment_registry.h. Thread-safe.
#pragma once

#include "fairtrace/v1/experiments.grpc.pb.h"
#include "registry/investigations/investigation_registry.h"

#include "registry/api/rpc_guard.h"

namespace fairtrace::api {

class ExperimentServiceImpl final : public v1::ExperimentService::Service {
 public:
  ExperimentServiceImpl(InvestigationRegistry* registry, const RpcGuard* guard) : registry_(registry), guard_(guard) {}

  grpc::Status ValidateInvestigation(grpc::ServerContext* ctx, const v1::ValidateInvestigationRequest* req,
                                     v1::ValidationReport* resp) override;
  grpc::Status ImportInvestigation(grpc::ServerContext* ctx, const v1::ImportInvestigationRequest* req,
                                   v1::Investigation* resp) override;
  grpc::Status GetInvestigation(grpc::ServerContext* ctx, const v1::GetInvestigationRequest* req,
                                v1::Investigation* resp) override;
  grpc::Status ListInvestigations(grpc::ServerContext* ctx, const v1::ListInvestigationsRequest* req,
                                  v1::ListInvestigationsResponse* resp) override;
  grpc::Status GetEntity(grpc::ServerContext* ctx, const v1::GetEntityRequest* req, v1::MiappeEntity* resp) override;
  grpc::Status ListEntities(grpc::ServerContext* ctx, const v1::ListEntitiesRequest* req,
                            v1::ListEntitiesResponse* resp) override;
  grpc::Status ExportInvestigation(grpc::ServerContext* ctx, const v1::ExportInvestigationRequest* req,
                                   v1::ExportInvestigationResponse* resp) override;
  grpc::Status CreateEntity(grpc::ServerContext* ctx, const v1::CreateEntityRequest* req,
                            v1::Investigation* resp) override;
  grpc::Status UpdateEntity(grpc::ServerContext* ctx, const v1::UpdateEntityRequest* req,
                            v1::Investigation* resp) override;
  grpc::Status DeleteEntity(grpc::ServerContext* ctx, const v1::DeleteEntityRequest* req,
                            v1::Investigation* resp) override;

 private:
  InvestigationRegistry* registry_;
  const RpcGuard* guard_;
};

}  // namespace fairtrace::api
