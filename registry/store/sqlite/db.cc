#include "registry/store/sqlite/db.h"

#include <cmath>
#include <limits>
#include <mutex>

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace fairtrace::sqlite {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  std::string msg = absl::StrCat("database error in ", what, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xff;
  absl::StatusCode code = absl::StatusCode::kInternal;
  std::string reason = "DATABASE_ERROR";
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    code = absl::StatusCode::kUnavailable;
    reason = "DATABASE_BUSY";
  } else if (primary == SQLITE_CONSTRAINT) {
    code = absl::StatusCode::kFailedPrecondition;
    reason = rc == SQLITE_CONSTRAINT_FOREIGNKEY ? "FOREIGN_KEY_VIOLATION" : "CONSTRAINT_VIOLATION";
  } else if (primary == SQLITE_FULL) {
    code = absl::StatusCode::kResourceExhausted;
    reason = "DISK_FULL";
  }
  return ErrorBuilder(code, msg).Reason(reason);
}

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

Stmt& Stmt::Bind(int i, absl::string_view text) {
  sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindBlob(int i, absl::string_view bytes) {
  sqlite3_bind_blob(s_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Stmt& Stmt::BindDouble(int i, double v) {
  if (std::isnan(v)) {
    sqlite3_bind_null(s_, i);
  } else {
    sqlite3_bind_double(s_, i, v);
  }
  return *this;
}

absl::StatusOr<bool> Stmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  // Done or failed: reset (keeping bindings) so the statement can be
  // re-bound and reused at once, e.g. in a loop.
  absl::Status error = rc == SQLITE_DONE ? absl::OkStatus() : SqliteError(sqlite3_db_handle(s_), rc, sqlite3_sql(s_));
  sqlite3_reset(s_);
  if (!error.ok()) return error;
  return false;
}

absl::Status Stmt::Run() {
  auto r = Step();
  if (!r.ok()) return r.status();
  if (*r) {
    sqlite3_reset(s_);
    return absl::InternalError(absl::StrCat("statement returned rows: ", sqlite3_sql(s_)));
  }
  return absl::OkStatus();
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(s_, col); }

double Stmt::Double(int col) const {
  if (sqlite3_column_type(s_, col) == SQLITE_NULL) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(s_, col);
}

std::string Stmt::Text(int col) const {
  const unsigned char* t = sqlite3_column_text(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return t ? std::string(reinterpret_cast<const char*>(t), n) : std::string();
}

std::string Stmt::Blob(int col) const {
  const void* b = sqlite3_column_blob(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return b ? std::string(static_cast<const char*>(b), n) : std::string();
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

int Stmt::ColumnCount() const { return sqlite3_column_count(s_); }

std::string Stmt::ColumnName(int col) const {
  const char* n = sqlite3_column_name(s_, col);
  return n ? std::string(n) : std::string();
}

Stmt::Type Stmt::ColumnType(int col) const {
  switch (sqlite3_column_type(s_, col)) {
    case SQLITE_INTEGER:
      return Type::kInteger;
    case SQLITE_FLOAT:
      return Type::kReal;
    case SQLITE_TEXT:
      return Type::kText;
    case SQLITE_BLOB:
      return Type::kBlob;
    default:
      return Type::kNull;
  }
}

void Stmt::Reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // SQLITE_MISUSE when SQLite was initialised before (by other code in
    // the process): the default then stays, which is correct, only slower.
    (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalBytes);
  });
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path, const std::string& vfs) {
  ConfigureSqliteOnce();
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteError(raw, rc, absl::StrCat("opening ", path));
    sqlite3_close(raw);
    return s;
  }
  std::unique_ptr<Db> db(new Db(raw));
  sqlite3_extended_result_codes(raw, 1);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000", "PRAGMA synchronous=FULL"}) {
    if (absl::Status s = db->Exec(pragma); !s.ok()) return s;
  }
  return db;
}

Db::~Db() {
  cache_.clear();
  for (auto& [sql, s] : raw_) sqlite3_finalize(s);
  for (auto& [sql, b] : bounded_) sqlite3_finalize(b.raw);
  sqlite3_close(db_);
}

absl::Status Db::Exec(absl::string_view sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteError(db_, rc, sql.substr(0, 80));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Stmt*> Db::Prepare(absl::string_view sql) {
  std::string key(sql);
  if (auto it = cache_.find(key); it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, absl::StrCat("preparing ", key));
  raw_[key] = s;
  auto& slot = cache_[key];
  slot = std::make_unique<Stmt>(s);
  return slot.get();
}

absl::StatusOr<Stmt*> Db::PrepareBounded(absl::string_view sql) {
  std::string key(sql);
  if (auto it = bounded_.find(key); it != bounded_.end()) {
    it->second.last_use = ++uses_;
    it->second.stmt->Reset();
    return it->second.stmt.get();
  }
  if (bounded_.size() >= kMaxBoundedStatements) {
    // A linear scan over at most 64 entries: cheaper than preparing.
    auto oldest = bounded_.begin();
    for (auto it = bounded_.begin(); it != bounded_.end(); ++it) {
      if (it->second.last_use < oldest->second.last_use) oldest = it;
    }
    sqlite3_finalize(oldest->second.raw);
    bounded_.erase(oldest);
  }
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), 0, &s, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, absl::StrCat("preparing ", key.substr(0, 80)));
  Bounded& b = bounded_[key];
  b.raw = s;
  b.stmt = std::make_unique<Stmt>(s);
  b.last_use = ++uses_;
  return b.stmt.get();
}

int64_t Db::Changes() const { return sqlite3_changes64(db_); }

absl::StatusOr<Transaction> Transaction::Begin(Db* db) {
  if (absl::Status s = db->Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

absl::Status Transaction::Commit() {
  Db* db = db_;
  db_ = nullptr;
  absl::Status s = db->Exec("COMMIT");
  if (!s.ok()) (void)db->Exec("ROLLBACK");
  return s;
}

absl::StatusOr<ReadTransaction> ReadTransaction::Begin(Db* db) {
  if (absl::Status s = db->Exec("BEGIN"); !s.ok()) return s;
  return ReadTransaction(db);
}

ReadTransaction::~ReadTransaction() {
  if (db_ != nullptr) (void)db_->Exec("COMMIT");
}

}  // namespace fairtrace::sqlite
