// Helpers every registry resource shares (models, versions, runs): etags,
// request ids, tags as JSON, field-length checks, update masks, uids.
// Errors are INVALID_ARGUMENT naming the field. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/map.h"
#include "google/protobuf/message.h"
#include "registry/core/audited.h"
#include "registry/core/call_context.h"
#include "registry/store/model_store.h"
#include "registry/store/store.h"

namespace fairtrace {

// "{revision}-{12 hex}": changes whenever the row's revision does.
std::string Etag(const std::string& uid, int64_t revision);
// ABORTED (ETAG_MISMATCH) unless `given` is empty or equals the current etag.
absl::Status CheckEtag(const std::string& given, const std::string& uid, int64_t revision, const std::string& resource);

// A resource id: 1-63 of [a-z0-9-], starting with a letter, not ending
// with '-' (models, investigations).
bool IsValidResourceId(absl::string_view id);

// Projects (docs/security.md, "Projects"). A project name is 1-63 of
// lowercase letters, digits, '-', '_' and '.', starting with a letter or a
// digit. ProjectOfCreate gives the project a create names: "" means
// "default"; INVALID_ARGUMENT naming `field` for an invalid name.
inline constexpr char kDefaultProject[] = "default";
bool IsValidProjectName(absl::string_view project);
absl::StatusOr<std::string> ProjectOfCreate(const std::string& project, const std::string& field);

// The one spelling of a non-negative integer in a resource name: decimal
// digits, no sign, no leading zero (but "0"), no spaces, within int64 —
// so "versions/01", "versions/+1" and "versions/1 " name nothing.
bool ParseCanonicalInt(absl::string_view s, int64_t* out);

// At most 128 printable ASCII characters without spaces (or empty).
absl::Status CheckRequestId(const std::string& id);

struct TagLimits {
  size_t max_tags = 64;
  size_t max_key = 128;
  size_t max_value = 1024;
};
absl::Status CheckTags(const google::protobuf::Map<std::string, std::string>& tags, const std::string& field,
                       const TagLimits& limits);
absl::Status CheckLength(const std::string& value, size_t max, const std::string& field);

// Tags as a JSON object text, and back (anything not a string is skipped).
std::string TagsJson(const google::protobuf::Map<std::string, std::string>& tags);
void TagsFromJson(const std::string& text, google::protobuf::Map<std::string, std::string>* out);

// The fields an update touches: the mask's paths, or all `mutable_fields`
// when the mask is empty. Immutable fields are INVALID_ARGUMENT with reason
// IMMUTABLE_FIELD; unknown ones INVALID_ARGUMENT.
absl::StatusOr<std::vector<std::string>> MaskPaths(const google::protobuf::FieldMask& mask,
                                                   const std::vector<std::string>& mutable_fields,
                                                   const std::vector<std::string>& immutable_fields);
bool HasPath(const std::vector<std::string>& paths, const char* field);

// The request key of `request_id` sent in the call `ctx`: scoped to its
// principal, with the digest of its body.
RequestKey RequestKeyOf(const CallContext& ctx, const std::string& request_id);

// The resource an earlier call with `key` created when that call was the
// same `method` with the same body; std::nullopt when the id is new (or
// empty). A request id used for another method is ALREADY_EXISTS
// (REQUEST_ID_USED); for the same method with another body ALREADY_EXISTS
// (REQUEST_ID_CONFLICT): never the answer to a different question.
absl::StatusOr<std::optional<std::string>> EarlierRequest(ModelStore* store, const RequestKey& key,
                                                          const std::string& method);

// A message as proto JSON (field names as in the .proto), and back
// (unknown fields ignored; text that does not parse leaves `m` as far as it
// got). For rows that keep a message's fields as JSON.
std::string MessageJson(const google::protobuf::Message& m);
void MessageFromJson(const std::string& text, google::protobuf::Message* m);

// A random server-assigned identifier (32 lowercase hex characters).
std::string NewUid();

}  // namespace fairtrace
