// Which trees `pull` can write back (docs/tree-format.md, "Restorable
// trees"): stricter than the manifest format, checked when a tree is
// created and reported by fsck for trees stored before the rules existed
// (those stay readable).
//
// A tree is restorable when
//  - every path has at most kMaxRestorablePathBytes bytes and at most
//    kMaxRestorableDepth components (ext4's PATH_MAX is 4096 including the
//    destination folder, macOS's 1024);
//  - no two different names in one folder are equal after Unicode NFC
//    normalization (macOS file systems store one of them), nor after NFC and
//    case folding (the case-insensitive defaults of macOS and Windows).
// Case folding here is per code point: a code point whose Unicode full case
// folding is a single code point is replaced by it, others are kept (the
// C-status mappings of CaseFolding.txt). Unicode data: utf8proc 2.8
// (Unicode 15.0). The Python reference (clients/python/fairtrace/tree.py)
// implements the same rule; tests/fixtures/tree-names.tsv holds the vectors
// both must pass. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/content/tree.h"

namespace fairtrace {

inline constexpr size_t kMaxRestorablePathBytes = 1024;
inline constexpr size_t kMaxRestorableDepth = 64;

// NFC form of valid UTF-8 `s` (ASCII is returned as it is).
std::string NfcName(absl::string_view s);
// NFC, then the per-code-point case folding above.
std::string FoldedName(absl::string_view s);

struct TreeNameProblem {
  size_t entry = 0;     // index of the entry the problem is reported on
  std::string message;  // names both paths of a twin pair
};

// The problems that make `entries` (valid, sorted manifest entries) not
// restorable, at most `max_problems` of them; empty when restorable.
std::vector<TreeNameProblem> TreeRestoreProblems(const std::vector<TreeEntry>& entries, size_t max_problems = 20);

}  // namespace fairtrace
