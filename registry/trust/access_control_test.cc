#include "registry/trust/access_control.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;

std::string Reason(const absl::Status& s) {
  auto d = ErrorDetailsOf(s);
  return d ? d->reason : "";
}

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = SqliteBackend::Open({.path = (dir_.path() / "t.db").string()});
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = *std::move(b);
    Reload();
  }
  void Reload() {
    auto ac = AccessControl::Create(backend_->access(), backend_->content(), [this] { return now_; });
    ASSERT_TRUE(ac.ok()) << ac.status();
    ac_ = *std::move(ac);
  }
  absl::StatusOr<std::string> Auth(const std::string& bearer) { return ac_->Authenticate({"", bearer}); }
  int64_t now_ = 1'000'000'000'000;
  CallContext ctx_{"local:admin", "test", std::string(64, 'a')};
  fairtrace::testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> backend_;
  std::unique_ptr<AccessControl> ac_;
};

TEST_F(AccessControlTest, TokensAuthenticateUntilRevokedOrExpired) {
  ASSERT_OK_AND_ASSIGN(CreatedTokenSecret t, ac_->CreateToken(ctx_, "svc:trainer", 3600, "nightly"));
  EXPECT_EQ(t.secret.size(), 85u);
  ASSERT_OK_AND_ASSIGN(std::string p, Auth(t.secret));
  EXPECT_EQ(p, "svc:trainer");
  // Only the hash is stored: the secret is in no row.
  ASSERT_OK_AND_ASSIGN(auto rows, backend_->access()->ListTokens());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].secret_sha256.size(), 32u);
  EXPECT_EQ(t.secret.find(rows[0].secret_sha256), std::string::npos);
  // The audit records name the token, not its secret.
  ASSERT_OK_AND_ASSIGN(auto records, backend_->content()->ListAudit(0, 10));
  for (const auto& r : records) EXPECT_EQ(r.entry.resource.find(t.secret.substr(21)), std::string::npos);

  now_ += int64_t{3600} * 1'000'000;
  EXPECT_EQ(Reason(Auth(t.secret).status()), "TOKEN_EXPIRED");
  ASSERT_OK_AND_ASSIGN(CreatedTokenSecret forever, ac_->CreateToken(ctx_, "user:ana", 0, ""));
  EXPECT_TRUE(Auth(forever.secret).ok());
  ASSERT_OK(ac_->RevokeToken(ctx_, "tokens/" + forever.row.token_id).status());
  EXPECT_EQ(Reason(Auth(forever.secret).status()), "TOKEN_REVOKED");
  // Survives a restart.
  Reload();
  EXPECT_EQ(Reason(Auth(forever.secret).status()), "TOKEN_REVOKED");
  EXPECT_EQ(ac_->ListTokens("", false).size(), 1u);
  EXPECT_EQ(ac_->ListTokens("", true).size(), 2u);
}

