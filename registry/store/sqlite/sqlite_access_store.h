// The SQLite AccessStore (access_store.h). Borrows the database. Thread-safe.
#pragma once

#include "registry/store/access_store.h"
#include "registry/store/sqlite/sqlite_database.h"

namespace fairtrace {

class SqliteAccessStore final : public AccessStore {
 public:
  explicit SqliteAccessStore(SqliteDatabase* db) : db_(db) {}
  absl::StatusOr<std::vector<TokenRow>> ListTokens() override;
  absl::Status InsertToken(const TokenRow& row, const AuditEntry& audit) override;
  absl::StatusOr<TokenRow> RevokeToken(const std::string& token_id, int64_t now, const AuditEntry& audit) override;
  absl::StatusOr<std::vector<GrantRow>> ListGrants() override;
  absl::Status InsertGrant(const GrantRow& row, const AuditEntry& audit) override;
  absl::StatusOr<GrantRow> DeleteGrant(const std::string& principal, const std::string& role,
                                       const std::string& project, const AuditEntry& audit) override;

 private:
  SqliteDatabase* db_;
};

}  // namespace fairtrace
