#include "registry/trust/access_control.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "registry/core/audited.h"
#include "registry/core/resource_util.h"

namespace fairtrace {

extern const char kRpcAccessTsv[];  // rpc_access.tsv, embedded by CMake

namespace {

constexpr int64_t kMaxTokenLifeSeconds = int64_t{3650} * 24 * 3600;
constexpr size_t kMaxPrincipalCodePoints = 256;

struct AccessTable {
  std::vector<std::pair<std::string, Access>> rows;  // file order
  absl::flat_hash_map<std::string, MethodRule> by_method;
};

std::optional<Access> ParseAccess(absl::string_view s) {
  static const std::pair<const char*, Access> kNames[] = {
      {"authenticated", Access::kAuthenticated},
      {"read", Access::kRead},
      {"audit", Access::kAudit},
      {"write-content", Access::kWriteContent},
      {"write-datasets", Access::kWriteDatasets},
      {"write-investigations", Access::kWriteInvestigations},
      {"write-annotations", Access::kWriteAnnotations},
      {"write-runs", Access::kWriteRuns},
      {"admin", Access::kAdmin},
  };
  for (const auto& [name, a] : kNames) {
    if (s == name) return a;
  }
  return std::nullopt;
}

// The third column: "none", "all", "list", or on=/in=/uses= terms.
std::optional<MethodRule> ParseRule(Access access, absl::string_view text) {
  MethodRule r;
  r.access = access;
  if (text == "none") return r;
  if (text == "all") {
    r.rule = ProjectRule::kAllProjects;
    return r;
  }
  if (text == "list") {
    r.rule = ProjectRule::kList;
    return r;
  }
  r.rule = ProjectRule::kFields;
  for (absl::string_view term : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(term, absl::MaxSplits('=', 1));
    std::vector<std::string>* into = kv.first == "on"     ? &r.on
                                     : kv.first == "in"   ? &r.in
                                     : kv.first == "uses" ? &r.uses
                                                          : nullptr;
    if (into == nullptr || kv.second.empty()) return std::nullopt;
    for (absl::string_view f : absl::StrSplit(kv.second, ',')) into->emplace_back(f);
  }
  if (r.on.empty() && r.in.empty()) return std::nullopt;  // every such call acts somewhere
  return r;
}

// Parsed once; a malformed row is a build defect that aborts at start (and
// fails tests/access_test.cc) rather than a silently missing permission.
const AccessTable& Table() {
  static const AccessTable* table = [] {
    auto* t = new AccessTable;
    for (absl::string_view line : absl::StrSplit(kRpcAccessTsv, '\n')) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<absl::string_view> cols = absl::StrSplit(line, '\t');
      std::optional<Access> a = cols.size() == 3 ? ParseAccess(cols[1]) : std::nullopt;
      std::optional<MethodRule> rule = a ? ParseRule(*a, cols[2]) : std::nullopt;
      if (!rule) {
        fprintf(stderr, "fairtrace: rpc_access.tsv: bad row '%s'\n", std::string(line).c_str());
        abort();
      }
      t->rows.emplace_back(std::string(cols[0]), *a);
      t->by_method[std::string(cols[0])] = *std::move(rule);
    }
    return t;
  }();
  return *table;
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) abort();
  return ToHex(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
}

std::string Sha256Raw(absl::string_view s) {
  Sha256 h;
  h.Update(s);
  Sha256::Bytes d = h.Finish();
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

absl::Status Unauthenticated(absl::string_view reason, std::string message) {
  return ErrorBuilder(absl::StatusCode::kUnauthenticated, std::move(message)).Reason(reason).Build();
}

absl::Status CheckPrincipal(const std::string& p, absl::string_view field) {
  if (p.empty()) return InvalidField(field, "is required");
  if (!text::IsValidUtf8(p)) return InvalidField(field, "is not valid UTF-8");
  if (text::CodePointCount(p) > kMaxPrincipalCodePoints) return InvalidField(field, "is longer than 256 characters");
  for (unsigned char c : p) {
    if (c < 0x20 || c == 0x7f) return InvalidField(field, "holds a control character");
  }
  if (absl::StripAsciiWhitespace(p) != p) return InvalidField(field, "starts or ends with a space");
  if (p == kAnonymous) return InvalidField(field, "'anonymous' is the name of unauthenticated callers");
  return absl::OkStatus();
}

absl::StatusOr<std::string> CheckProject(const std::string& project) {
  if (project.empty() || project == kAllProjects) return std::string(kAllProjects);
  if (!IsValidProjectName(project))
    return InvalidField("project", "is '*' or lowercase letters, digits, '-', '_' and '.' (at most 63)");
  return project;
}

absl::Status CheckRole(const std::string& role) {
  for (const std::string& r : Roles()) {
    if (r == role) return absl::OkStatus();
  }
  return InvalidField("role", "is admin, data-engineer, data-manager, annotator, data-scientist, auditor or viewer");
}

}  // namespace

const std::vector<std::string>& Roles() {
  static const std::vector<std::string> kRoles = {"admin",          "data-engineer", "data-manager", "annotator",
                                                  "data-scientist", "auditor",       "viewer"};
  return kRoles;
}

bool RoleHasAccess(const std::string& role, Access access) {
  if (access == Access::kAuthenticated) return true;
  if (role == "admin") return true;
  if (access == Access::kRead) return true;  // every role reads its projects
  if (role == "auditor") return access == Access::kAudit;
  if (role == "data-engineer") return access == Access::kWriteContent || access == Access::kWriteDatasets;
  if (role == "data-manager") return access == Access::kWriteContent || access == Access::kWriteInvestigations;
  if (role == "annotator") return access == Access::kWriteContent || access == Access::kWriteAnnotations;
  if (role == "data-scientist") return access == Access::kWriteContent || access == Access::kWriteRuns;
  return false;  // viewer: read only
}

std::string AccessName(Access access) {
  switch (access) {
    case Access::kAuthenticated:
      return "authenticated";
    case Access::kRead:
      return "read";
    case Access::kAudit:
      return "audit";
    case Access::kWriteContent:
      return "write-content";
    case Access::kWriteDatasets:
      return "write-datasets";
    case Access::kWriteInvestigations:
      return "write-investigations";
    case Access::kWriteAnnotations:
      return "write-annotations";
    case Access::kWriteRuns:
      return "write-runs";
    case Access::kAdmin:
      return "admin";
  }
  return "?";
}

const MethodRule* RuleOfMethod(absl::string_view method) {
  absl::ConsumePrefix(&method, "/");
  auto it = Table().by_method.find(method);
  return it == Table().by_method.end() ? nullptr : &it->second;
}

std::optional<Access> AccessOfMethod(absl::string_view method) {
  const MethodRule* rule = RuleOfMethod(method);
  if (rule == nullptr) return std::nullopt;
  return rule->access;
}

absl::Status ResourceNotFound(absl::string_view name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(name, " does not exist"))
      .Reason("RESOURCE_NOT_FOUND")
      .Resource("", std::string(name))
      .Build();
}

