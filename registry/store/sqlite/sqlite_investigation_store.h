// The SQLite InvestigationStore (investigation_store.h): MIAPPE revisions and entities.
// Borrows the database, which must outlive it. Thread-safe. See
// registry/store/investigation_store.h for the contract of each method.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry/store/investigation_store.h"
#include "registry/store/sqlite/sqlite_database.h"

namespace fairtrace {

class SqliteInvestigationStore final : public InvestigationStore {
 public:
  explicit SqliteInvestigationStore(SqliteDatabase* db) : db_(db) {}

  absl::StatusOr<RevisionRow> InsertRevision(const RevisionRow& revision, const std::string& new_uid,
                                             const std::string& project, int64_t expected_latest,
                                             const std::vector<EntityRow>& entities, const RequestKey& request_id,
                                             const AuditEntry& audit) override;
  absl::StatusOr<std::optional<InvestigationRow>> GetInvestigation(const std::string& investigation_id) override;
  absl::StatusOr<std::vector<InvestigationRow>> ListInvestigations(const std::string& after_id, int limit,
                                                                   const ProjectScope& scope) override;
  absl::StatusOr<std::optional<RevisionRow>> GetRevision(const std::string& investigation_id,
                                                         int64_t revision) override;
  absl::StatusOr<std::optional<EntityRow>> GetEntity(const std::string& investigation_id, int64_t revision,
                                                     const std::string& section, const std::string& entity_id) override;
  absl::StatusOr<std::vector<EntityRow>> ListEntities(const std::string& investigation_id, int64_t revision,
                                                      const std::string& section, int64_t after_seq,
                                                      int limit) override;

 private:
  SqliteDatabase* db_;
};

}  // namespace fairtrace
