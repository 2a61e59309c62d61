// SqliteStore's ModelStore half: registered models, model versions, request
// ids and server secrets. Same rules as sqlite_store.cc: bound parameters
// only, writes in BEGIN IMMEDIATE with their audit record.
#include "registry/store/sqlite/sqlite_model_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/store/sqlite/filter_sql.h"
#include "registry/store/sqlite/sqlite_store.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

constexpr char kModelColumns[] =
    "m.model_id, m.uid, m.description, m.owner, m.license, m.tags_json, m.create_time, "
    "m.update_time, m.delete_time, m.revision, m.next_version - 1, m.project";

RegisteredModelRow ModelFrom(Stmt* q) {
  RegisteredModelRow r;
  r.model_id = q->Text(0);
  r.uid = q->Text(1);
  r.description = q->Text(2);
  r.owner = q->Text(3);
  r.license = q->Text(4);
  r.tags_json = q->Text(5);
  r.create_time = q->Int(6);
  r.update_time = q->Int(7);
  if (!q->IsNull(8)) r.delete_time = q->Int(8);
  r.revision = q->Int(9);
  r.version_count = q->Int(10);
  r.project = q->Text(11);
  return r;
}

constexpr char kVersionColumns[] =
    "model_id, version, uid, tree_sha256, tree_size, mlmodel_json, source_run, description, "
    "tags_json, create_time, update_time, revision, stage, delete_time";

ModelVersionRow VersionFrom(Stmt* q) {
  ModelVersionRow r;
  r.model_id = q->Text(0);
  r.version = q->Int(1);
  r.uid = q->Text(2);
  r.tree = Digest{q->Text(3), q->Int(4)};
  r.mlmodel_json = q->Text(5);
  r.source_run = q->Text(6);
  r.description = q->Text(7);
  r.tags_json = q->Text(8);
  r.create_time = q->Int(9);
  r.update_time = q->Int(10);
  r.revision = q->Int(11);
  r.stage = q->Text(12);
  if (!q->IsNull(13)) r.delete_time = q->Int(13);
  return r;
}

absl::StatusOr<std::optional<RegisteredModelRow>> ReadModel(Db* db, const std::string& model_id) {
  FT_ASSIGN_OR_RETURN(
      Stmt * q, db->Prepare(absl::StrCat("SELECT ", kModelColumns, " FROM registered_models m WHERE m.model_id = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, model_id).Step());
  if (!row) return std::nullopt;
  RegisteredModelRow out = ModelFrom(q);
  q->Reset();
  return out;
}

absl::StatusOr<std::optional<ModelVersionRow>> ReadVersion(Db* db, const std::string& model_id, int64_t version) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kVersionColumns,
                                                         " FROM model_versions WHERE model_id = ? AND "
                                                         "version = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, model_id).Bind(2, version).Step());
  if (!row) return std::nullopt;
  ModelVersionRow out = VersionFrom(q);
  q->Reset();
  return out;
}

absl::Status EtagMismatch(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kAborted, absl::StrCat(name, " changed since its etag was read"))
      .Reason("ETAG_MISMATCH");
}

absl::Status BumpModel(Db* db, const std::string& model_id, int64_t now) {
  FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE registered_models SET update_time = ?, "
                                              "revision = revision + 1 WHERE model_id = ?"));
  return upd->Bind(1, now).Bind(2, model_id).Run();
}

// Replaces the tag rows of a version with the keys of `tags_json` (a JSON
// object of strings), inside the caller's transaction.
absl::Status WriteVersionTags(Db* db, const std::string& model_id, int64_t version, const std::string& tags_json) {
  FT_ASSIGN_OR_RETURN(Stmt * del, db->Prepare("DELETE FROM model_version_tags WHERE model_id = ? AND version = ?"));
  FT_RETURN_IF_ERROR(del->Bind(1, model_id).Bind(2, version).Run());
  FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO model_version_tags (model_id, key, value, version) "
                                              "SELECT ?1, key, value, ?2 FROM json_each(?3) WHERE type = 'text'"));
  return ins->Bind(1, model_id).Bind(2, version).Bind(3, tags_json).Run();
}

