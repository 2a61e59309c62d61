// The annotation files people export from their tools, parsed and checked
// against the items of one dataset version (docs/annotations.md):
//   COCO JSON      boxes, polygons, masks (polygons or RLE), images matched
//                  to items by file_name = item path;
//   label CSV      "path,label" (labels) or "path,value" (measurements);
//   mask folder    one PNG per item, pixel value = class id (CheckMask).
//
// Never throws; every problem is reported with where it is (file, line or
// JSON Pointer) and a set with any problem must not be stored. At most
// `max_problems` are listed, all are counted. Thread-safe; the lookups are
// called on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/annotations/image_io.h"

namespace fairtrace::annotations {

enum class TaskType { kLabels, kMeasurements, kBoxes, kPolygons, kMasks };
// "labels", "measurements", "boxes", "polygons", "masks".
const char* TaskTypeName(TaskType t);

struct Category {
  int64_t id = 0;
  std::string name;
};

struct Annotation {
  std::string path;                           // the item
  int64_t source_id = 0;                      // COCO annotation id, or the CSV line
  int64_t category_id = -1;                   // labels and instances; -1 for measurements and mask files
  double value = 0;                           // measurements
  double bbox[4] = {0, 0, 0, 0};              // x, y, width, height (instances: their extent)
  std::vector<std::vector<double>> polygons;  // x0 y0 x1 y1 ... per part
  int64_t rle_height = 0, rle_width = 0;      // RLE masks: the image size
  std::vector<uint32_t> rle;                  // column-major runs, starting with background
  std::string mask_digest;                    // mask folder: "sha256/size" of the PNG
};

struct Problem {
  std::string where;  // "labels.csv:12", "coco.json#/annotations/7/bbox"
  std::string description;
};

struct ParsedSet {
  std::vector<Category> categories;     // by id
  std::vector<Annotation> annotations;  // in file order
  std::vector<Problem> problems;
  size_t problem_count = 0;
};

struct FormatLimits {
  size_t max_annotations = 2'000'000;
  size_t max_categories = 10'000;
  size_t max_polygon_points = 100'000;  // per annotation, all parts
  int max_json_depth = 32;
  int64_t max_pixels = int64_t{64} << 20;  // per image (RLE size, masks)
  size_t max_problems = 1000;
};

struct ImageSize {
  int64_t width = 0, height = 0;
};

// What the parsers ask about the version: is `path` an item, and how big is
// its image (read from its header; an error becomes a problem).
struct ItemLookup {
  std::function<bool(const std::string& path)> is_item;
  std::function<absl::StatusOr<ImageSize>(const std::string& path)> image_size;
};

ParsedSet ParseCoco(absl::string_view name, absl::string_view json, TaskType task, const ItemLookup& items,
                    const FormatLimits& limits = {});

// `declared`: the categories of a labels task (their order is the ordinal
// order); empty: the distinct labels, in numeric order when every label is
// a number, else in byte order. Measurements ignore it.
ParsedSet ParseLabelCsv(absl::string_view name, absl::string_view data, TaskType task,
                        const std::vector<Category>& declared, const ItemLookup& items,
                        const FormatLimits& limits = {});

// Problems of one decoded mask: its size against the item's image, and
// class ids that are not declared (0 is the background unless declared).
std::vector<std::string> CheckMask(const Mask& mask, const ImageSize& image, const std::vector<Category>& declared);

// COCO's compressed RLE string ("counts" as pycocotools writes it) as runs;
// INVALID_ARGUMENT when it is malformed.
absl::StatusOr<std::vector<uint32_t>> DecodeCocoRle(absl::string_view counts, int64_t max_total);

}  // namespace fairtrace::annotations
