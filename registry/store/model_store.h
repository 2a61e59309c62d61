// ModelStore: rows of the model registry (registered models, versions,
// request ids, server secrets). Implemented by SqliteModelStore
// (sqlite/sqlite_model_store.h); a PostgreSQL backend will follow.
//
// Contract: every mutating call runs in one transaction together with its
// audit record and, when given, its request_id row. Conditional writes take
// an expected revision (0 = unconditional) and return ABORTED when the row
// has moved on (the etag of the API). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"
#include "common/content/digest.h"
#include "common/query/filter.h"
#include "registry/store/project_scope.h"
#include "registry/store/store.h"

namespace fairtrace {

struct RegisteredModelRow {
  std::string model_id;
  std::string uid;
  std::string description, owner, license;
  std::string tags_json = "{}";
  int64_t create_time = 0, update_time = 0;
  std::optional<int64_t> delete_time;
  int64_t revision = 1;
  int64_t version_count = 0;        // versions created so far
  std::string project = "default";  // set at creation, never changed
};

// A client's request id, scoped to who sent it, with the digest of what was
// asked (the request's deterministic serialization with request_id and etag
// cleared): a retry with the same id and the same body replays the first
// result; the same id with another body is REQUEST_ID_CONFLICT.
struct RequestKey {
  std::string id;           // empty: the call has no request id
  std::string principal;    // ids are scoped per principal
  std::string body_sha256;  // "" only for keys made without a request body (tests)
  RequestKey() = default;
  RequestKey(std::string request_id) : id(std::move(request_id)) {}  // NOLINT: a bare id, unscoped
  RequestKey(const char* request_id) : id(request_id) {}             // NOLINT
  bool empty() const { return id.empty(); }
};

struct RequestIdRow {
  std::string method;
  std::string resource;
  // "" for rows stored before request bodies were recorded: they match any body.
  std::string body_sha256;
};

struct ModelVersionRow {
  std::string model_id;
  int64_t version = 0;
  std::string uid;
  Digest tree;
  std::string mlmodel_json;
  std::string source_run, description;
  std::string tags_json = "{}";
  int64_t create_time = 0, update_time = 0;
  int64_t revision = 1;
  std::string stage = "NONE";          // NONE, STAGING, PRODUCTION, ARCHIVED
  std::optional<int64_t> delete_time;  // set once soft-deleted
};

class ModelStore {
 public:
  virtual ~ModelStore() = default;

  // The call (full method name), resource and request digest a request id
  // was used for by key.principal (or by anyone, for rows stored before ids
  // were scoped), if it was used before.
  virtual absl::StatusOr<std::optional<RequestIdRow>> LookupRequestId(const RequestKey& key) = 0;

