#include "registry/api/model_service.h"

#include "absl/strings/str_cat.h"
#include "registry/api/grpc_status.h"
#include "registry/api/rpc_guard.h"

namespace fairtrace::api {
namespace {

template <typename Req>
CallContext Context(grpc::ServerContext* ctx, const char* method, const Req& req) {
  return ContextOf(ctx, "fairtrace.v1.ModelService", method, req);
}

}  // namespace

grpc::Status ModelServiceImpl::CreateRegisteredModel(grpc::ServerContext* ctx,
                                                     const v1::CreateRegisteredModelRequest* req,
                                                     v1::RegisteredModel* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/CreateRegisteredModel", req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateRegisteredModel(Context(ctx, "CreateRegisteredModel", *req), *req), resp);
  });
}

grpc::Status ModelServiceImpl::GetRegisteredModel(grpc::ServerContext* ctx, const v1::GetRegisteredModelRequest* req,
                                                  v1::RegisteredModel* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/GetRegisteredModel", req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetRegisteredModel(*req), resp); });
}

grpc::Status ModelServiceImpl::ListRegisteredModels(grpc::ServerContext* ctx,
                                                    const v1::ListRegisteredModelsRequest* req,
                                                    v1::ListRegisteredModelsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/ListRegisteredModels", req, false, [&]() -> grpc::Status {
    return Reply(registry_->ListRegisteredModels(*req, CurrentCallProjects()), resp);
  });
}

grpc::Status ModelServiceImpl::DeleteRegisteredModel(grpc::ServerContext* ctx,
                                                     const v1::DeleteRegisteredModelRequest* req,
                                                     v1::RegisteredModel* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/DeleteRegisteredModel", req, true, [&]() -> grpc::Status {
    return Reply(registry_->DeleteRegisteredModel(Context(ctx, "DeleteRegisteredModel", *req), *req), resp);
  });
}

grpc::Status ModelServiceImpl::CreateModelVersion(grpc::ServerContext* ctx, const v1::CreateModelVersionRequest* req,
                                                  v1::ModelVersion* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/CreateModelVersion", req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateModelVersion(Context(ctx, "CreateModelVersion", *req), *req), resp);
  });
}

grpc::Status ModelServiceImpl::GetModelVersion(grpc::ServerContext* ctx, const v1::GetModelVersionRequest* req,
                                               v1::ModelVersion* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/GetModelVersion", req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetModelVersion(*req), resp); });
}

grpc::Status ModelServiceImpl::ListModelVersions(grpc::ServerContext* ctx, const v1::ListModelVersionsRequest* req,
                                                 v1::ListModelVersionsResponse* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/ListModelVersions", req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListModelVersions(*req), resp); });
}

grpc::Status ModelServiceImpl::UpdateRegisteredModel(grpc::ServerContext* ctx,
                                                     const v1::UpdateRegisteredModelRequest* req,
                                                     v1::RegisteredModel* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/UpdateRegisteredModel", req, true, [&]() -> grpc::Status {
    return Reply(registry_->UpdateRegisteredModel(Context(ctx, "UpdateRegisteredModel", *req), *req), resp);
  });
}

grpc::Status ModelServiceImpl::SetModelAlias(grpc::ServerContext* ctx, const v1::SetModelAliasRequest* req,
                                             v1::RegisteredModel* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/SetModelAlias", req, true, [&]() -> grpc::Status {
    return Reply(registry_->SetModelAlias(Context(ctx, "SetModelAlias", *req), *req), resp);
  });
}

grpc::Status ModelServiceImpl::DeleteModelAlias(grpc::ServerContext* ctx, const v1::DeleteModelAliasRequest* req,
                                                v1::RegisteredModel* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/DeleteModelAlias", req, true, [&]() -> grpc::Status {
    return Reply(registry_->DeleteModelAlias(Context(ctx, "DeleteModelAlias", *req), *req), resp);
  });
}

grpc::Status ModelServiceImpl::UpdateModelVersion(grpc::ServerContext* ctx, const v1::UpdateModelVersionRequest* req,
                                                  v1::ModelVersion* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/UpdateModelVersion", req, true, [&]() -> grpc::Status {
    return Reply(registry_->UpdateModelVersion(Context(ctx, "UpdateModelVersion", *req), *req), resp);
  });
}

grpc::Status ModelServiceImpl::DeleteModelVersion(grpc::ServerContext* ctx, const v1::DeleteModelVersionRequest* req,
                                                  v1::ModelVersion* resp) {
  return guard_->Run(ctx, "/fairtrace.v1.ModelService/DeleteModelVersion", req, true, [&]() -> grpc::Status {
    return Reply(registry_->DeleteModelVersion(Context(ctx, "DeleteModelVersion", *req), *req), resp);
  });
}

}  // namespace fairtrace::api
