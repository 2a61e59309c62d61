// gRPC adapter for fairtrace.v1.AccessService (tokens and grants,
// docs/security.md). Thread-safe; borrows the access control.
#pragma once

#include "fairtrace/v1/access.grpc.pb.h"
#include "registry/api/rpc_guard.h"
#include "registry/trust/access_control.h"

namespace fairtrace::api {

class AccessServiceImpl final : public v1::AccessService::Service {
 public:
  AccessServiceImpl(AccessControl* access, const RpcGuard* guard) : access_(access), guard_(guard) {}
  grpc::Status WhoAmI(grpc::ServerContext* ctx, const v1::WhoAmIRequest* req, v1::WhoAmIResponse* resp) override;
  grpc::Status CreateToken(grpc::ServerContext* ctx, const v1::CreateTokenRequest* req,
                           v1::CreatedToken* resp) override;
  grpc::Status ListTokens(grpc::ServerContext* ctx, const v1::ListTokensRequest* req,
                          v1::ListTokensResponse* resp) override;
  grpc::Status RevokeToken(grpc::ServerContext* ctx, const v1::RevokeTokenRequest* req, v1::Token* resp) override;
  grpc::Status AddGrant(grpc::ServerContext* ctx, const v1::AddGrantRequest* req, v1::Grant* resp) override;
  grpc::Status ListGrants(grpc::ServerContext* ctx, const v1::ListGrantsRequest* req,
                          v1::ListGrantsResponse* resp) override;
  grpc::Status RevokeGrant(grpc::ServerContext* ctx, const v1::RevokeGrantRequest* req, v1::Grant* resp) override;

 private:
  AccessControl* access_;
  const RpcGuard* guard_;
};

}  // namespace fairtrace::api
