#include "registry/api/grpc_status.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "registry/core/errors.h"
#include "registry/core/sha256.h"

namespace fairtrace::api {

namespace {

size_t DetailsSize(const google::rpc::ErrorInfo* info, const google::rpc::BadRequest* br,
                   const google::rpc::PreconditionFailure* pf, const google::rpc::ResourceInfo* ri,
                   const std::string& message) {
  google::rpc::Status probe;
  probe.set_message(message);
  size_t n = probe.ByteSizeLong() + 3 * 64;  // Any envelopes: type URLs and tags
  if (info) n += info->ByteSizeLong();
  if (br) n += br->ByteSizeLong();
  if (pf) n += pf->ByteSizeLong();
  if (ri) n += ri->ByteSizeLong();
  return n;
}

}  // namespace

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(status.code()));
  std::string message = text::ClipText(std::string(status.message()), kMaxErrorMessageCodePoints);
  while (message.size() > kMaxErrorMessageBytes) {
    message = text::ClipText(message, text::CodePointCount(message) / 2);
  }
  out.set_message(message);

  std::optional<google::rpc::ErrorInfo> info;
  std::optional<google::rpc::BadRequest> br;
  std::optional<google::rpc::PreconditionFailure> pf;
  std::optional<google::rpc::ResourceInfo> ri;
  for (auto& any : StatusDetails(status)) {
    if (any.Is<google::rpc::ErrorInfo>()) any.UnpackTo(&info.emplace());
    else if (any.Is<google::rpc::BadRequest>()) any.UnpackTo(&br.emplace());
    else if (any.Is<google::rpc::PreconditionFailure>()) any.UnpackTo(&pf.emplace());
    else if (any.Is<google::rpc::ResourceInfo>()) any.UnpackTo(&ri.emplace());
  }
  // The detail strings are valid UTF-8 and bounded already: ErrorBuilder,
  // the only maker of detail payloads, bounds every string it is given.

  // At most kMaxViolations violations and kMaxDetailsBytes of details: they
  // travel base64-encoded in one header that clients cap (8 KiB by default).
  const int total = (br ? br->field_violations_size() : 0) + (pf ? pf->violations_size() : 0);
  auto shown = [&] { return (br ? br->field_violations_size() : 0) + (pf ? pf->violations_size() : 0); };
  auto drop_one = [&] {
    if (br && br->field_violations_size() > 0 && (!pf || br->field_violations_size() >= pf->violations_size())) {
      br->mutable_field_violations()->RemoveLast();
    } else if (pf && pf->violations_size() > 0) {
      pf->mutable_violations()->RemoveLast();
    }
  };
  while (shown() > kMaxViolations) drop_one();
  while (shown() > 1 &&
         DetailsSize(info ? &*info : nullptr, br ? &*br : nullptr, pf ? &*pf : nullptr, ri ? &*ri : nullptr,
                     message) > kMaxDetailsBytes) {
    drop_one();
  }
  if (shown() < total) {
    if (!info) {
      info.emplace();
      info->set_domain(std::string(kErrorDomain));
    }
    (*info->mutable_metadata())["violations_total"] = absl::StrCat(total);
    (*info->mutable_metadata())["violations_shown"] = absl::StrCat(shown());
  }
  if (info) out.add_details()->PackFrom(*info);
  if (br && br->field_violations_size() > 0) out.add_details()->PackFrom(*br);
  if (pf && pf->violations_size() > 0) out.add_details()->PackFrom(*pf);
  if (ri) out.add_details()->PackFrom(*ri);
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status rpc = ToRpcStatus(status);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), rpc.message(), rpc.SerializeAsString());
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

std::string RequestBodySha256(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* desc = copy->GetDescriptor();
  for (const char* name : {"request_id", "etag"}) {
    if (const auto* field = desc->FindFieldByName(name)) copy->GetReflection()->ClearField(copy.get(), field);
  }
  return RequestSha256(*copy);
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
