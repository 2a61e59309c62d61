// gRPC adapter for fairtrace.v1.InvestigationService and its deprecated
// alias ExperimentService (same methods, one implementation; each call is
// guarded and audited under the name it was called by). The rules live in
// registry/investigations/investigation_registry.h. Thread-safe; borrows
// the registry and the guard, which must outlive it.
#pragma once

#include <string>

#include "fairtrace/v1/experiments.grpc.pb.h"
#include "fairtrace/v1/investigations.grpc.pb.h"
#include "registry/api/rpc_guard.h"
#include "registry/investigations/investigation_registry.h"

namespace fairtrace::api {

template <typename Service>
class InvestigationServiceAdapter final : public Service {
 public:
  // `service`: the full service name, "fairtrace.v1.InvestigationService".
  InvestigationServiceAdapter(InvestigationRegistry* registry, const RpcGuard* guard, std::string service)
      : registry_(registry), guard_(guard), service_(std::move(service)) {}

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
  std::string Method(const char* name) const { return "/" + service_ + "/" + name; }

  InvestigationRegistry* registry_;
  const RpcGuard* guard_;
  std::string service_;
};

using InvestigationServiceImpl = InvestigationServiceAdapter<v1::InvestigationService::Service>;
// Deprecated alias, served until v0.3 (proto/fairtrace/v1/experiments.proto).
using ExperimentServiceImpl = InvestigationServiceAdapter<v1::ExperimentService::Service>;

extern template class InvestigationServiceAdapter<v1::InvestigationService::Service>;
extern template class InvestigationServiceAdapter<v1::ExperimentService::Service>;

}  // namespace fairtrace::api
