#include "registry/store/migrations.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/store/sqlite/db.h"

namespace fairtrace::sqlite {

int HeadSchemaVersion() { return static_cast<int>(AllMigrations().size()); }

absl::StatusOr<int> SchemaVersion(Db* db) {
  FT_RETURN_IF_ERROR(db->Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT"));
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT version FROM schema_version"));
  FT_ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) {
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO schema_version (version) VALUES (0)"));
    FT_RETURN_IF_ERROR(ins->Run());
    return 0;
  }
  int v = static_cast<int>(q->Int(0));
  q->Reset();
  return v;
}

absl::Status MigrateTo(Db* db, int target) {
  const auto& all = AllMigrations();
  FT_ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  if (current > HeadSchemaVersion()) {
    return ErrorBuilder(
               absl::StatusCode::kFailedPrecondition,
               absl::StrCat("database schema version ", current, " is newer than this fairtrace-server knows (",
                            HeadSchemaVersion(), "); upgrade the server"))
        .Reason("SCHEMA_TOO_NEW");
  }
  if (target < 0 || target > HeadSchemaVersion()) {
    return absl::InvalidArgumentError(absl::StrCat("no schema version ", target));
  }
  while (current != target) {
    bool up = current < target;
    const Migration& m = all[up ? current : current - 1];
    int next = up ? current + 1 : current - 1;
    FT_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
    absl::Status s = db->Exec(up ? m.up : m.down);
    if (!s.ok()) {
      return WithMessage(
          s, absl::StrCat("migration ", m.version, " (", m.name, ") ", up ? "up" : "down", " failed: ", s.message()));
    }
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE schema_version SET version = ?"));
    FT_RETURN_IF_ERROR(upd->Bind(1, int64_t{next}).Run());
    FT_RETURN_IF_ERROR(txn.Commit());
    current = next;
  }
  return absl::OkStatus();
}

}  // namespace fairtrace::sqlite
