#include "registry/annotations/annotation_formats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace fairtrace::annotations {
namespace {

using ::testing::HasSubstr;

// Items a.png (40x30) and b.png (20x10); c.png's header cannot be read.
ItemLookup Items() {
  static const std::set<std::string> items = {"a.png", "b.png", "c.png"};
  return ItemLookup{
      [](const std::string& p) { return items.contains(p); },
      [](const std::string& p) -> absl::StatusOr<ImageSize> {
        if (p == "a.png") return ImageSize{40, 30};
        if (p == "b.png") return ImageSize{20, 10};
        return absl::InvalidArgumentError("not a PNG, JPEG or TIFF image");
      },
  };
}

// pycocotools' rleToString, for making test inputs.
std::string EncodeRle(const std::vector<int64_t>& counts) {
  std::string s;
  for (size_t i = 0; i < counts.size(); ++i) {
    int64_t x = counts[i];
    if (i > 2) x -= counts[i - 2];
    bool more = true;
    while (more) {
      int64_t c = x & 0x1f;
      x >>= 5;
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      s.push_back(static_cast<char>(c + 48));
    }
  }
  return s;
}

std::string Coco(const std::string& annotations, const std::string& images = R"([{"id": 1, "file_name": "a.png",
  "width": 40, "height": 30}, {"id": 2, "file_name": "b.png"}])") {
  return R"({"categories": [{"id": 1, "name": "leaf"}, {"id": 2, "name": "stem"}], "images": )" + images +
         R"(, "annotations": )" + annotations + "}";
}

std::string Problems(const ParsedSet& s) {
  std::string out;
  for (const Problem& p : s.problems) out += p.where + ": " + p.description + "\n";
  return out;
}

TEST(ParseCoco, BoxesWithSizesFromTheFileAndTheHeader) {
  ParsedSet s = ParseCoco("coco.json", Coco(R"([{"id": 10, "image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 30]},
    {"id": 11, "image_id": 2, "category_id": 2, "bbox": [1.5, 2, 18.5, 8]}])"),
                          TaskType::kBoxes, Items());
  ASSERT_EQ(s.problem_count, 0u) << Problems(s);
  ASSERT_EQ(s.annotations.size(), 2u);
  EXPECT_EQ(s.annotations[1].path, "b.png");
  EXPECT_EQ(s.annotations[1].category_id, 2);
  EXPECT_DOUBLE_EQ(s.annotations[1].bbox[0], 1.5);
  ASSERT_EQ(s.categories.size(), 2u);
  EXPECT_EQ(s.categories[0].name, "leaf");
}

TEST(ParseCoco, EveryBadInputIsAPreciseProblem) {
  struct Case {
    std::string annotations, where, what;
  } cases[] = {
      {R"([{"id": 1, "image_id": 9, "category_id": 1, "bbox": [0,0,1,1]}])", "coco.json#/annotations/0/image_id",
       "image id 9 is not among the images"},
      {R"([{"id": 1, "image_id": 1, "category_id": 7, "bbox": [0,0,1,1]}])", "coco.json#/annotations/0/category_id",
       "category id 7 is not declared"},
      {R"([{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0,0,1,1]},
          {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0,0,1,1]}])",
       "coco.json#/annotations/1/id", "annotation id 1 is used twice"},
      {R"([{"id": 1, "image_id": 2, "category_id": 1, "bbox": [5, 5, 16, 1]}])", "coco.json#/annotations/0/bbox",
       "lies outside the image (20x10)"},
      {R"([{"id": 1, "image_id": 1, "category_id": 1, "bbox": [-1, 0, 2, 2]}])", "coco.json#/annotations/0/bbox",
       "lies outside the image (40x30)"},
      {R"([{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1]}])", "coco.json#/annotations/0/bbox",
       "four finite numbers"},
  };
  for (const Case& c : cases) {
    ParsedSet s = ParseCoco("coco.json", Coco(c.annotations), TaskType::kBoxes, Items());
    ASSERT_EQ(s.problem_count, 1u) << c.annotations << "\n" << Problems(s);
    EXPECT_EQ(s.problems[0].where, c.where);
    EXPECT_THAT(s.problems[0].description, HasSubstr(c.what));
  }
}