absl::Status ModelNotFound(const std::string& model_id) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no model models/", model_id))
      .Reason("MODEL_NOT_FOUND")
      .Resource("registered_model", absl::StrCat("models/", model_id));
}

absl::Status VersionNotFound(const std::string& model_id, int64_t version) {
  std::string name = absl::StrCat("models/", model_id, "/versions/", version);
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no model version ", name))
      .Reason("MODEL_VERSION_NOT_FOUND")
      .Resource("model_version", name);
}

// The live (not deleted) version, or NOT_FOUND.
absl::StatusOr<ModelVersionRow> ReadLiveVersion(Db* db, const std::string& model_id, int64_t version) {
  FT_ASSIGN_OR_RETURN(std::optional<ModelVersionRow> v, ReadVersion(db, model_id, version));
  if (!v || v->delete_time) return VersionNotFound(model_id, version);
  return *std::move(v);
}

}  // namespace

absl::Status SqliteModelStore::InsertRegisteredModel(const RegisteredModelRow& r, const RequestKey& request_id,
                                                     const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> existing, ReadModel(db, r.model_id));
    if (existing) {
      return ErrorBuilder(absl::StatusCode::kAlreadyExists,
                          absl::StrCat("models/", r.model_id, " exists",
                                       existing->delete_time ? " (deleted; names stay reserved)" : ""))
          .Reason("MODEL_EXISTS")
          .Resource("registered_model", absl::StrCat("models/", r.model_id));
    }
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO registered_models (model_id, uid, description, "
                                                "owner, license, tags_json, create_time, update_time, "
                                                "delete_time, revision, next_version, project) "
                                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, 1, ?)"));
    return ins->Bind(1, r.model_id)
        .Bind(2, r.uid)
        .Bind(3, r.description)
        .Bind(4, r.owner)
        .Bind(5, r.license)
        .Bind(6, r.tags_json)
        .Bind(7, r.create_time)
        .Bind(8, r.update_time)
        .Bind(9, r.project)
        .Run();
  });
}

absl::StatusOr<std::optional<RegisteredModelRow>> SqliteModelStore::GetRegisteredModel(const std::string& model_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return ReadModel(db.get(), model_id);
}

absl::StatusOr<std::optional<std::string>> SqliteModelStore::FindModelByMlflowName(const std::string& name) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  // The expression and condition of index registered_models_mlflow_name.
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT model_id FROM registered_models WHERE "
                                            "json_extract(tags_json, '$.\"mlflow.name\"') = ? AND delete_time IS NULL "
                                            "AND json_extract(tags_json, '$.\"mlflow.name\"') IS NOT NULL"));
  q->Bind(1, name);
  FT_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                      sqlite::CollectRows<std::string>(q, [](Stmt* r) { return r->Text(0); }));
  if (ids.empty()) return std::nullopt;
  return ids[0];
}

absl::StatusOr<std::vector<RegisteredModelRow>> SqliteModelStore::ListRegisteredModels(
    const std::string& after_model_id, int limit, bool show_deleted, const ProjectScope& scope) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kModelColumns,
                                                         " FROM registered_models m WHERE m.model_id > ? AND "
                                                         "(? OR m.delete_time IS NULL) AND (? OR m.project IN "
                                                         "(SELECT value FROM json_each(?))) "
                                                         "ORDER BY m.model_id LIMIT ?")));
  q->Bind(1, after_model_id)
      .Bind(2, int64_t{show_deleted})
      .Bind(3, int64_t{scope.all})
      .Bind(4, scope.ProjectsJson())
      .Bind(5, int64_t{limit});
  return sqlite::CollectRows<RegisteredModelRow>(q, ModelFrom);
}

