// SqliteStore's AnnotationStore half. Bound parameters only; a set with its
// annotations (or a report) and its lineage edges are written in one
// transaction with the audit record.
#include "registry/store/sqlite/sqlite_annotation_store.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/store/sqlite/filter_sql.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

constexpr char kSetColumns[] =
    "dataset_id, version, set_id, uid, version_uid, digest, annotator, task, format, source_digest, source_size, "
    "meta_json, annotation_count, item_count, created_by, create_time";
constexpr char kAnnotationColumns[] =
    "seq, path, source_id, category_id, value, bbox_x, bbox_y, bbox_w, bbox_h, geometry_json, mask_digest";
constexpr char kReportColumns[] =
    "dataset_id, version, report_id, uid, task, sets_json, document_digest, document_size, overall_json, "
    "created_by, create_time";

AnnotationSetRow SetFrom(Stmt* q) {
  AnnotationSetRow r;
  r.dataset_id = q->Text(0);
  r.version = q->Int(1);
  r.set_id = q->Text(2);
  r.uid = q->Text(3);
  r.version_uid = q->Text(4);
  r.digest = q->Text(5);
  r.annotator = q->Text(6);
  r.task = q->Text(7);
  r.format = q->Text(8);
  r.source_digest = q->Text(9);
  r.source_size = q->Int(10);
  r.meta_json = q->Text(11);
  r.annotation_count = q->Int(12);
  r.item_count = q->Int(13);
  r.created_by = q->Text(14);
  r.create_time = q->Int(15);
  return r;
}

AnnotationRow AnnotationFrom(Stmt* q) {
  AnnotationRow r;
  r.seq = q->Int(0);
  r.path = q->Text(1);
  r.source_id = q->Int(2);
  r.category_id = q->Int(3);
  r.value = q->Double(4);
  for (int i = 0; i < 4; ++i) r.bbox[i] = q->Double(5 + i);
  r.geometry_json = q->Text(9);
  r.mask_digest = q->Text(10);
  return r;
}

AgreementReportRow ReportFrom(Stmt* q) {
  AgreementReportRow r;
  r.dataset_id = q->Text(0);
  r.version = q->Int(1);
  r.report_id = q->Text(2);
  r.uid = q->Text(3);
  r.task = q->Text(4);
  r.sets_json = q->Text(5);
  r.document_digest = q->Text(6);
  r.document_size = q->Int(7);
  r.overall_json = q->Text(8);
  r.created_by = q->Text(9);
  r.create_time = q->Int(10);
  return r;
}

std::string VersionName(const std::string& dataset_id, int64_t version) {
  return absl::StrCat("datasets/", dataset_id, "/versions/", version);
}

absl::StatusOr<bool> Exists(Db* db, const char* sql, const std::string& dataset_id, int64_t version,
                            const std::string& id) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(sql));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, dataset_id).Bind(2, version).Bind(3, id).Step());
  q->Reset();
  return row;
}

std::vector<EdgeRow> Named(std::vector<EdgeRow> edges, const std::string& name) {
  for (EdgeRow& e : edges) {
    if (e.subject.empty()) e.subject = name;
  }
  return edges;
}

const std::vector<sqlite::SqlColumn>& AnnotationFilterColumns() {
  static const std::vector<sqlite::SqlColumn>* kColumns = new std::vector<sqlite::SqlColumn>{
      {"path", "path"},
      {"category_id", "category_id"},
  };
  return *kColumns;
}

}  // namespace

