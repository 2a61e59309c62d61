// ModelRegistry: the rules of registered models and model versions
// (docs/models.md), transport-free. Protos of fairtrace.v1 serve as the data
// types in and out; api/model_service.cc only adapts the gRPC call.
//
// Rules: AIP-122 names; an id is 1-63 of [a-z0-9-] starting with a letter;
// field size limits; `request_id` makes creates idempotent (a retry returns
// the first result and creates nothing); etags guard deletes (ABORTED on
// mismatch); deletes are soft; a model's delete is refused while versions
// not deleted exist unless forced; deleted names stay reserved; a deleted
// version's number is never reused; a version's tree must be registered
// with all its blobs (FAILED_PRECONDITION listing what is missing) and its
// MLmodel must validate (INVALID_ARGUMENT, one field violation per problem).
// Every mutating call, failed or not, leaves one audit record.
//
// Thread-safe; borrows everything it is given.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "fairtrace/v1/models.pb.h"
#include "registry/content/content_store.h"
#include "registry/core/call_context.h"
#include "registry/models/mlmodel_cache.h"
#include "registry/store/model_store.h"
#include "registry/store/run_store.h"
#include "registry/store/store.h"
#include "validators/mlmodel/mlmodel_validator.h"

namespace fairtrace {

struct ModelRegistryLimits {
  int default_page = 50;
  int max_page = 1000;
  size_t max_description = 16 << 10;
  size_t max_short_field = 256;  // owner, license, source_run
  size_t max_tags = 64;
  size_t max_tag_key = 128;
  size_t max_tag_value = 1024;
  int64_t max_mlmodel_bytes = 1 << 20;
};

class ModelRegistry {
 public:
  // `runs` may be null (then include_source_run returns no detail).
  ModelRegistry(Store* store, ModelStore* models, RunStore* runs, ContentStore* cas,
                const mlmodel::Validator* validator, std::string page_token_key, std::function<int64_t()> now_micros,
                ModelRegistryLimits limits = {});

  absl::StatusOr<v1::RegisteredModel> CreateRegisteredModel(const CallContext& ctx,
                                                            const v1::CreateRegisteredModelRequest& req);
  absl::StatusOr<v1::RegisteredModel> GetRegisteredModel(const v1::GetRegisteredModelRequest& req);
  // "models/{id}" of the model not deleted that MLflow calls `name` (its
  // tag "mlflow.name"; docs/mlflow-door.md), or, for a model without that
  // tag, whose id is `name`. NOT_FOUND (MODEL_NOT_FOUND).
  absl::StatusOr<std::string> ModelForMlflowName(const std::string& name);
  // Only models in `scope`'s projects.
  absl::StatusOr<v1::ListRegisteredModelsResponse> ListRegisteredModels(
      const v1::ListRegisteredModelsRequest& req, const ProjectScope& scope = ProjectScope::All());
  absl::StatusOr<v1::RegisteredModel> DeleteRegisteredModel(const CallContext& ctx,
                                                            const v1::DeleteRegisteredModelRequest& req);

  absl::StatusOr<v1::RegisteredModel> UpdateRegisteredModel(const CallContext& ctx,
                                                            const v1::UpdateRegisteredModelRequest& req);
  absl::StatusOr<v1::RegisteredModel> SetModelAlias(const CallContext& ctx, const v1::SetModelAliasRequest& req);
  absl::StatusOr<v1::RegisteredModel> DeleteModelAlias(const CallContext& ctx, const v1::DeleteModelAliasRequest& req);
  absl::StatusOr<v1::ModelVersion> UpdateModelVersion(const CallContext& ctx, const v1::UpdateModelVersionRequest& req);
  // Soft delete: the version keeps its row, tree, lineage and audit trail;
  // Get/List hide it unless show_deleted; aliases that pointed at it go.
  // NOT_FOUND (model or version absent or deleted), ABORTED (stale etag),
  // INVALID_ARGUMENT (a name that is not models/{model}/versions/{number}).
  absl::StatusOr<v1::ModelVersion> DeleteModelVersion(const CallContext& ctx, const v1::DeleteModelVersionRequest& req);

  // `manifest`: the bytes of the tree manifest that model_version.tree_digest
  // names, when the caller has them (the MLflow door, from a run's artifact
  // folder; ContentStore::PrepareTree): a tree not registered yet is then
  // registered in the version's own transaction, one commit in all.
  absl::StatusOr<v1::ModelVersion> CreateModelVersion(const CallContext& ctx, const v1::CreateModelVersionRequest& req,
                                                      std::optional<std::string> manifest = std::nullopt);
  absl::StatusOr<v1::ModelVersion> GetModelVersion(const v1::GetModelVersionRequest& req);
  absl::StatusOr<v1::ListModelVersionsResponse> ListModelVersions(const v1::ListModelVersionsRequest& req);

  // For RegisterRun (run_registry.h): everything CreateModelVersion checks
  // before writing (parent live, tree stored and registered, MLmodel valid),
  // returning the row to insert. Registering the tree is idempotent and may
  // happen even if the caller's write later fails. Does not audit failures.
  absl::StatusOr<ModelVersionRow> PrepareVersion(const CallContext& ctx, const v1::CreateModelVersionRequest& req);
  // The API resource of a stored version (with its aliases).
  absl::StatusOr<v1::ModelVersion> VersionResource(const ModelVersionRow& row);

 private:
  absl::StatusOr<v1::ModelVersion> DoCreateModelVersion(const CallContext& ctx,
                                                        const v1::CreateModelVersionRequest& req,
                                                        std::optional<std::string> manifest, std::string* resource);
  // PrepareVersion; with `manifest`, the tree is checked from it and, when
  // not registered yet, left in *to_register for the version's write.
  absl::StatusOr<ModelVersionRow> PrepareVersionOf(const CallContext& ctx, const v1::CreateModelVersionRequest& req,
                                                   std::optional<std::string> manifest,
                                                   std::optional<TreeToRegister>* to_register);
  // A stored tree's entries, registering it first when it is not (CreateTree).
  absl::StatusOr<std::vector<TreeEntry>> RegisteredTreeEntries(const CallContext& ctx, const Digest& tree);
  // The row of a new version of a checked tree: its MLmodel read and
  // validated (INVALID_ARGUMENT INVALID_MLMODEL).
  absl::StatusOr<ModelVersionRow> VersionRowOf(const v1::CreateModelVersionRequest& req, const std::string& model_id,
                                               const Digest& tree, const std::vector<TreeEntry>& entries);
  // OK, or INVALID_ARGUMENT (INVALID_MLMODEL) with one field violation per problem.
  static absl::Status MlmodelStatus(const mlmodel::Report& report);
  absl::StatusOr<v1::RegisteredModel> DoCreateRegisteredModel(const CallContext& ctx,
                                                              const v1::CreateRegisteredModelRequest& req,
                                                              std::string* resource);
  absl::StatusOr<v1::RegisteredModel> ModelWithAliases(const RegisteredModelRow& row);
  absl::StatusOr<v1::ModelVersion> VersionWithAliases(const ModelVersionRow& row);
  absl::StatusOr<int> PageSize(int requested) const;

  Store* store_;
  ModelStore* models_;
  RunStore* runs_;
  ContentStore* cas_;
  const mlmodel::Validator* validator_;
  std::string token_key_;
  std::function<int64_t()> now_;
  ModelRegistryLimits limits_;
  // MLmodels that validated, by digest and tree paths (VersionRowOf).
  MlmodelCache validated_;
};

}  // namespace fairtrace
