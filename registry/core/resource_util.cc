#include "registry/core/resource_util.h"

#include "absl/strings/numbers.h"

#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/content/sha256.h"
#include "common/fs/fs_util.h"
#include "common/status/errors.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/json_util.h"

namespace fairtrace {

using json = nlohmann::json;

std::string Etag(const std::string& uid, int64_t revision) {
  return absl::StrCat(revision, "-", Sha256Hex(absl::StrCat(uid, ":", revision)).substr(0, 12));
}

absl::Status CheckEtag(const std::string& given, const std::string& uid, int64_t revision,
                       const std::string& resource) {
  if (given.empty() || given == Etag(uid, revision)) return absl::OkStatus();
  return ErrorBuilder(absl::StatusCode::kAborted,
                      absl::StrCat(resource, " changed since its etag was read (now ", Etag(uid, revision), ")"))
      .Reason("ETAG_MISMATCH");
}

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > 63 || !(id[0] >= 'a' && id[0] <= 'z') || id.back() == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool IsValidProjectName(absl::string_view project) {
  if (project.empty() || project.size() > 63 || project[0] == '-' || project[0] == '_' || project[0] == '.') {
    return false;
  }
  for (char c : project) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

absl::StatusOr<std::string> ProjectOfCreate(const std::string& project, const std::string& field) {
  if (project.empty()) return std::string(kDefaultProject);
  if (!IsValidProjectName(project)) {
    return InvalidField(field, "is a project name: lowercase letters, digits, '-', '_' and '.' (at most 63)");
  }
  return project;
}

absl::Status CheckRequestId(const std::string& id) {
  if (id.size() > 128) return InvalidField("request_id", "at most 128 characters");
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f) return InvalidField("request_id", "printable ASCII without spaces only");
  }
  return absl::OkStatus();
}

absl::Status CheckTags(const google::protobuf::Map<std::string, std::string>& tags, const std::string& field,
                       const TagLimits& l) {
  if (tags.size() > l.max_tags) return InvalidField(field, absl::StrCat("at most ", l.max_tags, " tags"));
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > l.max_key) {
      return InvalidField(absl::StrCat(field, "[", text::ClipText(k, 40), "]"),
                          absl::StrCat("keys have 1-", l.max_key, " characters"));
    }
    if (v.size() > l.max_value) {
      return InvalidField(absl::StrCat(field, "[", k, "]"),
                          absl::StrCat("values have at most ", l.max_value, " bytes"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLength(const std::string& value, size_t max, const std::string& field) {
  if (value.size() > max) return InvalidField(field, absl::StrCat("at most ", max, " bytes, got ", value.size()));
  return absl::OkStatus();
}

std::string TagsJson(const google::protobuf::Map<std::string, std::string>& tags) {
  json j = json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j.dump();
}

void TagsFromJson(const std::string& text, google::protobuf::Map<std::string, std::string>* out) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return;
  for (auto& [k, v] : j.items()) {
    if (v.is_string()) (*out)[k] = v.get<std::string>();
  }
}

absl::StatusOr<std::vector<std::string>> MaskPaths(const google::protobuf::FieldMask& mask,
                                                   const std::vector<std::string>& mutable_fields,
                                                   const std::vector<std::string>& immutable_fields) {
  if (mask.paths_size() == 0) return mutable_fields;
  std::vector<std::string> out;
  for (const auto& p : mask.paths()) {
    if (std::find(mutable_fields.begin(), mutable_fields.end(), p) != mutable_fields.end()) {
      out.push_back(p);
    } else if (std::find(immutable_fields.begin(), immutable_fields.end(), p) != immutable_fields.end()) {
      return ErrorBuilder(absl::StatusCode::kInvalidArgument, absl::StrCat("field ", p, " is immutable"))
          .Field("update_mask", absl::StrCat(p, " is immutable"))
          .Reason("IMMUTABLE_FIELD");
    } else {
      return InvalidField("update_mask", absl::StrCat("unknown field \"", text::ClipText(p, 60), "\""));
    }
  }
  return out;
}

bool HasPath(const std::vector<std::string>& paths, const char* field) {
  return std::find(paths.begin(), paths.end(), field) != paths.end();
}

RequestKey RequestKeyOf(const CallContext& ctx, const std::string& request_id) {
  RequestKey key(request_id);
  key.principal = ctx.principal;
  key.body_sha256 = ctx.request_body_sha256;
  return key;
}

absl::StatusOr<std::optional<std::string>> EarlierRequest(ModelStore* store, const RequestKey& key,
                                                          const std::string& method) {
  if (key.empty()) return std::nullopt;
  absl::StatusOr<std::optional<RequestIdRow>> row = store->LookupRequestId(key);
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  if ((*row)->method != method) {
    return ErrorBuilder(absl::StatusCode::kAlreadyExists,
                        absl::StrCat("request_id was used for another call (", (*row)->method, " of ", (*row)->resource,
                                     "); use a new request_id"))
        .Reason("REQUEST_ID_USED")
        .Field("request_id", "already used for another method");
  }
  if (!(*row)->body_sha256.empty() && (*row)->body_sha256 != key.body_sha256) {
    return ErrorBuilder(absl::StatusCode::kAlreadyExists,
                        absl::StrCat("request_id was used for a different request (", (*row)->resource,
                                     "); a retry must repeat the request exactly, a new request needs a new id"))
        .Reason("REQUEST_ID_CONFLICT")
        .Field("request_id", "already used with a different request body")
        .Resource("request", (*row)->resource);
  }
  return (*row)->resource;
}

bool ParseCanonicalInt(absl::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(s, out);
}

std::string NewUid() { return fs::RandomName(); }

std::string MessageJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

void MessageFromJson(const std::string& text, google::protobuf::Message* m) {
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  (void)google::protobuf::util::JsonStringToMessage(text, m, o);
}

}  // namespace fairtrace