absl::Status SqliteAnnotationStore::InsertSet(const AnnotationSetRow& row,
                                              const std::vector<AnnotationRow>& annotations,
                                              const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                                              const AuditEntry& audit) {
  const std::string name = absl::StrCat(VersionName(row.dataset_id, row.version), "/annotationSets/", row.set_id);
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    FT_ASSIGN_OR_RETURN(bool taken,
                        Exists(db, "SELECT 1 FROM annotation_sets WHERE dataset_id = ? AND version = ? AND set_id = ?",
                               row.dataset_id, row.version, row.set_id));
    if (taken) {
      return ErrorBuilder(absl::StatusCode::kAlreadyExists, absl::StrCat(name, " exists"))
          .Reason("ANNOTATION_SET_EXISTS")
          .Resource("fairtrace.v1.AnnotationSet", name);
    }
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO annotation_sets (", kSetColumns,
                                                             ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")));
    FT_RETURN_IF_ERROR(ins->Bind(1, row.dataset_id)
                           .Bind(2, row.version)
                           .Bind(3, row.set_id)
                           .Bind(4, row.uid)
                           .Bind(5, row.version_uid)
                           .Bind(6, row.digest)
                           .Bind(7, row.annotator)
                           .Bind(8, row.task)
                           .Bind(9, row.format)
                           .Bind(10, row.source_digest)
                           .Bind(11, row.source_size)
                           .Bind(12, row.meta_json)
                           .Bind(13, row.annotation_count)
                           .Bind(14, row.item_count)
                           .Bind(15, row.created_by)
                           .Bind(16, row.create_time)
                           .Run());
    FT_ASSIGN_OR_RETURN(Stmt * one, db->Prepare(absl::StrCat("INSERT INTO annotations (set_uid, ", kAnnotationColumns,
                                                             ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")));
    for (const AnnotationRow& r : annotations) {
      FT_RETURN_IF_ERROR(one->Bind(1, row.uid)
                             .Bind(2, r.seq)
                             .Bind(3, r.path)
                             .Bind(4, r.source_id)
                             .Bind(5, r.category_id)
                             .BindDouble(6, r.value)
                             .BindDouble(7, r.bbox[0])
                             .BindDouble(8, r.bbox[1])
                             .BindDouble(9, r.bbox[2])
                             .BindDouble(10, r.bbox[3])
                             .Bind(11, r.geometry_json)
                             .Bind(12, r.mask_digest)
                             .Run());
    }
    return db_->InsertEdgesInTxn(db, Named(edges, name), row.create_time, name);
  });
}

absl::StatusOr<std::optional<AnnotationSetRow>> SqliteAnnotationStore::GetSet(const std::string& dataset_id,
                                                                              int64_t version,
                                                                              const std::string& set_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kSetColumns,
                                                         " FROM annotation_sets WHERE dataset_id = ? AND version = ? "
                                                         "AND set_id = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, dataset_id).Bind(2, version).Bind(3, set_id).Step());
  if (!row) return std::nullopt;
  AnnotationSetRow out = SetFrom(q);
  q->Reset();
  return out;
}

absl::StatusOr<std::vector<AnnotationSetRow>> SqliteAnnotationStore::ListSets(const std::string& dataset_id,
                                                                              int64_t version,
                                                                              const std::string& after_id, int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kSetColumns,
                                                         " FROM annotation_sets WHERE dataset_id = ? AND version = ? "
                                                         "AND set_id > ? ORDER BY set_id LIMIT ?")));
  q->Bind(1, dataset_id).Bind(2, version).Bind(3, after_id).Bind(4, int64_t{limit});
  return sqlite::CollectRows<AnnotationSetRow>(q, SetFrom);
}

absl::StatusOr<std::vector<AnnotationRow>> SqliteAnnotationStore::ListAnnotations(const std::string& set_uid,
                                                                                  const ParsedFilter& filter,
                                                                                  int64_t after_seq, int limit) {
  FT_ASSIGN_OR_RETURN(sqlite::SqlFilter where, sqlite::CompileFilter(filter, AnnotationFilterColumns(), set_uid));
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kAnnotationColumns,
                                                         " FROM annotations WHERE set_uid = ? AND seq > ? AND (",
                                                         where.where, ") ORDER BY seq LIMIT ?")));
  q->Bind(1, set_uid).Bind(2, after_seq);
  int next = where.BindTo(q, 3);
  q->Bind(next, int64_t{limit});
  return sqlite::CollectRows<AnnotationRow>(q, AnnotationFrom);
}

absl::StatusOr<std::vector<AnnotationRow>> SqliteAnnotationStore::AllAnnotations(const std::string& set_uid) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kAnnotationColumns,
                                                         " FROM annotations WHERE set_uid = ? ORDER BY seq")));
  q->Bind(1, set_uid);
  return sqlite::CollectRows<AnnotationRow>(q, AnnotationFrom);
}

absl::Status SqliteAnnotationStore::InsertReport(const AgreementReportRow& row, const std::vector<EdgeRow>& edges,
                                                 const RequestKey& request_id, const AuditEntry& audit) {
  const std::string name = absl::StrCat(VersionName(row.dataset_id, row.version), "/agreementReports/", row.report_id);
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    a.resource = name;
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    FT_ASSIGN_OR_RETURN(
        bool taken, Exists(db, "SELECT 1 FROM agreement_reports WHERE dataset_id = ? AND version = ? AND report_id = ?",
                           row.dataset_id, row.version, row.report_id));
    if (taken) {
      return ErrorBuilder(absl::StatusCode::kAlreadyExists, absl::StrCat(name, " exists"))
          .Reason("REPORT_EXISTS")
          .Resource("fairtrace.v1.AgreementReport", name);
    }
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO agreement_reports (", kReportColumns,
                                                             ") VALUES (?,?,?,?,?,?,?,?,?,?,?)")));
    FT_RETURN_IF_ERROR(ins->Bind(1, row.dataset_id)
                           .Bind(2, row.version)
                           .Bind(3, row.report_id)
                           .Bind(4, row.uid)
                           .Bind(5, row.task)
                           .Bind(6, row.sets_json)
                           .Bind(7, row.document_digest)
                           .Bind(8, row.document_size)
                           .Bind(9, row.overall_json)
                           .Bind(10, row.created_by)
                           .Bind(11, row.create_time)
                           .Run());
    return db_->InsertEdgesInTxn(db, Named(edges, name), row.create_time, name);
  });
}

absl::StatusOr<std::optional<AgreementReportRow>> SqliteAnnotationStore::GetReport(const std::string& dataset_id,
                                                                                   int64_t version,
                                                                                   const std::string& report_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kReportColumns,
                                                         " FROM agreement_reports WHERE dataset_id = ? AND version = ? "
                                                         "AND report_id = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, dataset_id).Bind(2, version).Bind(3, report_id).Step());
  if (!row) return std::nullopt;
  AgreementReportRow out = ReportFrom(q);
  q->Reset();
  return out;
}

}  // namespace fairtrace
