// The data folder's owner: one process at a time (docs/security.md).
//
// The server holds an exclusive flock(2) on <data dir>/fairtrace.lock while
// it runs, and so do the offline commands (tokens, grants, log-key): two
// writers of one database would each extend the audit chain from their own
// view of its head. The lock dies with its process, SIGKILL included.
//
// OfflineAccess opens a stopped server's data folder for the tokens and
// grants commands: every change goes through AccessControl with an audit
// record whose principal is "local:<OS user>" and whose method names the
// command. Errors: FAILED_PRECONDITION naming the folder when another
// process holds it. Not thread-safe (one command per process).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/fs/fs_util.h"
#include "registry/core/call_context.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "registry/trust/access_control.h"

namespace fairtrace {

absl::StatusOr<fs::Fd> LockDataFolder(const std::filesystem::path& data_dir);

class OfflineAccess {
 public:
  static absl::StatusOr<std::unique_ptr<OfflineAccess>> Open(const std::filesystem::path& data_dir);
  AccessControl& access() { return *access_; }
  // The audit context of `command` ("fairtrace-server grants add").
  CallContext Context(const std::string& command) const;

 private:
  OfflineAccess() = default;
  fs::Fd lock_;
  std::unique_ptr<SqliteBackend> backend_;
  std::unique_ptr<AccessControl> access_;
};

}  // namespace fairtrace
