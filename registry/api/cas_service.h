// gRPC adapter for fairtrace.v1.CasService: translates protos to core calls
// and results back; no rules live here (core/content_store.h).
// Thread-safe; borrows the ContentStore.
#pragma once

#include "fairtrace/v1/cas.grpc.pb.h"
#include "registry/content/content_store.h"

#include "registry/api/rpc_guard.h"

namespace fairtrace::api {

class CasServiceImpl final : public v1::CasService::Service {
 public:
  // `read_chunk`: bytes per ReadResponse message.
  CasServiceImpl(ContentStore* cas, size_t read_chunk, const RpcGuard* guard)
      : cas_(cas), read_chunk_(read_chunk), guard_(guard) {}

  grpc::Status FindMissingBlobs(grpc::ServerContext* ctx, const v1::FindMissingBlobsRequest* req,
                                v1::FindMissingBlobsResponse* resp) override;
  grpc::Status BatchUpdateBlobs(grpc::ServerContext* ctx, const v1::BatchUpdateBlobsRequest* req,
                                v1::BatchUpdateBlobsResponse* resp) override;
  grpc::Status BatchReadBlobs(grpc::ServerContext* ctx, const v1::BatchReadBlobsRequest* req,
                              v1::BatchReadBlobsResponse* resp) override;
  grpc::Status Write(grpc::ServerContext* ctx, grpc::ServerReader<v1::WriteRequest>* reader,
                     v1::WriteResponse* resp) override;
  grpc::Status Read(grpc::ServerContext* ctx, const v1::ReadRequest* req,
                    grpc::ServerWriter<v1::ReadResponse>* writer) override;
  grpc::Status AbortUpload(grpc::ServerContext* ctx, const v1::AbortUploadRequest* req,
                           v1::AbortUploadResponse* resp) override;
  grpc::Status QueryWriteStatus(grpc::ServerContext* ctx, const v1::QueryWriteStatusRequest* req,
                                v1::QueryWriteStatusResponse* resp) override;
  grpc::Status CreateTree(grpc::ServerContext* ctx, const v1::CreateTreeRequest* req, v1::Tree* resp) override;
  grpc::Status GetTree(grpc::ServerContext* ctx, const v1::GetTreeRequest* req, v1::Tree* resp) override;
  grpc::Status GetBlob(grpc::ServerContext* ctx, const v1::GetBlobRequest* req, v1::Blob* resp) override;

 private:
  ContentStore* cas_;
  size_t read_chunk_;
  const RpcGuard* guard_;
};

}  // namespace fairtrace::api
