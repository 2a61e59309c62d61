#include "common/audit/merkle.h"

#include <bit>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace fairtrace {
namespace {

Sha256& Hasher() {
  thread_local Sha256 h;
  return h;
}

// Largest power of two strictly less than n (n > 1).
int64_t SplitPoint(int64_t n) { return int64_t{1} << (63 - std::countl_zero(static_cast<uint64_t>(n - 1))); }

// Root of leaves [begin, begin + n), n >= 1, a range the RFC recursion
// reaches from [0, size): perfect and aligned, or split into such parts.
absl::StatusOr<MerkleHash> SubRoot(const MerkleNodeSource& nodes, int64_t begin, int64_t n) {
  if (std::has_single_bit(static_cast<uint64_t>(n)) && begin % n == 0) {
    return nodes(std::countr_zero(static_cast<uint64_t>(n)), begin / n);
  }
  int64_t k = SplitPoint(n);
  FT_ASSIGN_OR_RETURN(MerkleHash left, SubRoot(nodes, begin, k));
  FT_ASSIGN_OR_RETURN(MerkleHash right, SubRoot(nodes, begin + k, n - k));
  return MerkleNodeHash(left, right);
}

absl::Status Path(const MerkleNodeSource& nodes, int64_t m, int64_t begin, int64_t n, std::vector<MerkleHash>* out) {
  if (n <= 1) return absl::OkStatus();
  int64_t k = SplitPoint(n);
  if (m < k) {
    FT_RETURN_IF_ERROR(Path(nodes, m, begin, k, out));
    FT_ASSIGN_OR_RETURN(MerkleHash sibling, SubRoot(nodes, begin + k, n - k));
    out->push_back(sibling);
  } else {
    FT_RETURN_IF_ERROR(Path(nodes, m - k, begin + k, n - k, out));
    FT_ASSIGN_OR_RETURN(MerkleHash sibling, SubRoot(nodes, begin, k));
    out->push_back(sibling);
  }
  return absl::OkStatus();
}

absl::Status SubProof(const MerkleNodeSource& nodes, int64_t m, int64_t begin, int64_t n, bool complete,
                      std::vector<MerkleHash>* out) {
  if (m == n) {
    if (!complete) {
      FT_ASSIGN_OR_RETURN(MerkleHash root, SubRoot(nodes, begin, n));
      out->push_back(root);
    }
    return absl::OkStatus();
  }
  int64_t k = SplitPoint(n);
  if (m <= k) {
    FT_RETURN_IF_ERROR(SubProof(nodes, m, begin, k, complete, out));
    FT_ASSIGN_OR_RETURN(MerkleHash right, SubRoot(nodes, begin + k, n - k));
    out->push_back(right);
  } else {
    FT_RETURN_IF_ERROR(SubProof(nodes, m - k, begin + k, n - k, false, out));
    FT_ASSIGN_OR_RETURN(MerkleHash left, SubRoot(nodes, begin, k));
    out->push_back(left);
  }
  return absl::OkStatus();
}

}  // namespace

MerkleHash MerkleLeafHash(absl::string_view entry) {
  Sha256& h = Hasher();
  const uint8_t prefix = 0x00;
  h.Update(&prefix, 1);
  h.Update(entry);
  return h.Finish();
}

MerkleHash MerkleNodeHash(const MerkleHash& left, const MerkleHash& right) {
  Sha256& h = Hasher();
  const uint8_t prefix = 0x01;
  h.Update(&prefix, 1);
  h.Update(left.data(), left.size());
  h.Update(right.data(), right.size());
  return h.Finish();
}

MerkleHash MerkleEmptyRoot() {
  Sha256& h = Hasher();
  return h.Finish();
}

absl::StatusOr<MerkleHash> MerkleRoot(const MerkleNodeSource& nodes, int64_t size) {
  if (size < 0) return absl::InvalidArgumentError("tree size must not be negative");
  if (size == 0) return MerkleEmptyRoot();
  return SubRoot(nodes, 0, size);
}

