#include "registry/core/errors.h"

#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

constexpr char kTypePrefix[] = "type.googleapis.com/";

template <typename Msg>
void AttachIfSet(absl::Status& status, const Msg& msg, bool set) {
  if (!set) return;
  status.SetPayload(absl::StrCat(kTypePrefix, Msg::descriptor()->full_name()),
                    absl::Cord(msg.SerializeAsString()));
}

// Every string an error carries is valid UTF-8 and bounded, whatever request
// bytes it quotes: detail messages are proto3 `string`s, which protobuf
// refuses to parse (and clients to decode) when they hold invalid UTF-8.
std::string Safe(absl::string_view s, size_t max_code_points) { return text::BoundText(s, max_code_points); }

}  // namespace

ErrorBuilder::ErrorBuilder(absl::StatusCode code, std::string message)
    : code_(code), message_(Safe(message, kMaxMessageCodePoints)) {
  info_.set_domain(std::string(kErrorDomain));
}

ErrorBuilder& ErrorBuilder::Reason(absl::string_view reason) {
  info_.set_reason(Safe(reason, 64));
  return *this;
}

ErrorBuilder& ErrorBuilder::Meta(absl::string_view key, absl::string_view value) {
  (*info_.mutable_metadata())[Safe(key, 64)] = Safe(value, 256);
  return *this;
}

ErrorBuilder& ErrorBuilder::Field(absl::string_view field, absl::string_view description) {
  auto* v = bad_request_.add_field_violations();
  v->set_field(Safe(field, 200));
  v->set_description(Safe(description, 300));
  return *this;
}

ErrorBuilder& ErrorBuilder::Precondition(absl::string_view type, absl::string_view subject,
                                         absl::string_view description) {
  auto* v = precondition_.add_violations();
  v->set_type(Safe(type, 64));
  v->set_subject(Safe(subject, 200));
  v->set_description(Safe(description, 300));
  return *this;
}

ErrorBuilder& ErrorBuilder::Resource(absl::string_view type, absl::string_view name) {
  resource_.set_resource_type(Safe(type, 64));
  resource_.set_resource_name(Safe(name, 200));
  return *this;
}

absl::Status ErrorBuilder::Build() const {
  absl::Status status(code_, message_);
  AttachIfSet(status, info_, !info_.reason().empty());
  AttachIfSet(status, bad_request_, bad_request_.field_violations_size() > 0);
  AttachIfSet(status, precondition_, precondition_.violations_size() > 0);
  AttachIfSet(status, resource_, !resource_.resource_name().empty());
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("invalid ", field, ": ", description))
      .Field(field, description)
      .Reason("INVALID_FIELD");
}

std::vector<google::protobuf::Any> StatusDetails(const absl::Status& status) {
  std::vector<google::protobuf::Any> out;
  for (const auto* desc : {google::rpc::ErrorInfo::descriptor(), google::rpc::BadRequest::descriptor(),
                           google::rpc::PreconditionFailure::descriptor(),
                           google::rpc::ResourceInfo::descriptor()}) {
    std::string url = absl::StrCat(kTypePrefix, desc->full_name());
    auto payload = status.GetPayload(url);
    if (!payload) continue;
    google::protobuf::Any any;
    any.set_type_url(url);
    any.set_value(std::string(*payload));
    out.push_back(std::move(any));
  }
  return out;
}

absl::Status WithMessage(const absl::Status& from, std::string message) {
  absl::Status out(from.code(), message);
  from.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

std::string StatusCodeName(absl::StatusCode code) {
  return absl::StatusCodeToString(code);
}

}  // namespace fairtrace