absl::StatusOr<RegisteredModelRow> SqliteModelStore::SoftDeleteRegisteredModel(const std::string& model_id,
                                                                               int64_t expected_revision, bool force,
                                                                               int64_t now, const AuditEntry& audit) {
  RegisteredModelRow result;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> m, ReadModel(db, model_id));
    if (!m || m->delete_time) return ModelNotFound(model_id);
    if (expected_revision != 0 && expected_revision != m->revision) {
      return ErrorBuilder(absl::StatusCode::kAborted,
                          absl::StrCat("models/", model_id, " changed since its etag was read"))
          .Reason("ETAG_MISMATCH");
    }
    FT_ASSIGN_OR_RETURN(Stmt * live, db->Prepare("SELECT count(*) FROM model_versions WHERE model_id = ? AND "
                                                 "delete_time IS NULL"));
    FT_ASSIGN_OR_RETURN(bool counted, live->Bind(1, model_id).Step());
    const int64_t live_versions = counted ? live->Int(0) : 0;
    live->Reset();
    if (live_versions > 0 && !force) {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("models/", model_id, " has ", live_versions,
                                       " version(s); delete with force to delete it anyway"))
          .Reason("MODEL_HAS_VERSIONS")
          .Precondition("LIVE_VERSIONS", absl::StrCat("models/", model_id), "the model has versions");
    }
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE registered_models SET delete_time = ?, "
                                                "update_time = ?, revision = revision + 1 "
                                                "WHERE model_id = ?"));
    FT_RETURN_IF_ERROR(upd->Bind(1, now).Bind(2, now).Bind(3, model_id).Run());
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> after, ReadModel(db, model_id));
    result = *after;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<ModelVersionRow> SqliteModelStore::InsertModelVersion(const ModelVersionRow& r,
                                                                     const RequestKey& request_id,
                                                                     const AuditEntry& audit,
                                                                     const TreeToRegister* tree) {
  ModelVersionRow out = r;
  if (tree != nullptr && tree->digest != r.tree)
    return absl::InternalError("the tree to register is not the version's");
  const int64_t now = db_->now_micros();
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    bool tree_created = false;
    if (tree != nullptr) {
      FT_ASSIGN_OR_RETURN(tree_created, SqliteStore::CommitTreeInTxn(db, tree->digest, tree->entries,
                                                                     tree->manifest ? &*tree->manifest : nullptr, now));
    }
    FT_RETURN_IF_ERROR(InsertModelVersionInTxn(db, &out, request_id, a));
    // The call registered the tree too: a record of its own after the version's.
    if (tree_created) a.also_changed.push_back(TreeResourceName(tree->digest));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status SqliteModelStore::InsertModelVersionInTxn(Db* db, ModelVersionRow* out, const RequestKey& request_id,
                                                       AuditEntry& a) {
  FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> m, ReadModel(db, out->model_id));
  if (!m || m->delete_time) return ModelNotFound(out->model_id);
  out->version = m->version_count + 1;
  out->revision = 1;
  std::string name = absl::StrCat("models/", out->model_id, "/versions/", out->version);
  a.resource = name;
  FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
  if (!out->source_run.empty()) {
    FT_ASSIGN_OR_RETURN(Stmt * run, db->Prepare("SELECT 1 FROM runs WHERE run_id = ?"));
    FT_ASSIGN_OR_RETURN(bool found, run->Bind(1, out->source_run.substr(out->source_run.find('/') + 1)).Step());
    run->Reset();
    if (!found) {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("source run ", out->source_run, " does not exist"))
          .Reason("RUN_NOT_FOUND")
          .Precondition("MISSING_RUN", out->source_run, "the source run must be created first");
    }
  }
  FT_ASSIGN_OR_RETURN(Stmt * bump, db->Prepare("UPDATE registered_models SET next_version = "
                                               "next_version + 1 WHERE model_id = ?"));
  FT_RETURN_IF_ERROR(bump->Bind(1, out->model_id).Run());
  FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO model_versions (", kVersionColumns,
                                                           ") VALUES (?,?,?,?,?,?,?,?,?,?,?,1,'NONE',NULL)")));
  absl::Status is = ins->Bind(1, out->model_id)
                        .Bind(2, out->version)
                        .Bind(3, out->uid)
                        .Bind(4, out->tree.sha256)
                        .Bind(5, out->tree.size_bytes)
                        .Bind(6, out->mlmodel_json)
                        .Bind(7, out->source_run)
                        .Bind(8, out->description)
                        .Bind(9, out->tags_json)
                        .Bind(10, out->create_time)
                        .Bind(11, out->update_time)
                        .Run();
  // The model was checked above, so a missing reference is the tree.
  if (auto d = ErrorDetailsOf(is); d && d->reason == "FOREIGN_KEY_VIOLATION") {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("tree ", out->tree.ToString(), " is not registered"))
        .Reason("TREE_NOT_REGISTERED");
  }
  FT_RETURN_IF_ERROR(is);
  FT_RETURN_IF_ERROR(WriteVersionTags(db, out->model_id, out->version, out->tags_json));
  FT_ASSIGN_OR_RETURN(Stmt * flavors,
                      db->Prepare("INSERT OR IGNORE INTO model_version_flavors (model_id, flavor, version) "
                                  "SELECT ?1, value, ?2 FROM json_each(?3, '$.flavors') WHERE type = 'text'"));
  FT_RETURN_IF_ERROR(flavors->Bind(1, out->model_id).Bind(2, out->version).Bind(3, out->mlmodel_json).Run());
  // Lineage: the version is derived from its tree and generated by its run.
  std::vector<EdgeRow> edges = {{name, "wasDerivedFrom", TreeResourceName(out->tree), "content"}};
  if (!out->source_run.empty()) edges.push_back({name, "wasGeneratedBy", out->source_run, "model"});
  return db_->InsertEdgesInTxn(db, edges, out->create_time, name);
}

