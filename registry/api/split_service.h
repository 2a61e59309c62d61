// gRPC adapter for fairtrace.v1.SplitService: every call guarded
// (limits, deadline, request log) and turned into the registry's call; the
// rules live in registry/splits/split_registry.h. Thread-safe;
// borrows the registry and the guard, which must outlive it.
#pragma once

#include "fairtrace/v1/splits.grpc.pb.h"
#include "registry/api/rpc_guard.h"
#include "registry/splits/split_registry.h"

namespace fairtrace::api {

class SplitServiceImpl final : public v1::SplitService::Service {
 public:
  SplitServiceImpl(SplitRegistry* registry, const RpcGuard* guard) : registry_(registry), guard_(guard) {}

  grpc::Status CreateSplit(grpc::ServerContext* ctx, const v1::CreateSplitRequest* req, v1::Split* resp) override;
  grpc::Status GetSplit(grpc::ServerContext* ctx, const v1::GetSplitRequest* req, v1::Split* resp) override;
  grpc::Status ListSplits(grpc::ServerContext* ctx, const v1::ListSplitsRequest* req,
                          v1::ListSplitsResponse* resp) override;
  grpc::Status ListPartItems(grpc::ServerContext* ctx, const v1::ListPartItemsRequest* req,
                             v1::ListPartItemsResponse* resp) override;
  grpc::Status CheckLeakage(grpc::ServerContext* ctx, const v1::CheckLeakageRequest* req,
                            v1::LeakageReport* resp) override;
  grpc::Status GetLeakageReport(grpc::ServerContext* ctx, const v1::GetLeakageReportRequest* req,
                                v1::LeakageReport* resp) override;

 private:
  SplitRegistry* registry_;
  const RpcGuard* guard_;
};

}  // namespace fairtrace::api
