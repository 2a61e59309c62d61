#include "registry/core/resource_project.h"

#include <gtest/gtest.h>

namespace fairtrace {
namespace {

TEST(ResourceProject, EveryNameUnderATopLevelResourceHasItsOwner) {
  for (const auto& [name, owner] : std::vector<std::pair<std::string, std::string>>{
           {"models/seg", "models/seg"},
           {"models/seg/versions/3", "models/seg"},
           {"models/seg/aliases/champion", "models/seg"},
           {"datasets/leaves/versions/2/splits/s1/parts/train", "datasets/leaves"},
           {"investigations/drought/studies/s1", "investigations/drought"},
           {"runs/0123456789abcdef0123456789abcdef/leakageReports/r", "runs/0123456789abcdef0123456789abcdef"}}) {
    std::optional<ProjectOwner> o = ProjectOwnerOf(name);
    ASSERT_TRUE(o.has_value()) << name;
    EXPECT_EQ(o->name(), owner) << name;
  }
  for (const char* none : {"", "models", "models/", "models//versions/1", "blobs/abc/3", "trees/abc/3",
                           "tokens/0123456789abcdef", "grants/user:a/admin/*", "redacted/1", "modelsx/a"}) {
    EXPECT_FALSE(ProjectOwnerOf(none).has_value()) << none;
  }
}

TEST(ResourceProject, OnlyIdsThatCouldBeStoredAreLookedUp) {
  EXPECT_TRUE(CouldExist({"models", "leaf-seg"}));
  EXPECT_FALSE(CouldExist({"models", "Leaf_Seg"}));
  EXPECT_TRUE(CouldExist({"runs", "0123456789abcdef0123456789abcdef"}));
  EXPECT_FALSE(CouldExist({"runs", "0123456789ABCDEF0123456789abcdef"}));
  EXPECT_FALSE(CouldExist({"runs", "abc"}));
}

}  // namespace
}  // namespace fairtrace
