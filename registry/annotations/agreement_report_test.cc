#include "registry/annotations/agreement_report.h"

#include <gtest/gtest.h>

namespace fairtrace::annotations {
namespace {

using json = nlohmann::json;

AnnotationRow Polygon(const std::string& path, int64_t category, std::vector<double> xy) {
  AnnotationRow r;
  r.path = path;
  r.category_id = category;
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  for (size_t i = 0; i < xy.size(); i += 2) {
    x0 = std::min(x0, xy[i]);
    x1 = std::max(x1, xy[i]);
    y0 = std::min(y0, xy[i + 1]);
    y1 = std::max(y1, xy[i + 1]);
  }
  r.bbox[0] = x0;
  r.bbox[1] = y0;
  r.bbox[2] = x1 - x0;
  r.bbox[3] = y1 - y0;
  r.geometry_json = json{{"polygons", json::array({xy})}}.dump();
  return r;
}

AnnotationRow Square(const std::string& path, double x, double y, double side) {
  return Polygon(path, 1, {x, y, x + side, y, x + side, y + side, x, y + side});
}

AgreementInput Instances(TaskType task, std::vector<AnnotationRow> a, std::vector<AnnotationRow> b) {
  AgreementInput in;
  in.task = task;
  in.sets = {SetData{"a", "da", "ann-a", {{1, "leaf"}}, std::move(a)},
             SetData{"b", "db", "ann-b", {{1, "leaf"}}, std::move(b)}};
  return in;
}

const Coefficient& Measure(const AgreementResult& r, const std::string& name) {
  for (const Coefficient& c : r.overall) {
    if (c.measure == name) return c;
  }
  static Coefficient none;
  ADD_FAILURE() << "no " << name;
  return none;
}

AgreementOptions NoBootstrap() {
  AgreementOptions o;
  o.replicates = 0;
  return o;
}

TEST(AgreementReport, PolygonsAreComparedByTheirPixels) {
  // 4x4 squares; the second pair overlaps by half: IoU = 8 / 24 = 1/3.
  auto r = ComputeAgreementReport(Instances(TaskType::kPolygons, {Square("x.png", 0, 0, 4), Square("y.png", 0, 0, 4)},
                                            {Square("x.png", 0, 0, 4), Square("y.png", 2, 0, 4)}),
                                  NoBootstrap());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(Measure(*r, "f1").estimate.value, 0.5);  // 1 match, 1 missed, 1 extra
  EXPECT_DOUBLE_EQ(Measure(*r, "mean_matched_iou").estimate.value, 1.0);
  AgreementOptions low = NoBootstrap();
  low.iou_threshold = 0.3;
  auto matched = ComputeAgreementReport(
      Instances(TaskType::kPolygons, {Square("y.png", 0, 0, 4)}, {Square("y.png", 2, 0, 4)}), low);
  ASSERT_TRUE(matched.ok());
  EXPECT_DOUBLE_EQ(Measure(*matched, "f1").estimate.value, 1.0);
  EXPECT_NEAR(Measure(*matched, "mean_matched_iou").estimate.value, 1.0 / 3, 1e-12);
}

TEST(AgreementReport, RleAndPolygonOfTheSamePixelsAgree) {
  // A 10x10 image; the square x 2..5, y 1..4 as column-major runs.
  AnnotationRow rle;
  rle.path = "x.png";
  rle.category_id = 1;
  std::vector<uint32_t> runs;
  uint32_t background = 2 * 10 + 1;  // columns 0-1, then row 0 of column 2
  for (int col = 2; col < 6; ++col) {
    runs.push_back(background);
    runs.push_back(4);  // rows 1-4
    background = 6;     // rows 5-9 of this column and row 0 of the next
  }
  runs.push_back(5 + 4 * 10);
  rle.bbox[0] = 2;
  rle.bbox[1] = 1;
  rle.bbox[2] = 4;
  rle.bbox[3] = 4;
  rle.geometry_json = json{{"h", 10}, {"w", 10}, {"rle", runs}}.dump();
  auto r = ComputeAgreementReport(Instances(TaskType::kMasks, {rle}, {Square("x.png", 2, 1, 4)}), NoBootstrap());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(Measure(*r, "mean_matched_iou").estimate.value, 1.0);
}

TEST(AgreementReport, UndefinedCoefficientsAreNullWithTheirReason) {
  AgreementInput in;
  in.task = TaskType::kLabels;
  AnnotationRow a;
  a.path = "x.png";
  a.category_id = 0;
  in.sets = {SetData{"a", "", "", {{0, "ok"}}, {a}}, SetData{"b", "", "", {{0, "ok"}}, {a}}};
  auto r = ComputeAgreementReport(in, NoBootstrap());
  ASSERT_TRUE(r.ok());
  const Coefficient& k = Measure(*r, "cohen_kappa");
  EXPECT_FALSE(k.estimate.defined);
  json doc = json::parse(ReportBytes(r->document));
  bool seen = false;
  for (const json& c : doc["overall"]) {
    if (c["measure"] != "cohen_kappa") continue;
    EXPECT_TRUE(c["value"].is_null());
    EXPECT_NE(c["undefined_reason"].get<std::string>().find("p_e = 1"), std::string::npos);
    seen = true;
  }
  EXPECT_TRUE(seen);
}

TEST(AgreementReport, SameInputSameBytes) {
  AgreementInput in = Instances(TaskType::kBoxes, {Square("x.png", 0, 0, 4)}, {Square("x.png", 1, 0, 4)});
  AgreementOptions o;
  o.replicates = 200;
  o.seed = 3;
  auto a = ComputeAgreementReport(in, o), b = ComputeAgreementReport(in, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(ReportBytes(a->document), ReportBytes(b->document));
  EXPECT_EQ(a->document["bootstrap"]["seed"], "3");
}

TEST(AgreementReport, TooMuchRasterIsRefused) {
  AgreementOptions o = NoBootstrap();
  o.max_raster_pixels_per_item = 20;
  auto r =
      ComputeAgreementReport(Instances(TaskType::kPolygons, {Square("x.png", 0, 0, 4)}, {Square("x.png", 0, 0, 4)}), o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ComputeAgreementReport(AgreementInput{}, o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fairtrace::annotations
