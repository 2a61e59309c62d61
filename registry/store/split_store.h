// SplitStore: splits of dataset versions, their item assignments and
// leakage reports (docs/splits.md). Implemented by SqliteSplitStore
// (sqlite/sqlite_split_store.h).
//
// Contract: InsertSplit and InsertReport write the row (with a split's
// assignments), the lineage edges, the request id and the audit record in
// one transaction, or nothing. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"
#include "registry/store/model_store.h"
#include "registry/store/run_store.h"

namespace fairtrace {

struct SplitRow {
  std::string dataset_id;
  int64_t version = 0;
  std::string split_id, uid, version_uid, digest, method;
  std::string params_json = "{}", parts_json = "[]";
  std::string created_by;
  int64_t create_time = 0;
};

struct SplitAssignment {
  std::string part, path;
};

struct LeakageReportRow {
  std::string split_uid, report_id, uid, split_name;
  bool leakage_found = false;
  std::string document_digest;
  int64_t document_size = 0;
  std::string findings_json = "[]";
  std::string created_by;
  int64_t create_time = 0;
};

// A blob's perceptual hash, or why its image was refused.
struct PerceptualHashRow {
  std::string blob, dhash, error;
};

class SplitStore {
 public:
  virtual ~SplitStore() = default;

  // ALREADY_EXISTS (SPLIT_EXISTS, or REQUEST_ID_USED). Edges with subject
  // "" stand for the split's name.
  virtual absl::Status InsertSplit(const SplitRow& row, const std::vector<SplitAssignment>& items,
                                   const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                                   const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<SplitRow>> GetSplit(const std::string& dataset_id, int64_t version,
                                                           const std::string& split_id) = 0;
  virtual absl::StatusOr<std::vector<SplitRow>> ListSplits(const std::string& dataset_id, int64_t version,
                                                           const std::string& after_id, int limit) = 0;
  // The paths of one part after `after_path`, by path.
  virtual absl::StatusOr<std::vector<std::string>> PartPaths(const std::string& split_uid, const std::string& part,
                                                             const std::string& after_path, int limit) = 0;
  // Every assignment of the split, by part then path.
  virtual absl::StatusOr<std::vector<SplitAssignment>> Assignments(const std::string& split_uid) = 0;

  // ALREADY_EXISTS (REPORT_EXISTS, or REQUEST_ID_USED). Edges with subject
  // "" stand for `name`.
  virtual absl::Status InsertReport(const LeakageReportRow& row, const std::string& name,
                                    const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                                    const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<LeakageReportRow>> GetReport(const std::string& split_uid,
                                                                    const std::string& report_id) = 0;

  // The cached perceptual hashes of the blobs (sha256 hex) that have one.
  virtual absl::StatusOr<std::vector<PerceptualHashRow>> GetHashes(const std::vector<std::string>& blobs) = 0;
  // Caches hashes (a blob already cached keeps its row).
  virtual absl::Status PutHashes(const std::vector<PerceptualHashRow>& rows, const AuditEntry& audit) = 0;
};

}  // namespace fairtrace
