#include "clients/cpp/fairtrace/run_client.h"

#include "common/status/status_macros.h"

namespace fairtrace::client {

RunClient::RunClient(const ClientOptions& options) : options_(options) {
  // The shared channel: TLS and message limits as every client has them.
  stub_ = v1::RunService::NewStub(NewChannel(options_));
}

std::unique_ptr<grpc::ClientContext> RunClient::Context() const {
  return NewCallContext(options_, options_.rpc_timeout);
}

absl::StatusOr<v1::Run> RunClient::GetRun(const std::string& name) {
  v1::GetRunRequest req;
  req.set_name(name);
  v1::Run out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->GetRun(Context().get(), req, &out)));
  return out;
}

absl::StatusOr<std::vector<v1::Run>> RunClient::ListRuns(const std::string& filter, int limit) {
  std::vector<v1::Run> out;
  v1::ListRunsRequest req;
  req.set_filter(filter);
  do {
    req.set_page_size(limit > 0 ? std::min<int>(1000, limit - static_cast<int>(out.size())) : 1000);
    v1::ListRunsResponse resp;
    FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->ListRuns(Context().get(), req, &resp)));
    for (auto& r : *resp.mutable_runs()) out.push_back(std::move(r));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty() && (limit <= 0 || static_cast<int>(out.size()) < limit));
  return out;
}

absl::StatusOr<std::vector<v1::Metric>> RunClient::MetricHistory(const std::string& run, const std::string& key) {
  std::vector<v1::Metric> out;
  v1::ListMetricHistoryRequest req;
  req.set_run(run);
  req.set_key(key);
  req.set_page_size(10000);
  do {
    v1::ListMetricHistoryResponse resp;
    FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->ListMetricHistory(Context().get(), req, &resp)));
    for (auto& m : *resp.mutable_metrics()) out.push_back(std::move(m));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

absl::StatusOr<v1::GetLineageResponse> RunClient::Lineage(const std::string& resource, bool downstream, int max_depth) {
  v1::GetLineageRequest req;
  req.set_resource(resource);
  req.set_direction(downstream ? v1::GetLineageRequest::DOWNSTREAM : v1::GetLineageRequest::UPSTREAM);
  req.set_max_depth(max_depth);
  v1::GetLineageResponse out;
  FT_RETURN_IF_ERROR(FromGrpcStatus(stub_->GetLineage(Context().get(), req, &out)));
  return out;
}

}  // namespace fairtrace::client
