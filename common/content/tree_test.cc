#include "common/content/tree.h"

#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

TreeEntry E(std::string path, absl::string_view content, bool exec = false) {
  return TreeEntry{std::move(path), DigestOf(content), exec};
}

TEST(Tree, EncodesSortedCanonicalBytes) {
  ASSERT_OK_AND_ASSIGN(std::string bytes, EncodeTree({E("b.txt", "b"), E("a/run.sh", "#!", true), E("a/x", "")}));
  EXPECT_EQ(bytes,
            "fairtrace-tree/1\n"
            "x " +
                DigestOf("#!").sha256 +
                " 2 a/run.sh\n"
                "f e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 a/x\n"
                "f " +
                DigestOf("b").sha256 + " 1 b.txt\n");
}

TEST(Tree, GoldenDigestOfDocumentedExample) {
  // The worked example of docs/tree-format.md, computed there independently
  // (Python hashlib) from the byte-level specification.
  ASSERT_OK_AND_ASSIGN(std::string bytes, EncodeTree({E("model.pkl", "abc"), E("MLmodel", "flavors: {}\n"),
                                                      E("bin/predict", "#!/bin/sh\n", true)}));
  EXPECT_EQ(DigestOf(bytes).ToString(), "deca2ca8654b5b02607bf5c37b596dd65c67cc368647e63b6c21fc0571b1f11f/256");
}

TEST(Tree, EmptyTreeIsJustTheHeader) {
  ASSERT_OK_AND_ASSIGN(std::string bytes, EncodeTree({}));
  EXPECT_EQ(bytes, "fairtrace-tree/1\n");
  ASSERT_OK_AND_ASSIGN(auto entries, ParseTree(bytes));
  EXPECT_TRUE(entries.empty());
}

TEST(Tree, ParseRoundTrip) {
  std::vector<TreeEntry> in = {E("a/b/c", "1"), E("a/d", "2", true), E("é/ü.txt", "3")};
  ASSERT_OK_AND_ASSIGN(std::string bytes, EncodeTree(in));
  ASSERT_OK_AND_ASSIGN(auto out, ParseTree(bytes));
  EXPECT_EQ(out, in);
}

TEST(Tree, RejectsBadPaths) {
  for (const std::string& bad : std::vector<std::string>{
           "", "/abs", "a/../b", "..", "./a", "a//b", "a/", "a\\b", std::string("a\nb"), std::string("a\0b", 3),
           std::string("\xff.txt"), std::string("\xc0\xaf"), std::string(256, 'x'), std::string("\xed\xa0\x80")}) {
    EXPECT_FALSE(TreePathProblem(bad).empty()) << bad;
    EXPECT_THAT(EncodeTree({E(bad, "x")}), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_TRUE(TreePathProblem("ok/é/file.tar.gz").empty());
}

TEST(Tree, RejectsDuplicatesAndFileFolderConflicts) {
  EXPECT_THAT(EncodeTree({E("a", "1"), E("a", "2")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  EXPECT_THAT(EncodeTree({E("a", "1"), E("a-b", "2"), E("a/b", "3")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both a file and the folder")));
}

TEST(Tree, ParseRejectsNonCanonical) {
  std::string h = DigestOf("1").sha256;
  std::string e = std::string(kEmptySha256);
  const std::string header = "fairtrace-tree/1\n";
  for (const std::string& bad : std::vector<std::string>{
           std::string("fairtrace-tree/2\n"),
           header + "f " + h + " 1 b\nf " + e + " 0 a\n",    // unsorted
           header + "f " + h + " 1 a\nf " + h + " 1 a\n",    // duplicate
           header + "f " + h + " 1 a",                       // no final newline
           header + "d " + h + " 1 a\n",                     // unknown kind
           header + "f " + h + " 01 a\n",                    // leading zero size
           header + "f " + h + "  1 a\n",                    // double space
           header + "f " + h + " 1 ../a\n",                  // parent component
           header + "f " + h + " 1 /a\n",                    // absolute
           header + "f " + std::string(64, 'A') + " 1 a\n",  // uppercase hex
           header + "f " + h + " 0 a\n",                     // size 0 with non-empty hash
           header + "\n",                                    // blank line
       }) {
    EXPECT_THAT(ParseTree(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(Tree, ReportsEveryProblemAsAFieldViolation) {
  absl::Status s = EncodeTree({E("/a", "1"), E("b/../c", "2")}).status();
  auto details = ErrorDetailsOf(s);
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->fields.size(), 2u);
}

}  // namespace
}  // namespace fairtrace
