// Digests of dataset items and versions, byte for byte as
// docs/dataset-format.md specifies them (like docs/tree-format.md for
// trees): the same image at two paths, or with two links, stays two items;
// a version digest names exactly those bytes and those links. Pure;
// thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace fairtrace::datasets {

struct CanonicalItem {
  std::string path;
  std::string blob_sha256;  // 64 lowercase hex
  int64_t blob_size = 0;
  std::vector<std::string> links;  // resource names; sorted and unique by the caller
  std::string acquired_at, sensor, view, station;
  std::vector<std::pair<std::string, std::string>> attributes;  // sorted by key, unique
};

// The canonical text of an item (docs/dataset-format.md) and its SHA-256.
std::string CanonicalItemText(const CanonicalItem& item);
std::string ItemDigest(const CanonicalItem& item);

// The version digest over the tree, the pinned MIAPPE revision's digest
// ("" when none) and the item digests (sorted here).
std::string VersionDigest(absl::string_view tree_sha256, int64_t tree_size, absl::string_view investigation_digest,
                          std::vector<std::string> item_digests);

// "image/png" from a path's extension; "application/octet-stream" when
// unknown.
std::string MediaTypeOf(absl::string_view path);

}  // namespace fairtrace::datasets