absl::StatusOr<std::vector<MerkleHash>> MerkleInclusionProof(const MerkleNodeSource& nodes, int64_t index,
                                                             int64_t size) {
  if (index < 0 || index >= size) {
    return absl::InvalidArgumentError(absl::StrCat("leaf index ", index, " is not in a tree of ", size, " leaves"));
  }
  std::vector<MerkleHash> out;
  FT_RETURN_IF_ERROR(Path(nodes, index, 0, size, &out));
  return out;
}

absl::StatusOr<std::vector<MerkleHash>> MerkleConsistencyProof(const MerkleNodeSource& nodes, int64_t old_size,
                                                               int64_t new_size) {
  if (old_size < 0 || old_size > new_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from a tree of ", old_size, " leaves to one of ", new_size));
  }
  std::vector<MerkleHash> out;
  if (old_size == 0 || old_size == new_size) return out;
  FT_RETURN_IF_ERROR(SubProof(nodes, old_size, 0, new_size, true, &out));
  return out;
}

bool VerifyMerkleInclusion(const MerkleHash& leaf, int64_t index, int64_t size, const std::vector<MerkleHash>& proof,
                           const MerkleHash& root) {
  if (index < 0 || index >= size) return false;
  uint64_t fn = static_cast<uint64_t>(index);
  uint64_t sn = static_cast<uint64_t>(size - 1);
  MerkleHash r = leaf;
  for (const MerkleHash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = MerkleNodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyMerkleConsistency(int64_t old_size, int64_t new_size, const MerkleHash& old_root, const MerkleHash& new_root,
                             const std::vector<MerkleHash>& proof) {
  if (old_size < 0 || old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  if (proof.empty()) return false;
  std::vector<MerkleHash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(static_cast<uint64_t>(old_size))) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = static_cast<uint64_t>(old_size - 1);
  uint64_t sn = static_cast<uint64_t>(new_size - 1);
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  MerkleHash fr = path[0];
  MerkleHash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const MerkleHash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = MerkleNodeHash(c, fr);
      sr = MerkleNodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = MerkleNodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

std::vector<MerkleFrontier::Node> MerkleFrontier::Append(const MerkleHash& leaf) {
  std::vector<Node> made;
  made.push_back({0, size_, leaf});
  MerkleHash carry = leaf;
  int level = 0;
  while (((size_ >> level) & 1) != 0) {
    carry = MerkleNodeHash(levels_[level], carry);
    ++level;
    made.push_back({level, size_ >> level, carry});
  }
  if (levels_.size() <= static_cast<size_t>(level)) levels_.resize(level + 1);
  levels_[level] = carry;
  ++size_;
  return made;
}

MerkleHash MerkleFrontier::Root() const {
  if (size_ == 0) return MerkleEmptyRoot();
  std::optional<MerkleHash> r;
  for (size_t l = 0; l < levels_.size(); ++l) {
    if (((size_ >> l) & 1) == 0) continue;
    r = r ? MerkleNodeHash(levels_[l], *r) : levels_[l];
  }
  return *r;
}

absl::StatusOr<MerkleFrontier> MerkleFrontier::Load(const MerkleNodeSource& nodes, int64_t size) {
  if (size < 0) return absl::InvalidArgumentError("tree size must not be negative");
  MerkleFrontier f;
  f.size_ = size;
  for (int l = 0; l < 63 && (size >> l) != 0; ++l) {
    if (((size >> l) & 1) == 0) continue;
    if (f.levels_.size() <= static_cast<size_t>(l)) f.levels_.resize(l + 1);
    FT_ASSIGN_OR_RETURN(f.levels_[l], nodes(l, (size >> l) - 1));
  }
  return f;
}

std::string MerkleHex(const MerkleHash& h) { return ToHex(h); }

std::optional<MerkleHash> MerkleFromHex(absl::string_view hex) {
  MerkleHash h;
  if (hex.size() != 2 * h.size() || !FromHex(hex, h.data(), h.size())) return std::nullopt;
  return h;
}

}  // namespace fairtrace
