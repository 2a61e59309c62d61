// Env: the filesystem operations whose durability the registry relies on
// (open, write, fsync, fsync of a folder, rename), behind one seam like
// leveldb's Env, so that tests can inject the faults that a failing disk or
// a full filesystem produce below the process — a failed fsync, a failed
// rename, a short write, ENOSPC — at any step of a write.
//
// Every operation first calls Before(op, path, ...); the default Env allows
// everything and runs the POSIX call. A test subclass (FaultInjectionEnv,
// common/fs/fault_injection_env.h) fails chosen calls. The SQLite store
// routes its own writes and syncs through the same hook with a small VFS
// shim (registry/store/sqlite/env_vfs.h), so one fault plan covers the blob
// files and the database.
//
// Errors are those of fs_util.h (ErrnoStatus): RESOURCE_EXHAUSTED for
// ENOSPC, INTERNAL for other I/O errors. Thread-safe when Before() is.
#pragma once

#include <cstdint>
#include <filesystem>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/fs/fs_util.h"

namespace fairtrace::fs {

class Env {
 public:
  enum class Op { kOpen, kWrite, kSync, kSyncDir, kRename };

  virtual ~Env() = default;
  // The process-wide POSIX Env (never destroyed).
  static Env* Default();

  // Called before every operation. OK lets it run. An error fails it with
  // that error before anything happens — except for kWrite, where
  // *write_len may first be lowered: that many bytes are written, then the
  // error is returned (a short write).
  virtual absl::Status Before(Op op, const std::filesystem::path& path, size_t* write_len) { return absl::OkStatus(); }

  absl::StatusOr<Fd> OpenFile(const std::filesystem::path& path, int flags, int mode = 0600);
  absl::Status WriteAll(int fd, absl::string_view data, const std::filesystem::path& path);
  // All of `data` at `offset` (pwrite), retrying partial writes.
  absl::Status PWriteAll(int fd, absl::string_view data, int64_t offset, const std::filesystem::path& path);
  absl::Status SyncFd(int fd, const std::filesystem::path& path);
  absl::Status SyncDir(const std::filesystem::path& dir);
  absl::Status Rename(const std::filesystem::path& from, const std::filesystem::path& to);
};

}  // namespace fairtrace::fs
