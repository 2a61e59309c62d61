#include "common/content/digest.h"

#include <charconv>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

bool IsLowerHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Strict decimal: no sign, no leading zeros (except "0"), fits int64.
bool ParseSize(absl::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

absl::StatusOr<Digest> ParseHashAndSize(absl::string_view hash, absl::string_view size, absl::string_view field) {
  Digest d;
  if (!IsLowerHex64(hash)) {
    return InvalidField(
        field, absl::StrCat("sha256 must be 64 lowercase hex characters, got \"", text::ClipText(hash, 80), "\""));
  }
  if (!ParseSize(size, &d.size_bytes)) {
    return InvalidField(
        field, absl::StrCat("size must be a non-negative decimal integer, got \"", text::ClipText(size, 40), "\""));
  }
  d.sha256 = std::string(hash);
  return d;
}

}  // namespace

std::string Digest::ToString() const { return absl::StrCat(sha256, "/", size_bytes); }

Digest EmptyDigest() { return Digest{std::string(kEmptySha256), 0}; }

Digest DigestOf(absl::string_view data) { return Digest{Sha256Hex(data), static_cast<int64_t>(data.size())}; }

absl::Status ValidateDigest(const Digest& d, absl::string_view field, int64_t max_size) {
  if (!IsLowerHex64(d.sha256)) {
    return InvalidField(absl::StrCat(field, ".sha256"), absl::StrCat("must be 64 lowercase hex characters, got \"",
                                                                     text::ClipText(d.sha256, 80), "\""));
  }
  if (d.size_bytes < 0) {
    return InvalidField(absl::StrCat(field, ".size_bytes"), "must not be negative");
  }
  if (max_size > 0 && d.size_bytes > max_size) {
    return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                        absl::StrCat(field, ".size_bytes ", d.size_bytes, " exceeds the server's maximum blob size of ",
                                     max_size))
        .Field(absl::StrCat(field, ".size_bytes"), "exceeds the maximum blob size")
        .Reason("BLOB_TOO_LARGE")
        .Meta("max_blob_size", absl::StrCat(max_size));
  }
  if (d.size_bytes == 0 && d.sha256 != kEmptySha256) {
    return InvalidField(field, "a blob of size 0 must have the empty SHA-256");
  }
  return absl::OkStatus();
}

absl::StatusOr<Digest> ParseDigest(absl::string_view text, absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  if (parts.size() != 2) {
    return InvalidField(field, absl::StrCat("expected \"<sha256>/<size>\", got \"", text::ClipText(text, 100), "\""));
  }
  return ParseHashAndSize(parts[0], parts[1], field);
}

absl::StatusOr<Digest> DigestFromProto(const v1::Digest& p, absl::string_view field) {
  Digest d{p.sha256(), p.size_bytes()};
  if (absl::Status s = ValidateDigest(d, field); !s.ok()) return s;
  return d;
}

v1::Digest DigestToProto(const Digest& d) {
  v1::Digest p;
  p.set_sha256(d.sha256);
  p.set_size_bytes(d.size_bytes);
  return p;
}

std::string BlobResourceName(const Digest& d) { return absl::StrCat("blobs/", d.sha256, "/", d.size_bytes); }

std::string TreeResourceName(const Digest& d) { return absl::StrCat("trees/", d.sha256, "/", d.size_bytes); }

absl::StatusOr<Digest> ParseBlobResourceName(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 3 || parts[0] != "blobs") {
    return InvalidField("resource_name",
                        absl::StrCat("expected \"blobs/{sha256}/{size}\", got \"", text::ClipText(name, 200), "\""));
  }
  return ParseHashAndSize(parts[1], parts[2], "resource_name");
}

bool IsValidUploadId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string UploadResourceName(absl::string_view upload_id, const Digest& d) {
  return absl::StrCat("uploads/", upload_id, "/", BlobResourceName(d));
}

absl::StatusOr<UploadResource> ParseUploadResourceName(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 5 || parts[0] != "uploads" || parts[2] != "blobs") {
    return InvalidField("resource_name", absl::StrCat("expected \"uploads/{upload_id}/blobs/{sha256}/{size}\", got \"",
                                                      text::ClipText(name, 200), "\""));
  }
  if (!IsValidUploadId(parts[1])) {
    return InvalidField("resource_name", "upload_id must be 1-64 characters of [A-Za-z0-9_-]");
  }
  auto d = ParseHashAndSize(parts[3], parts[4], "resource_name");
  if (!d.ok()) return d.status();
  return UploadResource{std::string(parts[1]), *std::move(d)};
}

}  // namespace fairtrace
