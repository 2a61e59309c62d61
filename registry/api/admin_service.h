// gRPC adapters for fairtrace.v1.AdminService (fsck) and AuditService
// (listing the hash-chained audit log). Thread-safe; borrows store and blobs.
#pragma once

#include "fairtrace/v1/admin.grpc.pb.h"
#include "registry/cas/blob_store.h"
#include "registry/store/store.h"
#include "registry/trust/audit_log.h"

#include "registry/api/rpc_guard.h"

namespace fairtrace::api {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  AdminServiceImpl(Store* store, BlobStore* blobs, const RpcGuard* guard)
      : store_(store), blobs_(blobs), guard_(guard) {}
  grpc::Status Fsck(grpc::ServerContext* ctx, const v1::FsckRequest* req, v1::FsckResponse* resp) override;

 private:
  Store* store_;
  BlobStore* blobs_;
  const RpcGuard* guard_;
};

class AuditServiceImpl final : public v1::AuditService::Service {
 public:
  // `page_token_key` signs ListAuditRecords page tokens (core/page_token.h).
  AuditServiceImpl(Store* store, AuditLog* log, const RpcGuard* guard, std::string page_token_key)
      : store_(store), log_(log), guard_(guard), token_key_(std::move(page_token_key)) {}
  grpc::Status ListAuditRecords(grpc::ServerContext* ctx, const v1::ListAuditRecordsRequest* req,
                                v1::ListAuditRecordsResponse* resp) override;
  grpc::Status GetCheckpoint(grpc::ServerContext* ctx, const v1::GetCheckpointRequest* req,
                             v1::SignedCheckpoint* resp) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* ctx, const v1::GetInclusionProofRequest* req,
                                 v1::InclusionProof* resp) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* ctx, const v1::GetConsistencyProofRequest* req,
                                   v1::ConsistencyProof* resp) override;
  grpc::Status AddCheckpointCosignatures(grpc::ServerContext* ctx, const v1::AddCheckpointCosignaturesRequest* req,
                                         v1::SignedCheckpoint* resp) override;
  grpc::Status ListResourceStates(grpc::ServerContext* ctx, const v1::ListResourceStatesRequest* req,
                                  grpc::ServerWriter<v1::ResourceState>* writer) override;

 private:
  Store* store_;
  AuditLog* log_;
  const RpcGuard* guard_;
  std::string token_key_;
};

}  // namespace fairtrace::api
