// SqliteStore's DatasetStore half. Bound parameters only; a version, its
// items, links and lineage edges are written in one transaction with the
// audit record.
#include "registry/store/sqlite/sqlite_dataset_store.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/store/sqlite/filter_sql.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

constexpr char kDatasetColumns[] =
    "dataset_id, uid, datasheet_json, latest_version, revision, create_time, update_time, project";
constexpr char kVersionColumns[] =
    "dataset_id, version, uid, digest, tree_digest, tree_size, item_table_digest, item_table_size, "
    "investigation_revision, investigation_digest, item_count, linked_item_count, total_bytes, "
    "observation_unit_count, biological_material_count, sample_count, create_time";
constexpr char kItemColumns[] =
    "path, blob_digest, blob_size, media_type, acquired_at, sensor, view, station, attributes_json, links_json, "
    "item_digest";

DatasetRow DatasetFrom(Stmt* q) {
  return DatasetRow{q->Text(0), q->Text(1), q->Text(2), q->Int(3), q->Int(4), q->Int(5), q->Int(6), q->Text(7)};
}

DatasetVersionRow VersionFrom(Stmt* q) {
  DatasetVersionRow v;
  v.dataset_id = q->Text(0);
  v.version = q->Int(1);
  v.uid = q->Text(2);
  v.digest = q->Text(3);
  v.tree_digest = q->Text(4);
  v.tree_size = q->Int(5);
  v.item_table_digest = q->Text(6);
  v.item_table_size = q->Int(7);
  v.investigation_revision = q->Text(8);
  v.investigation_digest = q->Text(9);
  v.item_count = q->Int(10);
  v.linked_item_count = q->Int(11);
  v.total_bytes = q->Int(12);
  v.observation_unit_count = q->Int(13);
  v.biological_material_count = q->Int(14);
  v.sample_count = q->Int(15);
  v.create_time = q->Int(16);
  return v;
}

ItemRow ItemFrom(Stmt* q) {
  return ItemRow{q->Text(0), q->Text(1), q->Int(2),  q->Text(3), q->Text(4), q->Text(5),
                 q->Text(6), q->Text(7), q->Text(8), q->Text(9), q->Text(10)};
}

absl::StatusOr<std::optional<DatasetRow>> ReadDataset(Db* db, const std::string& id) {
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      db->Prepare(absl::StrCat("SELECT ", kDatasetColumns, " FROM datasets WHERE dataset_id = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, id).Step());
  if (!row) return std::nullopt;
  DatasetRow out = DatasetFrom(q);
  q->Reset();
  return out;
}

absl::Status DatasetGone(const std::string& id) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("datasets/", id, " does not exist"))
      .Reason("DATASET_NOT_FOUND")
      .Resource("fairtrace.v1.Dataset", absl::StrCat("datasets/", id));
}

// ListItems filter fields (docs/datasets.md) as SQL; %P is the version uid.
const std::vector<sqlite::SqlColumn>& ItemColumns() {
  static const std::vector<sqlite::SqlColumn>* kColumns = new std::vector<sqlite::SqlColumn>{
      {"path", "path"},
      {"media_type", "media_type"},
      {"acquired_at", "acquired_at"},
      {"sensor", "sensor"},
      {"view", "view"},
      {"station", "station"},
      {"link", "l.link", "path IN (SELECT l.path FROM dataset_item_links l WHERE l.version_uid = %P AND %E)"},
      {"attributes.", "json_extract(attributes_json, '$.\"' || %K || '\"')"},
  };
  return *kColumns;
}

}  // namespace

absl::StatusOr<DatasetRow> SqliteDatasetStore::InsertDataset(const DatasetRow& row, const RequestKey& request_id,
                                                             const AuditEntry& audit) {
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    FT_ASSIGN_OR_RETURN(std::optional<DatasetRow> existing, ReadDataset(db, row.dataset_id));
    if (existing) {
      return ErrorBuilder(absl::StatusCode::kAlreadyExists, absl::StrCat("datasets/", row.dataset_id, " exists"))
          .Reason("DATASET_EXISTS")
          .Resource("fairtrace.v1.Dataset", absl::StrCat("datasets/", row.dataset_id));
    }
    FT_ASSIGN_OR_RETURN(
        Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO datasets (", kDatasetColumns, ") VALUES (?,?,?,?,?,?,?,?)")));
    return ins->Bind(1, row.dataset_id)
        .Bind(2, row.uid)
        .Bind(3, row.datasheet_json)
        .Bind(4, row.latest_version)
        .Bind(5, row.revision)
        .Bind(6, row.create_time)
        .Bind(7, row.update_time)
        .Bind(8, row.project)
        .Run();
  }));
  return row;
}

