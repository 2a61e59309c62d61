// Tokens, grants and roles through the real server (docs/security.md):
// every RPC of every service called by every role and by nobody, checked
// against registry/trust/rpc_access.tsv; the offline commands that make
// the first admin; tokens from the CLI's environment; denied attempts in
// the audit log.
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "fairtrace/v1/access.grpc.pb.h"
#include "fairtrace/v1/admin.grpc.pb.h"
#include "fairtrace/v1/annotations.grpc.pb.h"
#include "fairtrace/v1/cas.grpc.pb.h"
#include "fairtrace/v1/datasets.grpc.pb.h"
#include "fairtrace/v1/experiments.pb.h"
#include "fairtrace/v1/investigations.grpc.pb.h"
#include "fairtrace/v1/models.grpc.pb.h"
#include "fairtrace/v1/runs.grpc.pb.h"
#include "fairtrace/v1/splits.grpc.pb.h"
#include "registry/api/rpc_guard.h"
#include "registry/trust/access_control.h"
#include "tests/testing/raw_call.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace::testing {
namespace {

using ::testing::HasSubstr;
namespace pb = google::protobuf;

class AccessTest : public ServerFixture {
 protected:
  grpc::Status CallRaw(const std::string& method, const std::string& token,
                       std::chrono::seconds deadline = std::chrono::seconds(60)) {
    if (token.empty()) return testing::CallRaw(channel_, method, "", {}, deadline);
    return testing::CallRaw(channel_, method, "", {{"authorization", "Bearer " + token}}, deadline);
  }
  // Grants `role` (every project) to `principal` with the admin's token.
  void Grant(const std::string& principal, const std::string& role, const std::string& project = "") {
    auto stub = v1::AccessService::NewStub(channel_);
    grpc::ClientContext ctx;
    if (!admin_token_.empty()) ctx.AddMetadata("authorization", "Bearer " + admin_token_);
    v1::AddGrantRequest req;
    req.set_principal(principal);
    req.set_role(role);
    req.set_project(project);
    v1::Grant g;
    grpc::Status s = stub->AddGrant(&ctx, req, &g);
    ASSERT_TRUE(s.ok()) << principal << " " << role << ": " << s.error_message();
  }
  // Makes "user:root" the admin (the first grant turns authorization on).
  void BecomeAdmin() {
    admin_token_ = TokenFor("user:root");
    Grant("user:root", "admin");
  }
};

// Every fairtrace.v1 service in the linked descriptor pool.
std::vector<const pb::ServiceDescriptor*> Services() {
  for (const pb::Descriptor* d : {v1::FindMissingBlobsRequest::descriptor(), v1::FsckRequest::descriptor(),
                                  v1::CreateRegisteredModelRequest::descriptor(), v1::CreateRunRequest::descriptor(),
                                  v1::ValidateInvestigationRequest::descriptor(),
                                  v1::CreateDatasetRequest::descriptor(), v1::CreateAnnotationSetRequest::descriptor(),
                                  v1::CreateSplitRequest::descriptor(), v1::WhoAmIRequest::descriptor()}) {
    EXPECT_NE(d, nullptr);
  }
  const void* volatile experiments_table = &descriptor_table_fairtrace_2fv1_2fexperiments_2eproto;
  EXPECT_NE(experiments_table, nullptr);
  std::vector<const pb::ServiceDescriptor*> out;
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  for (const char* file :
       {"fairtrace/v1/cas.proto", "fairtrace/v1/admin.proto", "fairtrace/v1/models.proto", "fairtrace/v1/runs.proto",
        "fairtrace/v1/investigations.proto", "fairtrace/v1/experiments.proto", "fairtrace/v1/datasets.proto",
        "fairtrace/v1/annotations.proto", "fairtrace/v1/splits.proto", "fairtrace/v1/access.proto"}) {
    const pb::FileDescriptor* f = pool->FindFileByName(file);
    EXPECT_NE(f, nullptr) << file;
    if (f == nullptr) continue;
    for (int i = 0; i < f->service_count(); ++i) out.push_back(f->service(i));
  }
  return out;
}

// The table has one row per RPC: a new RPC without a row fails here (and
// the server would refuse it to everyone).
TEST(AccessTable, EveryRpcHasExactlyOneRow) {
  std::set<std::string> rpcs;
  for (const pb::ServiceDescriptor* s : Services()) {
    for (int m = 0; m < s->method_count(); ++m) {
      std::string name = absl::StrCat(s->full_name(), "/", s->method(m)->name());
      rpcs.insert(name);
      EXPECT_TRUE(AccessOfMethod(name).has_value()) << name << " has no row in registry/trust/rpc_access.tsv";
    }
  }
  std::vector<std::string> rows = MethodsWithAccess();
  EXPECT_EQ(std::set<std::string>(rows.begin(), rows.end()).size(), rows.size()) << "a method has two rows";
  for (const std::string& row : rows) EXPECT_TRUE(rpcs.count(row)) << row << " names no RPC";
}

// The projects column names string fields of each method's request (a
// typo would silently check nothing), and every call that names a
// resource of a project says so.
TEST(AccessTable, ProjectFieldsNameStringsOfTheRequest) {
  int fields = 0;
  for (const pb::ServiceDescriptor* s : Services()) {
    for (int m = 0; m < s->method_count(); ++m) {
      const pb::MethodDescriptor* method = s->method(m);
      const MethodRule* rule = RuleOfMethod(absl::StrCat(s->full_name(), "/", method->name()));
      ASSERT_NE(rule, nullptr) << method->full_name();
      std::unique_ptr<pb::Message> request(
          pb::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
      for (const auto* paths : {&rule->on, &rule->in, &rule->uses}) {
        for (const std::string& path : *paths) {
          std::vector<std::string> values;
          absl::Status found = api::CollectFieldStrings(*request, path, &values);
          EXPECT_TRUE(found.ok()) << method->full_name() << " " << path << ": " << found;
          ++fields;
        }
      }
      // A top-level string field holding a resource name must be checked.
      for (const char* name : {"name", "parent", "run", "resource", "split", "base", "target"}) {
        const pb::FieldDescriptor* f = method->input_type()->FindFieldByName(name);
        if (f == nullptr || f->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) continue;
        if (s->name() == "CasService" || s->name() == "AccessService") continue;  // digests, tokens
        std::vector<std::string> all = rule->on;
        all.insert(all.end(), rule->uses.begin(), rule->uses.end());
        EXPECT_TRUE(std::find(all.begin(), all.end(), name) != all.end())
            << method->full_name() << "." << name << " names a resource its row does not check";
      }
    }
  }
  EXPECT_GT(fields, 50);
}

// docs/access-table.md is the table rendered: one row per RPC, one column
// per role. Regenerate with FAIRTRACE_UPDATE_DOCS=1.
std::string RenderAccessTable() {
  std::string out =
      "# Who may call what\n\n"
      "Generated from `registry/trust/rpc_access.tsv` and the roles in `registry/trust/access_control.cc` by\n"
      "`tests/access_test.cc` (`FAIRTRACE_UPDATE_DOCS=1 build/tests/ft_access_integration_test\n"
      "--gtest_filter=AccessTable.*`); a test fails when this page is stale. ✓: the role may call the RPC in\n"
      "the projects it holds the role in. Every RPC needs authentication once a grant exists, except\n"
      "`WhoAmI`. The projects column says which projects a call touches (security.md, \"Projects\"): `on` the\n"
      "resources named in those request fields, `in` the project a create names, `uses` resources only read,\n"
      "`list` filtered to the caller's projects, `all` the access on every project (`*`), `none` no project.\n"
      "See [security.md](security.md).\n\n| RPC | access | projects |";
  for (const std::string& role : Roles()) absl::StrAppend(&out, " ", role, " |");
  absl::StrAppend(&out, "\n|---|---|---|");
  for (size_t i = 0; i < Roles().size(); ++i) absl::StrAppend(&out, ":-:|");
  absl::StrAppend(&out, "\n");
  for (const std::string& method : MethodsWithAccess()) {
    Access a = *AccessOfMethod(method);
    const MethodRule& rule = *RuleOfMethod(method);
    std::string projects = rule.rule == ProjectRule::kNone          ? "none"
                           : rule.rule == ProjectRule::kAllProjects ? "all"
                           : rule.rule == ProjectRule::kList        ? "list"
                                                                    : "";
    for (const auto& [term, paths] : {std::pair{"in", &rule.in}, {"on", &rule.on}, {"uses", &rule.uses}}) {
      if (!paths->empty())
        absl::StrAppend(&projects, projects.empty() ? "" : " ", term, "=`", absl::StrJoin(*paths, ","), "`");
    }
    absl::StrAppend(&out, "| `", method.substr(method.find('.') + 4), "` | ", AccessName(a), " | ", projects, " |");
    for (const std::string& role : Roles()) absl::StrAppend(&out, RoleHasAccess(role, a) ? " ✓ |" : "  |");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

TEST(AccessTable, TheDocsPageIsTheTableRendered) {
  const std::filesystem::path page = std::filesystem::path(FAIRTRACE_SOURCE_DIR) / "docs" / "access-table.md";
  const std::string expected = RenderAccessTable();
  if (std::getenv("FAIRTRACE_UPDATE_DOCS") != nullptr) std::ofstream(page, std::ios::binary) << expected;
  std::ifstream in(page, std::ios::binary);
  std::string actual((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(actual, expected) << "docs/access-table.md is stale: run with FAIRTRACE_UPDATE_DOCS=1";
}

// Every RPC × every role × no credentials, against the table.
TEST_F(AccessTest, EveryRpcAndEveryRoleFollowTheTable) {
  BecomeAdmin();
  std::map<std::string, std::string> token_of;
  for (const std::string& role : Roles()) {
    std::string principal = "user:" + role;
    token_of[role] = role == "admin" ? admin_token_ : TokenFor(principal);
    if (role != "admin") Grant(principal, role);
  }
  int checked = 0;
  for (const pb::ServiceDescriptor* s : Services()) {
    for (int m = 0; m < s->method_count(); ++m) {
      const std::string method = absl::StrCat("/", s->full_name(), "/", s->method(m)->name());
      std::optional<Access> access = AccessOfMethod(method);
      ASSERT_TRUE(access.has_value()) << method;
      const std::chrono::seconds deadline(s->method(m)->server_streaming() ? 3 : 60);
      grpc::Status nobody = CallRaw(method, "");
      if (*access == Access::kAuthenticated) {
        EXPECT_TRUE(nobody.ok()) << method << ": " << nobody.error_message();
      } else {
        EXPECT_EQ(nobody.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
      }
      for (const std::string& role : Roles()) {
        // A refusal comes at once; an admitted stream runs to the deadline.
        grpc::Status s = CallRaw(method, token_of[role], deadline);
        const bool allowed = RoleHasAccess(role, *access);
        if (allowed) {
          EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method << " as " << role;
          EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method << " as " << role;
        } else {
          EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << method << " as " << role << ": " << s.error_message();
          EXPECT_EQ(Reason(s), "PERMISSION_DENIED_FOR_ROLE") << method << " as " << role;
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 80 * 7);
}

TEST_F(AccessTest, DeniedAndUnauthenticatedAttemptsAreAudited) {
  BecomeAdmin();
  std::string viewer = TokenFor("user:vera");
  Grant("user:vera", "viewer");
  EXPECT_EQ(CallRaw("/fairtrace.v1.ModelService/CreateRegisteredModel", viewer).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CallRaw("/fairtrace.v1.ModelService/GetRegisteredModel", "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallRaw("/fairtrace.v1.ModelService/GetRegisteredModel", "ft1_0123456789abcdef_" + std::string(64, '0'))
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto audit = v1::AuditService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + admin_token_);
  v1::ListAuditRecordsRequest req;
  v1::ListAuditRecordsResponse list;
  ASSERT_TRUE(audit->ListAuditRecords(&ctx, req, &list).ok());
  std::vector<std::string> denied;
  for (const auto& r : list.records()) {
    if (r.result() == "PERMISSION_DENIED" || r.result() == "UNAUTHENTICATED") {
      denied.push_back(absl::StrCat(r.principal(), " ", r.method(), " ", r.result()));
    }
  }
  EXPECT_THAT(denied,
              ::testing::ElementsAre("user:vera /fairtrace.v1.ModelService/CreateRegisteredModel PERMISSION_DENIED",
                                     "anonymous /fairtrace.v1.ModelService/GetRegisteredModel UNAUTHENTICATED",
                                     "anonymous /fairtrace.v1.ModelService/GetRegisteredModel UNAUTHENTICATED"));
}

TEST_F(AccessTest, RefusedCallsCannotGrowTheLogWithoutBound) {
  BecomeAdmin();
  std::string viewer = TokenFor("user:vera");
  Grant("user:vera", "viewer");
  // An anonymous flood: every call is refused, 20 of them (the per-caller
  // burst) get a record; the rest are counted.
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(CallRaw("/fairtrace.v1.ModelService/GetRegisteredModel", "").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // Another caller is still recorded, after a summary of what was not.
  EXPECT_EQ(CallRaw("/fairtrace.v1.ModelService/CreateRegisteredModel", viewer).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto audit = v1::AuditService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + admin_token_);
  v1::ListAuditRecordsResponse list;
  ASSERT_TRUE(audit->ListAuditRecords(&ctx, v1::ListAuditRecordsRequest(), &list).ok());
  int anonymous = 0;
  std::vector<std::string> tail;
  for (const auto& r : list.records()) {
    if (r.result() == "UNAUTHENTICATED") ++anonymous;
    tail.push_back(absl::StrCat(r.principal(), " ", r.method(), " ", r.resource(), " ", r.result()));
  }
  EXPECT_EQ(anonymous, 20);
  ASSERT_GE(tail.size(), 2u);
  EXPECT_EQ(tail[tail.size() - 2],
            "fairtrace-server fairtrace-server/RefusalsNotRecorded 80 refused calls "
            "RESOURCE_EXHAUSTED");
  EXPECT_EQ(tail.back(), "user:vera /fairtrace.v1.ModelService/CreateRegisteredModel  PERMISSION_DENIED");
}

TEST_F(AccessTest, TheFirstAdminIsMadeOfflineAndTokensComeFromTheEnvironment) {
  const std::string data = (dir_.path() / "data").string();
  const std::string server_bin = ServerProcess::ServerBinary();
  // While the server runs, the data folder is its own.
  auto busy = RunCommand({server_bin, "grants", "add", "user:root", "admin", "--data-dir", data});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.err, HasSubstr("uses"));
  ASSERT_EQ(server_->Stop(), 0);
  auto made = RunCommand(
      {server_bin, "tokens", "create", "--principal", "user:root", "--expires", "90d", "--json", "--data-dir", data});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto token = nlohmann::json::parse(made.out);
  std::string secret = token["secret"];
  EXPECT_FALSE(token["expire_time"].get<std::string>().empty());
  auto granted = RunCommand({server_bin, "grants", "add", "user:root", "admin", "--data-dir", data});
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  EXPECT_THAT(granted.out, HasSubstr("granted admin in * to user:root"));
  auto ci = RunCommand({server_bin, "tokens", "create", "--principal", "svc:ci", "--data-dir", data});
  ASSERT_EQ(ci.exit_code, 0);
  std::string ci_secret(absl::StripTrailingAsciiWhitespace(ci.out.substr(ci.out.rfind("ft1_"))));
  EXPECT_EQ(RunCommand({server_bin, "tokens", "create", "--principal", "x", "--expires", "soon", "--data-dir", data})
                .exit_code,
            1);
  auto list = RunCommand({server_bin, "tokens", "list", "--data-dir", data});
  EXPECT_THAT(list.out, HasSubstr("svc:ci"));
  EXPECT_THAT(list.out, Not(HasSubstr(ci_secret)));  // secrets are never shown again

  Restart();
  // The CLI takes the token from its environment (or a file).
  auto anonymous = Cli({"models", "list"});
  EXPECT_EQ(anonymous.exit_code, 1) << anonymous.err;
  EXPECT_THAT(anonymous.err, HasSubstr("requires a token"));
  auto root = RunCommand({ServerProcess::CliBinary(), "--server", server_->target(), "models", "create", "m1"},
                         {"FAIRTRACE_TOKEN=" + secret});
  EXPECT_EQ(root.exit_code, 0) << root.err;
  WriteFile(work() / "token", ci_secret + "\n");
  auto no_grant = RunCommand({ServerProcess::CliBinary(), "--server", server_->target(), "models", "list"},
                             {"FAIRTRACE_TOKEN_FILE=" + (work() / "token").string()});
  EXPECT_EQ(no_grant.exit_code, 1);
  EXPECT_THAT(no_grant.err, HasSubstr("holds no grant"));
  // Revoked through the admin RPC: refused at the next call.
  admin_token_ = secret;
  auto stub = v1::AccessService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + secret);
  v1::ListTokensRequest lreq;
  lreq.set_principal("svc:ci");
  v1::ListTokensResponse tokens;
  ASSERT_TRUE(stub->ListTokens(&ctx, lreq, &tokens).ok());
  ASSERT_EQ(tokens.tokens_size(), 1);
  grpc::ClientContext rctx;
  rctx.AddMetadata("authorization", "Bearer " + secret);
  v1::RevokeTokenRequest rreq;
  rreq.set_name(tokens.tokens(0).name());
  v1::Token revoked;
  ASSERT_TRUE(stub->RevokeToken(&rctx, rreq, &revoked).ok());
  EXPECT_EQ(CallRaw("/fairtrace.v1.AccessService/WhoAmI", ci_secret).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Secrets never reach the server's log.
  EXPECT_THAT(server_->log(), Not(HasSubstr(secret)));
  EXPECT_THAT(server_->log(), Not(HasSubstr(ci_secret)));
}

TEST_F(AccessTest, TheCliManagesTokensAndGrantsThroughTheAdminRpcs) {
  BecomeAdmin();
  auto as_admin = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--token", admin_token_, "access"});
    return Cli(args);
  };
  auto made = as_admin({"tokens", "create", "--principal", "svc:nightly", "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string secret = nlohmann::json::parse(made.out)["secret"];
  ASSERT_EQ(as_admin({"grants", "add", "svc:nightly", "data-scientist", "--project", "default"}).exit_code, 0);
  auto who = Cli({"--token", secret, "access", "whoami", "--json"});
  ASSERT_EQ(who.exit_code, 0) << who.err;
  auto w = nlohmann::json::parse(who.out);
  EXPECT_EQ(w["principal"], "svc:nightly");
  EXPECT_EQ(w["grants"][0]["role"], "data-scientist");
  // Not an admin: the admin RPCs refuse it.
  auto denied = Cli({"--token", secret, "access", "grants", "add", "svc:nightly", "admin"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, HasSubstr("admin access"));
  auto list = as_admin({"tokens", "list", "--principal", "svc:nightly"});
  EXPECT_THAT(list.out, HasSubstr("svc:nightly"));
  std::string name = list.out.substr(list.out.find("tokens/"), 23);
  ASSERT_EQ(as_admin({"tokens", "revoke", name}).exit_code, 0);
  EXPECT_EQ(Cli({"--token", secret, "access", "whoami"}).exit_code, 1);
  ASSERT_EQ(as_admin({"grants", "revoke", "svc:nightly", "data-scientist", "--project", "default"}).exit_code, 0);
  EXPECT_THAT(as_admin({"grants", "list"}).out, Not(HasSubstr("svc:nightly")));
}

TEST_F(AccessTest, WhoAmISaysWhoTheServerThinksYouAre) {
  auto stub = v1::AccessService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + tester_token_);
  ctx.AddMetadata("x-fairtrace-user", "root");  // a header chooses nothing
  v1::WhoAmIResponse who;
  ASSERT_TRUE(stub->WhoAmI(&ctx, v1::WhoAmIRequest(), &who).ok());
  EXPECT_EQ(who.principal(), "user:tester");
  EXPECT_FALSE(who.authorization_enforced());
  grpc::ClientContext bad;
  bad.AddMetadata("authorization", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(stub->WhoAmI(&bad, v1::WhoAmIRequest(), &who).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace fairtrace::testing
