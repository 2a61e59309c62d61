// Pull: download a blob or a tree to DEST, verifying every byte.
//
// DEST must not exist (ALREADY_EXISTS otherwise). Bytes are written under a
// temporary name beside DEST and renamed into place only when everything
// verified (renameat2 RENAME_NOREPLACE), so DEST is either absent or
// complete: never half-written, never clobbered. Executable entries get mode
// 0755, others 0644.
#pragma once

#include <cstdint>
#include <filesystem>

#include "absl/status/statusor.h"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::client {

struct PullResult {
  bool is_tree = false;
  int64_t files = 0;
  int64_t bytes = 0;
};

absl::StatusOr<PullResult> Pull(CasClient& client, const Digest& digest, const std::filesystem::path& dest,
                                bool show_progress);

}  // namespace fairtrace::client