TEST(ParseCoco, DuplicateImagesCategoriesAndNonItems) {
  ParsedSet s = ParseCoco("coco.json",
                          R"({"categories": [{"id": 1, "name": "leaf"}, {"id": 1, "name": "again"}],
          "images": [{"id": 1, "file_name": "a.png"}, {"id": 1, "file_name": "b.png"}, {"id": 3, "file_name": "zz.png"}],
          "annotations": []})",
                          TaskType::kBoxes, Items());
  EXPECT_EQ(s.problem_count, 3u) << Problems(s);
  EXPECT_THAT(Problems(s), HasSubstr("#/categories/1/id: category id 1 is used twice"));
  EXPECT_THAT(Problems(s), HasSubstr("#/images/1/id: image id 1 is used twice"));
  EXPECT_THAT(Problems(s), HasSubstr("#/images/2/file_name: \"zz.png\" is not an item"));
}

TEST(ParseCoco, UnreadableHeaderIsAProblem) {
  ParsedSet s = ParseCoco("coco.json",
                          Coco(R"([{"id": 1, "image_id": 3, "category_id": 1, "bbox": [0,0,1,1]}])",
                               R"([{"id": 3, "file_name": "c.png"}])"),
                          TaskType::kBoxes, Items());
  ASSERT_EQ(s.problem_count, 1u);
  EXPECT_THAT(s.problems[0].description, HasSubstr("header cannot be read: not a PNG"));
}

TEST(ParseCoco, Polygons) {
  ParsedSet ok = ParseCoco("coco.json",
                           Coco(R"([{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[0,0, 10,0, 10,5]]}])"),
                           TaskType::kPolygons, Items());
  ASSERT_EQ(ok.problem_count, 0u) << Problems(ok);
  EXPECT_DOUBLE_EQ(ok.annotations[0].bbox[2], 10);
  ParsedSet odd =
      ParseCoco("coco.json", Coco(R"([{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[0,0, 10,0, 10]]}])"),
                TaskType::kPolygons, Items());
  ASSERT_EQ(odd.problem_count, 1u);
  EXPECT_EQ(odd.problems[0].where, "coco.json#/annotations/0/segmentation/0");
  EXPECT_THAT(odd.problems[0].description, HasSubstr("odd count"));
  ParsedSet outside = ParseCoco(
      "coco.json", Coco(R"([{"id": 1, "image_id": 2, "category_id": 1, "segmentation": [[0,0, 21,0, 10,5]]}])"),
      TaskType::kPolygons, Items());
  ASSERT_EQ(outside.problem_count, 1u);
  EXPECT_THAT(outside.problems[0].description, HasSubstr("(21, 0) lies outside the image (20x10)"));
}

TEST(ParseCoco, RleMasks) {
  // b.png is 20x10 = 200 pixels: 50 background, 30 foreground, 120 background.
  std::vector<int64_t> counts = {50, 30, 120};
  std::string rle = EncodeRle(counts);
  ParsedSet ok = ParseCoco("coco.json",
                           Coco(R"([{"id": 1, "image_id": 2, "category_id": 1, "iscrowd": 1,
                                     "segmentation": {"size": [10, 20], "counts": ")" +
                                rle + R"("}}])"),
                           TaskType::kMasks, Items());
  ASSERT_EQ(ok.problem_count, 0u) << Problems(ok);
  EXPECT_EQ(ok.annotations[0].rle, (std::vector<uint32_t>{50, 30, 120}));
  EXPECT_DOUBLE_EQ(ok.annotations[0].bbox[0], 5);  // columns 5..7 (column-major, 10 rows)
  EXPECT_DOUBLE_EQ(ok.annotations[0].bbox[2], 3);
  ParsedSet uncompressed = ParseCoco("coco.json", Coco(R"([{"id": 1, "image_id": 2, "category_id": 1,
      "segmentation": {"size": [10, 20], "counts": [50, 30, 120]}}])"),
                                     TaskType::kMasks, Items());
  EXPECT_EQ(uncompressed.problem_count, 0u) << Problems(uncompressed);
  ParsedSet short_runs = ParseCoco("coco.json",
                                   Coco(R"([{"id": 1, "image_id": 2, "category_id": 1,
      "segmentation": {"size": [10, 20], "counts": ")" +
                                        EncodeRle({50, 30, 100}) + R"("}}])"),
                                   TaskType::kMasks, Items());
  ASSERT_EQ(short_runs.problem_count, 1u);
  EXPECT_THAT(short_runs.problems[0].description, HasSubstr("the runs cover 180 pixels, the image has 200"));
  ParsedSet wrong_size = ParseCoco("coco.json", Coco(R"([{"id": 1, "image_id": 2, "category_id": 1,
      "segmentation": {"size": [20, 10], "counts": [200]}}])"),
                                   TaskType::kMasks, Items());
  ASSERT_EQ(wrong_size.problem_count, 1u);
  EXPECT_THAT(wrong_size.problems[0].description, HasSubstr("the RLE mask is 10x20, the image 20x10"));
  EXPECT_FALSE(DecodeCocoRle("1\x7f", 100).ok());
  EXPECT_FALSE(DecodeCocoRle("oooooooo", 100).ok());
}

