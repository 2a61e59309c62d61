// ModelClient: the C++ client of fairtrace.v1.ModelService. Errors come
// back as absl::Status with the server's google.rpc details as payloads.
// Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "clients/cpp/fairtrace/cas_client.h"
#include "fairtrace/v1/models.grpc.pb.h"

namespace fairtrace::client {

class ModelClient {
 public:
  explicit ModelClient(const ClientOptions& options);

  absl::StatusOr<v1::RegisteredModel> CreateModel(const v1::CreateRegisteredModelRequest& req);
  absl::StatusOr<v1::RegisteredModel> GetModel(const std::string& name, bool show_deleted = false);
  // Every model (all pages).
  absl::StatusOr<std::vector<v1::RegisteredModel>> ListModels(bool show_deleted);
  absl::StatusOr<v1::RegisteredModel> DeleteModel(const std::string& name, const std::string& etag, bool force);

  absl::StatusOr<v1::RegisteredModel> SetAlias(const std::string& name, const std::string& alias, int64_t version);
  absl::StatusOr<v1::RegisteredModel> DeleteAlias(const std::string& name, const std::string& alias);

  absl::StatusOr<v1::ModelVersion> CreateVersion(const v1::CreateModelVersionRequest& req);
  absl::StatusOr<v1::ModelVersion> GetVersion(const std::string& name, bool show_deleted = false);
  // Every version of a model (all pages).
  absl::StatusOr<std::vector<v1::ModelVersion>> ListVersions(const std::string& parent, const std::string& filter = "",
                                                             bool show_deleted = false);
  // Soft delete; `etag` "" means unconditional.
  absl::StatusOr<v1::ModelVersion> DeleteVersion(const std::string& name, const std::string& etag);

 private:
  std::unique_ptr<grpc::ClientContext> Context() const;
  ClientOptions options_;
  std::unique_ptr<v1::ModelService::Stub> stub_;
};

}  // namespace fairtrace::client