TEST_F(AccessControlTest, MalformedAndForgedTokensAreUnauthenticated) {
  ASSERT_OK_AND_ASSIGN(CreatedTokenSecret t, ac_->CreateToken(ctx_, "user:ana", 0, ""));
  std::string forged = t.secret;
  forged.back() = forged.back() == '0' ? '1' : '0';
  std::string other_id = t.secret;
  other_id[4] = other_id[4] == 'a' ? 'b' : 'a';
  for (const std::string& bad :
       {std::string(""), std::string("Bearer x"), forged, other_id, t.secret + "0", t.secret.substr(0, 84),
        std::string("ft2") + t.secret.substr(3), std::string("FT1") + t.secret.substr(3)}) {
    auto r = Auth(bad);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated)) << bad;
    EXPECT_EQ(Reason(r.status()), "TOKEN_INVALID") << bad;
  }
  EXPECT_EQ(*ac_->Authenticate({}), "anonymous");
  EXPECT_EQ(*ac_->Authenticate({"CN=ada,O=Lab", t.secret}), "x509:CN=ada,O=Lab");  // the certificate wins
  EXPECT_THAT(ac_->RevokeToken(ctx_, "tokens/0000000000000000").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ac_->RevokeToken(ctx_, "0000").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  for (const std::string& p : {std::string(""), std::string("anonymous"), std::string(" ana"), std::string("a\nb"),
                               std::string(300, 'x'), std::string("\xff")}) {
    EXPECT_THAT(ac_->CreateToken(ctx_, p, 0, "").status(), StatusIs(absl::StatusCode::kInvalidArgument)) << p;
  }
  EXPECT_THAT(ac_->CreateToken(ctx_, "ana", -1, "").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ac_->CreateToken(ctx_, "ana", int64_t{4000} * 86400, "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AccessControlTest, GrantsTurnAuthorizationOnAndRolesAddUp) {
  const std::string create_version = "/fairtrace.v1.ModelService/CreateModelVersion";
  const std::string get_version = "/fairtrace.v1.ModelService/GetModelVersion";
  const std::string create_dataset = "/fairtrace.v1.DatasetService/CreateDatasetVersion";
  EXPECT_FALSE(ac_->enforced());
  EXPECT_OK(ac_->Authorize("anonymous", create_version));
  ASSERT_OK(ac_->AddGrant(ctx_, "user:admin", "admin", "").status());
  EXPECT_TRUE(ac_->enforced());
  EXPECT_EQ(Reason(ac_->Authorize("anonymous", get_version)), "AUTHENTICATION_REQUIRED");
  EXPECT_OK(ac_->Authorize("anonymous", "/fairtrace.v1.AccessService/WhoAmI"));
  EXPECT_EQ(Reason(ac_->Authorize("user:ana", get_version)), "NO_GRANT");
  ASSERT_OK(ac_->AddGrant(ctx_, "user:ana", "viewer", "default").status());
  EXPECT_OK(ac_->Authorize("user:ana", get_version));
  EXPECT_EQ(Reason(ac_->Authorize("user:ana", create_version)), "PERMISSION_DENIED_FOR_ROLE");
  ASSERT_OK(ac_->AddGrant(ctx_, "user:ana", "data-scientist", "").status());
  EXPECT_OK(ac_->Authorize("user:ana", create_version));
  EXPECT_THAT(ac_->Authorize("user:ana", create_dataset), StatusIs(absl::StatusCode::kPermissionDenied));
  // A grant in another project gives nothing here: the project is as
  // hidden as a missing resource.
  ASSERT_OK(ac_->AddGrant(ctx_, "user:bob", "data-engineer", "wheat-2027").status());
  EXPECT_THAT(ac_->Authorize("user:bob", create_dataset), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(ac_->Authorize("user:bob", create_dataset)), "RESOURCE_NOT_FOUND");
  EXPECT_OK(ac_->Authorize("user:bob", create_dataset, "wheat-2027"));
  EXPECT_THAT(ac_->AddGrant(ctx_, "user:ana", "viewer", "default").status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(ac_->AddGrant(ctx_, "user:ana", "superuser", "").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ac_->AddGrant(ctx_, "user:ana", "viewer", "Bad Project").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Reason(ac_->Authorize("user:admin", "/fairtrace.v1.Nope/Nothing")), "METHOD_NOT_IN_ACCESS_TABLE");
  // Revoking takes effect at once; revoking everything turns enforcement off.
  ASSERT_OK(ac_->RevokeGrant(ctx_, "user:ana", "data-scientist", "*").status());
  EXPECT_THAT(ac_->Authorize("user:ana", create_version), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ac_->RevokeGrant(ctx_, "user:ana", "data-scientist", "*").status(),
              StatusIs(absl::StatusCode::kNotFound));
  Reload();
  EXPECT_EQ(ac_->ListGrants("").size(), 3u);
  // Failed attempts are audited with their code.
  ASSERT_OK_AND_ASSIGN(auto records, backend_->content()->ListAudit(0, 100));
  int refused = 0;
  for (const auto& r : records) refused += r.entry.result != "OK";
  EXPECT_EQ(refused, 4);
}

TEST(AccessTableTest, EveryRoleReadsAndOnlyAdminAdministers) {
  for (const std::string& role : Roles()) {
    EXPECT_TRUE(RoleHasAccess(role, Access::kRead)) << role;
    EXPECT_EQ(RoleHasAccess(role, Access::kAdmin), role == "admin") << role;
    EXPECT_EQ(RoleHasAccess(role, Access::kWriteContent), role != "auditor" && role != "viewer") << role;
  }
  EXPECT_EQ(AccessOfMethod("/fairtrace.v1.AdminService/Fsck"), Access::kAdmin);
  EXPECT_EQ(AccessOfMethod("fairtrace.v1.AccessService/CreateToken"), Access::kAdmin);
  EXPECT_FALSE(AccessOfMethod("/fairtrace.v1.AdminService/Nope").has_value());
  EXPECT_GT(MethodsWithAccess().size(), 80u);
}

}  // namespace
// The project rules: hidden and missing resources answer alike, a grant in
// the resource's project without the access is PERMISSION_DENIED, the
// whole-log calls need the access on "*", and the scope lists the projects.
TEST_F(AccessControlTest, ProjectsDecideWhatACallMayTouch) {
  using Use = ProjectTarget::Use;
  const std::string get_model = "/fairtrace.v1.ModelService/GetRegisteredModel";
  const std::string create_version = "/fairtrace.v1.ModelService/CreateModelVersion";
  const std::string list_models = "/fairtrace.v1.ModelService/ListRegisteredModels";
  const std::string audit_list = "/fairtrace.v1.AuditService/ListAuditRecords";
  ASSERT_OK(ac_->AddGrant(ctx_, "user:admin", "admin", "").status());
  ASSERT_OK(ac_->AddGrant(ctx_, "user:ana", "data-scientist", "wheat").status());
  ASSERT_OK(ac_->AddGrant(ctx_, "user:ana", "viewer", "maize").status());
  ASSERT_OK(ac_->AddGrant(ctx_, "user:aud", "auditor", "wheat").status());
  ASSERT_OK(ac_->AddGrant(ctx_, "user:aud-all", "auditor", "").status());

  ProjectTarget in_wheat{Use::kActOn, "models/w", "wheat"};
  ProjectTarget in_maize{Use::kActOn, "models/m", "maize"};
  ProjectTarget in_rice{Use::kActOn, "models/r", "rice"};
  ProjectTarget missing{Use::kActOn, "models/gone", std::nullopt};
  ASSERT_OK(ac_->AuthorizeCall("user:ana", create_version, {in_wheat}).status());
  ASSERT_OK(ac_->AuthorizeCall("user:ana", get_model, {in_maize}).status());
  // A viewer grant in maize: reading yes, writing no.
  EXPECT_EQ(Reason(ac_->AuthorizeCall("user:ana", create_version, {in_maize}).status()), "PERMISSION_DENIED_FOR_ROLE");
  // No grant in rice: the same NOT_FOUND as a missing model, naming it.
  absl::Status hidden = ac_->AuthorizeCall("user:ana", get_model, {in_rice}).status();
  absl::Status gone = ac_->AuthorizeCall("user:ana", get_model, {missing}).status();
  EXPECT_THAT(hidden, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(hidden.message(), "models/r does not exist");
  EXPECT_EQ(gone.message(), "models/gone does not exist");
  EXPECT_EQ(Reason(hidden), Reason(gone));
  EXPECT_EQ(Reason(ac_->AuthorizeCall("user:ana", create_version, {in_rice}).status()), "RESOURCE_NOT_FOUND");
  // Using (reading) a resource needs a grant in its project, any role.
  ASSERT_OK(ac_->AuthorizeCall("user:ana", create_version, {in_wheat, {Use::kRead, "runs/r1", "maize"}}).status());
  EXPECT_EQ(
      Reason(ac_->AuthorizeCall("user:ana", create_version, {in_wheat, {Use::kRead, "runs/r2", "rice"}}).status()),
      "RESOURCE_NOT_FOUND");
  // Creating in a project: its grants decide.
  ASSERT_OK(ac_->AuthorizeCall("user:ana", create_version, {{Use::kCreateIn, "projects/wheat", "wheat"}}).status());
  EXPECT_EQ(
      Reason(ac_->AuthorizeCall("user:ana", create_version, {{Use::kCreateIn, "projects/maize", "maize"}}).status()),
      "PERMISSION_DENIED_FOR_ROLE");
  // The scope: the projects of the grants; every project for a grant on *.
  ASSERT_OK_AND_ASSIGN(ProjectScope scope, ac_->AuthorizeCall("user:ana", list_models, {}));
  EXPECT_FALSE(scope.all);
  EXPECT_THAT(scope.projects, ::testing::ElementsAre("maize", "wheat"));
  ASSERT_OK_AND_ASSIGN(scope, ac_->AuthorizeCall("user:admin", list_models, {in_rice}));
  EXPECT_TRUE(scope.all);
  // The whole log needs the access on *.
  EXPECT_EQ(Reason(ac_->AuthorizeCall("user:aud", audit_list, {}).status()), "PERMISSION_DENIED_FOR_ROLE");
  ASSERT_OK(ac_->AuthorizeCall("user:aud-all", audit_list, {}).status());
  // A role that lacks the access everywhere is refused before any lookup,
  // whatever the resource: nothing is learnt about it.
  EXPECT_EQ(Reason(ac_->AuthorizeCall("user:aud", create_version, {in_rice}).status()), "PERMISSION_DENIED_FOR_ROLE");
  EXPECT_EQ(Reason(ac_->AuthorizeCall("user:aud", create_version, {missing}).status()), "PERMISSION_DENIED_FOR_ROLE");
}

}  // namespace fairtrace