absl::StatusOr<std::optional<DatasetRow>> SqliteDatasetStore::GetDataset(const std::string& dataset_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return ReadDataset(db.get(), dataset_id);
}

absl::StatusOr<std::vector<DatasetRow>> SqliteDatasetStore::ListDatasets(const std::string& after_id, int limit,
                                                                         const ProjectScope& scope) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kDatasetColumns,
                                                         " FROM datasets WHERE dataset_id > ? AND (? OR project IN "
                                                         "(SELECT value FROM json_each(?))) "
                                                         "ORDER BY dataset_id LIMIT ?")));
  q->Bind(1, after_id).Bind(2, int64_t{scope.all}).Bind(3, scope.ProjectsJson()).Bind(4, int64_t{limit});
  return sqlite::CollectRows<DatasetRow>(q, DatasetFrom);
}

absl::StatusOr<DatasetRow> SqliteDatasetStore::UpdateDatasheet(const std::string& dataset_id,
                                                               const std::string& datasheet_json,
                                                               int64_t expected_revision, int64_t now,
                                                               const AuditEntry& audit) {
  DatasetRow out;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<DatasetRow> cur, ReadDataset(db, dataset_id));
    if (!cur) return DatasetGone(dataset_id);
    if (cur->revision != expected_revision) {
      return ErrorBuilder(absl::StatusCode::kAborted,
                          absl::StrCat("datasets/", dataset_id, " changed since its etag was read"))
          .Reason("ETAG_MISMATCH");
    }
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE datasets SET datasheet_json = ?, revision = revision + 1, "
                                                "update_time = ? WHERE dataset_id = ?"));
    FT_RETURN_IF_ERROR(upd->Bind(1, datasheet_json).Bind(2, now).Bind(3, dataset_id).Run());
    out = *cur;
    out.datasheet_json = datasheet_json;
    out.revision = cur->revision + 1;
    out.update_time = now;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<DatasetVersionRow> SqliteDatasetStore::InsertVersion(
    const DatasetVersionRow& row, const std::vector<ItemRow>& items, const std::vector<ItemLinkRow>& links,
    const std::vector<EdgeRow>& edges, const RequestKey& request_id, const AuditEntry& audit) {
  DatasetVersionRow out = row;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<DatasetRow> ds, ReadDataset(db, row.dataset_id));
    if (!ds) return DatasetGone(row.dataset_id);
    out.version = ds->latest_version + 1;
    const std::string name = absl::StrCat("datasets/", row.dataset_id, "/versions/", out.version);
    a.resource = name;
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE datasets SET latest_version = ?, revision = revision + 1, "
                                                "update_time = ? WHERE dataset_id = ?"));
    FT_RETURN_IF_ERROR(upd->Bind(1, out.version).Bind(2, row.create_time).Bind(3, row.dataset_id).Run());
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO dataset_versions (", kVersionColumns,
                                                             ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")));
    FT_RETURN_IF_ERROR(ins->Bind(1, out.dataset_id)
                           .Bind(2, out.version)
                           .Bind(3, out.uid)
                           .Bind(4, out.digest)
                           .Bind(5, out.tree_digest)
                           .Bind(6, out.tree_size)
                           .Bind(7, out.item_table_digest)
                           .Bind(8, out.item_table_size)
                           .Bind(9, out.investigation_revision)
                           .Bind(10, out.investigation_digest)
                           .Bind(11, out.item_count)
                           .Bind(12, out.linked_item_count)
                           .Bind(13, out.total_bytes)
                           .Bind(14, out.observation_unit_count)
                           .Bind(15, out.biological_material_count)
                           .Bind(16, out.sample_count)
                           .Bind(17, out.create_time)
                           .Run());
    FT_ASSIGN_OR_RETURN(Stmt * item, db->Prepare(absl::StrCat("INSERT INTO dataset_items (version_uid, ", kItemColumns,
                                                              ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")));
    for (const ItemRow& i : items) {
      FT_RETURN_IF_ERROR(item->Bind(1, out.uid)
                             .Bind(2, i.path)
                             .Bind(3, i.blob_digest)
                             .Bind(4, i.blob_size)
                             .Bind(5, i.media_type)
                             .Bind(6, i.acquired_at)
                             .Bind(7, i.sensor)
                             .Bind(8, i.view)
                             .Bind(9, i.station)
                             .Bind(10, i.attributes_json)
                             .Bind(11, i.links_json)
                             .Bind(12, i.item_digest)
                             .Run());
    }
    FT_ASSIGN_OR_RETURN(Stmt * link,
                        db->Prepare("INSERT INTO dataset_item_links (version_uid, link, path) VALUES (?, ?, ?)"));
    for (const ItemLinkRow& l : links) FT_RETURN_IF_ERROR(link->Bind(1, out.uid).Bind(2, l.link).Bind(3, l.path).Run());
    std::vector<EdgeRow> named = edges;
    for (EdgeRow& e : named) {
      if (e.subject.empty()) e.subject = name;
    }
    return db_->InsertEdgesInTxn(db, named, row.create_time, name);
  }));
  return out;
}

