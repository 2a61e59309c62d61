// RFC 6962 / RFC 9162 Merkle tree hashing over the audit log
// (docs/audit-log.md, ../shared/COMPLIANCE.md §6).
//
//   leaf     = SHA-256(0x00 ‖ entry bytes)
//   interior = SHA-256(0x01 ‖ left ‖ right)
//   empty    = SHA-256("")
// For n > 1 leaves the left subtree holds the first k leaves, k the largest
// power of two strictly less than n.
//
// Proofs are built from a NodeSource that answers for *perfect* subtrees
// only (2^level leaves starting at index·2^level, all of them inside the
// tree): that is what a log stores as it grows, so a proof costs O(log n)
// node reads. Verification is pure and trusts nothing but its arguments.
//
// Thread safety: free functions are thread-safe; MerkleFrontier is a value
// type, not synchronised.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/content/sha256.h"

namespace fairtrace {

using MerkleHash = Sha256::Bytes;

MerkleHash MerkleLeafHash(absl::string_view entry);
MerkleHash MerkleNodeHash(const MerkleHash& left, const MerkleHash& right);
MerkleHash MerkleEmptyRoot();

// The root of the perfect subtree (level, index), i.e. of leaves
// [index·2^level, (index+1)·2^level). Errors pass through the proof calls.
using MerkleNodeSource = std::function<absl::StatusOr<MerkleHash>(int level, int64_t index)>;

// Root of the tree of the first `size` leaves.
absl::StatusOr<MerkleHash> MerkleRoot(const MerkleNodeSource& nodes, int64_t size);

// RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size`
// leaves, bottom-up. INVALID_ARGUMENT unless 0 <= index < size.
absl::StatusOr<std::vector<MerkleHash>> MerkleInclusionProof(const MerkleNodeSource& nodes, int64_t index,
                                                             int64_t size);

// RFC 9162 §2.1.4.1 consistency proof from the tree of `old_size` leaves to
// the tree of `new_size`. INVALID_ARGUMENT unless 0 <= old_size <= new_size
// (an empty old tree and equal sizes give an empty proof).
absl::StatusOr<std::vector<MerkleHash>> MerkleConsistencyProof(const MerkleNodeSource& nodes, int64_t old_size,
                                                               int64_t new_size);

// RFC 9162 §2.1.3.2: true when `proof` shows `leaf` at `index` in the tree
// of `size` leaves whose root is `root`.
bool VerifyMerkleInclusion(const MerkleHash& leaf, int64_t index, int64_t size, const std::vector<MerkleHash>& proof,
                           const MerkleHash& root);

// RFC 9162 §2.1.4.2: true when `proof` shows the tree (old_size, old_root)
// is a prefix of the tree (new_size, new_root).
bool VerifyMerkleConsistency(int64_t old_size, int64_t new_size, const MerkleHash& old_root, const MerkleHash& new_root,
                             const std::vector<MerkleHash>& proof);

// The right edge of a growing tree: one perfect-subtree root per set bit of
// size(). Append() returns the perfect subtrees it completes, so a log can
// store every node as it is made.
class MerkleFrontier {
 public:
  struct Node {
    int level;
    int64_t index;
    MerkleHash hash;
  };

  // Adds one leaf hash; returns the nodes it completes, leaf first
  // (level 0), then each parent up to the highest.
  std::vector<Node> Append(const MerkleHash& leaf);
  int64_t size() const { return size_; }
  MerkleHash Root() const;
  // Restores the frontier of a tree of `size` leaves from its nodes.
  static absl::StatusOr<MerkleFrontier> Load(const MerkleNodeSource& nodes, int64_t size);

 private:
  int64_t size_ = 0;
  std::vector<MerkleHash> levels_;  // levels_[l] valid when bit l of size_ is set
};

// Lowercase hex <-> hash.
std::string MerkleHex(const MerkleHash& h);
std::optional<MerkleHash> MerkleFromHex(absl::string_view hex);

}  // namespace fairtrace
