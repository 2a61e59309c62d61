// ExperimentStore: MLflow experiments as fairtrace resources,
// "experiments/{experiment_id}" (docs/mlflow-door.md). Implemented by
// SqliteExperimentStore (sqlite/sqlite_experiment_store.h).
//
// Contract: each write stores its row and its audit record in one
// transaction, or nothing. Names are unique among active experiments
// (ALREADY_EXISTS, EXPERIMENT_EXISTS); a deleted experiment keeps its row
// and frees its name. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"
#include "registry/store/project_scope.h"

namespace fairtrace {

struct ExperimentRow {
  int64_t experiment_id = -1;  // assigned by InsertExperiment unless >= 0
  std::string uid;
  std::string name;
  std::string artifact_location;
  std::string lifecycle_stage = "active";  // active, deleted
  std::string tags_json = "{}";
  int64_t create_time = 0, update_time = 0;
  std::string project = "default";
};

// What an experiment list is filtered and ordered by (the MLflow search
// subset docs/mlflow-door.md documents).
struct ExperimentQuery {
  enum class Stage { kActive, kDeleted, kAll };
  Stage stage = Stage::kActive;
  // SQLite GLOB pattern the name matches ("" = any; GLOB is case-sensitive,
  // as MLflow's LIKE is); case-insensitive compares ASCII-lowercased.
  std::string name_glob;
  bool name_glob_case_insensitive = false;
  std::vector<std::pair<std::string, std::string>> tags_equal;  // tag key = value, all of them
  // The order: terms applied in turn, then experiment_id descending unless
  // a term names it (MLflow's tie-breaker); none: by experiment_id.
  enum class OrderKey { kName, kExperimentId, kCreateTime, kUpdateTime };
  struct OrderTerm {
    OrderKey key = OrderKey::kExperimentId;
    bool ascending = true;
  };
  std::vector<OrderTerm> order;
  int64_t offset = 0;  // rows of that order skipped (a page's start)
  int limit = 100;
};

class ExperimentStore {
 public:
  virtual ~ExperimentStore() = default;
  // Stores `row`; an experiment_id < 0 gets the next free id (never 0, which
  // only the default experiment takes). Returns the stored row; the audit
  // record's resource names it. ALREADY_EXISTS (EXPERIMENT_EXISTS) for an
  // active name taken.
  virtual absl::StatusOr<ExperimentRow> InsertExperiment(ExperimentRow row, const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<ExperimentRow>> GetExperiment(int64_t experiment_id) = 0;
  // The active experiment of that name.
  virtual absl::StatusOr<std::optional<ExperimentRow>> GetActiveExperimentByName(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<ExperimentRow>> ListExperiments(const ExperimentQuery& query,
                                                                     const ProjectScope& scope) = 0;
  // Replaces name, lifecycle_stage and tags of the stored experiment
  // (NOT_FOUND, EXPERIMENT_NOT_FOUND; ALREADY_EXISTS, EXPERIMENT_EXISTS when
  // the name, active, is another's).
  virtual absl::StatusOr<ExperimentRow> UpdateExperiment(const ExperimentRow& row, const AuditEntry& audit) = 0;
};

}  // namespace fairtrace
