#include "common/content/tree_names.h"

#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "common/content/sha256.h"

namespace fairtrace {
namespace {

// The kind of the first problem, as the vectors file names it.
std::string Kind(const std::vector<TreeNameProblem>& p) {
  if (p.empty()) return "ok";
  const std::string& m = p[0].message;
  if (m.find("NFC") != std::string::npos) return "NFC";
  if (m.find("case") != std::string::npos) return "CASE";
  if (m.find("deep") != std::string::npos) return "DEPTH";
  if (m.find("bytes") != std::string::npos) return "LENGTH";
  return "?";
}

std::vector<TreeEntry> Entries(const std::vector<std::string>& paths) {
  std::vector<TreeEntry> out;
  for (const auto& p : paths) out.push_back({p, Digest{Sha256Hex(""), 0}, false});
  std::sort(out.begin(), out.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return out;
}

// The vectors the Python reference passes too (clients/python/tests/unit_tree.py).
TEST(TreeNames, SharedVectors) {
  std::ifstream in(std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/tree-names.tsv");
  ASSERT_TRUE(in) << "tests/fixtures/tree-names.tsv";
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells = absl::StrSplit(line, '\t');
    std::vector<std::string> paths(cells.begin() + 1, cells.end());
    EXPECT_EQ(Kind(TreeRestoreProblems(Entries(paths))), cells[0]) << line.substr(0, 120);
    ++checked;
  }
  EXPECT_GE(checked, 16);
}

TEST(TreeNames, NormalFormsAndFolding) {
  EXPECT_EQ(NfcName("cafe\u0301"), "caf\u00e9");
  EXPECT_EQ(FoldedName("README.md"), "readme.md");
  EXPECT_EQ(FoldedName("\u00c9T\u00c9"), "\u00e9t\u00e9");
  EXPECT_EQ(FoldedName("\u00df"), "\u00df");   // full folding is "ss": kept
  EXPECT_EQ(FoldedName("E\u0301"), "\u00e9");  // NFC first
}

TEST(TreeNames, ReportsAtMostTheAskedNumberOfProblems) {
  std::vector<std::string> paths;
  for (int i = 0; i < 100; ++i) {
    paths.push_back("F" + std::to_string(i));
    paths.push_back("f" + std::to_string(i));
  }
  EXPECT_EQ(TreeRestoreProblems(Entries(paths), 20).size(), 20u);
}

}  // namespace
}  // namespace fairtrace
