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
// is revoked). Enforced (AuthorizeCall), in this order:
//   anonymous → UNAUTHENTICATED (AUTHENTICATION_REQUIRED);
//   no grant at all → PERMISSION_DENIED (NO_GRANT);
//   a method of rule `all` without the access on project "*", or any other
//   without the access in some project → PERMISSION_DENIED
//   (PERMISSION_DENIED_FOR_ROLE);
//   each resource the call names (ProjectTarget): missing, or in a project
//   where the principal holds no grant → the same NOT_FOUND
//   (ResourceNotFound); acted on or created in a project where no role of
//   the principal has the access → PERMISSION_DENIED_FOR_ROLE.
// Projects: docs/security.md, "Projects".
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
#include "registry/core/resource_util.h"
#include "registry/store/access_store.h"
#include "registry/store/project_scope.h"
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

inline constexpr char kAllProjects[] = "*";
inline constexpr char kAnonymous[] = "anonymous";

// The roles, in the order docs show them.
const std::vector<std::string>& Roles();
bool RoleHasAccess(const std::string& role, Access access);
std::string AccessName(Access access);
// The access rpc_access.tsv gives `method` ("/fairtrace.v1.X/Y" or
// "fairtrace.v1.X/Y"); nullopt when it has no row.
std::optional<Access> AccessOfMethod(absl::string_view method);

// How a method's projects are found (rpc_access.tsv, third column):
//   none   no project (the CAS, WhoAmI, checkpoints, validation);
//   all    the log and the server as a whole: the access on project "*";
//   list   lists of top-level resources, filtered to the caller's projects;
//   fields `on=F`, `in=F`, `uses=F` (F: comma-separated request field
//          paths, through nested and repeated messages): the resources
//          named in `on` fields are acted on (their project needs the
//          access), `in` names the project a create puts its resource in
//          ("" = default), `uses` names resources only read.
enum class ProjectRule { kNone, kAllProjects, kList, kFields };
struct MethodRule {
  Access access = Access::kAdmin;
  ProjectRule rule = ProjectRule::kNone;
  std::vector<std::string> on, in, uses;
};
// nullptr when `method` has no row.
const MethodRule* RuleOfMethod(absl::string_view method);

// One project a call touches, as the api layer resolved it from the
// request: a resource acted on or used (`name`; `project` nullopt when it
// does not exist), or a project a create names (`name` "projects/{p}").
struct ProjectTarget {
  enum class Use { kActOn, kCreateIn, kRead };
  Use use = Use::kActOn;
  std::string name;
  std::optional<std::string> project;
};
// NOT_FOUND (RESOURCE_NOT_FOUND) for `name`: one answer whether it is
// missing or in a project the caller holds no grant in.
absl::Status ResourceNotFound(absl::string_view name);
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
  // Whether `principal` may make the call (the order of checks is above);
  // on success, the projects whose resources it may read (for lists and
  // lineage).
  absl::StatusOr<ProjectScope> AuthorizeCall(const std::string& principal, absl::string_view method,
                                             const std::vector<ProjectTarget>& targets) const;
  // The same decision for a call that is no gRPC method (the MLflow door):
  // `name` names it in messages.
  absl::StatusOr<ProjectScope> AuthorizeAccess(const std::string& principal, absl::string_view name, Access access,
                                               ProjectRule rule, const std::vector<ProjectTarget>& targets) const;
  // AuthorizeCall for a call that creates in `project`.
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
