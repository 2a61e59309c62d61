#include "clients/cli/access_command.h"

#include <iostream>

#include "clients/cli/cli_common.h"
#include "fairtrace/v1/access.grpc.pb.h"

namespace fairtrace::cli {
namespace {

// Calls `rpc` and prints its answer as proto JSON, or `text(resp)`.
template <typename Resp, typename Call, typename Text>
int Do(const client::ClientOptions& o, bool json, Call rpc, Text text) {
  auto stub = v1::AccessService::NewStub(client::NewChannel(o));
  auto ctx = client::NewCallContext(o, o.rpc_timeout);
  Resp resp;
  absl::Status s = client::FromGrpcStatus(rpc(stub.get(), ctx.get(), &resp));
  if (!s.ok()) return Fail(s, o.target);
  if (json) {
    std::cout << ProtoJson(resp) << "\n";
  } else {
    text(resp);
  }
  return 0;
}

void PrintGrant(const v1::Grant& g) { std::cout << g.principal() << "  " << g.role() << "  " << g.project() << "\n"; }

void PrintToken(const v1::Token& t) {
  std::cout << t.name() << "  " << t.principal() << (t.has_revoke_time() ? "  REVOKED" : "")
            << (t.has_expire_time() ? "  expires " + std::to_string(t.expire_time().seconds()) : "") << "\n";
}

}  // namespace

AccessCommand::AccessCommand(CLI::App& app) {
  access_ = app.add_subcommand("access", "tokens and grants through a running server's admin RPCs");
  access_->require_subcommand(1);
  whoami_ = access_->add_subcommand("whoami", "who the server says you are, and your grants");
  auto* tokens = access_->add_subcommand("tokens", "tokens (admin)");
  tokens->require_subcommand(1);
  token_create_ = tokens->add_subcommand("create", "make a token; its secret is printed once");
  token_create_->add_option("--principal", principal_)->required();
  token_create_->add_option("--expires-seconds", expires_seconds_, "0: never (default)");
  token_create_->add_option("--description", description_);
  token_list_ = tokens->add_subcommand("list", "list tokens (never their secrets)");
  token_list_->add_option("--principal", principal_);
  token_list_->add_flag("--all", all_, "include revoked tokens");
  token_revoke_ = tokens->add_subcommand("revoke", "revoke a token at once");
  token_revoke_->add_option("TOKEN", token_, "tokens/<id>")->required();
  auto* grants = access_->add_subcommand("grants", "grants (admin)");
  grants->require_subcommand(1);
  grant_add_ = grants->add_subcommand("add", "give PRINCIPAL the role ROLE");
  grant_revoke_ = grants->add_subcommand("revoke", "take the role ROLE from PRINCIPAL");
  for (CLI::App* c : {grant_add_, grant_revoke_}) {
    c->add_option("PRINCIPAL", principal_)->required();
    c->add_option("ROLE", role_)->required();
    c->add_option("--project", project_, "default: every project (*)");
  }
  grant_list_ = grants->add_subcommand("list", "list grants");
  grant_list_->add_option("--principal", principal_);
}

int AccessCommand::Run(const client::ClientOptions& o, bool json) {
  using Stub = v1::AccessService::Stub;
  if (whoami_->parsed()) {
    return Do<v1::WhoAmIResponse>(
        o, json, [](Stub* s, grpc::ClientContext* c, v1::WhoAmIResponse* r) { return s->WhoAmI(c, {}, r); },
        [](const v1::WhoAmIResponse& r) {
          std::cout << r.principal() << (r.authorization_enforced() ? "" : " (no grants: nothing enforced)") << "\n";
          for (const auto& g : r.grants()) PrintGrant(g);
        });
  }
  if (token_create_->parsed()) {
    v1::CreateTokenRequest req;
    req.set_principal(principal_);
    req.set_expires_in_seconds(expires_seconds_);
    req.set_description(description_);
    return Do<v1::CreatedToken>(
        o, json, [&](Stub* s, grpc::ClientContext* c, v1::CreatedToken* r) { return s->CreateToken(c, req, r); },
        [](const v1::CreatedToken& r) {
          std::cout << r.token().name() << " for " << r.token().principal()
                    << "\nsecret (shown once; the server keeps only its hash):\n"
                    << r.secret() << "\n";
        });
  }
  if (token_list_->parsed()) {
    v1::ListTokensRequest req;
    req.set_principal(principal_);
    req.set_include_revoked(all_);
    return Do<v1::ListTokensResponse>(
        o, json, [&](Stub* s, grpc::ClientContext* c, v1::ListTokensResponse* r) { return s->ListTokens(c, req, r); },
        [](const v1::ListTokensResponse& r) {
          for (const auto& t : r.tokens()) PrintToken(t);
        });
  }
  if (token_revoke_->parsed()) {
    v1::RevokeTokenRequest req;
    req.set_name(token_);
    return Do<v1::Token>(
        o, json, [&](Stub* s, grpc::ClientContext* c, v1::Token* r) { return s->RevokeToken(c, req, r); },
        [](const v1::Token& t) { std::cout << "revoked " << t.name() << "\n"; });
  }
  if (grant_list_->parsed()) {
    v1::ListGrantsRequest req;
    req.set_principal(principal_);
    return Do<v1::ListGrantsResponse>(
        o, json, [&](Stub* s, grpc::ClientContext* c, v1::ListGrantsResponse* r) { return s->ListGrants(c, req, r); },
        [](const v1::ListGrantsResponse& r) {
          for (const auto& g : r.grants()) PrintGrant(g);
        });
  }
  if (grant_add_->parsed()) {
    v1::AddGrantRequest req;
    req.set_principal(principal_);
    req.set_role(role_);
    req.set_project(project_);
    return Do<v1::Grant>(
        o, json, [&](Stub* s, grpc::ClientContext* c, v1::Grant* r) { return s->AddGrant(c, req, r); }, PrintGrant);
  }
  v1::RevokeGrantRequest req;
  req.set_principal(principal_);
  req.set_role(role_);
  req.set_project(project_);
  return Do<v1::Grant>(
      o, json, [&](Stub* s, grpc::ClientContext* c, v1::Grant* r) { return s->RevokeGrant(c, req, r); },
      [](const v1::Grant& g) {
        std::cout << "revoked " << g.role() << " in " << g.project() << " from " << g.principal() << "\n";
      });
}

}  // namespace fairtrace::cli