absl::StatusOr<std::optional<ModelVersionRow>> SqliteModelStore::GetModelVersion(const std::string& model_id,
                                                                                 int64_t version) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return ReadVersion(db.get(), model_id, version);
}

namespace {

// The columns of ListModelVersions filters. `flavor_rows_drive`: a flavor
// comparison reads the matching flavor rows first (fast when few versions
// have the flavor) instead of probing each version in order (fast when
// many do).
std::vector<sqlite::SqlColumn> VersionColumns(bool flavor_rows_drive) {
  std::vector<sqlite::SqlColumn> c = {
      {"version", "version"},
      {"stage", "stage"},
      {"source_run", "source_run"},
      {"create_time", "create_time"},
      {"update_time", "update_time"},
      // Flavor rows (migration 0009).
      flavor_rows_drive
          ? sqlite::SqlColumn{"mlmodel.flavor", "fl.flavor",
                              "version IN (SELECT fl.version FROM model_version_flavors fl WHERE fl.model_id = %P "
                              "AND %E)"}
          : sqlite::SqlColumn{"mlmodel.flavor", "fl.flavor",
                              "EXISTS (SELECT 1 FROM model_version_flavors fl WHERE fl.model_id = "
                              "model_versions.model_id AND fl.version = model_versions.version AND %E)"},
      // The expression of the model_versions_by_mlflow_version index, verbatim.
      {"mlmodel.mlflow_version", "json_extract(mlmodel_json, '$.mlflow_version')"},
      // Non-correlated: SQLite evaluates it once from the tag index, then
      // looks the versions up by primary key.
      {"tags.", "t.value",
       "version IN (SELECT t.version FROM model_version_tags t WHERE t.model_id = %P AND t.key = %K AND %E)"},
  };
  return c;
}

// The flavor of a top-level `mlmodel.flavor = "x"` conjunct, if any.
const std::string* RequiredFlavor(const FilterExpr& e) {
  if (e.kind == FilterExpr::Kind::kCompare) {
    return e.field == "mlmodel.flavor" && e.op == "=" ? std::get_if<std::string>(&e.value) : nullptr;
  }
  if (e.kind != FilterExpr::Kind::kAnd) return nullptr;
  for (const FilterExpr& c : e.children) {
    if (const std::string* f = RequiredFlavor(c)) return f;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::vector<ModelVersionRow>> SqliteModelStore::ListModelVersions(const std::string& model_id,
                                                                                 const ParsedFilter& filter,
                                                                                 int64_t after_version, int limit,
                                                                                 bool show_deleted) {
  static const std::vector<sqlite::SqlColumn> kProbe = VersionColumns(false), kDrive = VersionColumns(true);
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  // A required flavor that few versions have: let its rows drive the query.
  bool drive = false;
  if (const std::string* flavor = filter.has_filter ? RequiredFlavor(filter.root) : nullptr) {
    constexpr int64_t kFew = 1000;
    FT_ASSIGN_OR_RETURN(Stmt * n, db->Prepare("SELECT count(*) FROM (SELECT 1 FROM model_version_flavors WHERE "
                                              "model_id = ? AND flavor = ? AND version > ? LIMIT ?)"));
    FT_ASSIGN_OR_RETURN(bool row, n->Bind(1, model_id).Bind(2, *flavor).Bind(3, after_version).Bind(4, kFew).Step());
    drive = row && n->Int(0) < kFew;
    n->Reset();
  }
  FT_ASSIGN_OR_RETURN(sqlite::SqlFilter where, sqlite::CompileFilter(filter, drive ? kDrive : kProbe, model_id));
  FT_ASSIGN_OR_RETURN(Stmt * q, db->PrepareBounded(absl::StrCat("SELECT ", kVersionColumns,
                                                                " FROM model_versions WHERE model_id = ? AND "
                                                                "version > ? AND (? OR delete_time IS NULL) AND ",
                                                                where.where, " ORDER BY version LIMIT ?")));
  q->Bind(1, model_id).Bind(2, after_version).Bind(3, int64_t{show_deleted ? 1 : 0});
  int next = where.BindTo(q, 4);
  q->Bind(next, int64_t{limit});
  return sqlite::CollectRows<ModelVersionRow>(q, VersionFrom);
}

absl::StatusOr<RegisteredModelRow> SqliteModelStore::UpdateRegisteredModel(const RegisteredModelRow& r,
                                                                           int64_t expected_revision, int64_t now,
                                                                           const AuditEntry& audit) {
  RegisteredModelRow result;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> m, ReadModel(db, r.model_id));
    if (!m || m->delete_time) return ModelNotFound(r.model_id);
    if (expected_revision != 0 && expected_revision != m->revision) {
      return EtagMismatch(absl::StrCat("models/", r.model_id));
    }
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE registered_models SET description = ?, owner = ?, "
                                                "license = ?, tags_json = ?, update_time = ?, "
                                                "revision = revision + 1 WHERE model_id = ?"));
    FT_RETURN_IF_ERROR(upd->Bind(1, r.description)
                           .Bind(2, r.owner)
                           .Bind(3, r.license)
                           .Bind(4, r.tags_json)
                           .Bind(5, now)
                           .Bind(6, r.model_id)
                           .Run());
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> after, ReadModel(db, r.model_id));
    result = *after;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<ModelVersionRow> SqliteModelStore::UpdateModelVersion(const ModelVersionRow& r,
                                                                     int64_t expected_revision, int64_t now,
                                                                     const AuditEntry& audit) {
  ModelVersionRow result;
  std::string name = absl::StrCat("models/", r.model_id, "/versions/", r.version);
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(ModelVersionRow v, ReadLiveVersion(db, r.model_id, r.version));
    if (expected_revision != 0 && expected_revision != v.revision) return EtagMismatch(name);
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE model_versions SET description = ?, tags_json = ?, "
                                                "stage = ?, update_time = ?, revision = revision + 1 "
                                                "WHERE model_id = ? AND version = ?"));
    FT_RETURN_IF_ERROR(upd->Bind(1, r.description)
                           .Bind(2, r.tags_json)
                           .Bind(3, r.stage)
                           .Bind(4, now)
                           .Bind(5, r.model_id)
                           .Bind(6, r.version)
                           .Run());
    FT_RETURN_IF_ERROR(WriteVersionTags(db, r.model_id, r.version, r.tags_json));
    FT_ASSIGN_OR_RETURN(std::optional<ModelVersionRow> after, ReadVersion(db, r.model_id, r.version));
    result = *after;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<ModelVersionRow> SqliteModelStore::SoftDeleteModelVersion(const std::string& model_id, int64_t version,
                                                                         int64_t expected_revision, int64_t now,
                                                                         const AuditEntry& audit) {
  ModelVersionRow result;
  const std::string name = absl::StrCat("models/", model_id, "/versions/", version);
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> m, ReadModel(db, model_id));
    if (!m || m->delete_time) return ModelNotFound(model_id);
    FT_ASSIGN_OR_RETURN(ModelVersionRow v, ReadLiveVersion(db, model_id, version));
    if (expected_revision != 0 && expected_revision != v.revision) return EtagMismatch(name);
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE model_versions SET delete_time = ?1, update_time = ?1, "
                                                "revision = revision + 1 WHERE model_id = ?2 AND version = ?3"));
    FT_RETURN_IF_ERROR(upd->Bind(1, now).Bind(2, model_id).Bind(3, version).Run());
    // MLflow's rule: an alias does not outlive its version. Each removal
    // is a change of its own in the audit log.
    FT_ASSIGN_OR_RETURN(Stmt * aliases, db->Prepare("DELETE FROM model_aliases WHERE model_id = ? AND version = ? "
                                                    "RETURNING alias"));
    aliases->Bind(1, model_id).Bind(2, version);
    FT_ASSIGN_OR_RETURN(std::vector<std::string> removed,
                        sqlite::CollectRows<std::string>(aliases, [](Stmt* r) { return r->Text(0); }));
    std::sort(removed.begin(), removed.end());
    for (const std::string& alias : removed) {
      a.also_changed.push_back(absl::StrCat("models/", model_id, "/aliases/", alias));
    }
    FT_RETURN_IF_ERROR(BumpModel(db, model_id, now));
    FT_ASSIGN_OR_RETURN(std::optional<ModelVersionRow> after, ReadVersion(db, model_id, version));
    result = *after;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<RegisteredModelRow> SqliteModelStore::SetAlias(const std::string& model_id, const std::string& alias,
                                                              int64_t version, int64_t now, const AuditEntry& audit) {
  RegisteredModelRow result;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> m, ReadModel(db, model_id));
    if (!m || m->delete_time) return ModelNotFound(model_id);
    FT_RETURN_IF_ERROR(ReadLiveVersion(db, model_id, version).status());
    FT_ASSIGN_OR_RETURN(Stmt * up, db->Prepare("INSERT INTO model_aliases (model_id, alias, version) "
                                               "VALUES (?, ?, ?) ON CONFLICT (model_id, alias) "
                                               "DO UPDATE SET version = excluded.version"));
    FT_RETURN_IF_ERROR(up->Bind(1, model_id).Bind(2, alias).Bind(3, version).Run());
    FT_RETURN_IF_ERROR(BumpModel(db, model_id, now));
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> after, ReadModel(db, model_id));
    result = *after;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<RegisteredModelRow> SqliteModelStore::DeleteAlias(const std::string& model_id, const std::string& alias,
                                                                 int64_t now, const AuditEntry& audit) {
  RegisteredModelRow result;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> m, ReadModel(db, model_id));
    if (!m || m->delete_time) return ModelNotFound(model_id);
    FT_ASSIGN_OR_RETURN(Stmt * del, db->Prepare("DELETE FROM model_aliases WHERE model_id = ? AND alias = ?"));
    FT_RETURN_IF_ERROR(del->Bind(1, model_id).Bind(2, alias).Run());
    if (db->Changes() == 0) {
      return ErrorBuilder(absl::StatusCode::kNotFound,
                          absl::StrCat("models/", model_id, " has no alias \"", alias, "\""))
          .Reason("ALIAS_NOT_FOUND");
    }
    FT_RETURN_IF_ERROR(BumpModel(db, model_id, now));
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> after, ReadModel(db, model_id));
    result = *after;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> SqliteModelStore::ListAliases(
    const std::string& model_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT alias, version FROM model_aliases WHERE model_id = ? "
                                            "ORDER BY alias"));
  q->Bind(1, model_id);
  return sqlite::CollectRows<std::pair<std::string, int64_t>>(
      q, [](Stmt* r) { return std::make_pair(r->Text(0), r->Int(1)); });
}

}  // namespace fairtrace
