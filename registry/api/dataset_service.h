// gRPC adapter for fairtrace.v1.DatasetService: every call guarded (limits,
// deadline, request log) and turned into the registry's call; the rules
// live in registry/datasets/dataset_registry.h. Thread-safe; borrows the
// registry and the guard, which must outlive it.
#pragma once

#include "fairtrace/v1/datasets.grpc.pb.h"
#include "registry/api/rpc_guard.h"
#include "registry/datasets/dataset_registry.h"

namespace fairtrace::api {

class DatasetServiceImpl final : public v1::DatasetService::Service {
 public:
  DatasetServiceImpl(DatasetRegistry* registry, const RpcGuard* guard) : registry_(registry), guard_(guard) {}

  grpc::Status CreateDataset(grpc::ServerContext* ctx, const v1::CreateDatasetRequest* req, v1::Dataset* resp) override;
  grpc::Status GetDataset(grpc::ServerContext* ctx, const v1::GetDatasetRequest* req, v1::Dataset* resp) override;
  grpc::Status ListDatasets(grpc::ServerContext* ctx, const v1::ListDatasetsRequest* req,
                            v1::ListDatasetsResponse* resp) override;
  grpc::Status UpdateDataset(grpc::ServerContext* ctx, const v1::UpdateDatasetRequest* req, v1::Dataset* resp) override;
  grpc::Status CreateDatasetVersion(grpc::ServerContext* ctx, const v1::CreateDatasetVersionRequest* req,
                                    v1::DatasetVersion* resp) override;
  grpc::Status GetDatasetVersion(grpc::ServerContext* ctx, const v1::GetDatasetVersionRequest* req,
                                 v1::DatasetVersion* resp) override;
  grpc::Status ListDatasetVersions(grpc::ServerContext* ctx, const v1::ListDatasetVersionsRequest* req,
                                   v1::ListDatasetVersionsResponse* resp) override;
  grpc::Status ListItems(grpc::ServerContext* ctx, const v1::ListItemsRequest* req,
                         v1::ListItemsResponse* resp) override;
  grpc::Status DiffDatasetVersions(grpc::ServerContext* ctx, const v1::DiffDatasetVersionsRequest* req,
                                   grpc::ServerWriter<v1::DiffDatasetVersionsResponse>* writer) override;
  grpc::Status ExportDatasetVersion(grpc::ServerContext* ctx, const v1::ExportDatasetVersionRequest* req,
                                    grpc::ServerWriter<v1::ExportDatasetVersionResponse>* writer) override;

 private:
  DatasetRegistry* registry_;
  const RpcGuard* guard_;
};

}  // namespace fairtrace::api
