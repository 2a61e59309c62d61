// Blob identity: Digest{sha256 hex, size_bytes}, its text form
// "<sha256>/<size>", proto conversion, and the CAS resource names
//   blobs/{sha256}/{size}                       (Read)
//   uploads/{upload_id}/blobs/{sha256}/{size}   (Write, QueryWriteStatus)
// See docs/cas-protocol.md. All functions are pure and thread-safe.
// Parse/validate functions return INVALID_ARGUMENT with a BadRequest field
// violation naming `field`.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "fairtrace/v1/common.pb.h"

namespace fairtrace {

inline constexpr absl::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Digest {
  std::string sha256;  // 64 lowercase hex characters
  int64_t size_bytes = 0;

  bool empty_blob() const { return size_bytes == 0 && sha256 == kEmptySha256; }
  // "<sha256>/<size>"
  std::string ToString() const;

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.sha256, d.size_bytes);
  }
};

Digest EmptyDigest();
// Digest of `data` (hashes it).
Digest DigestOf(absl::string_view data);

// Checks hash syntax (64 lowercase hex) and size >= 0 (and <= max_size when
// max_size > 0).
absl::Status ValidateDigest(const Digest& d, absl::string_view field, int64_t max_size = 0);
// Parses "<sha256>/<size>".
absl::StatusOr<Digest> ParseDigest(absl::string_view text, absl::string_view field = "digest");

absl::StatusOr<Digest> DigestFromProto(const v1::Digest& p, absl::string_view field);
v1::Digest DigestToProto(const Digest& d);

// Resource names.
std::string BlobResourceName(const Digest& d);
// "trees/{sha256}/{size}": a registered tree as a lineage node.
std::string TreeResourceName(const Digest& d);
absl::StatusOr<Digest> ParseBlobResourceName(absl::string_view name);

struct UploadResource {
  std::string upload_id;
  Digest digest;
};
std::string UploadResourceName(absl::string_view upload_id, const Digest& d);
absl::StatusOr<UploadResource> ParseUploadResourceName(absl::string_view name);
// upload ids: 1-64 characters of [A-Za-z0-9_-]; they name files on disk.
bool IsValidUploadId(absl::string_view id);

}  // namespace fairtrace
