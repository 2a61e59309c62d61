// A small sqlite3_vfs shim over the default VFS that passes every write and
// sync of the database, its WAL and journal through an fs::Env's Before()
// hook (common/fs/env.h), so the faults a FaultInjectionEnv plans (failed
// fsync, short write, ENOSPC) reach SQLite exactly as they reach the blob
// files. Everything else is the default VFS, unchanged.
//
// Mapping: a refused write returns SQLITE_FULL for RESOURCE_EXHAUSTED
// (after writing the bytes the hook allowed: a short write) and
// SQLITE_IOERR_WRITE otherwise; a refused sync SQLITE_IOERR_FSYNC.
//
// Thread-safe. Registration is process-wide and never undone: `env` must
// live as long as the process (tests keep theirs in a static).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/fs/env.h"

namespace fairtrace::sqlite {

// The name of a VFS that routes through `env` (registered once per env).
absl::StatusOr<std::string> EnvVfsName(fs::Env* env);

}  // namespace fairtrace::sqlite
