#include "registry/api/grpc_status.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "registry/core/errors.h"
#include "registry/core/sha256.h"

namespace fairtrace::api {

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(status.code()));
  out.set_message(std::string(status.message()));
  for (auto& any : StatusDetails(status)) *out.add_details() = std::move(any);
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      ToRpcStatus(status).SerializeAsString());
}

std::string RequestSha256(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream sos(&bytes);
    google::protobuf::io::CodedOutputStream out(&sos);
    out.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&out);
  }
  return Sha256Hex(bytes);
}

CallContext MakeCallContext(const grpc::ServerContext& ctx, std::string method,
                            std::string request_sha256) {
  CallContext out;
  out.method = std::move(method);
  out.request_sha256 = std::move(request_sha256);
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("x-fairtrace-user"); it != md.end()) {
    std::string user;
    for (char c : it->second) {
      if (user.size() >= 128) break;
      if (c > 0x20 && c < 0x7f) user.push_back(c);
    }
    if (!user.empty()) out.principal = absl::StrCat("user:", user);
  }
  return out;
}

}  // namespace fairtrace::api
