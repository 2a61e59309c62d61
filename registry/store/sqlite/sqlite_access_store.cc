#include "registry/store/sqlite/sqlite_access_store.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

constexpr char kTokenColumns[] =
    "token_id, principal, secret_sha256, description, create_time, expire_time, revoke_time";

TokenRow TokenFrom(Stmt* q) {
  return TokenRow{q->Text(0), q->Text(1), q->Blob(2), q->Text(3), q->Int(4), q->Int(5), q->Int(6)};
}

}  // namespace

absl::StatusOr<std::vector<TokenRow>> SqliteAccessStore::ListTokens() {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      db->Prepare(absl::StrCat("SELECT ", kTokenColumns, " FROM access_tokens ORDER BY token_id")));
  return sqlite::CollectRows<TokenRow>(q, TokenFrom);
}

absl::Status SqliteAccessStore::InsertToken(const TokenRow& row, const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO access_tokens (", kTokenColumns,
                                                             ") VALUES (?, ?, ?, ?, ?, ?, ?)")));
    return ins->Bind(1, row.token_id)
        .Bind(2, row.principal)
        .BindBlob(3, row.secret_sha256)
        .Bind(4, row.description)
        .Bind(5, row.create_time)
        .Bind(6, row.expire_time)
        .Bind(7, row.revoke_time)
        .Run();
  });
}

absl::StatusOr<TokenRow> SqliteAccessStore::RevokeToken(const std::string& token_id, int64_t now,
                                                        const AuditEntry& audit) {
  TokenRow out;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Stmt * up, db->Prepare("UPDATE access_tokens SET revoke_time = ? "
                                               "WHERE token_id = ? AND revoke_time = 0"));
    FT_RETURN_IF_ERROR(up->Bind(1, now).Bind(2, token_id).Run());
    FT_ASSIGN_OR_RETURN(Stmt * q,
                        db->Prepare(absl::StrCat("SELECT ", kTokenColumns, " FROM access_tokens WHERE token_id = ?")));
    FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, token_id).Step());
    if (!row) {
      return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no token tokens/", token_id))
          .Reason("TOKEN_NOT_FOUND")
          .Resource("fairtrace.v1.Token", absl::StrCat("tokens/", token_id))
          .Build();
    }
    out = TokenFrom(q);
    q->Reset();
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<GrantRow>> SqliteAccessStore::ListGrants() {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT principal, role, project, create_time FROM access_grants "
                                            "ORDER BY principal, project, role"));
  return sqlite::CollectRows<GrantRow>(q, [](Stmt* r) {
    return GrantRow{r->Text(0), r->Text(1), r->Text(2), r->Int(3)};
  });
}

absl::Status SqliteAccessStore::InsertGrant(const GrantRow& row, const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO access_grants (principal, role, project, create_time) "
                                                "VALUES (?, ?, ?, ?)"));
    absl::Status s = ins->Bind(1, row.principal).Bind(2, row.role).Bind(3, row.project).Bind(4, row.create_time).Run();
    if (absl::IsFailedPrecondition(s)) {
      return ErrorBuilder(absl::StatusCode::kAlreadyExists,
                          absl::StrCat(row.principal, " already holds ", row.role, " in ", row.project))
          .Reason("GRANT_EXISTS")
          .Build();
    }
    return s;
  });
}

absl::StatusOr<GrantRow> SqliteAccessStore::DeleteGrant(const std::string& principal, const std::string& role,
                                                        const std::string& project, const AuditEntry& audit) {
  GrantRow out;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT create_time FROM access_grants WHERE principal = ? AND "
                                              "role = ? AND project = ?"));
    FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, principal).Bind(2, role).Bind(3, project).Step());
    if (!row) {
      return ErrorBuilder(absl::StatusCode::kNotFound,
                          absl::StrCat(principal, " holds no ", role, " grant in ", project))
          .Reason("GRANT_NOT_FOUND")
          .Build();
    }
    out = GrantRow{principal, role, project, q->Int(0)};
    q->Reset();
    FT_ASSIGN_OR_RETURN(Stmt * del, db->Prepare("DELETE FROM access_grants WHERE principal = ? AND role = ? AND "
                                                "project = ?"));
    return del->Bind(1, principal).Bind(2, role).Bind(3, project).Run();
  }));
  return out;
}

}  // namespace fairtrace
