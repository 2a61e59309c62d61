// Errors below the API layer: absl::Status plus one typed payload of our
// own, ErrorDetails (reason, metadata, field violations, precondition
// violations, the resource concerned). Core, store and CAS build errors with
// ErrorBuilder; only the API layer and the clients turn ErrorDetails into
// google.rpc messages and back (common/wire/rpc_status.h). Nothing here
// depends on protobuf or gRPC.
//
// The payload travels under kErrorDetailsPayloadKey in a small
// length-prefixed encoding private to this file (EncodeErrorDetails);
// it never leaves the process. Thread-safe: all functions are pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fairtrace {

// The ErrorInfo domain of every fairtrace error.
inline constexpr absl::string_view kErrorDomain = "fairtrace.dev";
// The absl::Status payload key under which ErrorDetails travel.
inline constexpr absl::string_view kErrorDetailsPayloadKey = "fairtrace.dev/ErrorDetails";

struct FieldViolation {
  std::string field;
  std::string description;
  friend bool operator==(const FieldViolation&, const FieldViolation&) = default;
};

struct PreconditionViolation {
  std::string type;
  std::string subject;
  std::string description;
  friend bool operator==(const PreconditionViolation&, const PreconditionViolation&) = default;
};

// What an error says beyond its code and message. Maps one to one onto
// google.rpc ErrorInfo (reason, metadata), BadRequest (fields),
// PreconditionFailure (preconditions) and ResourceInfo (resource_*).
struct ErrorDetails {
  std::string reason;  // UPPER_SNAKE_CASE; empty: none
  std::map<std::string, std::string> metadata;
  std::vector<FieldViolation> fields;
  std::vector<PreconditionViolation> preconditions;
  std::string resource_type;
  std::string resource_name;  // empty: no resource

  bool empty() const {
    return reason.empty() && metadata.empty() && fields.empty() && preconditions.empty() && resource_name.empty();
  }
  friend bool operator==(const ErrorDetails&, const ErrorDetails&) = default;
};

// The details `status` carries; std::nullopt when it carries none (or the
// payload is not ours).
std::optional<ErrorDetails> ErrorDetailsOf(const absl::Status& status);
// A copy of `status` carrying `details` (replacing any it carried); details
// that are empty() are removed.
absl::Status WithDetails(absl::Status status, const ErrorDetails& details);

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
  ErrorBuilder& Precondition(absl::string_view type, absl::string_view subject, absl::string_view description);
  ErrorBuilder& Resource(absl::string_view type, absl::string_view name);

  absl::Status Build() const;
  operator absl::Status() const { return Build(); }  // NOLINT: builder idiom

 private:
  absl::StatusCode code_;
  std::string message_;
  ErrorDetails details_;
};

// INVALID_ARGUMENT with one field violation; the message names the field.
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// Copies payloads of `from` onto a new status with `code` and `message`.
absl::Status WithMessage(const absl::Status& from, std::string message);

// "INVALID_ARGUMENT", "OK", ...: the canonical code name.
std::string StatusCodeName(absl::StatusCode code);

}  // namespace fairtrace
