#include "registry/api/access_service.h"

#include "google/protobuf/util/time_util.h"
#include "registry/api/grpc_status.h"

namespace fairtrace::api {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kService[] = "fairtrace.v1.AccessService";

std::string Method(const char* name) { return absl::StrCat("/", kService, "/", name); }

void TokenToProto(const TokenRow& r, v1::Token* out) {
  out->set_name(absl::StrCat("tokens/", r.token_id));
  out->set_principal(r.principal);
  out->set_description(r.description);
  *out->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(r.create_time);
  if (r.expire_time != 0) *out->mutable_expire_time() = TimeUtil::MicrosecondsToTimestamp(r.expire_time);
  if (r.revoke_time != 0) *out->mutable_revoke_time() = TimeUtil::MicrosecondsToTimestamp(r.revoke_time);
}

void GrantToProto(const GrantRow& r, v1::Grant* out) {
  out->set_principal(r.principal);
  out->set_role(r.role);
  out->set_project(r.project);
  *out->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(r.create_time);
}

}  // namespace

grpc::Status AccessServiceImpl::WhoAmI(grpc::ServerContext* ctx, const v1::WhoAmIRequest* req,
                                       v1::WhoAmIResponse* resp) {
  return guard_->Run(ctx, Method("WhoAmI"), req, false, [&]() -> grpc::Status {
    resp->set_principal(CurrentCallPrincipal());
    for (const GrantRow& g : access_->ListGrants(CurrentCallPrincipal())) GrantToProto(g, resp->add_grants());
    resp->set_authorization_enforced(access_->enforced());
    return grpc::Status::OK;
  });
}

grpc::Status AccessServiceImpl::CreateToken(grpc::ServerContext* ctx, const v1::CreateTokenRequest* req,
                                            v1::CreatedToken* resp) {
  return guard_->Run(ctx, Method("CreateToken"), req, true, [&]() -> grpc::Status {
    auto made = access_->CreateToken(ContextOf(ctx, kService, "CreateToken", *req), req->principal(),
                                     req->expires_in_seconds(), req->description());
    if (!made.ok()) return ToGrpcStatus(made.status());
    TokenToProto(made->row, resp->mutable_token());
    resp->set_secret(made->secret);
    return grpc::Status::OK;
  });
}

grpc::Status AccessServiceImpl::ListTokens(grpc::ServerContext* ctx, const v1::ListTokensRequest* req,
                                           v1::ListTokensResponse* resp) {
  return guard_->Run(ctx, Method("ListTokens"), req, false, [&]() -> grpc::Status {
    for (const TokenRow& t : access_->ListTokens(req->principal(), req->include_revoked())) {
      TokenToProto(t, resp->add_tokens());
    }
    return grpc::Status::OK;
  });
}

grpc::Status AccessServiceImpl::RevokeToken(grpc::ServerContext* ctx, const v1::RevokeTokenRequest* req,
                                            v1::Token* resp) {
  return guard_->Run(ctx, Method("RevokeToken"), req, true, [&]() -> grpc::Status {
    auto row = access_->RevokeToken(ContextOf(ctx, kService, "RevokeToken", *req), req->name());
    if (!row.ok()) return ToGrpcStatus(row.status());
    TokenToProto(*row, resp);
    return grpc::Status::OK;
  });
}

grpc::Status AccessServiceImpl::AddGrant(grpc::ServerContext* ctx, const v1::AddGrantRequest* req, v1::Grant* resp) {
  return guard_->Run(ctx, Method("AddGrant"), req, true, [&]() -> grpc::Status {
    auto row =
        access_->AddGrant(ContextOf(ctx, kService, "AddGrant", *req), req->principal(), req->role(), req->project());
    if (!row.ok()) return ToGrpcStatus(row.status());
    GrantToProto(*row, resp);
    return grpc::Status::OK;
  });
}

grpc::Status AccessServiceImpl::ListGrants(grpc::ServerContext* ctx, const v1::ListGrantsRequest* req,
                                           v1::ListGrantsResponse* resp) {
  return guard_->Run(ctx, Method("ListGrants"), req, false, [&]() -> grpc::Status {
    for (const GrantRow& g : access_->ListGrants(req->principal())) GrantToProto(g, resp->add_grants());
    return grpc::Status::OK;
  });
}

grpc::Status AccessServiceImpl::RevokeGrant(grpc::ServerContext* ctx, const v1::RevokeGrantRequest* req,
                                            v1::Grant* resp) {
  return guard_->Run(ctx, Method("RevokeGrant"), req, true, [&]() -> grpc::Status {
    auto row = access_->RevokeGrant(ContextOf(ctx, kService, "RevokeGrant", *req), req->principal(), req->role(),
                                    req->project());
    if (!row.ok()) return ToGrpcStatus(row.status());
    GrantToProto(*row, resp);
    return grpc::Status::OK;
  });
}

}  // namespace fairtrace::api