std::string CertificatePrincipal(absl::string_view subject) {
  return absl::StrCat("x509:", text::ClipText(subject, 500));
}

std::vector<std::string> MethodsWithAccess() {
  std::vector<std::string> out;
  for (const auto& [m, a] : Table().rows) out.push_back(m);
  return out;
}

absl::StatusOr<std::unique_ptr<AccessControl>> AccessControl::Create(AccessStore* store, Store* audit_store,
                                                                     std::function<int64_t()> now_micros) {
  (void)Table();
  std::unique_ptr<AccessControl> ac(new AccessControl(store, audit_store, std::move(now_micros)));
  FT_ASSIGN_OR_RETURN(std::vector<TokenRow> tokens, store->ListTokens());
  FT_ASSIGN_OR_RETURN(std::vector<GrantRow> grants, store->ListGrants());
  absl::MutexLock lock(&ac->mu_);
  for (TokenRow& t : tokens) ac->tokens_[t.token_id] = std::move(t);
  ac->grants_ = std::move(grants);
  return ac;
}

absl::StatusOr<std::string> AccessControl::Authenticate(const CallerCredentials& c) const {
  if (!c.x509_subject.empty()) return CertificatePrincipal(c.x509_subject);
  if (!c.bearer) return std::string(kAnonymous);
  // ft1_<16 hex id>_<64 hex secret>
  absl::string_view t = *c.bearer;
  if (t.size() != 4 + 16 + 1 + 64 || !absl::ConsumePrefix(&t, "ft1_") || t[16] != '_' || !IsHex(t.substr(0, 16)) ||
      !IsHex(t.substr(17))) {
    return Unauthenticated("TOKEN_INVALID", "the bearer token is not a fairtrace token (ft1_<id>_<secret>)");
  }
  std::string id(t.substr(0, 16));
  std::string hash = Sha256Raw(t.substr(17));
  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(id);
  // One answer for unknown and wrong secrets, compared in constant time.
  if (it == tokens_.end() || it->second.secret_sha256.size() != hash.size() ||
      CRYPTO_memcmp(it->second.secret_sha256.data(), hash.data(), hash.size()) != 0) {
    return Unauthenticated("TOKEN_INVALID", "the bearer token is not one this server issued");
  }
  const TokenRow& row = it->second;
  if (row.revoke_time != 0) return Unauthenticated("TOKEN_REVOKED", absl::StrCat("token ", id, " was revoked"));
  if (row.expire_time != 0 && now_() >= row.expire_time) {
    return Unauthenticated("TOKEN_EXPIRED", absl::StrCat("token ", id, " has expired"));
  }
  return row.principal;
}

