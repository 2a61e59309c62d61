// `fairtrace-server tokens ...` and `fairtrace-server grants ...`: tokens
// and grants changed on a stopped server's data folder (data_folder.h).
// Prints results on stdout (a token's secret exactly once, on its own line
// after "secret: " or as "secret" in JSON) and errors on stderr; returns
// the exit code: 0 done, 1 refused (bad input, not found, the folder in
// use).
#pragma once

#include <string>

namespace fairtrace {

struct OfflineAccessCommand {
  std::string principal, role, project, expires, description, token_name;
  bool json = false;
};

// `which`: "tokens create", "tokens list", "tokens revoke", "grants add",
// "grants revoke", "grants list".
int RunOfflineAccessCommand(const std::string& data_dir, const std::string& which, const OfflineAccessCommand& c);

// "90d", "12h", "30m", "45s" or plain seconds; -1 when malformed.
int64_t ParseLifetimeSeconds(const std::string& text);

}  // namespace fairtrace