TEST(ParseCoco, HostileDocuments) {
  EXPECT_THAT(Problems(ParseCoco("c.json", std::string(100, '['), TaskType::kBoxes, Items())),
              HasSubstr("nested deeper than 32"));
  EXPECT_THAT(Problems(ParseCoco("c.json", "{\"images\": \"\xff\"}", TaskType::kBoxes, Items())),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(Problems(ParseCoco("c.json", "[]", TaskType::kBoxes, Items())), HasSubstr("a JSON object"));
}

TEST(ParseLabelCsv, LabelsInNumericOrderAndMeasurements) {
  ParsedSet s = ParseLabelCsv("l.csv", "path,label,comment\na.png,10,x\nb.png,9,\n", TaskType::kLabels, {}, Items());
  ASSERT_EQ(s.problem_count, 0u) << Problems(s);
  ASSERT_EQ(s.categories.size(), 2u);
  EXPECT_EQ(s.categories[0].name, "9");  // numeric order, not byte order
  EXPECT_EQ(s.annotations[0].category_id, 1);
  ParsedSet m = ParseLabelCsv("m.tsv", "path\tvalue\na.png\t3.25\n", TaskType::kMeasurements, {}, Items());
  ASSERT_EQ(m.problem_count, 0u) << Problems(m);
  EXPECT_DOUBLE_EQ(m.annotations[0].value, 3.25);
}

TEST(ParseLabelCsv, BadRows) {
  ParsedSet s =
      ParseLabelCsv("l.csv", "path,label\nzz.png,a\na.png,a\na.png,b\nb.png,\n", TaskType::kLabels, {}, Items());
  EXPECT_EQ(s.problem_count, 3u) << Problems(s);
  EXPECT_THAT(Problems(s), HasSubstr("l.csv:2 (path): \"zz.png\" is not an item"));
  EXPECT_THAT(Problems(s), HasSubstr("l.csv:4 (path): \"a.png\" is labelled twice (also on line 3)"));
  EXPECT_THAT(Problems(s), HasSubstr("l.csv:5 (label): empty label"));
  ParsedSet undeclared = ParseLabelCsv("l.csv", "path,label\na.png,tall\n", TaskType::kLabels, {{0, "short"}}, Items());
  EXPECT_THAT(Problems(undeclared), HasSubstr("\"tall\" is not a declared category"));
  ParsedSet nan = ParseLabelCsv("m.csv", "path,value\na.png,nan\nb.png,x\n", TaskType::kMeasurements, {}, Items());
  EXPECT_EQ(nan.problem_count, 2u);
  EXPECT_THAT(Problems(ParseLabelCsv("l.csv", "file,label\n", TaskType::kLabels, {}, Items())),
              HasSubstr("must name a path and a label column"));
}

TEST(CheckMask, SizeAndUndeclaredClasses) {
  Mask m{4, 2, {0, 1, 1, 2, 0, 0, 7, 1}};
  EXPECT_THAT(CheckMask(m, {4, 3}, {{1, "leaf"}}), ::testing::ElementsAre("the mask is 4x2, the image 4x3"));
  EXPECT_THAT(CheckMask(m, {4, 2}, {{1, "leaf"}}), ::testing::ElementsAre("pixel value 2 is not a declared class id",
                                                                          "pixel value 7 is not a declared class id"));
  EXPECT_TRUE(CheckMask(m, {4, 2}, {{1, "leaf"}, {2, "stem"}, {7, "soil"}}).empty());
}

}  // namespace
}  // namespace fairtrace::annotations
