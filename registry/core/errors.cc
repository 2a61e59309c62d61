#include "registry/core/errors.h"

#include "absl/strings/str_cat.h"

namespace fairtrace {
namespace {

constexpr char kTypePrefix[] = "type.googleapis.com/";

template <typename Msg>
void AttachIfSet(absl::Status& status, const Msg& msg, bool set) {
  if (!set) return;
  status.SetPayload(absl::StrCat(kTypePrefix, Msg::descriptor()->full_name()),
                    absl::Cord(msg.SerializeAsString()));
}

}  // namespace

ErrorBuilder::ErrorBuilder(absl::StatusCode code, std::string message)
    : code_(code), message_(std::move(message)) {
  info_.set_domain(std::string(kErrorDomain));
}

ErrorBuilder& ErrorBuilder::Reason(absl::string_view reason) {
  info_.set_reason(std::string(reason));
  return *this;
}

ErrorBuilder& ErrorBuilder::Meta(absl::string_view key, absl::string_view value) {
  (*info_.mutable_metadata())[std::string(key)] = std::string(value);
  return *this;
}

ErrorBuilder& ErrorBuilder::Field(absl::string_view field, absl::string_view description) {
  auto* v = bad_request_.add_field_violations();
  v->set_field(std::string(field));
  v->set_description(std::string(description));
  return *this;
}

ErrorBuilder& ErrorBuilder::Precondition(absl::string_view type, absl::string_view subject,
                                         absl::string_view description) {
  auto* v = precondition_.add_violations();
  v->set_type(std::string(type));
  v->set_subject(std::string(subject));
  v->set_description(std::string(description));
  return *this;
}

ErrorBuilder& ErrorBuilder::Resource(absl::string_view type, absl::string_view name) {
  resource_.set_resource_type(std::string(type));
  resource_.set_resource_name(std::string(name));
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
