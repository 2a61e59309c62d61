// Helpers shared by the fairtrace CLI's commands: exit codes, error output,
// JSON shapes.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "common/content/digest.h"
#include "google/protobuf/message.h"

namespace fairtrace::cli {

// 0 ok; 1 a failure the user caused (bad input, not found, exists,
// precondition); 2 a server or transport error.
int ExitCodeFor(const absl::Status& s);
// Prints "fairtrace: <one sentence>" on stderr and returns the exit code.
int Fail(const absl::Status& s, const std::string& server);
// One stderr line per BadRequest field violation ("  field: description"),
// then, when the server sent only the first ones (ErrorInfo metadata
// violations_total / violations_shown), a line saying how many there were.
void PrintViolations(const absl::Status& s);
nlohmann::json DigestJson(const Digest& d);
// A message as one line of proto JSON (field names as in the .proto).
std::string ProtoJson(const google::protobuf::Message& m);

}  // namespace fairtrace::cli
