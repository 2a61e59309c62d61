// The canonical tree manifest: a byte-exact text format naming a folder of
// files, specified in docs/tree-format.md. Its own digest names the tree.
//
//   fairtrace-tree/1\n
//   <f|x> <sha256> <size> <path>\n      (one line per file, sorted by path)
//
// EncodeTree sorts and validates; ParseTree accepts only canonical bytes
// (exactly what EncodeTree would produce), so one folder has one digest.
// Errors: INVALID_ARGUMENT with one BadRequest field violation per problem
// (capped at 100), fields named "entries[i].path" etc.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/content/digest.h"

namespace fairtrace {

inline constexpr absl::string_view kTreeHeader = "fairtrace-tree/1\n";
inline constexpr size_t kMaxTreeEntries = 1'000'000;
inline constexpr size_t kMaxTreePathBytes = 4096;
inline constexpr size_t kMaxTreeComponentBytes = 255;

struct TreeEntry {
  std::string path;  // relative, '/'-separated, UTF-8
  Digest digest;
  bool executable = false;

  friend bool operator==(const TreeEntry&, const TreeEntry&) = default;
};

// Empty when `path` is an acceptable tree path, else why not.
std::string TreePathProblem(absl::string_view path);

// Sorts `entries` by path (bytewise) and encodes them. Fails on invalid
// paths or digests, duplicate paths, a path that is also a folder of another
// ("a" and "a/b"), or more than kMaxTreeEntries entries.
absl::StatusOr<std::string> EncodeTree(std::vector<TreeEntry> entries);

// Parses canonical manifest bytes. Fails on anything EncodeTree would not
// have produced: bad header, unsorted or duplicate paths, bad lines.
absl::StatusOr<std::vector<TreeEntry>> ParseTree(absl::string_view bytes);

// Where entry `entry` (0-based) starts in the manifest bytes, for paging a
// stored tree without parsing it whole (GetTree).
struct TreeIndexPoint {
  int64_t entry = 0;
  int64_t byte_offset = 0;
};
inline constexpr int64_t kTreeIndexStride = 1024;

// The byte offset of entries 0, stride, 2*stride, ... of the canonical
// manifest of `entries` (computed from the entries: the format is canonical).
std::vector<TreeIndexPoint> TreeIndexPoints(absl::Span<const TreeEntry> entries, int64_t stride = kTreeIndexStride);

// One manifest line without its '\n' ("<f|x> <sha256> <size> <path>") of a
// stored, already validated manifest. INVALID_ARGUMENT when it is not one.
absl::StatusOr<TreeEntry> ParseTreeLine(absl::string_view line);

}  // namespace fairtrace
