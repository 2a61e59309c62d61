// The one wrapper every RPC handler runs in (issue 8, item 3).
//
// Core and store report failures as absl::Status; a C++ exception that still
// escapes (a library throwing where nobody expected it) must not reach gRPC,
// which would turn it into UNKNOWN with no audit record. Guarded():
//  - runs the handler body;
//  - on any exception, logs the method and the exception's text to stderr
//    (never request bytes), audits the attempt when the method mutates (the
//    record's result is INTERNAL), and returns INTERNAL with reason
//    INTERNAL_EXCEPTION;
//  - never throws.
// Thread-safe; borrows the store used for audit records.
#pragma once

#include <functional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "registry/store/store.h"

namespace fairtrace::api {

class RpcGuard {
 public:
  explicit RpcGuard(Store* audit_store) : store_(audit_store) {}

  // `method` is the full gRPC name ("/fairtrace.v1.ModelService/CreateModelVersion");
  // `request` may be null (client-streaming calls); `mutating` says whether a
  // failed attempt is audited.
  grpc::Status Run(grpc::ServerContext* ctx, absl::string_view method, const google::protobuf::Message* request,
                   bool mutating, const std::function<grpc::Status()>& body) const noexcept;

 private:
  void OnException(grpc::ServerContext* ctx, absl::string_view method, const google::protobuf::Message* request,
                   bool mutating, const char* what) const noexcept;
  Store* store_;
};

// What a request is about, for the audit record of a failed attempt: the
// first non-empty top-level string field among name, parent, run,
// resource_name, investigation_id, model_id (else "").
std::string RequestResource(const google::protobuf::Message& request);

}  // namespace fairtrace::api
