// RunClient: the C++ client of fairtrace.v1.RunService (what the CLI and
// other services need to read runs). Errors come back as absl::Status with
// the server's google.rpc details. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "clients/cpp/fairtrace/cas_client.h"
#include "fairtrace/v1/runs.grpc.pb.h"

namespace fairtrace::client {

class RunClient {
 public:
  explicit RunClient(const ClientOptions& options);

  absl::StatusOr<v1::Run> GetRun(const std::string& name);
  // Newest first, at most `limit` runs (0: all), following pages.
  absl::StatusOr<std::vector<v1::Run>> ListRuns(const std::string& filter, int limit);
  // The full history of one metric (all pages).
  absl::StatusOr<std::vector<v1::Metric>> MetricHistory(const std::string& run, const std::string& key);
  absl::StatusOr<v1::GetLineageResponse> Lineage(const std::string& resource, bool downstream, int max_depth);

 private:
  std::unique_ptr<grpc::ClientContext> Context() const;
  ClientOptions options_;
  std::unique_ptr<v1::RunService::Stub> stub_;
};

}  // namespace fairtrace::client
