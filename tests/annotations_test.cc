// Annotation sets and agreement end to end as a user runs them: the
// fairtrace CLI against the real server binary (docs/annotations.md). The
// coefficients themselves are checked against independent implementations
// in clients/python/tests/e2e_annotations.py.
#include <fstream>

#include <nlohmann/json.hpp>

#include "registry/annotations/image_io.h"
#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

namespace stdfs = std::filesystem;
using ::testing::HasSubstr;

class AnnotationsTest : public ServerFixture {
 protected:
  static std::string Png(int64_t w, int64_t h, uint16_t value) {
    annotations::Mask m{w, h, std::vector<uint16_t>(static_cast<size_t>(w * h), value)};
    return annotations::EncodeMaskPng(m);
  }

  // A version of three 8x6 images.
  void MakeVersion() {
    for (int i = 0; i < 3; ++i) WriteFile(work() / "images" / absl::StrCat("p", i, ".png"), Png(8, 6, 10 + i));
    ASSERT_EQ(Cli({"datasets", "create", "plants"}).exit_code, 0);
    auto v = Cli({"datasets", "version", "plants", (work() / "images").string()});
    ASSERT_EQ(v.exit_code, 0) << v.err;
  }
};

TEST_F(AnnotationsTest, LabelSetsAndTheirAgreementThroughTheCli) {
  MakeVersion();
  const std::string version = "datasets/plants/versions/1";
  WriteFile(work() / "ada.csv", "path,label\np0.png,healthy\np1.png,sick\np2.png,sick\n");
  WriteFile(work() / "bob.csv", "path,label\np0.png,healthy\np1.png,healthy\np2.png,sick\n");
  WriteFile(work() / "guideline.md", "# Score each plant healthy or sick\n");
  auto ada = Cli({"--json",
                  "annotations",
                  "add",
                  version,
                  (work() / "ada.csv").string(),
                  "--task",
                  "labels",
                  "--id",
                  "ada-labels",
                  "--annotator",
                  "ada",
                  "--protocol",
                  "health",
                  "--protocol-version",
                  "1",
                  "--guideline",
                  (work() / "guideline.md").string(),
                  "--tool",
                  "cvat",
                  "--tool-version",
                  "2.4"});
  ASSERT_EQ(ada.exit_code, 0) << ada.err;
  auto set = nlohmann::json::parse(ada.out);
  EXPECT_EQ(set["name"], version + "/annotationSets/ada-labels");
  EXPECT_EQ(set["annotation_count"], "3");
  EXPECT_EQ(set["protocol"]["name"], "health");
  EXPECT_EQ(set["digest"].get<std::string>().size(), 64u);
  auto bob =
      Cli({"annotations", "add", version, (work() / "bob.csv").string(), "--task", "labels", "--annotator", "Bob K."});
  ASSERT_EQ(bob.exit_code, 0) << bob.err;
  EXPECT_THAT(bob.out, HasSubstr(version + "/annotationSets/bob-k--labels"));
  auto list = Cli({"--json", "annotations", "list", version});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 2);
  auto get = Cli(
      {"annotations", "get", version + "/annotationSets/ada-labels", "--annotations", "--filter", "path = \"p1.png\""});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("  p1.png  sick"));
  EXPECT_THAT(get.out, Not(HasSubstr("p0.png")));
  // Agreement: 2 of 3 items agree, p_e = 1/3 * 2/3 + 2/3 * 1/3 = 4/9, so
  // kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4.
  auto report = Cli({"--json", "annotations", "agreement", version + "/annotationSets/ada-labels",
                     version + "/annotationSets/bob-k--labels", "--seed", "4", "--id", "first"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  auto r = nlohmann::json::parse(report.out);
  EXPECT_EQ(r["name"], version + "/agreementReports/first");
  bool seen = false;
  for (const auto& c : r["overall"]) {
    if (c["measure"] == "cohen_kappa") {
      EXPECT_NEAR(c["value"].get<double>(), 0.4, 1e-12);
      seen = true;
    }
  }
  EXPECT_TRUE(seen) << report.out;
  auto doc = Cli({"annotations", "agreement", version + "/annotationSets/ada-labels",
                  version + "/annotationSets/bob-k--labels", "--seed", "4", "--document"});
  ASSERT_EQ(doc.exit_code, 0) << doc.err;
  auto d = nlohmann::json::parse(doc.out);
  EXPECT_EQ(d["format"], "fairtrace-agreement-report/1");
  EXPECT_EQ(d["worst_items"][0]["path"], "p1.png");
  // The same report id twice: ALREADY_EXISTS, exit 1.
  auto again = Cli({"annotations", "agreement", version + "/annotationSets/ada-labels",
                    version + "/annotationSets/bob-k--labels", "--id", "first"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("exists"));
}

TEST_F(AnnotationsTest, RefusedSetsNameEveryProblemAndStoreNothing) {
  MakeVersion();
  const std::string version = "datasets/plants/versions/1";
  WriteFile(work() / "bad.csv", "path,label\np0.png,a\nnope.png,b\np0.png,c\n");
  auto bad = Cli({"annotations", "add", version, (work() / "bad.csv").string(), "--task", "labels"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("source:3 (path)]: \"nope.png\" is not an item of the dataset version"));
  EXPECT_THAT(bad.err, HasSubstr("source:4 (path)]: \"p0.png\" is labelled twice (also on line 2)"));
  WriteFile(work() / "masks" / "p0.png", Png(8, 6, 7));
  auto mask =
      Cli({"annotations", "add", version, (work() / "masks").string(), "--task", "masks", "--category", "1=leaf"});
  EXPECT_EQ(mask.exit_code, 1);
  EXPECT_THAT(mask.err, HasSubstr("pixel value 7 is not a declared class id"));
  auto wrong_task = Cli({"annotations", "add", version, (work() / "bad.csv").string(), "--task", "boxes"});
  EXPECT_EQ(wrong_task.exit_code, 1);
  EXPECT_THAT(wrong_task.err, HasSubstr("cannot hold boxes"));
  auto list = Cli({"annotations", "list", version});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out, "");  // nothing stored
  auto one = Cli({"annotations", "agreement", version + "/annotationSets/x", version + "/annotationSets/x"});
  EXPECT_EQ(one.exit_code, 1);
  auto missing = Cli({"annotations", "get", version + "/annotationSets/nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("does not exist"));
}

}  // namespace
}  // namespace fairtrace::testing
