#include "clients/cpp/fairtrace/model_client.h"

#include "common/status/status_macros.h"

namespace fairtrace::client {

ModelClient::ModelClient(const ClientOptions& options) : options_(options) {
  // The shared channel: TLS and message limits as every client has them.
  stub_ = v1::ModelService::NewStub(NewChannel(options_));
}

std::unique_ptr<grpc::ClientContext> ModelClient::Context() const {
  return NewCallContext(options_, options_.rpc_timeout);
}

absl::StatusOr<v1::RegisteredModel> ModelClient::CreateModel(const v1::CreateRegisteredModelRequest& req) {
  v1::RegisteredModel out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->CreateRegisteredModel(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<v1::RegisteredModel> ModelClient::GetModel(const std::string& name, bool show_deleted) {
  v1::GetRegisteredModelRequest req;
  req.set_name(name);
  req.set_show_deleted(show_deleted);
  v1::RegisteredModel out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->GetRegisteredModel(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<std::vector<v1::RegisteredModel>> ModelClient::ListModels(bool show_deleted) {
  std::vector<v1::RegisteredModel> out;
  v1::ListRegisteredModelsRequest req;
  req.set_page_size(1000);
  req.set_show_deleted(show_deleted);
  do {
    v1::ListRegisteredModelsResponse resp;
    FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->ListRegisteredModels(Context().get(), req, &resp)));
    for (auto& m : *resp.mutable_registered_models()) out.push_back(std::move(m));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

absl::StatusOr<v1::RegisteredModel> ModelClient::DeleteModel(const std::string& name, const std::string& etag,
                                                             bool force) {
  v1::DeleteRegisteredModelRequest req;
  req.set_name(name);
  req.set_etag(etag);
  req.set_force(force);
  v1::RegisteredModel out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->DeleteRegisteredModel(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<v1::RegisteredModel> ModelClient::SetAlias(const std::string& name, const std::string& alias,
                                                          int64_t version) {
  v1::SetModelAliasRequest req;
  req.set_name(name);
  req.set_alias(alias);
  req.set_version(version);
  v1::RegisteredModel out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->SetModelAlias(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<v1::RegisteredModel> ModelClient::DeleteAlias(const std::string& name, const std::string& alias) {
  v1::DeleteModelAliasRequest req;
  req.set_name(name);
  req.set_alias(alias);
  v1::RegisteredModel out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->DeleteModelAlias(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<v1::ModelVersion> ModelClient::DeleteVersion(const std::string& name, const std::string& etag) {
  v1::DeleteModelVersionRequest req;
  req.set_name(name);
  req.set_etag(etag);
  v1::ModelVersion out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->DeleteModelVersion(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<v1::ModelVersion> ModelClient::CreateVersion(const v1::CreateModelVersionRequest& req) {
  v1::ModelVersion out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->CreateModelVersion(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<v1::ModelVersion> ModelClient::GetVersion(const std::string& name, bool show_deleted) {
  v1::GetModelVersionRequest req;
  req.set_name(name);
  req.set_show_deleted(show_deleted);
  v1::ModelVersion out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->GetModelVersion(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<std::vector<v1::ModelVersion>> ModelClient::ListVersions(const std::string& parent,
                                                                        const std::string& filter, bool show_deleted) {
  std::vector<v1::ModelVersion> out;
  v1::ListModelVersionsRequest req;
  req.set_parent(parent);
  req.set_filter(filter);
  req.set_show_deleted(show_deleted);
  req.set_page_size(1000);
  do {
    v1::ListModelVersionsResponse resp;
    FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->ListModelVersions(Context().get(), req, &resp)));
    for (auto& v : *resp.mutable_model_versions()) out.push_back(std::move(v));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

}  // namespace fairtrace::client