bool AccessControl::enforced() const {
  absl::MutexLock lock(&mu_);
  return !grants_.empty();
}

absl::Status AccessControl::Authorize(const std::string& principal, absl::string_view method,
                                      absl::string_view project) const {
  return AuthorizeCall(
             principal, method,
             {ProjectTarget{ProjectTarget::Use::kCreateIn, absl::StrCat("projects/", project), std::string(project)}})
      .status();
}

absl::StatusOr<ProjectScope> AccessControl::AuthorizeCall(const std::string& principal, absl::string_view method,
                                                          const std::vector<ProjectTarget>& targets) const {
  const MethodRule* rule = RuleOfMethod(method);
  if (rule == nullptr) {
    return ErrorBuilder(absl::StatusCode::kPermissionDenied,
                        absl::StrCat(method, " has no row in the access table; nobody may call it"))
        .Reason("METHOD_NOT_IN_ACCESS_TABLE")
        .Build();
  }
  return AuthorizeAccess(principal, method, rule->access, rule->rule, targets);
}

absl::StatusOr<ProjectScope> AccessControl::AuthorizeAccess(const std::string& principal, absl::string_view method,
                                                            Access access, ProjectRule rule,
                                                            const std::vector<ProjectTarget>& targets) const {
  absl::MutexLock lock(&mu_);
  if (grants_.empty()) return ProjectScope::All();
  if (principal == kAnonymous && access != Access::kAuthenticated) {
    return Unauthenticated("AUTHENTICATION_REQUIRED",
                           "this server requires a token (authorization: Bearer …) or a client certificate");
  }
  // The principal's grants, and what they give.
  bool any_grant = false, everywhere = false, access_somewhere = false, access_everywhere = false;
  std::vector<std::string> readable;
  for (const GrantRow& g : grants_) {
    if (g.principal != principal) continue;
    any_grant = true;
    const bool all = g.project == kAllProjects;
    const bool has = RoleHasAccess(g.role, access);
    everywhere = everywhere || all;
    access_somewhere = access_somewhere || has;
    access_everywhere = access_everywhere || (all && has);
    readable.push_back(g.project);
  }
  ProjectScope scope = everywhere ? ProjectScope::All() : ProjectScope::Only(std::move(readable));
  if (access == Access::kAuthenticated) return scope;
  auto denied = [&](absl::string_view where) {
    return ErrorBuilder(absl::StatusCode::kPermissionDenied,
                        any_grant ? absl::StrCat(principal, " holds no role with ", AccessName(access), " access ",
                                                 where, " (", method, ")")
                                  : absl::StrCat(principal, " holds no grant on this server"))
        .Reason(any_grant ? "PERMISSION_DENIED_FOR_ROLE" : "NO_GRANT")
        .Meta("access", AccessName(access))
        .Build();
  };
  if (!any_grant) return denied("");
  if (rule == ProjectRule::kAllProjects && !access_everywhere) return denied("on every project ('*')");
  if (!access_somewhere) return denied("in any project");
  for (const ProjectTarget& t : targets) {
    if (!t.project || !scope.Allows(*t.project)) return ResourceNotFound(t.name);
    if (t.use == ProjectTarget::Use::kRead) continue;
    bool allowed = false;
    for (const GrantRow& g : grants_) {
      allowed = allowed || (g.principal == principal && (g.project == kAllProjects || g.project == *t.project) &&
                            RoleHasAccess(g.role, access));
    }
    if (!allowed) return denied(absl::StrCat("in project ", *t.project));
  }
  return scope;
}

