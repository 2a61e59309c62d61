// gRPC adapter for fairtrace.v1.ModelService: builds the call context and
// maps results; the rules live in core/model_registry.h. Thread-safe.
#pragma once

#include "fairtrace/v1/models.grpc.pb.h"
#include "registry/models/model_registry.h"

#include "registry/api/rpc_guard.h"

namespace fairtrace::api {

class ModelServiceImpl final : public v1::ModelService::Service {
 public:
  ModelServiceImpl(ModelRegistry* registry, const RpcGuard* guard) : registry_(registry), guard_(guard) {}

  grpc::Status CreateRegisteredModel(grpc::ServerContext* ctx, const v1::CreateRegisteredModelRequest* req,
                                     v1::RegisteredModel* resp) override;
  grpc::Status GetRegisteredModel(grpc::ServerContext* ctx, const v1::GetRegisteredModelRequest* req,
                                  v1::RegisteredModel* resp) override;
  grpc::Status ListRegisteredModels(grpc::ServerContext* ctx, const v1::ListRegisteredModelsRequest* req,
                                    v1::ListRegisteredModelsResponse* resp) override;
  grpc::Status DeleteRegisteredModel(grpc::ServerContext* ctx, const v1::DeleteRegisteredModelRequest* req,
                                     v1::RegisteredModel* resp) override;
  grpc::Status UpdateRegisteredModel(grpc::ServerContext* ctx, const v1::UpdateRegisteredModelRequest* req,
                                     v1::RegisteredModel* resp) override;
  grpc::Status SetModelAlias(grpc::ServerContext* ctx, const v1::SetModelAliasRequest* req,
                             v1::RegisteredModel* resp) override;
  grpc::Status DeleteModelAlias(grpc::ServerContext* ctx, const v1::DeleteModelAliasRequest* req,
                                v1::RegisteredModel* resp) override;
  grpc::Status UpdateModelVersion(grpc::ServerContext* ctx, const v1::UpdateModelVersionRequest* req,
                                  v1::ModelVersion* resp) override;
  grpc::Status DeleteModelVersion(grpc::ServerContext* ctx, const v1::DeleteModelVersionRequest* req,
                                  v1::ModelVersion* resp) override;
  grpc::Status CreateModelVersion(grpc::ServerContext* ctx, const v1::CreateModelVersionRequest* req,
                                  v1::ModelVersion* resp) override;
  grpc::Status GetModelVersion(grpc::ServerContext* ctx, const v1::GetModelVersionRequest* req,
                               v1::ModelVersion* resp) override;
  grpc::Status ListModelVersions(grpc::ServerContext* ctx, const v1::ListModelVersionsRequest* req,
                                 v1::ListModelVersionsResponse* resp) override;

 private:
  ModelRegistry* registry_;
  const RpcGuard* guard_;
};

}  // namespace fairtrace::api
