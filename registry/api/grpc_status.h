// The one place where absl::Status becomes a gRPC status: the code and
// message, plus a google.rpc.Status with every detail payload (ErrorInfo,
// BadRequest, PreconditionFailure, ResourceInfo) in the
// `grpc-status-details-bin` trailer. Pure; thread-safe.
#pragma once

#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "google/rpc/status.pb.h"
#include "registry/api/rpc_guard.h"
#include "registry/core/call_context.h"
#include "registry/trust/access_control.h"

namespace fairtrace::api {

// Bounds on what one error carries to the client. The details travel
// base64-encoded in the `grpc-status-details-bin` trailer and the message
// percent-encoded in `grpc-message`; gRPC clients refuse metadata over
// 8 KiB by default (RESOURCE_EXHAUSTED, and the error is lost). So: at most
// kMaxViolations BadRequest/PreconditionFailure violations and about
// kMaxDetailsBytes of serialized details (violations are dropped from the
// end, at least one is kept); when any were dropped, ErrorInfo.metadata
// says "violations_total" and "violations_shown". The message is made valid
// UTF-8 (invalid bytes as \xNN) and clipped by code point, never by byte;
// detail strings already are (ErrorBuilder, core/errors.h).
inline constexpr int kMaxViolations = 20;
inline constexpr size_t kMaxDetailsBytes = 4096;
inline constexpr size_t kMaxErrorMessageCodePoints = 512;
inline constexpr size_t kMaxErrorMessageBytes = 1024;

grpc::Status ToGrpcStatus(const absl::Status& status);
google::rpc::Status ToRpcStatus(const absl::Status& status);

// SHA-256 hex of a request's deterministic serialization (audit records).
std::string RequestSha256(const google::protobuf::Message& request);
// The same with the top-level `request_id` and `etag` fields cleared: the
// identity of what was asked, which an honest retry repeats exactly.
std::string RequestBodySha256(const google::protobuf::Message& request);

// What a call presents to prove who it is: the client certificate's
// subject when mutual TLS verified it (RFC 2253 as gRPC gives it), and the
// token of an "authorization: Bearer <token>" header. No other header
// counts (x-fairtrace-user is ignored).
CallerCredentials CredentialsOf(const grpc::ServerContext& ctx);

// The authenticated principal of the guarded call running on this thread
// (RpcGuard::Run sets it for the call's duration); "" outside one.
const std::string& CurrentCallPrincipal();
class CallPrincipalScope {
 public:
  explicit CallPrincipalScope(std::string principal);
  ~CallPrincipalScope();
  CallPrincipalScope(const CallPrincipalScope&) = delete;
  CallPrincipalScope& operator=(const CallPrincipalScope&) = delete;

 private:
  std::string saved_;
};

// Principal and method for audit records: the guarded call's authenticated
// principal (docs/security.md); outside a guarded call, the client
// certificate's subject ("x509:<subject>") or "anonymous".
CallContext MakeCallContext(const grpc::ServerContext& ctx, std::string method, std::string request_sha256);

// Copies a successful result into the response, or maps the error: the
// body of every unary adapter method.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* resp) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = *std::move(result);
  RedactHiddenReferences(resp);
  return grpc::Status::OK;
}

// The call context of `method` ("/fairtrace.v1.RunService/CreateRun").
template <typename Req>
CallContext ContextOf(grpc::ServerContext* ctx, absl::string_view service, const char* method, const Req& req) {
  CallContext out = MakeCallContext(*ctx, absl::StrCat("/", service, "/", method), RequestSha256(req));
  out.request_body_sha256 = RequestBodySha256(req);
  out.should_stop = CurrentCallShouldStop();
  return out;
}

}  // namespace fairtrace::api
