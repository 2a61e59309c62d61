#include "registry/api/dataset_service.h"

#include "registry/api/grpc_status.h"

namespace fairtrace::api {
namespace {

constexpr char kService[] = "fairtrace.v1.DatasetService";

std::string Method(const char* name) { return absl::StrCat("/", kService, "/", name); }

}  // namespace

grpc::Status DatasetServiceImpl::CreateDataset(grpc::ServerContext* ctx, const v1::CreateDatasetRequest* req,
                                               v1::Dataset* resp) {
  return guard_->Run(ctx, Method("CreateDataset"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateDataset(ContextOf(ctx, kService, "CreateDataset", *req), *req), resp);
  });
}

grpc::Status DatasetServiceImpl::GetDataset(grpc::ServerContext* ctx, const v1::GetDatasetRequest* req,
                                            v1::Dataset* resp) {
  return guard_->Run(ctx, Method("GetDataset"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetDataset(*req), resp); });
}

grpc::Status DatasetServiceImpl::ListDatasets(grpc::ServerContext* ctx, const v1::ListDatasetsRequest* req,
                                              v1::ListDatasetsResponse* resp) {
  return guard_->Run(ctx, Method("ListDatasets"), req, false, [&]() -> grpc::Status {
    return Reply(registry_->ListDatasets(*req, CurrentCallProjects()), resp);
  });
}

grpc::Status DatasetServiceImpl::UpdateDataset(grpc::ServerContext* ctx, const v1::UpdateDatasetRequest* req,
                                               v1::Dataset* resp) {
  return guard_->Run(ctx, Method("UpdateDataset"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->UpdateDataset(ContextOf(ctx, kService, "UpdateDataset", *req), *req), resp);
  });
}

grpc::Status DatasetServiceImpl::CreateDatasetVersion(grpc::ServerContext* ctx,
                                                      const v1::CreateDatasetVersionRequest* req,
                                                      v1::DatasetVersion* resp) {
  return guard_->Run(ctx, Method("CreateDatasetVersion"), req, true, [&]() -> grpc::Status {
    return Reply(registry_->CreateDatasetVersion(ContextOf(ctx, kService, "CreateDatasetVersion", *req), *req), resp);
  });
}

grpc::Status DatasetServiceImpl::GetDatasetVersion(grpc::ServerContext* ctx, const v1::GetDatasetVersionRequest* req,
                                                   v1::DatasetVersion* resp) {
  return guard_->Run(ctx, Method("GetDatasetVersion"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->GetDatasetVersion(*req), resp); });
}

grpc::Status DatasetServiceImpl::ListDatasetVersions(grpc::ServerContext* ctx,
                                                     const v1::ListDatasetVersionsRequest* req,
                                                     v1::ListDatasetVersionsResponse* resp) {
  return guard_->Run(ctx, Method("ListDatasetVersions"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListDatasetVersions(*req), resp); });
}

grpc::Status DatasetServiceImpl::ListItems(grpc::ServerContext* ctx, const v1::ListItemsRequest* req,
                                           v1::ListItemsResponse* resp) {
  return guard_->Run(ctx, Method("ListItems"), req, false,
                     [&]() -> grpc::Status { return Reply(registry_->ListItems(*req), resp); });
}

grpc::Status DatasetServiceImpl::DiffDatasetVersions(grpc::ServerContext* ctx,
                                                     const v1::DiffDatasetVersionsRequest* req,
                                                     grpc::ServerWriter<v1::DiffDatasetVersionsResponse>* writer) {
  return guard_->Run(ctx, Method("DiffDatasetVersions"), req, false, [&]() -> grpc::Status {
    bool alive = true;
    absl::Status s = registry_->DiffDatasetVersions(
        ContextOf(ctx, kService, "DiffDatasetVersions", *req), *req, [&](const v1::DiffDatasetVersionsResponse& page) {
          alive = guard_->Write(ctx, Method("DiffDatasetVersions"), writer, page);
          return alive;
        });
    if (!alive) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    return ToGrpcStatus(s);
  });
}

grpc::Status DatasetServiceImpl::ExportDatasetVersion(grpc::ServerContext* ctx,
                                                      const v1::ExportDatasetVersionRequest* req,
                                                      grpc::ServerWriter<v1::ExportDatasetVersionResponse>* writer) {
  return guard_->Run(ctx, Method("ExportDatasetVersion"), req, false, [&]() -> grpc::Status {
    bool alive = true;
    absl::Status s =
        registry_->ExportDatasetVersion(ContextOf(ctx, kService, "ExportDatasetVersion", *req), *req,
                                        [&](const v1::ExportDatasetVersionResponse& chunk) {
                                          alive = guard_->Write(ctx, Method("ExportDatasetVersion"), writer, chunk);
                                          return alive;
                                        });
    if (!alive) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    return ToGrpcStatus(s);
  });
}

}  // namespace fairtrace::api
