// Dataset versions end to end, as a user runs them: the fairtrace CLI
// against the real server binary (docs/datasets.md).
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

namespace stdfs = std::filesystem;
using ::testing::HasSubstr;

class DatasetsTest : public ServerFixture {
 protected:
  std::vector<nlohmann::json> Lines(const std::string& out) {
    std::vector<nlohmann::json> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) v.push_back(nlohmann::json::parse(line));
    }
    return v;
  }
};

TEST_F(DatasetsTest, ImagesLinkedToPlantsThroughTheCli) {
  // The MIAPPE investigation the images show.
  auto imp = Cli({"investigations", "import", std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe/valid-1.2",
                  "--id", "drought"});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  auto created = Cli({"--json", "datasets", "create", "leaves", "--license", "CC-BY-4.0", "--creator", "Ada"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  stdfs::path images = work() / "images";
  WriteFile(images / "S1-P1" / "top.png", "png S1-P1 top");
  WriteFile(images / "S1-P1" / "side.png", "png S1-P1 side");
  WriteFile(images / "S1-P2" / "top.png", "png S1-P2 top");
  WriteFile(work() / "items.csv",
            "path,observation_unit,acquired_at,view\n"
            "S1-P1/top.png,S1-P1,2025-04-01T10:00:00Z,top\n"
            "S1-P1/side.png,S1-P1,2025-04-01T10:01:00Z,side\n"
            "S1-P2/top.png,S1-P2,2025-04-01T10:02:00Z,top\n");
  auto v1 = Cli({"--json", "datasets", "version", "leaves", images.string(), "--items", (work() / "items.csv").string(),
                 "--investigation", "investigations/drought"});
  ASSERT_EQ(v1.exit_code, 0) << v1.err;
  auto j = nlohmann::json::parse(v1.out);
  EXPECT_EQ(j["name"], "datasets/leaves/versions/1");
  EXPECT_EQ(j["item_count"], "3");  // int64 as proto JSON writes it
  EXPECT_EQ(j["observation_unit_count"], "2");
  auto items = Cli({"--json", "datasets", "items", "datasets/leaves/versions/1", "--filter",
                    "link = \"investigations/drought/observationUnits/S1-P1\""});
  ASSERT_EQ(items.exit_code, 0) << items.err;
  auto lines = Lines(items.out);
  ASSERT_EQ(lines.size(), 2u) << items.out;
  EXPECT_EQ(lines[0]["path"], "S1-P1/side.png");
  EXPECT_EQ(lines[0]["media_type"], "image/png");
  // A bad table: the row without a file is named with its line; nothing stored.
  WriteFile(work() / "bad.csv", "path,observation_unit\nS1-P1/top.png,S1-P1\nS1-P9/top.png,S1-P9\n");
  auto bad = Cli({"datasets", "version", "leaves", images.string(), "--items", (work() / "bad.csv").string(),
                  "--investigation", "investigations/drought"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("item_table[item_table:3 (path)]: no file \"S1-P9/top.png\" in the tree"));
  // A second version: one image replaced, one moved.
  WriteFile(images / "S1-P2" / "top.png", "png S1-P2 top, re-shot");
  stdfs::rename(images / "S1-P1" / "side.png", images / "S1-P1" / "side-0.png");
  WriteFile(work() / "items2.tsv",
            "path\tobservation_unit\nS1-P1/top.png\tS1-P1\nS1-P1/side-0.png\tS1-P1\nS1-P2/top.png\tS1-P2\n");
  auto v2 = Cli({"datasets", "version", "leaves", images.string(), "--items", (work() / "items2.tsv").string(),
                 "--investigation", "investigations/drought/revisions/1"});
  ASSERT_EQ(v2.exit_code, 0) << v2.err;
  EXPECT_THAT(v2.out, HasSubstr("datasets/leaves/versions/2"));
  auto diff = Cli({"datasets", "diff", "datasets/leaves/versions/1", "datasets/leaves/versions/2"});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_THAT(diff.out, HasSubstr("0 added, 0 removed, 1 changed, 1 moved, 1 relinked"));
  EXPECT_THAT(diff.out, HasSubstr("moved  S1-P1/side-0.png  (from S1-P1/side.png)"));
  auto versions = Cli({"datasets", "versions", "leaves"});
  ASSERT_EQ(versions.exit_code, 0);
  EXPECT_LT(versions.out.find("versions/2"), versions.out.find("versions/1"));  // newest first
  auto croissant = Cli({"datasets", "export", "datasets/leaves/versions/2", "--base-iri", "https://reg.example/"});
  ASSERT_EQ(croissant.exit_code, 0) << croissant.err;
  auto doc = nlohmann::json::parse(croissant.out);
  EXPECT_EQ(doc["@id"], "https://reg.example/datasets/leaves/versions/2");
  EXPECT_EQ(doc["distribution"].size(), 3u);
  EXPECT_EQ(doc["conformsTo"], "http://mlcommons.org/croissant/1.0");
  auto relative = Cli({"datasets", "export", "datasets/leaves/versions/2", "--base-iri", "reg/"});
  EXPECT_EQ(relative.exit_code, 1);  // not an absolute IRI
  auto missing = Cli({"datasets", "get", "nowhere"});
  EXPECT_EQ(missing.exit_code, 1);
}

}  // namespace
}  // namespace fairtrace::testing
