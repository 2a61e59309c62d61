#include "registry/api/split_service.h"

#include "registry/api/grpc_status.h"

namespace fairtrace::api {
namespace {

constexpr char kService[] = "fairtrace.v1.SplitService";

std::string Method(const char* name) { return absl::StrCat("/", kService, "/", name); }

}  // namespace

grpc::Status SplitServiceImpl::CreateSplit(grpc::ServerContext* ctx, const v1::CreateSplitRequest* req,
                                           v1::Split* resp) {
  return guard_->Run(ctx, Method("CreateSplit"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateSplit(ContextOf(ctx, kService, "CreateSplit", *req), *req), resp);
  });
}

grpc::Status SplitServiceImpl::GetSplit(grpc::ServerContext* ctx, const v1::GetSplitRequest* req, v1::Split* resp) {
  return guard_->Run(ctx, Method("GetSplit"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetSplit(*req), resp); });
}

grpc::Status SplitServiceImpl::ListSplits(grpc::ServerContext* ctx, const v1::ListSplitsRequest* req,
                                          v1::ListSplitsResponse* resp) {
  return guard_->Run(ctx, Method("ListSplits"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListSplits(*req), resp); });
}

grpc::Status SplitServiceImpl::ListPartItems(grpc::ServerContext* ctx, const v1::ListPartItemsRequest* req,
                                             v1::ListPartItemsResponse* resp) {
  return guard_->Run(ctx, Method("ListPartItems"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListPartItems(*req), resp); });
}

grpc::Status SplitServiceImpl::CheckLeakage(grpc::ServerContext* ctx, const v1::CheckLeakageRequest* req,
                                            v1::LeakageReport* resp) {
  return guard_->Run(ctx, Method("CheckLeakage"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->CheckLeakage(ContextOf(ctx, kService, "CheckLeakage", *req), *req), resp);
  });
}

grpc::Status SplitServiceImpl::GetLeakageReport(grpc::ServerContext* ctx, const v1::GetLeakageReportRequest* req,
                                                v1::LeakageReport* resp) {
  return guard_->Run(ctx, Method("GetLeakageReport"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetLeakageReport(*req), resp); });
}

}  // namespace fairtrace::api
