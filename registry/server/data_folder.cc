#include "registry/server/data_folder.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/content/sha256.h"
#include "common/status/status_macros.h"

namespace fairtrace {

absl::StatusOr<fs::Fd> LockDataFolder(const std::filesystem::path& data_dir) {
  std::filesystem::path lock = data_dir / "fairtrace.lock";
  FT_ASSIGN_OR_RETURN(fs::Fd fd, fs::OpenFile(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("another process (a running fairtrace-server?) uses ", data_dir.string(),
                       "; stop it, or make the change through the admin RPCs (fairtrace access ...)"));
    }
    return fs::ErrnoStatus("flock", lock);
  }
  return fd;
}

absl::StatusOr<std::unique_ptr<OfflineAccess>> OfflineAccess::Open(const std::filesystem::path& data_dir) {
  if (!std::filesystem::exists(data_dir / "fairtrace.db")) {
    return absl::FailedPreconditionError(
        absl::StrCat(data_dir.string(), " holds no fairtrace database: start the server on it once"));
  }
  std::unique_ptr<OfflineAccess> out(new OfflineAccess());
  FT_ASSIGN_OR_RETURN(out->lock_, LockDataFolder(data_dir));
  FT_ASSIGN_OR_RETURN(out->backend_, SqliteBackend::Open({.path = (data_dir / "fairtrace.db").string()}));
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  FT_ASSIGN_OR_RETURN(out->access_, AccessControl::Create(out->backend_->access(), out->backend_->content(), now));
  return out;
}

CallContext OfflineAccess::Context(const std::string& command) const {
  CallContext ctx;
  std::string user = "unknown";
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr) user = pw->pw_name;
  ctx.principal = absl::StrCat("local:", user);
  ctx.method = command;
  ctx.request_sha256 = Sha256Hex(command);
  return ctx;
}

}  // namespace fairtrace
