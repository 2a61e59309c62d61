// The one place where absl::Status becomes a gRPC status: the code and
// message, plus a google.rpc.Status with every detail payload (ErrorInfo,
// BadRequest, PreconditionFailure, ResourceInfo) in the
// `grpc-status-details-bin` trailer. Pure; thread-safe.
#pragma once

#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "google/rpc/status.pb.h"
#include "registry/core/call_context.h"

namespace fairtrace::api {

grpc::Status ToGrpcStatus(const absl::Status& status);
google::rpc::Status ToRpcStatus(const absl::Status& status);

// SHA-256 hex of a request's deterministic serialization (audit records).
std::string RequestSha256(const google::protobuf::Message& request);

// Principal and method for audit records. The principal is the unverified
// `x-fairtrace-user` metadata value ("user:<name>") until authentication
// exists, otherwise "anonymous".
CallContext MakeCallContext(const grpc::ServerContext& ctx, std::string method,
                            std::string request_sha256);

}  // namespace fairtrace::api
