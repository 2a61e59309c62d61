// Where a verified blob's bytes live on disk: a loose file of its own
// (large blobs, streamed with Write) or a byte range of a pack file (small
// blobs that arrived together in one BatchUpdateBlobs). See
// docs/cas-protocol.md, "On disk". Plain data.
#pragma once

#include <cstdint>
#include <string>

namespace fairtrace {

struct BlobLocation {
  std::string pack;         // pack id (32 hex); empty for a loose file
  int64_t pack_offset = 0;  // offset of the blob's first byte in the pack

  bool packed() const { return !pack.empty(); }
  static BlobLocation Loose() { return {}; }
  friend bool operator==(const BlobLocation&, const BlobLocation&) = default;
};

}  // namespace fairtrace
