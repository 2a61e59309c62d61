// AccessStore: tokens and grants (docs/security.md). Implemented by
// SqliteAccessStore (sqlite/sqlite_access_store.h).
//
// Contract: each write stores its row and its audit record in one
// transaction, or nothing. Errors: ALREADY_EXISTS (GRANT_EXISTS) for a grant
// held already, NOT_FOUND (TOKEN_NOT_FOUND, GRANT_NOT_FOUND) for a revoke of
// something missing. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"

namespace fairtrace {

struct TokenRow {
  std::string token_id;  // 16 hex digits
  std::string principal;
  std::string secret_sha256;  // 32 raw bytes
  std::string description;
  int64_t create_time = 0;
  int64_t expire_time = 0;  // 0: never
  int64_t revoke_time = 0;  // 0: not revoked
};

struct GrantRow {
  std::string principal, role, project;
  int64_t create_time = 0;
};

class AccessStore {
 public:
  virtual ~AccessStore() = default;
  virtual absl::StatusOr<std::vector<TokenRow>> ListTokens() = 0;
  virtual absl::Status InsertToken(const TokenRow& row, const AuditEntry& audit) = 0;
  // Sets revoke_time (kept when already revoked) and returns the row.
  virtual absl::StatusOr<TokenRow> RevokeToken(const std::string& token_id, int64_t now, const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::vector<GrantRow>> ListGrants() = 0;
  virtual absl::Status InsertGrant(const GrantRow& row, const AuditEntry& audit) = 0;
  virtual absl::StatusOr<GrantRow> DeleteGrant(const std::string& principal, const std::string& role,
                                               const std::string& project, const AuditEntry& audit) = 0;
};

}  // namespace fairtrace
