// RunStore: rows of runs, their params and metric history, and the lineage
// graph. Implemented by SqliteRunStore (sqlite/sqlite_run_store.h).
//
// Contract: every mutating call runs in one transaction with its audit
// record (and request id row, when given): all or nothing. Calls that change
// a run's contents (params, metrics, edges) require it to be RUNNING
// (FAILED_PRECONDITION, reason RUN_NOT_RUNNING, otherwise) and check this
// inside the transaction, so a concurrent finish cannot interleave.
// NOT_FOUND (RUN_NOT_FOUND) for an absent run. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"
#include "common/content/digest.h"
#include "common/query/filter.h"
#include "registry/store/model_store.h"
#include "registry/store/project_scope.h"

namespace fairtrace {

struct RunRow {
  std::string run_id;  // 32 hex
  std::string uid;
  std::string experiment;
  std::string kind = "TRAINING";   // TRAINING, EVALUATION, PREPROCESSING, ANNOTATION, IMPORT
  std::string status = "RUNNING";  // RUNNING, FINISHED, FAILED, KILLED
  std::string status_message;
  int64_t start_time = 0;
  std::optional<int64_t> end_time;
  std::string seeds_json = "[]";
  std::string code_json = "{}";
  std::string code_commit;
  std::string environment_json = "{}";
  std::string description;
  std::string tags_json = "{}";
  int64_t create_time = 0, update_time = 0;
  int64_t revision = 1;
  std::string project = "default";  // set at creation, never changed
};

struct MetricRow {
  std::string key;
  double value = 0;  // NaN and +/-inf kept
  int64_t step = 0;
  int64_t timestamp = 0;  // micros
  int64_t seq = 0;        // store order, assigned on insert
};

// One path of a run's artifact folder (MLflow's artifact proxy): the blob
// it holds, or, in a change, nullopt to delete it.
struct ArtifactRow {
  std::string path;  // relative, '/'-separated (core/artifact_path.h)
  std::optional<Digest> digest;
};

// One change of a run's artifact folder (migration 0021), as the history
// lists it: `digest` unset when it deleted `path`.
struct ArtifactChangeRow {
  int64_t seq = 0;
  ArtifactRow artifact;
  int64_t create_time = 0;
};

// subject --predicate--> object ("runs/r" used "trees/..."; an output
// wasGeneratedBy "runs/r").
struct EdgeRow {
  std::string subject, predicate, object, role;
  int depth = 0;  // filled by Lineage()
  // The resource whose call recorded the edge (its state document's
  // lineage chain holds it); filled by Lineage() and EdgesOf(), ignored on
  // insert (the writing call names it).
  std::string origin;
};

// Where a ListRuns page starts: after (create_time, run_id), descending.
struct RunCursor {
  int64_t create_time = 0;
  std::string run_id;
};

// Where a metric history page starts: after (step, timestamp, seq).
struct MetricCursor {
  int64_t step = 0, timestamp = 0, seq = 0;
};

// Everything one run write may carry; empty parts are skipped.
struct RunWrite {
  RunRow run;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<MetricRow> metrics;
  std::vector<EdgeRow> edges;
  // Created in the same transaction (RegisterRun); its source_run is set.
  std::optional<ModelVersionRow> model_version;
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  // Inserts the run with its params, metrics and edges (and model version),
  // all or nothing. ALREADY_EXISTS (REQUEST_ID_USED); for the model
  // version, the errors of ModelStore::InsertModelVersion. Returns the
  // model version as inserted (with its number) when one was given.
  virtual absl::StatusOr<std::optional<ModelVersionRow>> InsertRun(const RunWrite& write, const RequestKey& request_id,
                                                                   const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<RunRow>> GetRun(const std::string& run_id) = 0;
  // Newest first, after `cursor` (empty run_id: from the start), in
  // `scope`'s projects.
  virtual absl::StatusOr<std::vector<RunRow>> ListRuns(const ParsedFilter& filter, const RunCursor& cursor, int limit,
                                                       const ProjectScope& scope) = 0;
  // Replaces status, status_message, end_time, description and tags, and
  // adds `edges` (a leakage report output, when a run ends) in the same
  // transaction. ABORTED (ETAG_MISMATCH) when the revision moved on.
  virtual absl::StatusOr<RunRow> UpdateRun(const RunRow& row, int64_t expected_revision, int64_t now,
                                           const AuditEntry& audit, const std::vector<EdgeRow>& edges = {}) = 0;
  // Write-once params: same value again is a no-op; another value is
  // FAILED_PRECONDITION (PARAM_CHANGED) naming the key.
  virtual absl::Status LogParams(const std::string& run_id,
                                 const std::vector<std::pair<std::string, std::string>>& params,
                                 const AuditEntry& audit) = 0;
  virtual absl::Status LogMetrics(const std::string& run_id, const std::vector<MetricRow>& metrics,
                                  const AuditEntry& audit) = 0;
  virtual absl::Status AddEdges(const std::string& run_id, const std::vector<EdgeRow>& edges,
                                const AuditEntry& audit) = 0;
  // Changes paths of a RUNNING run's artifact folder, in order, in one
  // transaction (migration 0021: appended, never rewritten).
  virtual absl::Status RecordArtifacts(const std::string& run_id, const std::vector<ArtifactRow>& changes, int64_t now,
                                       const AuditEntry& audit) = 0;
  // The run's current artifact folder, by path.
  virtual absl::StatusOr<std::vector<ArtifactRow>> CurrentArtifacts(const std::string& run_id) = 0;
  // The run's artifact changes with seq > `after_seq`, oldest first, at
  // most `limit`.
  virtual absl::StatusOr<std::vector<ArtifactChangeRow>> ArtifactChanges(const std::string& run_id, int64_t after_seq,
                                                                         int limit) = 0;
  // MLflow's log-batch in one transaction: `params` as LogParams,
  // `metrics` as LogMetrics (both need a RUNNING run, when any), and, when
  // `tags` is set, the run's tags replaced by `tags->tags_json` (ABORTED,
  // ETAG_MISMATCH, when the run's revision is no longer
  // `tags->expected_revision`). All or nothing.
  struct TagsWrite {
    int64_t expected_revision = 0;
    std::string tags_json;
  };
  virtual absl::Status LogBatch(const std::string& run_id,
                                const std::vector<std::pair<std::string, std::string>>& params,
                                const std::vector<MetricRow>& metrics, const std::optional<TagsWrite>& tags,
                                int64_t now, const AuditEntry& audit) = 0;

  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> GetParams(const std::string& run_id) = 0;
  // The last point of each key (highest step, then timestamp, then seq).
  virtual absl::StatusOr<std::vector<MetricRow>> LatestMetrics(const std::string& run_id) = 0;
  virtual absl::StatusOr<std::vector<MetricRow>> MetricHistory(const std::string& run_id, const std::string& key,
                                                               const MetricCursor& after, int limit) = 0;
  // Edges touching `node` on either end (a run's inputs and outputs).
  virtual absl::StatusOr<std::vector<EdgeRow>> EdgesOf(const std::string& node) = 0;
  // Edges reachable from `node` upstream (following subject -> object) or
  // downstream (object -> subject), up to max_depth hops and `limit` edges,
  // in one recursive query; cycle-safe. Sets *truncated when a cap cut it.
  virtual absl::StatusOr<std::vector<EdgeRow>> Lineage(const std::string& node, bool upstream, int max_depth, int limit,
                                                       bool* truncated) = 0;
};

}  // namespace fairtrace
