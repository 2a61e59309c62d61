#include "clients/cli/cli_common.h"

#include <iostream>

#include "common/status/errors.h"

#include "google/protobuf/util/json_util.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace fairtrace::cli {

int ExitCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kAborted:
      return 1;
    default:
      return 2;
  }
}

int Fail(const absl::Status& s, const std::string& server) {
  std::string msg(s.message());
  if (s.code() == absl::StatusCode::kUnavailable) {
    msg = absl::StrCat("cannot reach the fairtrace server at ", server, " (", msg, ")");
  }
  std::cerr << "fairtrace: " << msg << "\n";
  return ExitCodeFor(s);
}

nlohmann::json DigestJson(const Digest& d) {
  return {{"sha256", d.sha256}, {"size_bytes", d.size_bytes}, {"digest", d.ToString()}};
}

std::string ProtoJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

void PrintViolations(const absl::Status& s) {
  std::string total, shown;
  if (auto d = ErrorDetailsOf(s)) {
    for (const auto& v : d->fields) std::cerr << "  " << v.field << ": " << v.description << "\n";
    if (auto it = d->metadata.find("violations_total"); it != d->metadata.end()) total = it->second;
    if (auto it = d->metadata.find("violations_shown"); it != d->metadata.end()) shown = it->second;
  }
  if (!total.empty()) std::cerr << "  (" << shown << " of " << total << " problems shown)\n";
}

}  // namespace fairtrace::cli
