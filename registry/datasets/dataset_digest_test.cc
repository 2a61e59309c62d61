#include "registry/datasets/dataset_digest.h"

#include <gtest/gtest.h>

#include "common/content/sha256.h"

namespace fairtrace::datasets {
namespace {

CanonicalItem Leaf() {
  CanonicalItem c;
  c.path = "img/a.png";
  c.blob_sha256 = std::string(64, 'a');
  c.blob_size = 4096;
  c.links = {"investigations/drought/observationUnits/S1-P1"};
  c.acquired_at = "2025-04-01";
  c.view = "top";
  c.attributes = {{"note", "tab\there\\"}};
  return c;
}

// The canonical text is the documented one, byte for byte
// (docs/dataset-format.md); its digest is its SHA-256.
TEST(DatasetDigestTest, CanonicalItemTextIsTheDocumentedOne) {
  const std::string a64(64, 'a');
  EXPECT_EQ(CanonicalItemText(Leaf()),
            "fairtrace-item/1\n"
            "path\timg/a.png\n"
            "blob\t" +
                a64 +
                "/4096\n"
                "link\tinvestigations/drought/observationUnits/S1-P1\n"
                "acquired_at\t2025-04-01\n"
                "view\ttop\n"
                "attr\tnote\ttab\\there\\\\\n");
  EXPECT_EQ(ItemDigest(Leaf()), Sha256Hex(CanonicalItemText(Leaf())));
}

TEST(DatasetDigestTest, SameBytesAtTwoPathsOrWithTwoLinksAreTwoItems) {
  CanonicalItem moved = Leaf();
  moved.path = "img/b.png";
  CanonicalItem relinked = Leaf();
  relinked.links = {"investigations/drought/observationUnits/S1-P2"};
  EXPECT_NE(ItemDigest(Leaf()), ItemDigest(moved));
  EXPECT_NE(ItemDigest(Leaf()), ItemDigest(relinked));
}

TEST(DatasetDigestTest, VersionDigestSortsItemsAndCoversTreeAndRevision) {
  const std::string t(64, 'b');
  const std::string d1 = ItemDigest(Leaf());
  CanonicalItem other = Leaf();
  other.path = "img/c.png";
  const std::string d2 = ItemDigest(other);
  EXPECT_EQ(VersionDigest(t, 10, "", {d1, d2}), VersionDigest(t, 10, "", {d2, d1}));
  EXPECT_NE(VersionDigest(t, 10, "", {d1, d2}), VersionDigest(t, 11, "", {d1, d2}));
  EXPECT_NE(VersionDigest(t, 10, "", {d1, d2}), VersionDigest(t, 10, std::string(64, 'c'), {d1, d2}));
  EXPECT_NE(VersionDigest(t, 10, "", {d1, d2}), VersionDigest(t, 10, "", {d1}));
  std::vector<std::string> sorted = {d1, d2};
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(VersionDigest(t, 10, "", {d1, d2}),
            Sha256Hex("fairtrace-dataset-version/1\ntree\t" + t + "/10\ninvestigation\t\nitems\t2\n" + sorted[0] +
                      "\n" + sorted[1] + "\n"));
}

TEST(DatasetDigestTest, MediaTypes) {
  EXPECT_EQ(MediaTypeOf("a/b/plant.PNG"), "image/png");
  EXPECT_EQ(MediaTypeOf("x.tiff"), "image/tiff");
  EXPECT_EQ(MediaTypeOf("dir.v2/README"), "application/octet-stream");
  EXPECT_EQ(MediaTypeOf("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace fairtrace::datasets