absl::StatusOr<std::optional<DatasetVersionRow>> SqliteDatasetStore::GetVersion(const std::string& dataset_id,
                                                                                int64_t version) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      db->Prepare(absl::StrCat("SELECT ", kVersionColumns,
                                               " FROM dataset_versions WHERE dataset_id = ? AND version = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, dataset_id).Bind(2, version).Step());
  if (!row) return std::nullopt;
  DatasetVersionRow out = VersionFrom(q);
  q->Reset();
  return out;
}

absl::StatusOr<std::vector<DatasetVersionRow>> SqliteDatasetStore::ListVersions(const std::string& dataset_id,
                                                                                int64_t before, int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kVersionColumns,
                                                         " FROM dataset_versions WHERE dataset_id = ? AND version < ? "
                                                         "ORDER BY version DESC LIMIT ?")));
  q->Bind(1, dataset_id).Bind(2, before > 0 ? before : INT64_MAX).Bind(3, int64_t{limit});
  return sqlite::CollectRows<DatasetVersionRow>(q, VersionFrom);
}

absl::StatusOr<std::vector<ItemRow>> SqliteDatasetStore::ListItems(const std::string& version_uid,
                                                                   const ParsedFilter& filter,
                                                                   const std::string& after_path, int limit) {
  FT_ASSIGN_OR_RETURN(sqlite::SqlFilter where, sqlite::CompileFilter(filter, ItemColumns(), version_uid));
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  // Without a range on path the planner may drive a link filter from the
  // link index (path IN (...) on the primary key) instead of scanning the
  // version's items: 30 ms -> under 1 ms for 100,000 items.
  const bool first_page = after_path.empty();
  FT_ASSIGN_OR_RETURN(
      Stmt * q,
      db->Prepare(absl::StrCat("SELECT ", kItemColumns, " FROM dataset_items WHERE version_uid = ?",
                               first_page ? "" : " AND path > ?", " AND (", where.where, ") ORDER BY path LIMIT ?")));
  q->Bind(1, version_uid);
  int next = 2;
  if (!first_page) q->Bind(next++, after_path);
  next = where.BindTo(q, next);
  q->Bind(next, int64_t{limit});
  return sqlite::CollectRows<ItemRow>(q, ItemFrom);
}

absl::StatusOr<std::vector<ItemRow>> SqliteDatasetStore::AllItems(const std::string& version_uid) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT path, blob_digest, blob_size, item_digest "
                                            "FROM dataset_items WHERE version_uid = ? ORDER BY path"));
  q->Bind(1, version_uid);
  return sqlite::CollectRows<ItemRow>(q, [](Stmt* r) {
    ItemRow row;
    row.path = r->Text(0);
    row.blob_digest = r->Text(1);
    row.blob_size = r->Int(2);
    row.item_digest = r->Text(3);
    return row;
  });
}

absl::StatusOr<std::optional<ItemRow>> SqliteDatasetStore::GetItem(const std::string& version_uid,
                                                                   const std::string& path) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kItemColumns,
                                                         " FROM dataset_items WHERE version_uid = ? AND path = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, version_uid).Bind(2, path).Step());
  if (!row) return std::nullopt;
  ItemRow out = ItemFrom(q);
  q->Reset();
  return out;
}

}  // namespace fairtrace
