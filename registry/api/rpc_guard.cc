#include "registry/api/rpc_guard.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"
#include "registry/api/grpc_status.h"
#include "registry/core/audited.h"
#include "registry/core/errors.h"

namespace fairtrace::api {

std::string RequestResource(const google::protobuf::Message& request) {
  const auto* desc = request.GetDescriptor();
  const auto* refl = request.GetReflection();
  for (const char* name : {"name", "parent", "run", "resource_name", "investigation_id", "model_id"}) {
    const auto* field = desc->FindFieldByName(name);
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      continue;
    }
    std::string value = refl->GetString(request, field);
    if (!value.empty()) return value;
  }
  return "";
}

void RpcGuard::OnException(grpc::ServerContext* ctx, absl::string_view method,
                           const google::protobuf::Message* request, bool mutating, const char* what) const noexcept {
  try {
    std::cerr << "fairtrace-server: " << method << ": internal error: " << text::ClipText(what, 300) << "\n";
    if (mutating && store_ != nullptr) {
      CallContext call = MakeCallContext(*ctx, std::string(method), request ? RequestSha256(*request) : "");
      AppendStandaloneAudit(store_, call, request ? RequestResource(*request) : "",
                            absl::InternalError("exception"));
    }
  } catch (...) {
    // Logging or auditing failed too; the INTERNAL answer still goes out.
  }
}

grpc::Status RpcGuard::Run(grpc::ServerContext* ctx, absl::string_view method,
                           const google::protobuf::Message* request, bool mutating,
                           const std::function<grpc::Status()>& body) const noexcept {
  const char* what = "unknown exception";
  std::string text;
  try {
    return body();
  } catch (const std::exception& e) {
    text = e.what();
    what = text.c_str();
  } catch (...) {
  }
  OnException(ctx, method, request, mutating, what);
  try {
    return ToGrpcStatus(ErrorBuilder(absl::StatusCode::kInternal,
                                     "internal error while handling the request; the server log has the cause")
                            .Reason("INTERNAL_EXCEPTION"));
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

}  // namespace fairtrace::api
