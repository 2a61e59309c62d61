// Errors on the wire: our ErrorDetails (common/status/errors.h) as the
// google.rpc detail messages of a google.rpc.Status, and back. The server's
// API layer sends with AppendRpcDetails (registry/api/grpc_status.h adds
// the size bounds); clients read with FromRpcStatus. Protobuf messages only,
// no gRPC. Pure; thread-safe.
#pragma once

#include "absl/status/status.h"
#include "common/status/errors.h"
#include "google/rpc/status.pb.h"

namespace fairtrace::wire {

// Appends `details` to `out` as Any, in a stable order: ErrorInfo (domain
// kErrorDomain; when a reason or metadata is set), BadRequest,
// PreconditionFailure, ResourceInfo (each only when set).
void AppendRpcDetails(const ErrorDetails& details, google::rpc::Status* out);

// The ErrorDetails the detail messages of `rpc` say; detail types other
// than the four above are ignored.
ErrorDetails ErrorDetailsFromRpc(const google::rpc::Status& rpc);

// code, message and details as an absl::Status (OK when code is 0).
absl::Status FromRpcStatus(const google::rpc::Status& rpc);

}  // namespace fairtrace::wire
