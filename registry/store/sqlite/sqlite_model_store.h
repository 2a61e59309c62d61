// The SQLite ModelStore (model_store.h): registered models, versions, aliases.
// Borrows the database, which must outlive it. Thread-safe. See
// registry/store/model_store.h for the contract of each method.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry/store/model_store.h"
#include "registry/store/sqlite/sqlite_database.h"

namespace fairtrace {

class SqliteModelStore final : public ModelStore {
 public:
  explicit SqliteModelStore(SqliteDatabase* db) : db_(db) {}

  absl::StatusOr<std::optional<RequestIdRow>> LookupRequestId(const RequestKey& key) override {
    return db_->LookupRequestId(key);
  }
  absl::Status InsertRegisteredModel(const RegisteredModelRow& row, const RequestKey& request_id,
                                     const AuditEntry& audit) override;
  absl::StatusOr<std::optional<RegisteredModelRow>> GetRegisteredModel(const std::string& model_id) override;
  absl::StatusOr<std::optional<std::string>> FindModelByMlflowName(const std::string& name) override;
  absl::StatusOr<std::vector<RegisteredModelRow>> ListRegisteredModels(const std::string& after_model_id, int limit,
                                                                       bool show_deleted,
                                                                       const ProjectScope& scope) override;
  absl::StatusOr<RegisteredModelRow> SoftDeleteRegisteredModel(const std::string& model_id, int64_t expected_revision,
                                                               bool force, int64_t now,
                                                               const AuditEntry& audit) override;
  absl::StatusOr<ModelVersionRow> InsertModelVersion(const ModelVersionRow& row, const RequestKey& request_id,
                                                     const AuditEntry& audit,
                                                     const TreeToRegister* tree = nullptr) override;
  absl::StatusOr<std::optional<ModelVersionRow>> GetModelVersion(const std::string& model_id, int64_t version) override;
  absl::StatusOr<std::vector<ModelVersionRow>> ListModelVersions(const std::string& model_id,
                                                                 const ParsedFilter& filter, int64_t after_version,
                                                                 int limit, bool show_deleted) override;
  absl::StatusOr<ModelVersionRow> SoftDeleteModelVersion(const std::string& model_id, int64_t version,
                                                         int64_t expected_revision, int64_t now,
                                                         const AuditEntry& audit) override;
  absl::StatusOr<std::string> GetOrCreateSecret(const std::string& name,
                                                const std::function<std::string()>& make) override {
    return db_->GetOrCreateSecret(name, make);
  }
  absl::StatusOr<RegisteredModelRow> UpdateRegisteredModel(const RegisteredModelRow& row, int64_t expected_revision,
                                                           int64_t now, const AuditEntry& audit) override;
  absl::StatusOr<ModelVersionRow> UpdateModelVersion(const ModelVersionRow& row, int64_t expected_revision, int64_t now,
                                                     const AuditEntry& audit) override;
  absl::StatusOr<RegisteredModelRow> SetAlias(const std::string& model_id, const std::string& alias, int64_t version,
                                              int64_t now, const AuditEntry& audit) override;
  absl::StatusOr<RegisteredModelRow> DeleteAlias(const std::string& model_id, const std::string& alias, int64_t now,
                                                 const AuditEntry& audit) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ListAliases(const std::string& model_id) override;

  // Inserts a model version (next number) with its lineage edges inside
  // the writer's open transaction (a WriteWithAudit function); fills
  // out->version. Also used by SqliteRunStore::InsertRun.
  absl::Status InsertModelVersionInTxn(sqlite::Db* db, ModelVersionRow* out, const RequestKey& request_id,
                                       AuditEntry& audit);

 private:
  SqliteDatabase* db_;
};

}  // namespace fairtrace
