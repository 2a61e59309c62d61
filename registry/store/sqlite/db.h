// A thin RAII layer over the SQLite C API: connections, prepared statements
// with bound parameters only, transactions. No SQL is ever built from
// values; every value goes through Bind().
//
// Thread safety: a Db (connection) and its statements belong to one thread
// at a time; ConnectionPool hands connections out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace fairtrace::sqlite {

class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Parameters are 1-based, as in SQLite.
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, absl::string_view text);
  // Bytes stored as a BLOB (no text encoding implied).
  Stmt& BindBlob(int i, absl::string_view bytes);
  Stmt& BindNull(int i);
  // NaN is stored as NULL (SQLite has no NaN); Double() reads NULL as NaN.
  Stmt& BindDouble(int i, double v);
  // Steps once: true when a row is available, false when done. When done
  // or failed, the statement is reset (bindings kept) and can be re-bound.
  absl::StatusOr<bool> Step();
  // Steps to completion, expecting no rows; the statement is reset after.
  absl::Status Run();
  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;
  bool IsNull(int col) const;
  // The current row's columns: how many, their names (the AS alias when
  // given) and the storage type of each value.
  enum class Type { kInteger, kReal, kText, kBlob, kNull };
  int ColumnCount() const;
  std::string ColumnName(int col) const;
  Type ColumnType(int col) const;
  // Clears bindings and resets for reuse.
  void Reset();

 private:
  sqlite3_stmt* s_;
};

// Process-wide SQLite settings, applied once before SQLite initialises
// (Db::Open and EnvVfsName call it first; calling it again does nothing):
// a savepoint's sub-journal stays in memory up to kStatementJournalBytes
// instead of spilling to a temp file at SQLite's 64 KiB default (every
// group-commit write runs in a savepoint and an audited write touches ~20
// pages; the spill cost a file create, unlink and writes per write). Thread-safe.
inline constexpr int kStatementJournalBytes = 4 << 20;
void ConfigureSqliteOnce();

class Db {
 public:
  // Opens (creating) `path` with WAL, foreign_keys=ON, busy_timeout and
  // synchronous=FULL (commits are durable).
  // `vfs`: the name of a registered sqlite3_vfs (env_vfs.h), or empty for
  // the default one.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& path, const std::string& vfs = "");
  ~Db();

  // Executes SQL text with no parameters (schema, pragmas, BEGIN/COMMIT).
  absl::Status Exec(absl::string_view sql);
  // A cached prepared statement, reset and with bindings cleared. For SQL
  // fixed in the code: the cache holds each text for the connection's life.
  absl::StatusOr<Stmt*> Prepare(absl::string_view sql);
  // The same for SQL built at run time from a client's filter: such texts
  // are unbounded in number, so at most kMaxBoundedStatements of them stay
  // prepared (least recently used dropped first). The pointer is valid until
  // the next PrepareBounded on this connection.
  static constexpr size_t kMaxBoundedStatements = 64;
  absl::StatusOr<Stmt*> PrepareBounded(absl::string_view sql);
  size_t bounded_statements() const { return bounded_.size(); }
  int64_t Changes() const;
  sqlite3* raw() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  absl::flat_hash_map<std::string, std::unique_ptr<Stmt>> cache_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> raw_;
  struct Bounded {
    std::unique_ptr<Stmt> stmt;
    sqlite3_stmt* raw = nullptr;
    uint64_t last_use = 0;
  };
  absl::flat_hash_map<std::string, Bounded> bounded_;
  uint64_t uses_ = 0;
};

// Runs `BEGIN IMMEDIATE` and rolls back on destruction unless committed.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(Db* db);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  ~Transaction();
  absl::Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

// Steps `q` to the end, converting each row with `from_row(q)`, then resets
// it. Errors from stepping are returned.
template <typename T, typename FromRow>
absl::StatusOr<std::vector<T>> CollectRows(Stmt* q, FromRow from_row) {
  std::vector<T> out;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) {
      q->Reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back(from_row(q));
  }
  q->Reset();
  return out;
}

// A deferred read transaction (BEGIN ... COMMIT): one consistent snapshot
// and one file lock for many statements. Ends on destruction.
class ReadTransaction {
 public:
  static absl::StatusOr<ReadTransaction> Begin(Db* db);
  ReadTransaction(ReadTransaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  ~ReadTransaction();

 private:
  explicit ReadTransaction(Db* db) : db_(db) {}
  Db* db_;
};

// Maps an SQLite result code to an absl::Status with context.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

}  // namespace fairtrace::sqlite
