#include "registry/api/grpc_status.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/text/utf8.h"
#include "common/wire/rpc_status.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace fairtrace::api {

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(status.code()));
  std::string message = text::ClipText(std::string(status.message()), kMaxErrorMessageCodePoints);
  while (message.size() > kMaxErrorMessageBytes) {
    message = text::ClipText(message, text::CodePointCount(message) / 2);
  }
  out.set_message(message);
  // The detail strings are valid UTF-8 and bounded already: ErrorBuilder,
  // the only maker of ErrorDetails, bounds every string it is given.
  ErrorDetails d = ErrorDetailsOf(status).value_or(ErrorDetails{});

  // At most kMaxViolations violations and kMaxDetailsBytes of details: they
  // travel base64-encoded in one header that clients cap (8 KiB by default).
  const size_t total = d.fields.size() + d.preconditions.size();
  auto shown = [&] { return d.fields.size() + d.preconditions.size(); };
  auto drop_one = [&] {
    if (!d.fields.empty() && d.fields.size() >= d.preconditions.size()) {
      d.fields.pop_back();
    } else if (!d.preconditions.empty()) {
      d.preconditions.pop_back();
    }
  };
  auto details_size = [&] {
    google::rpc::Status probe = out;
    wire::AppendRpcDetails(d, &probe);
    return probe.ByteSizeLong();
  };
  while (shown() > static_cast<size_t>(kMaxViolations)) drop_one();
  while (shown() > 1 && details_size() > kMaxDetailsBytes) drop_one();
  if (shown() < total) {
    d.metadata["violations_total"] = absl::StrCat(total);
    d.metadata["violations_shown"] = absl::StrCat(shown());
  }
  wire::AppendRpcDetails(d, &out);
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

CallerCredentials CredentialsOf(const grpc::ServerContext& ctx) {
  CallerCredentials out;
  if (std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context(); auth && auth->IsPeerAuthenticated()) {
    for (const grpc::string_ref& subject : auth->FindPropertyValues("x509_subject")) {
      out.x509_subject = std::string(subject.data(), subject.size());
      break;
    }
  }
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    absl::string_view value(it->second.data(), std::min<size_t>(it->second.size(), 4096));
    // Any other scheme is a token we cannot read: it must not pass as none.
    out.bearer = absl::ConsumePrefix(&value, "Bearer ") ? std::string(value) : std::string();
  }
  return out;
}

namespace {
thread_local std::string current_principal;
}  // namespace

const std::string& CurrentCallPrincipal() { return current_principal; }

CallPrincipalScope::CallPrincipalScope(std::string principal) : saved_(std::move(current_principal)) {
  current_principal = std::move(principal);
}

CallPrincipalScope::~CallPrincipalScope() { current_principal = std::move(saved_); }

CallContext MakeCallContext(const grpc::ServerContext& ctx, std::string method, std::string request_sha256) {
  CallContext out;
  out.method = std::move(method);
  out.request_sha256 = std::move(request_sha256);
  if (!current_principal.empty()) {
    out.principal = current_principal;
    return out;
  }
  CallerCredentials c = CredentialsOf(ctx);
  if (!c.x509_subject.empty()) out.principal = CertificatePrincipal(c.x509_subject);
  return out;
}

}  // namespace fairtrace::api
