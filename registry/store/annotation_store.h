// AnnotationStore: annotation sets on dataset versions, their parsed
// annotations, and agreement reports (docs/annotations.md). Implemented by
// SqliteAnnotationStore (sqlite/sqlite_annotation_store.h).
//
// Contract: InsertSet and InsertReport write the row, its annotations (for
// a set), the lineage edges, the request id and the audit record in one
// transaction, or nothing. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"
#include "common/query/filter.h"
#include "registry/store/model_store.h"
#include "registry/store/run_store.h"

namespace fairtrace {

struct AnnotationSetRow {
  std::string dataset_id;
  int64_t version = 0;
  std::string set_id, uid, version_uid, digest;
  std::string annotator, task, format;
  std::string source_digest;
  int64_t source_size = 0;
  std::string meta_json = "{}";
  int64_t annotation_count = 0, item_count = 0;
  std::string created_by;
  int64_t create_time = 0;
};

struct AnnotationRow {
  int64_t seq = 0;
  std::string path;
  int64_t source_id = 0, category_id = -1;
  double value = 0;
  double bbox[4] = {0, 0, 0, 0};
  std::string geometry_json, mask_digest;
};

struct AgreementReportRow {
  std::string dataset_id;
  int64_t version = 0;
  std::string report_id, uid, task;
  std::string sets_json = "[]";
  std::string document_digest;
  int64_t document_size = 0;
  std::string overall_json = "[]";
  std::string created_by;
  int64_t create_time = 0;
};

class AnnotationStore {
 public:
  virtual ~AnnotationStore() = default;

  // ALREADY_EXISTS (ANNOTATION_SET_EXISTS, or REQUEST_ID_USED). Edges with
  // subject "" stand for the set's name.
  virtual absl::Status InsertSet(const AnnotationSetRow& row, const std::vector<AnnotationRow>& annotations,
                                 const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                                 const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<AnnotationSetRow>> GetSet(const std::string& dataset_id, int64_t version,
                                                                 const std::string& set_id) = 0;
  virtual absl::StatusOr<std::vector<AnnotationSetRow>> ListSets(const std::string& dataset_id, int64_t version,
                                                                 const std::string& after_id, int limit) = 0;
  // Annotations of the set after `after_seq`, in seq order, matching
  // `filter` (path, category_id; docs/annotations.md).
  virtual absl::StatusOr<std::vector<AnnotationRow>> ListAnnotations(const std::string& set_uid,
                                                                     const ParsedFilter& filter, int64_t after_seq,
                                                                     int limit) = 0;
  virtual absl::StatusOr<std::vector<AnnotationRow>> AllAnnotations(const std::string& set_uid) = 0;

  // ALREADY_EXISTS (REPORT_EXISTS, or REQUEST_ID_USED). Edges with subject
  // "" stand for the report's name.
  virtual absl::Status InsertReport(const AgreementReportRow& row, const std::vector<EdgeRow>& edges,
                                    const RequestKey& request_id, const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<AgreementReportRow>> GetReport(const std::string& dataset_id, int64_t version,
                                                                      const std::string& report_id) = 0;
};

}  // namespace fairtrace
