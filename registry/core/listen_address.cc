#include "registry/core/listen_address.h"

#include "absl/strings/match.h"

namespace fairtrace {

bool IsLoopback(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return absl::StartsWith(host, "127.") || host == "localhost" || host == "[::1]" || host == "::1";
}

}  // namespace fairtrace
