// Whether an ADDR:PORT listen address is on loopback (127.0.0.0/8,
// localhost, ::1): plaintext is allowed there without --insecure
// (docs/security.md). Pure; thread-safe.
#pragma once

#include <string>

namespace fairtrace {

bool IsLoopback(const std::string& listen);

}  // namespace fairtrace
