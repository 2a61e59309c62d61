// InvestigationStore: MIAPPE investigations as immutable revisions with their
// entities. Implemented by SqliteInvestigationStore (sqlite/sqlite_investigation_store.h).
//
// Contract: InsertRevision writes the revision, all its entities, the
// request id row and the audit record in one transaction, or nothing.
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"
#include "registry/store/model_store.h"
#include "registry/store/project_scope.h"

namespace fairtrace {

struct InvestigationRow {
  std::string investigation_id, uid;
  int64_t latest_revision = 0;
  int64_t create_time = 0, update_time = 0;
  std::string project = "default";  // set at creation, never changed
};

struct RevisionRow {
  std::string investigation_id;
  int64_t revision = 0;
  std::string digest;  // SHA-256 hex of the canonical JSON
  std::string profile, validator_version, title;
  int64_t study_count = 0, entity_count = 0;
  std::string report_json;
  int64_t create_time = 0;
};

struct EntityRow {
  int64_t seq = 0;  // sheet order within the revision
  std::string section, entity_id, record_json, location;
};

class InvestigationStore {
 public:
  virtual ~InvestigationStore() = default;

  // Creates the investigation (revision 1, with `new_uid`) when absent, else
  // appends revision latest + 1. `expected_latest` (0: any) must equal the
  // current latest revision (ABORTED, ETAG_MISMATCH). Returns the stored
  // revision (with its number). ALREADY_EXISTS (REQUEST_ID_USED). A new
  // investigation is created in `project`; an existing one must be in it
  // (FAILED_PRECONDITION, PROJECT_MISMATCH).
  virtual absl::StatusOr<RevisionRow> InsertRevision(const RevisionRow& revision, const std::string& new_uid,
                                                     const std::string& project, int64_t expected_latest,
                                                     const std::vector<EntityRow>& entities,
                                                     const RequestKey& request_id, const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<InvestigationRow>> GetInvestigation(const std::string& investigation_id) = 0;
  // Ordered by id, after `after_id`, in `scope`'s projects.
  virtual absl::StatusOr<std::vector<InvestigationRow>> ListInvestigations(const std::string& after_id, int limit,
                                                                           const ProjectScope& scope) = 0;
  virtual absl::StatusOr<std::optional<RevisionRow>> GetRevision(const std::string& investigation_id,
                                                                 int64_t revision) = 0;
  // The first entity (lowest seq) of `section` with `entity_id`.
  virtual absl::StatusOr<std::optional<EntityRow>> GetEntity(const std::string& investigation_id, int64_t revision,
                                                             const std::string& section,
                                                             const std::string& entity_id) = 0;
  // Entities of `section` after `after_seq`, in sheet order.
  virtual absl::StatusOr<std::vector<EntityRow>> ListEntities(const std::string& investigation_id, int64_t revision,
                                                              const std::string& section, int64_t after_seq,
                                                              int limit) = 0;
};

}  // namespace fairtrace
