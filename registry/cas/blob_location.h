// Where a verified blob's bytes live: a loose file of its own (large blobs,
// streamed with Write), a byte range of a pack file (small blobs that
// arrived together in one BatchUpdateBlobs), or the database row itself
// (small tree manifests registered with their tree in one transaction; the
// row's bytes travel here, read with the row). See docs/cas-protocol.md,
// "On disk". Plain data.
#pragma once

#include <cstdint>
#include <string>

namespace fairtrace {

struct BlobLocation {
  std::string pack;         // pack id (32 hex); empty for a loose file
  int64_t pack_offset = 0;  // offset of the blob's first byte in the pack
  bool in_database = false;
  std::string bytes;  // the blob itself when in_database

  bool packed() const { return !pack.empty(); }
  static BlobLocation Loose() { return {}; }
  static BlobLocation InDatabase(std::string bytes) { return {"", 0, true, std::move(bytes)}; }
  friend bool operator==(const BlobLocation&, const BlobLocation&) = default;
};

}  // namespace fairtrace
