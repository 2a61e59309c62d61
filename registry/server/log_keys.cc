#include "registry/server/log_keys.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/fs/fs_util.h"
#include "common/status/status_macros.h"

namespace fairtrace {
namespace {

namespace stdfs = std::filesystem;

stdfs::path KeyDir(const stdfs::path& data_dir) { return data_dir / "keys"; }

absl::StatusOr<std::string> ReadSmallFile(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", p.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 64 * 1024) return absl::FailedPreconditionError(absl::StrCat(p.string(), " is too large for a key"));
  return s;
}

absl::Status WriteDurably(const stdfs::path& p, absl::string_view bytes) {
  stdfs::path tmp = p.parent_path() / absl::StrCat(".", p.filename().string(), ".", fs::RandomName());
  {
    FT_ASSIGN_OR_RETURN(fs::Fd fd, fs::OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    FT_RETURN_IF_ERROR(fs::WriteAll(fd.get(), bytes, tmp));
    FT_RETURN_IF_ERROR(fs::SyncFd(fd.get(), tmp));
  }
  if (::rename(tmp.c_str(), p.c_str()) != 0) return fs::ErrnoStatus("rename", p);
  return fs::SyncDir(p.parent_path());
}

constexpr absl::string_view kNamePrefix = "name: ";

// One file holds the key's name and its PEM ("name: <name>" on the first
// line; PEM readers, openssl's included, skip text before the BEGIN line),
// so it is replaced whole or not at all.
absl::Status WriteKey(const stdfs::path& dir, const std::string& stem, const NoteSigner& key) {
  return WriteDurably(dir / (stem + ".key"), absl::StrCat(kNamePrefix, key.name(), "\n", key.PrivateKeyPem()));
}

absl::StatusOr<NoteSigner> ReadKey(const stdfs::path& dir, const std::string& stem) {
  FT_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(dir / (stem + ".key")));
  size_t eol = text.find('\n');
  absl::string_view first = absl::string_view(text).substr(0, eol);
  if (eol == std::string::npos || !absl::ConsumePrefix(&first, kNamePrefix)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the checkpoint key ", (dir / (stem + ".key")).string(), " does not start with its name"));
  }
  auto key = NoteSigner::FromPrivateKeyPem(std::string(absl::StripAsciiWhitespace(first)), text.substr(eol + 1));
  if (!key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("the checkpoint key ", (dir / (stem + ".key")).string(),
                                                      " is unusable: ", key.status().message()));
  }
  return key;
}

std::string DefaultOrigin() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string clean;
  for (char c : std::string(host)) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') clean.push_back(c);
  }
  if (clean.empty()) clean = "localhost";
  return absl::StrCat("fairtrace/", clean, "/", fs::RandomName().substr(0, 8));
}

absl::Status EnsureDir(const stdfs::path& dir) {
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
  stdfs::permissions(dir, stdfs::perms::owner_all, stdfs::perm_options::replace, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot restrict ", dir.string(), ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<NoteSigner>> LoadOrCreateLogKeys(const stdfs::path& data_dir, const std::string& origin) {
  stdfs::path dir = KeyDir(data_dir);
  FT_RETURN_IF_ERROR(EnsureDir(dir));
  std::vector<NoteSigner> out;
  if (!stdfs::exists(dir / "checkpoint.key")) {
    FT_ASSIGN_OR_RETURN(NoteSigner key, NoteSigner::Generate(origin.empty() ? DefaultOrigin() : origin));
    FT_RETURN_IF_ERROR(WriteKey(dir, "checkpoint", key));
  }
  FT_ASSIGN_OR_RETURN(NoteSigner key, ReadKey(dir, "checkpoint"));
  out.push_back(std::move(key));
  if (stdfs::exists(dir / "checkpoint-next.key")) {
    FT_ASSIGN_OR_RETURN(NoteSigner next, ReadKey(dir, "checkpoint-next"));
    out.push_back(std::move(next));
  }
  return out;
}

absl::StatusOr<NoteSigner> StartKeyRotation(const stdfs::path& data_dir, const std::string& new_name) {
  stdfs::path dir = KeyDir(data_dir);
  if (!stdfs::exists(dir / "checkpoint.key")) {
    return absl::FailedPreconditionError("this data folder has no checkpoint key yet: start the server once");
  }
  if (stdfs::exists(dir / "checkpoint-next.key")) {
    return absl::FailedPreconditionError("a key rotation is already in progress (finish it first)");
  }
  FT_ASSIGN_OR_RETURN(NoteSigner current, ReadKey(dir, "checkpoint"));
  std::string name = new_name.empty() ? current.name() : new_name;
  FT_ASSIGN_OR_RETURN(NoteSigner next, NoteSigner::Generate(name));
  FT_RETURN_IF_ERROR(WriteKey(dir, "checkpoint-next", next));
  return next;
}

absl::StatusOr<NoteSigner> FinishKeyRotation(const stdfs::path& data_dir) {
  stdfs::path dir = KeyDir(data_dir);
  if (!stdfs::exists(dir / "checkpoint-next.key")) {
    return absl::FailedPreconditionError("no key rotation is in progress (start one with log-key rotate)");
  }
  FT_ASSIGN_OR_RETURN(NoteSigner current, ReadKey(dir, "checkpoint"));
  FT_ASSIGN_OR_RETURN(NoteSigner next, ReadKey(dir, "checkpoint-next"));
  std::string retired = absl::StrCat("checkpoint.retired-", absl::StrCat(absl::Hex(current.key_id(), absl::kZeroPad8)));
  FT_RETURN_IF_ERROR(WriteKey(dir, retired, current));
  FT_RETURN_IF_ERROR(WriteKey(dir, "checkpoint", next));
  if (::unlink((dir / "checkpoint-next.key").c_str()) != 0)
    return fs::ErrnoStatus("unlink", dir / "checkpoint-next.key");
  FT_RETURN_IF_ERROR(fs::SyncDir(dir));
  return next;
}

}  // namespace fairtrace
