// AccessControl: who a caller is and what it may call (docs/security.md).
//
// Authentication: a mutual-TLS client certificate gives "x509:<subject>";
// otherwise an "authorization: Bearer ft1_<id>_<secret>" token gives its
// principal; otherwise the caller is "anonymous". A token that is
// malformed, unknown, forged, revoked or expired is UNAUTHENTICATED
// (TOKEN_INVALID, TOKEN_REVOKED, TOKEN_EXPIRED) — never silently anonymous.
//
// Authorization: every RPC needs one access (rpc_access.tsv); each role has
// a set of accesses; a principal's grants (role, project) add up. While no
// grant exists at all, authorization is not enforced (a fresh install used
// by one person on loopback); the first grant — made offline with
// `fairtrace-server grants add` — turns it on for good (until every grant
// is revoked). Enforced: anonymous → UNAUTHENTICATED; no role with the
// access in the call's project → PERMISSION_DENIED (reason
// PERMISSION_DENIED_FOR_ROLE, or NO_GRANT when the principal has none).
// Projects: every resource is in project "default" until resources carry
// a project (docs/security.md § What is not built yet).
//
// Tokens and grants are cached in memory (loaded at Create, updated by the
// calls below, which write through the store with an audit record), so a
// check costs a hash lookup and a SHA-256; revocation and expiry apply to
// the next call. Only this object may write tokens and grants while the
// server runs. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "registry/core/call_context.h"
#include "registry/store/access_store.h"
#include "registry/store/store.h"

namespace fairtrace {

// The accesses of rpc_access.tsv.
enum class Access {
  kAuthenticated,  // any caller (WhoAmI), even anonymous
  kRead,
  kAudit,
  kWriteContent,
  kWriteDatasets,
  kWriteInvestigations,
  kWriteAnnotations,
  kWriteRuns,
  kAdmin,
};

inline constexpr char kDefaultProject[] = "default";
inline constexpr char kAllProjects[] = "*";
inline constexpr char kAnonymous[] = "anonymous";

// The roles, in the order docs show them.
const std::vector<std::string>& Roles();
bool RoleHasAccess(const std::string& role, Access access);
std::string AccessName(Access access);
// The access rpc_access.tsv gives `method` ("/fairtrace.v1.X/Y" or
// "fairtrace.v1.X/Y"); nullopt when it has no row.
std::optional<Access> AccessOfMethod(absl::string_view method);
// Every method with a row, in file order.
std::vector<std::string> MethodsWithAccess();

// "x509:<subject>": the principal of a mutual-TLS client certificate
// (subject clipped to 500 code points).
std::string CertificatePrincipal(absl::string_view subject);

struct CallerCredentials {
  std::string x509_subject;           // "" unless mutual TLS authenticated
  std::optional<std::string> bearer;  // the text after "Bearer "
};

struct CreatedTokenSecret {
  TokenRow row;
  std::string secret;
};

class AccessControl {
 public:
  // `audit_store` records failed attempts of the writes below (their
  // successes are audited in the write's own transaction).
  static absl::StatusOr<std::unique_ptr<AccessControl>> Create(AccessStore* store, Store* audit_store,
                                                               std::function<int64_t()> now_micros);

  absl::StatusOr<std::string> Authenticate(const CallerCredentials& credentials) const;
  absl::Status Authorize(const std::string& principal, absl::string_view method,
                         absl::string_view project = kDefaultProject) const;
  bool enforced() const;

  absl::StatusOr<CreatedTokenSecret> CreateToken(const CallContext& ctx, const std::string& principal,
                                                 int64_t expires_in_seconds, const std::string& description);
  std::vector<TokenRow> ListTokens(const std::string& principal, bool include_revoked) const;
  absl::StatusOr<TokenRow> RevokeToken(const CallContext& ctx, const std::string& token_name);
  absl::StatusOr<GrantRow> AddGrant(const CallContext& ctx, const std::string& principal, const std::string& role,
                                    const std::string& project);
  std::vector<GrantRow> ListGrants(const std::string& principal) const;
  absl::StatusOr<GrantRow> RevokeGrant(const CallContext& ctx, const std::string& principal, const std::string& role,
                                       const std::string& project);

 private:
  AccessControl(AccessStore* store, Store* audit_store, std::function<int64_t()> now)
      : store_(store), audit_store_(audit_store), now_(std::move(now)) {}

  AccessStore* store_;
  Store* audit_store_;
  std::function<int64_t()> now_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, TokenRow> tokens_ ABSL_GUARDED_BY(mu_);
  std::vector<GrantRow> grants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fairtrace
