// The SQLite AnnotationStore (annotation_store.h): annotation sets, their
// annotations and agreement reports. Borrows the database, which must
// outlive it. Thread-safe. See registry/store/annotation_store.h for the
// contract of each method.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry/store/annotation_store.h"
#include "registry/store/sqlite/sqlite_database.h"

namespace fairtrace {

class SqliteAnnotationStore final : public AnnotationStore {
 public:
  explicit SqliteAnnotationStore(SqliteDatabase* db) : db_(db) {}

  absl::Status InsertSet(const AnnotationSetRow& row, const std::vector<AnnotationRow>& annotations,
                         const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                         const AuditEntry& audit) override;
  absl::StatusOr<std::optional<AnnotationSetRow>> GetSet(const std::string& dataset_id, int64_t version,
                                                         const std::string& set_id) override;
  absl::StatusOr<std::vector<AnnotationSetRow>> ListSets(const std::string& dataset_id, int64_t version,
                                                         const std::string& after_id, int limit) override;
  absl::StatusOr<std::vector<AnnotationRow>> ListAnnotations(const std::string& set_uid, const ParsedFilter& filter,
                                                             int64_t after_seq, int limit) override;
  absl::StatusOr<std::vector<AnnotationRow>> AllAnnotations(const std::string& set_uid) override;
  absl::Status InsertReport(const AgreementReportRow& row, const std::vector<EdgeRow>& edges,
                            const RequestKey& request_id, const AuditEntry& audit) override;
  absl::StatusOr<std::optional<AgreementReportRow>> GetReport(const std::string& dataset_id, int64_t version,
                                                              const std::string& report_id) override;

 private:
  SqliteDatabase* db_;
};

}  // namespace fairtrace
