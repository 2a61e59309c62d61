// Errors with google.rpc details, carried across layers as absl::Status
// payloads. Core and store build errors with ErrorBuilder; the api layer turns
// the payloads into the `grpc-status-details-bin` trailer (api/grpc_status.h).
//
// Payload keys are the Any type URLs of the detail messages
// ("type.googleapis.com/google.rpc.BadRequest", ...), values their serialized
// bytes. Thread-safe: all functions are pure.
#pragma once

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/error_details.pb.h"

namespace fairtrace {

// The ErrorInfo domain of every fairtrace error.
inline constexpr absl::string_view kErrorDomain = "fairtrace.dev";

// Every string given to the builder (message, reason, metadata, violations)
// is stored valid UTF-8 and clipped by code point (invalid bytes shown as
// \xNN, see common/text/utf8.h): callers may quote request text as it came.
class ErrorBuilder {
 public:
  static constexpr size_t kMaxMessageCodePoints = 1000;

  ErrorBuilder(absl::StatusCode code, std::string message);

  // ErrorInfo.reason (UPPER_SNAKE_CASE) and metadata.
  ErrorBuilder& Reason(absl::string_view reason);
  ErrorBuilder& Meta(absl::string_view key, absl::string_view value);
  // One BadRequest field violation.
  ErrorBuilder& Field(absl::string_view field, absl::string_view description);
  // One PreconditionFailure violation.
  ErrorBuilder& Precondition(absl::string_view type, absl::string_view subject,
                             absl::string_view description);
  ErrorBuilder& Resource(absl::string_view type, absl::string_view name);

  absl::Status Build() const;
  operator absl::Status() const { return Build(); }  // NOLINT: builder idiom

 private:
  absl::StatusCode code_;
  std::string message_;
  google::rpc::ErrorInfo info_;
  google::rpc::BadRequest bad_request_;
  google::rpc::PreconditionFailure precondition_;
  google::rpc::ResourceInfo resource_;
};

// INVALID_ARGUMENT with one field violation; the message names the field.
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// The google.rpc detail messages carried by `status`, as Any, in a stable
// order (ErrorInfo, BadRequest, PreconditionFailure, ResourceInfo).
std::vector<google::protobuf::Any> StatusDetails(const absl::Status& status);

// Copies payloads of `from` onto a new status with `code` and `message`.
absl::Status WithMessage(const absl::Status& from, std::string message);

// "INVALID_ARGUMENT", "OK", ...: the canonical code name.
std::string StatusCodeName(absl::StatusCode code);

}  // namespace fairtrace