absl::StatusOr<CreatedTokenSecret> AccessControl::CreateToken(const CallContext& ctx, const std::string& principal,
                                                              int64_t expires_in_seconds,
                                                              const std::string& description) {
  return Audited(audit_store_, ctx, "tokens", [&]() -> absl::StatusOr<CreatedTokenSecret> {
    FT_RETURN_IF_ERROR(CheckPrincipal(principal, "principal"));
    if (expires_in_seconds < 0 || expires_in_seconds > kMaxTokenLifeSeconds) {
      return InvalidField("expires_in_seconds", "is between 0 (never) and 3,650 days");
    }
    if (!text::IsValidUtf8(description) || text::CodePointCount(description) > 1000) {
      return InvalidField("description", "is valid UTF-8 of at most 1,000 characters");
    }
    CreatedTokenSecret out;
    out.row.token_id = RandomHex(8);
    std::string secret = RandomHex(32);
    out.secret = absl::StrCat("ft1_", out.row.token_id, "_", secret);
    out.row.principal = principal;
    out.row.secret_sha256 = Sha256Raw(secret);
    out.row.description = description;
    out.row.create_time = now_();
    if (expires_in_seconds > 0) out.row.expire_time = out.row.create_time + expires_in_seconds * 1'000'000;
    // The audit record names the token and its principal, never the secret.
    FT_RETURN_IF_ERROR(store_->InsertToken(
        out.row, MakeAuditEntry(ctx, absl::StrCat("tokens/", out.row.token_id, " for ", principal), absl::OkStatus())));
    absl::MutexLock lock(&mu_);
    tokens_[out.row.token_id] = out.row;
    return out;
  });
}

std::vector<TokenRow> AccessControl::ListTokens(const std::string& principal, bool include_revoked) const {
  std::vector<TokenRow> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, t] : tokens_) {
    if ((principal.empty() || t.principal == principal) && (include_revoked || t.revoke_time == 0)) out.push_back(t);
  }
  std::sort(out.begin(), out.end(), [](const TokenRow& a, const TokenRow& b) { return a.token_id < b.token_id; });
  return out;
}

absl::StatusOr<TokenRow> AccessControl::RevokeToken(const CallContext& ctx, const std::string& token_name) {
  return Audited(audit_store_, ctx, token_name, [&]() -> absl::StatusOr<TokenRow> {
    absl::string_view id = token_name;
    if (!absl::ConsumePrefix(&id, "tokens/") || id.size() != 16 || !IsHex(id)) {
      return InvalidField("name", "is tokens/<16 hex digits>");
    }
    FT_ASSIGN_OR_RETURN(
        TokenRow row, store_->RevokeToken(std::string(id), now_(), MakeAuditEntry(ctx, token_name, absl::OkStatus())));
    absl::MutexLock lock(&mu_);
    tokens_[row.token_id] = row;
    return row;
  });
}

absl::StatusOr<GrantRow> AccessControl::AddGrant(const CallContext& ctx, const std::string& principal,
                                                 const std::string& role, const std::string& project) {
  return Audited(audit_store_, ctx, absl::StrCat("grants/", principal), [&]() -> absl::StatusOr<GrantRow> {
    FT_RETURN_IF_ERROR(CheckPrincipal(principal, "principal"));
    FT_RETURN_IF_ERROR(CheckRole(role));
    FT_ASSIGN_OR_RETURN(std::string p, CheckProject(project));
    GrantRow row{principal, role, p, now_()};
    FT_RETURN_IF_ERROR(store_->InsertGrant(
        row, MakeAuditEntry(ctx, absl::StrCat("grants/", principal, "/", role, "/", p), absl::OkStatus())));
    absl::MutexLock lock(&mu_);
    grants_.push_back(row);
    return row;
  });
}

std::vector<GrantRow> AccessControl::ListGrants(const std::string& principal) const {
  std::vector<GrantRow> out;
  absl::MutexLock lock(&mu_);
  for (const GrantRow& g : grants_) {
    if (principal.empty() || g.principal == principal) out.push_back(g);
  }
  return out;
}

absl::StatusOr<GrantRow> AccessControl::RevokeGrant(const CallContext& ctx, const std::string& principal,
                                                    const std::string& role, const std::string& project) {
  return Audited(audit_store_, ctx, absl::StrCat("grants/", principal), [&]() -> absl::StatusOr<GrantRow> {
    FT_ASSIGN_OR_RETURN(std::string p, CheckProject(project));
    FT_ASSIGN_OR_RETURN(GrantRow row,
                        store_->DeleteGrant(principal, role, p,
                                            MakeAuditEntry(ctx, absl::StrCat("grants/", principal, "/", role, "/", p),
                                                           absl::OkStatus())));
    absl::MutexLock lock(&mu_);
    grants_.erase(
        std::remove_if(grants_.begin(), grants_.end(),
                       [&](const GrantRow& g) { return g.principal == principal && g.role == role && g.project == p; }),
        grants_.end());
    return row;
  });
}

}  // namespace fairtrace