  // ALREADY_EXISTS (reason MODEL_EXISTS) when the id is taken, deleted or
  // not; ALREADY_EXISTS (reason REQUEST_ID_USED) when request_id was used.
  virtual absl::Status InsertRegisteredModel(const RegisteredModelRow& row, const RequestKey& request_id,
                                             const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<RegisteredModelRow>> GetRegisteredModel(const std::string& model_id) = 0;
  // The model not deleted whose tag "mlflow.name" is `name` (MLflow's
  // display name, migration 0022), if any.
  virtual absl::StatusOr<std::optional<std::string>> FindModelByMlflowName(const std::string& name) = 0;
  // Ordered by model_id, after `after_model_id`, in `scope`'s projects.
  virtual absl::StatusOr<std::vector<RegisteredModelRow>> ListRegisteredModels(const std::string& after_model_id,
                                                                               int limit, bool show_deleted,
                                                                               const ProjectScope& scope) = 0;
  // Sets delete_time. NOT_FOUND when absent or already deleted; ABORTED on
  // revision mismatch; FAILED_PRECONDITION (reason MODEL_HAS_VERSIONS) when
  // it has versions not deleted and !force.
  virtual absl::StatusOr<RegisteredModelRow> SoftDeleteRegisteredModel(const std::string& model_id,
                                                                       int64_t expected_revision, bool force,
                                                                       int64_t now, const AuditEntry& audit) = 0;

  // Assigns the next version number of a live model and inserts the row
  // with its lineage edges (wasDerivedFrom its tree; wasGeneratedBy its
  // source run). NOT_FOUND when the model is absent or deleted;
  // FAILED_PRECONDITION when the tree is not registered (TREE_NOT_REGISTERED)
  // or the source run does not exist (RUN_NOT_FOUND); ALREADY_EXISTS
  // (REQUEST_ID_USED).
  // `tree` (its digest must be row.tree): registered in the same
  // transaction when it is not yet (Store::CommitTree with its manifest
  // kept), with an audit record of its own after the version's.
  virtual absl::StatusOr<ModelVersionRow> InsertModelVersion(const ModelVersionRow& row, const RequestKey& request_id,
                                                             const AuditEntry& audit,
                                                             const TreeToRegister* tree = nullptr) = 0;
  // The version's row, deleted or not (see delete_time).
  virtual absl::StatusOr<std::optional<ModelVersionRow>> GetModelVersion(const std::string& model_id,
                                                                         int64_t version) = 0;
  // Ordered by version, after `after_version`, matching `filter` (fields:
  // version, stage, source_run, create_time, update_time, mlmodel.flavor,
  // mlmodel.mlflow_version, tags.<key>); deleted versions only when
  // `show_deleted`.
  virtual absl::StatusOr<std::vector<ModelVersionRow>> ListModelVersions(const std::string& model_id,
                                                                         const ParsedFilter& filter,
                                                                         int64_t after_version, int limit,
                                                                         bool show_deleted) = 0;
  // Sets the version's delete_time and bumps its revision; removes the
  // aliases that pointed at it (each named in the audit's also_changed,
  // "models/{model}/aliases/{alias}") and bumps the model's revision. The
  // row, its tree, tags and lineage stay; the number is never reused.
  // NOT_FOUND when the model is absent or deleted (MODEL_NOT_FOUND) or the
  // version absent or deleted already (MODEL_VERSION_NOT_FOUND); ABORTED
  // (ETAG_MISMATCH) when expected_revision is not 0 and not the version's.
  virtual absl::StatusOr<ModelVersionRow> SoftDeleteModelVersion(const std::string& model_id, int64_t version,
                                                                 int64_t expected_revision, int64_t now,
                                                                 const AuditEntry& audit) = 0;

  // Replaces description, owner, license and tags of a live model from
  // `row` and bumps its revision. NOT_FOUND; ABORTED on revision mismatch.
  virtual absl::StatusOr<RegisteredModelRow> UpdateRegisteredModel(const RegisteredModelRow& row,
                                                                   int64_t expected_revision, int64_t now,
                                                                   const AuditEntry& audit) = 0;
  // Replaces description, tags and stage of a version from `row`.
  // NOT_FOUND when the version is absent or deleted.
  virtual absl::StatusOr<ModelVersionRow> UpdateModelVersion(const ModelVersionRow& row, int64_t expected_revision,
                                                             int64_t now, const AuditEntry& audit) = 0;
  // Points `alias` at `version` of a live model (moving it) and bumps the
  // model's revision. NOT_FOUND for an absent model or an absent or
  // deleted version.
  virtual absl::StatusOr<RegisteredModelRow> SetAlias(const std::string& model_id, const std::string& alias,
                                                      int64_t version, int64_t now, const AuditEntry& audit) = 0;
  // NOT_FOUND (reason ALIAS_NOT_FOUND) when the alias does not exist.
  virtual absl::StatusOr<RegisteredModelRow> DeleteAlias(const std::string& model_id, const std::string& alias,
                                                         int64_t now, const AuditEntry& audit) = 0;
  // (alias, version) pairs of a model, by alias.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ListAliases(const std::string& model_id) = 0;

  // A named server secret, created with `make` on first use (atomically).
  virtual absl::StatusOr<std::string> GetOrCreateSecret(const std::string& name,
                                                        const std::function<std::string()>& make) = 0;
};

}  // namespace fairtrace
