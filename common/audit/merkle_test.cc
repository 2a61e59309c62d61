#include "common/audit/merkle.h"

#include <map>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace fairtrace {
namespace {

// The eight leaves of ../shared/COMPLIANCE.md §6 (RFC 6962 test data).
std::vector<std::string> VectorLeaves() {
  std::vector<std::string> hex = {
      "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
  std::vector<std::string> out;
  for (const auto& h : hex) out.push_back(absl::HexStringToBytes(h));
  return out;
}

// The RFC's MTH written out directly over the leaf list: an independent
// reference for the node-source based code.
MerkleHash ReferenceRoot(const std::vector<MerkleHash>& leaves, size_t begin, size_t n) {
  if (n == 0) return MerkleEmptyRoot();
  if (n == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return MerkleNodeHash(ReferenceRoot(leaves, begin, k), ReferenceRoot(leaves, begin + k, n - k));
}

// A node source over an in-memory leaf list, counting reads and refusing
// anything that is not a perfect subtree inside `limit` leaves.
struct Nodes {
  std::vector<MerkleHash> leaves;
  int64_t limit;
  int reads = 0;
  MerkleNodeSource source() {
    return [this](int level, int64_t index) -> absl::StatusOr<MerkleHash> {
      ++reads;
      int64_t width = int64_t{1} << level;
      if ((index + 1) * width > limit) return absl::InternalError("read outside the tree");
      return ReferenceRoot(leaves, index * width, width);
    };
  }
};

std::vector<MerkleHash> Hashes(const std::vector<std::string>& entries) {
  std::vector<MerkleHash> out;
  for (const auto& e : entries) out.push_back(MerkleLeafHash(e));
  return out;
}

TEST(MerkleTest, RootsMatchTheRfcVectors) {
  const char* roots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  std::vector<MerkleHash> leaves = Hashes(VectorLeaves());
  MerkleFrontier frontier;
  for (int n = 1; n <= 8; ++n) {
    Nodes nodes{leaves, n};
    auto root = MerkleRoot(nodes.source(), n);
    ASSERT_TRUE(root.ok()) << root.status();
    EXPECT_EQ(MerkleHex(*root), roots[n - 1]) << n;
    frontier.Append(leaves[n - 1]);
    EXPECT_EQ(MerkleHex(frontier.Root()), roots[n - 1]) << n;
  }
  EXPECT_EQ(MerkleHex(MerkleEmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(MerkleHex(MerkleFrontier().Root()), MerkleHex(MerkleEmptyRoot()));
}

TEST(MerkleTest, InclusionAndConsistencyProofsMatchTheRfcVectors) {
  std::vector<MerkleHash> leaves = Hashes(VectorLeaves());
  Nodes nodes{leaves, 8};
  std::vector<std::string> expected = {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                                       "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                                       "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
  auto inclusion = MerkleInclusionProof(nodes.source(), 0, 8);
  ASSERT_TRUE(inclusion.ok());
  auto consistency = MerkleConsistencyProof(nodes.source(), 1, 8);
  ASSERT_TRUE(consistency.ok());
  ASSERT_EQ(inclusion->size(), 3u);
  ASSERT_EQ(consistency->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(MerkleHex((*inclusion)[i]), expected[i]);
    EXPECT_EQ(MerkleHex((*consistency)[i]), expected[i]);
  }
  MerkleHash root8 = ReferenceRoot(leaves, 0, 8);
  EXPECT_TRUE(VerifyMerkleInclusion(leaves[0], 0, 8, *inclusion, root8));
  EXPECT_TRUE(VerifyMerkleConsistency(1, 8, leaves[0], root8, *consistency));
}

// Every proof for every (index or old size, size) up to 70 leaves verifies,
// and every single-bit change, a dropped or added hash, another leaf, a
// wrong index or a wrong root makes it fail. (The tree size is not bound by
// the proof alone but by the signed checkpoint that carries it.)
TEST(MerkleTest, EveryProofVerifiesAndEveryTamperingIsRefused) {
  std::vector<std::string> entries;
  for (int i = 0; i < 70; ++i) entries.push_back("record " + std::to_string(i));
  std::vector<MerkleHash> leaves = Hashes(entries);
  for (int64_t n = 1; n <= 70; ++n) {
    Nodes nodes{leaves, n};
    MerkleHash root = ReferenceRoot(leaves, 0, n);
    for (int64_t m = 0; m < n; ++m) {
      auto proof = MerkleInclusionProof(nodes.source(), m, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(VerifyMerkleInclusion(leaves[m], m, n, *proof, root)) << m << " in " << n;
      if (m + 1 < n) {
        EXPECT_FALSE(VerifyMerkleInclusion(leaves[m], m + 1, n, *proof, root));
      }
      if (n > 1) {
        EXPECT_FALSE(VerifyMerkleInclusion(leaves[(m + 1) % n], m, n, *proof, root));
      }
      for (size_t i = 0; i < proof->size(); ++i) {
        auto bad = *proof;
        bad[i][i % 32] ^= 0x01;
        EXPECT_FALSE(VerifyMerkleInclusion(leaves[m], m, n, bad, root));
      }
      if (!proof->empty()) {
        auto shorter = *proof;
        shorter.pop_back();
        EXPECT_FALSE(VerifyMerkleInclusion(leaves[m], m, n, shorter, root));
      }
      auto longer = *proof;
      longer.push_back(root);
      EXPECT_FALSE(VerifyMerkleInclusion(leaves[m], m, n, longer, root));
    }
    for (int64_t m = 0; m <= n; ++m) {
      MerkleHash old_root = ReferenceRoot(leaves, 0, m);
      auto proof = MerkleConsistencyProof(nodes.source(), m, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(VerifyMerkleConsistency(m, n, old_root, root, *proof)) << m << " -> " << n;
      if (m == 0) continue;
      MerkleHash other = old_root;
      other[0] ^= 0x80;
      EXPECT_FALSE(VerifyMerkleConsistency(m, n, other, root, *proof));
      MerkleHash other_new = root;
      other_new[5] ^= 0x04;
      EXPECT_FALSE(VerifyMerkleConsistency(m, n, old_root, other_new, *proof));
      for (size_t i = 0; i < proof->size(); ++i) {
        auto bad = *proof;
        bad[i][31 - i % 32] ^= 0x10;
        EXPECT_FALSE(VerifyMerkleConsistency(m, n, old_root, root, bad)) << m << " -> " << n << " hash " << i;
      }
      if (m < n) {
        EXPECT_FALSE(VerifyMerkleConsistency(m, n, old_root, root, {}));
      }
    }
  }
}

TEST(MerkleTest, ProofsReadFewNodes) {
  std::vector<std::string> entries;
  for (int i = 0; i < 1000; ++i) entries.push_back(std::to_string(i));
  Nodes nodes{Hashes(entries), 1000};
  ASSERT_TRUE(MerkleInclusionProof(nodes.source(), 777, 1000).ok());
  // One sibling per level (10) plus the right edge's parts.
  EXPECT_LE(nodes.reads, 20);
}

TEST(MerkleTest, BadArgumentsAreRefused) {
  Nodes nodes{Hashes({"a", "b"}), 2};
  EXPECT_FALSE(MerkleInclusionProof(nodes.source(), 2, 2).ok());
  EXPECT_FALSE(MerkleInclusionProof(nodes.source(), -1, 2).ok());
  EXPECT_FALSE(MerkleConsistencyProof(nodes.source(), 3, 2).ok());
  EXPECT_FALSE(MerkleRoot(nodes.source(), -1).ok());
  EXPECT_FALSE(VerifyMerkleInclusion(nodes.leaves[0], 0, 0, {}, MerkleEmptyRoot()));
  EXPECT_FALSE(VerifyMerkleConsistency(2, 1, MerkleEmptyRoot(), MerkleEmptyRoot(), {}));
  // Errors of the node source come back as they are.
  MerkleNodeSource failing = [](int, int64_t) -> absl::StatusOr<MerkleHash> { return absl::UnavailableError("disk"); };
  EXPECT_EQ(MerkleInclusionProof(failing, 0, 2).status().code(), absl::StatusCode::kUnavailable);
}

TEST(MerkleTest, FrontierReportsEveryNodeAndReloads) {
  std::vector<std::string> entries;
  for (int i = 0; i < 37; ++i) entries.push_back(std::to_string(i));
  std::vector<MerkleHash> leaves = Hashes(entries);
  std::map<std::pair<int, int64_t>, MerkleHash> stored;
  MerkleFrontier f;
  for (const auto& leaf : leaves) {
    for (const auto& node : f.Append(leaf)) stored[{node.level, node.index}] = node.hash;
  }
  // Every perfect subtree inside the 37 leaves was reported, with its root.
  size_t perfect = 0;
  for (int level = 0; (int64_t{1} << level) <= 37; ++level) {
    int64_t width = int64_t{1} << level;
    for (int64_t index = 0; (index + 1) * width <= 37; ++index) {
      ++perfect;
      ASSERT_TRUE(stored.count({level, index})) << level << "/" << index;
      EXPECT_EQ((stored[{level, index}]), ReferenceRoot(leaves, index * width, width));
    }
  }
  EXPECT_EQ(stored.size(), perfect);
  MerkleNodeSource source = [&](int level, int64_t index) -> absl::StatusOr<MerkleHash> {
    return stored.at({level, index});
  };
  auto loaded = MerkleFrontier::Load(source, 37);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->Root(), f.Root());
  loaded->Append(MerkleLeafHash("next"));
  f.Append(MerkleLeafHash("next"));
  EXPECT_EQ(loaded->Root(), f.Root());
}

}  // namespace
}  // namespace fairtrace
