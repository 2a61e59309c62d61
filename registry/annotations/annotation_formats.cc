#include "registry/annotations/annotation_formats.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/text/json_depth.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::annotations {
namespace {

using json = nlohmann::json;

constexpr double kEdge = 1e-6;  // coordinates may touch the image's edge, within rounding

class Problems {
 public:
  Problems(const FormatLimits& limits, ParsedSet* out) : limits_(limits), out_(out) {}
  void Add(std::string where, std::string description) {
    ++out_->problem_count;
    if (out_->problems.size() < limits_.max_problems)
      out_->problems.push_back({std::move(where), std::move(description)});
  }

 private:
  const FormatLimits& limits_;
  ParsedSet* out_;
};

bool AsInt(const json& v, int64_t* out) {
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
    *out = static_cast<int64_t>(v.get<uint64_t>());
    return true;
  }
  return false;
}

bool AsDouble(const json& v, double* out) {
  if (!v.is_number()) return false;
  *out = v.get<double>();
  return std::isfinite(*out);
}

std::string Pointer(absl::string_view name, absl::string_view section, size_t index, absl::string_view member = "") {
  std::string p = absl::StrCat(name, "#/", section, "/", index);
  if (!member.empty()) absl::StrAppend(&p, "/", member);
  return p;
}

bool Inside(double x, double y, const ImageSize& size) {
  return x >= -kEdge && y >= -kEdge && x <= size.width + kEdge && y <= size.height + kEdge;
}

std::string SizeText(const ImageSize& s) { return absl::StrCat(s.width, "x", s.height); }

struct CocoImage {
  std::string path;
  bool has_size = false, size_looked_up = false, size_ok = false;
  ImageSize size;
  std::string size_error;
};

class CocoParser {
 public:
  CocoParser(absl::string_view name, TaskType task, const ItemLookup& items, const FormatLimits& limits, ParsedSet* out)
      : name_(name), task_(task), items_(items), limits_(limits), out_(out), problems_(limits, out) {}

  void Parse(const json& doc) {
    if (!doc.is_object()) {
      problems_.Add(std::string(name_), "a COCO file is a JSON object with images, annotations and categories");
      return;
    }
    for (const char* key : {"images", "annotations", "categories"}) {
      if (!doc.contains(key) || !doc[key].is_array()) {
        problems_.Add(absl::StrCat(name_, "#/", key), "missing, or not an array");
        return;
      }
    }
    Categories(doc["categories"]);
    Images(doc["images"]);
    Annotations(doc["annotations"]);
  }

 private:
  void Categories(const json& list) {
    if (list.size() > limits_.max_categories) {
      problems_.Add(absl::StrCat(name_, "#/categories"),
                    absl::StrCat(list.size(), " categories; at most ", limits_.max_categories));
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const json& c = list[i];
      int64_t id = 0;
      if (!c.is_object() || !c.contains("id") || !AsInt(c["id"], &id)) {
        problems_.Add(Pointer(name_, "categories", i, "id"), "an integer id is required");
        continue;
      }
      if (!c.contains("name") || !c["name"].is_string() || c["name"].get_ref<const std::string&>().empty()) {
        problems_.Add(Pointer(name_, "categories", i, "name"), "a non-empty name is required");
        continue;
      }
      if (!categories_.emplace(id, i).second) {
        problems_.Add(Pointer(name_, "categories", i, "id"), absl::StrCat("category id ", id, " is used twice"));
        continue;
      }
      out_->categories.push_back({id, c["name"].get<std::string>()});
    }
    std::sort(out_->categories.begin(), out_->categories.end(),
              [](const Category& a, const Category& b) { return a.id < b.id; });
  }

  void Images(const json& list) {
    for (size_t i = 0; i < list.size(); ++i) {
      const json& im = list[i];
      int64_t id = 0;
      if (!im.is_object() || !im.contains("id") || !AsInt(im["id"], &id)) {
        problems_.Add(Pointer(name_, "images", i, "id"), "an integer id is required");
        continue;
      }
      if (!im.contains("file_name") || !im["file_name"].is_string()) {
        problems_.Add(Pointer(name_, "images", i, "file_name"), "a file_name (the item's path) is required");
        continue;
      }
      CocoImage image;
      image.path = im["file_name"].get<std::string>();
      if (!items_.is_item(image.path)) {
        problems_.Add(Pointer(name_, "images", i, "file_name"),
                      absl::StrCat("\"", image.path, "\" is not an item of the dataset version"));
        continue;
      }
      int64_t w = 0, h = 0;
      const bool has_w = im.contains("width"), has_h = im.contains("height");
      if (has_w || has_h) {
        if (!has_w || !has_h || !AsInt(im["width"], &w) || !AsInt(im["height"], &h) || w <= 0 || h <= 0) {
          problems_.Add(Pointer(name_, "images", i), "width and height must both be positive integers");
          continue;
        }
        image.has_size = image.size_ok = true;
        image.size = {w, h};
      }
      if (!images_.emplace(id, std::move(image)).second) {
        problems_.Add(Pointer(name_, "images", i, "id"), absl::StrCat("image id ", id, " is used twice"));
      }
    }
  }

  // The image's size: from the COCO file, else its header (looked up once).
  bool SizeOf(CocoImage& image, ImageSize* out) {
    if (!image.has_size && !image.size_looked_up) {
      image.size_looked_up = true;
      absl::StatusOr<ImageSize> s = items_.image_size(image.path);
      if (s.ok()) {
        image.size = *s;
        image.size_ok = true;
      } else {
        image.size_error = std::string(s.status().message());
      }
    }
    *out = image.size;
    return image.size_ok;
  }

  void Annotations(const json& list) {
    if (list.size() > limits_.max_annotations) {
      problems_.Add(absl::StrCat(name_, "#/annotations"),
                    absl::StrCat(list.size(), " annotations; at most ", limits_.max_annotations));
      return;
    }
    absl::flat_hash_map<int64_t, size_t> ids;
    ids.reserve(list.size());
    out_->annotations.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      const json& a = list[i];
      int64_t id = 0, image_id = 0, category_id = 0;
      if (!a.is_object() || !a.contains("id") || !AsInt(a["id"], &id)) {
        problems_.Add(Pointer(name_, "annotations", i, "id"), "an integer id is required");
        continue;
      }
      if (!ids.emplace(id, i).second) {
        problems_.Add(Pointer(name_, "annotations", i, "id"), absl::StrCat("annotation id ", id, " is used twice"));
        continue;
      }
      if (!a.contains("image_id") || !AsInt(a["image_id"], &image_id)) {
        problems_.Add(Pointer(name_, "annotations", i, "image_id"), "an integer image_id is required");
        continue;
      }
      auto image = images_.find(image_id);
      if (image == images_.end()) {
        problems_.Add(Pointer(name_, "annotations", i, "image_id"),
                      absl::StrCat("image id ", image_id, " is not among the images"));
        continue;
      }
      if (!a.contains("category_id") || !AsInt(a["category_id"], &category_id)) {
        problems_.Add(Pointer(name_, "annotations", i, "category_id"), "an integer category_id is required");
        continue;
      }
      if (!categories_.contains(category_id)) {
        problems_.Add(Pointer(name_, "annotations", i, "category_id"),
                      absl::StrCat("category id ", category_id, " is not declared in categories"));
        continue;
      }
      ImageSize size;
      if (!SizeOf(image->second, &size)) {
        problems_.Add(Pointer(name_, "annotations", i, "image_id"),
                      absl::StrCat("the size of \"", image->second.path, "\" is not in the file and its header cannot ",
                                   "be read: ", image->second.size_error));
        continue;
      }
      Annotation out;
      out.path = image->second.path;
      out.source_id = id;
      out.category_id = category_id;
      if (Geometry(a, i, size, &out)) out_->annotations.push_back(std::move(out));
    }
  }

  bool Box(const json& a, size_t i, const ImageSize& size, Annotation* out) {
    const std::string where = Pointer(name_, "annotations", i, "bbox");
    const json& b = a["bbox"];
    double v[4];
    if (!b.is_array() || b.size() != 4 || !AsDouble(b[0], &v[0]) || !AsDouble(b[1], &v[1]) || !AsDouble(b[2], &v[2]) ||
        !AsDouble(b[3], &v[3])) {
      problems_.Add(where, "a box is [x, y, width, height], four finite numbers");
      return false;
    }
    if (v[2] < 0 || v[3] < 0) {
      problems_.Add(where, "a box's width and height must not be negative");
      return false;
    }
    if (!Inside(v[0], v[1], size) || !Inside(v[0] + v[2], v[1] + v[3], size)) {
      problems_.Add(where, absl::StrCat("the box [", v[0], ", ", v[1], ", ", v[2], ", ", v[3],
                                        "] lies outside the image (", SizeText(size), ")"));
      return false;
    }
    std::copy(v, v + 4, out->bbox);
    return true;
  }

  bool Polygons(const json& seg, size_t i, const ImageSize& size, Annotation* out) {
    const std::string where = Pointer(name_, "annotations", i, "segmentation");
    size_t points = 0;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t p = 0; p < seg.size(); ++p) {
      const json& part = seg[p];
      const std::string part_where = absl::StrCat(where, "/", p);
      if (!part.is_array() || part.size() % 2 != 0) {
        problems_.Add(part_where, absl::StrCat("a polygon is a flat list of x, y pairs; this one has ",
                                               part.is_array() ? part.size() : 0, " numbers (an odd count)"));
        return false;
      }
      if (part.size() < 6) {
        problems_.Add(part_where, "a polygon needs at least three points");
        return false;
      }
      points += part.size() / 2;
      if (points > limits_.max_polygon_points) {
        problems_.Add(where, absl::StrCat("more than ", limits_.max_polygon_points, " points"));
        return false;
      }
      std::vector<double> coords(part.size());
      for (size_t k = 0; k < part.size(); ++k) {
        if (!AsDouble(part[k], &coords[k])) {
          problems_.Add(absl::StrCat(part_where, "/", k), "coordinates are finite numbers");
          return false;
        }
      }
      for (size_t k = 0; k < coords.size(); k += 2) {
        if (!Inside(coords[k], coords[k + 1], size)) {
          problems_.Add(absl::StrCat(part_where, "/", k),
                        absl::StrCat("the point (", coords[k], ", ", coords[k + 1], ") lies outside the image (",
                                     SizeText(size), ")"));
          return false;
        }
        x0 = std::min(x0, coords[k]);
        y0 = std::min(y0, coords[k + 1]);
        x1 = std::max(x1, coords[k]);
        y1 = std::max(y1, coords[k + 1]);
      }
      out->polygons.push_back(std::move(coords));
    }
    if (out->polygons.empty()) {
      problems_.Add(where, "no polygon");
      return false;
    }
    out->bbox[0] = x0;
    out->bbox[1] = y0;
    out->bbox[2] = x1 - x0;
    out->bbox[3] = y1 - y0;
    return true;
  }

  bool Rle(const json& seg, size_t i, const ImageSize& size, Annotation* out) {
    const std::string where = Pointer(name_, "annotations", i, "segmentation");
    int64_t h = 0, w = 0;
    if (!seg.contains("size") || !seg["size"].is_array() || seg["size"].size() != 2 || !AsInt(seg["size"][0], &h) ||
        !AsInt(seg["size"][1], &w)) {
      problems_.Add(absl::StrCat(where, "/size"), "an RLE mask's size is [height, width]");
      return false;
    }
    if (h != size.height || w != size.width) {
      problems_.Add(absl::StrCat(where, "/size"),
                    absl::StrCat("the RLE mask is ", w, "x", h, ", the image ", SizeText(size)));
      return false;
    }
    const int64_t total = h * w;
    if (total > limits_.max_pixels) {
      problems_.Add(absl::StrCat(where, "/size"), absl::StrCat("at most ", limits_.max_pixels, " pixels"));
      return false;
    }
    const json& counts = seg.contains("counts") ? seg["counts"] : json();
    std::vector<uint32_t> runs;
    if (counts.is_string()) {
      absl::StatusOr<std::vector<uint32_t>> r = DecodeCocoRle(counts.get_ref<const std::string&>(), total);
      if (!r.ok()) {
        problems_.Add(absl::StrCat(where, "/counts"), std::string(r.status().message()));
        return false;
      }
      runs = *std::move(r);
    } else if (counts.is_array()) {
      int64_t sum = 0;
      for (const json& c : counts) {
        int64_t n = 0;
        if (!AsInt(c, &n) || n < 0 || n > total - sum) {
          problems_.Add(absl::StrCat(where, "/counts"),
                        absl::StrCat("the runs do not decode to the image size (", total, " pixels)"));
          return false;
        }
        sum += n;
        runs.push_back(static_cast<uint32_t>(n));
      }
    } else {
      problems_.Add(absl::StrCat(where, "/counts"), "an RLE mask's counts are a string or a list of run lengths");
      return false;
    }
    int64_t sum = 0, y0 = h, y1 = -1, x0 = w, x1 = -1;
    for (size_t k = 0; k < runs.size(); ++k) {
      if (k % 2 == 1 && runs[k] > 0) {  // a foreground run, column-major
        const int64_t first = sum, last = sum + runs[k] - 1;
        x0 = std::min(x0, first / h);
        x1 = std::max(x1, last / h);
        if (first / h == last / h) {
          y0 = std::min(y0, first % h);
          y1 = std::max(y1, last % h);
        } else {
          y0 = 0;
          y1 = h - 1;
        }
      }
      sum += runs[k];
    }
    if (sum != total) {
      problems_.Add(absl::StrCat(where, "/counts"),
                    absl::StrCat("the runs cover ", sum, " pixels, the image has ", total, " (", SizeText(size), ")"));
      return false;
    }
    out->rle_height = h;
    out->rle_width = w;
    out->rle = std::move(runs);
    if (x1 >= 0) {
      out->bbox[0] = static_cast<double>(x0);
      out->bbox[1] = static_cast<double>(y0);
      out->bbox[2] = static_cast<double>(x1 - x0 + 1);
      out->bbox[3] = static_cast<double>(y1 - y0 + 1);
    }
    return true;
  }

  bool Geometry(const json& a, size_t i, const ImageSize& size, Annotation* out) {
    const bool has_box = a.contains("bbox");
    const json& seg = a.contains("segmentation") ? a["segmentation"] : json();
    switch (task_) {
      case TaskType::kBoxes:
        if (!has_box) {
          problems_.Add(Pointer(name_, "annotations", i, "bbox"), "a boxes set needs a bbox on every annotation");
          return false;
        }
        return Box(a, i, size, out);
      case TaskType::kPolygons:
        if (!seg.is_array()) {
          problems_.Add(Pointer(name_, "annotations", i, "segmentation"),
                        "a polygons set needs polygons (a list of x, y lists) on every annotation");
          return false;
        }
        return Polygons(seg, i, size, out);
      case TaskType::kMasks:
        if (seg.is_array()) return Polygons(seg, i, size, out);
        if (seg.is_object()) return Rle(seg, i, size, out);
        problems_.Add(Pointer(name_, "annotations", i, "segmentation"),
                      "a masks set needs a segmentation (RLE or polygons) on every annotation");
        return false;
      default:
        problems_.Add(Pointer(name_, "annotations", i), "COCO files hold boxes, polygons or masks");
        return false;
    }
  }

  absl::string_view name_;
  TaskType task_;
  const ItemLookup& items_;
  const FormatLimits& limits_;
  ParsedSet* out_;
  Problems problems_;
  absl::flat_hash_map<int64_t, size_t> categories_;
  absl::flat_hash_map<int64_t, CocoImage> images_;
};

std::string HeaderName(absl::string_view h) { return absl::AsciiStrToLower(absl::StripAsciiWhitespace(h)); }

}  // namespace

const char* TaskTypeName(TaskType t) {
  switch (t) {
    case TaskType::kLabels:
      return "labels";
    case TaskType::kMeasurements:
      return "measurements";
    case TaskType::kBoxes:
      return "boxes";
    case TaskType::kPolygons:
      return "polygons";
    case TaskType::kMasks:
      return "masks";
  }
  return "?";
}

absl::StatusOr<std::vector<uint32_t>> DecodeCocoRle(absl::string_view s, int64_t max_total) {
  std::vector<uint32_t> runs;
  int64_t total = 0;
  size_t p = 0;
  while (p < s.size()) {
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p >= s.size()) return absl::InvalidArgumentError("the RLE string ends inside a number");
      const int c = static_cast<unsigned char>(s[p]) - 48;
      if (c < 0 || c > 63) return absl::InvalidArgumentError("the RLE string holds a character outside '0'..'o'");
      if (k >= 7) return absl::InvalidArgumentError("an RLE number is too long");
      x |= static_cast<int64_t>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10)) x -= int64_t{1} << (5 * k);  // sign extension
    }
    if (runs.size() > 2) x += runs[runs.size() - 2];
    if (x < 0 || x > max_total - total) {
      return absl::InvalidArgumentError(
          absl::StrCat("the runs do not decode to the image size (", max_total, " pixels)"));
    }
    total += x;
    runs.push_back(static_cast<uint32_t>(x));
  }
  return runs;
}

ParsedSet ParseCoco(absl::string_view name, absl::string_view text, TaskType task, const ItemLookup& items,
                    const FormatLimits& limits) {
  ParsedSet out;
  Problems problems(limits, &out);
  if (int depth = text::JsonDepth(text, limits.max_json_depth); depth > limits.max_json_depth) {
    problems.Add(std::string(name), absl::StrCat("nested deeper than ", limits.max_json_depth, " levels"));
    return out;
  }
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    problems.Add(std::string(name), "not valid JSON (or not UTF-8)");
    return out;
  }
  CocoParser(name, task, items, limits, &out).Parse(doc);
  return out;
}

ParsedSet ParseLabelCsv(absl::string_view name, absl::string_view data, TaskType task,
                        const std::vector<Category>& declared, const ItemLookup& items, const FormatLimits& limits) {
  ParsedSet out;
  Problems problems(limits, &out);
  if (task != TaskType::kLabels && task != TaskType::kMeasurements) {
    problems.Add(std::string(name), "a label CSV holds labels or measurements");
    return out;
  }
  const size_t first_line_end = data.find('\n');
  const char delimiter = data.substr(0, first_line_end).find('\t') != absl::string_view::npos ? '\t' : ',';
  std::vector<miappe::Finding> findings;
  miappe::Table t = miappe::ParseTsv(name, data, &findings, /*ragged=*/false, delimiter);
  for (const miappe::Finding& f : findings) {
    if (f.severity == miappe::Severity::kError) problems.Add(f.location, f.message);
  }
  if (t.rows.empty()) {
    problems.Add(std::string(name), "empty: a header row path,label (or path,value) is needed");
    return out;
  }
  const char* value_column = task == TaskType::kLabels ? "label" : "value";
  int path_col = -1, value_col = -1;
  for (size_t c = 0; c < t.rows[0].size(); ++c) {
    const std::string h = HeaderName(t.rows[0][c]);
    if (h == "path" && path_col < 0) path_col = static_cast<int>(c);
    if (h == value_column && value_col < 0) value_col = static_cast<int>(c);
  }
  if (path_col < 0 || value_col < 0) {
    problems.Add(absl::StrCat(name, ":", t.lines[0]),
                 absl::StrCat("the header must name a path and a ", value_column, " column"));
    return out;
  }
  absl::flat_hash_map<std::string, int> seen;  // path -> line
  absl::flat_hash_map<std::string, int64_t> declared_ids;
  for (const Category& c : declared) declared_ids.emplace(c.name, c.id);
  std::vector<std::pair<size_t, std::string>> labels;  // annotation index, label
  for (size_t r = 1; r < t.rows.size(); ++r) {
    const std::string where = absl::StrCat(name, ":", t.lines[r]);
    const std::vector<std::string>& row = t.rows[r];
    std::string path(absl::StripAsciiWhitespace(row[path_col]));
    std::string value(absl::StripAsciiWhitespace(row[value_col]));
    if (!items.is_item(path)) {
      problems.Add(absl::StrCat(where, " (path)"),
                   absl::StrCat("\"", path, "\" is not an item of the dataset version"));
      continue;
    }
    if (auto [it, fresh] = seen.emplace(path, t.lines[r]); !fresh) {
      problems.Add(absl::StrCat(where, " (path)"),
                   absl::StrCat("\"", path, "\" is labelled twice (also on line ", it->second, ")"));
      continue;
    }
    if (out.annotations.size() >= limits.max_annotations) {
      problems.Add(where, absl::StrCat("more than ", limits.max_annotations, " rows"));
      break;
    }
    Annotation a;
    a.path = std::move(path);
    a.source_id = t.lines[r];
    if (task == TaskType::kMeasurements) {
      if (!absl::SimpleAtod(value, &a.value) || !std::isfinite(a.value)) {
        problems.Add(absl::StrCat(where, " (value)"), absl::StrCat("\"", value, "\" is not a finite number"));
        continue;
      }
    } else if (value.empty()) {
      problems.Add(absl::StrCat(where, " (label)"), "empty label");
      continue;
    } else if (!declared.empty()) {
      auto id = declared_ids.find(value);
      if (id == declared_ids.end()) {
        problems.Add(absl::StrCat(where, " (label)"), absl::StrCat("\"", value, "\" is not a declared category"));
        continue;
      }
      a.category_id = id->second;
    } else {
      labels.emplace_back(out.annotations.size(), value);
    }
    out.annotations.push_back(std::move(a));
  }
  if (task == TaskType::kMeasurements) return out;
  if (!declared.empty()) {
    out.categories = declared;
    return out;
  }
  // Categories from the labels: numeric order when all are numbers.
  std::set<std::string> distinct;
  for (const auto& [index, label] : labels) distinct.insert(label);
  std::vector<std::string> names(distinct.begin(), distinct.end());
  bool numeric = true;
  for (const std::string& n : names) {
    double d;
    numeric = numeric && absl::SimpleAtod(n, &d) && std::isfinite(d);
  }
  if (numeric) {
    std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      double x = 0, y = 0;
      (void)absl::SimpleAtod(a, &x);
      (void)absl::SimpleAtod(b, &y);
      return x < y;
    });
  }
  if (names.size() > limits.max_categories) {
    problems.Add(std::string(name), absl::StrCat(names.size(), " distinct labels; at most ", limits.max_categories));
    return out;
  }
  absl::flat_hash_map<std::string, int64_t> ids;
  for (size_t i = 0; i < names.size(); ++i) {
    ids.emplace(names[i], static_cast<int64_t>(i));
    out.categories.push_back({static_cast<int64_t>(i), names[i]});
  }
  for (const auto& [index, label] : labels) out.annotations[index].category_id = ids[label];
  return out;
}

std::vector<std::string> CheckMask(const Mask& mask, const ImageSize& image, const std::vector<Category>& declared) {
  std::vector<std::string> out;
  if (mask.width != image.width || mask.height != image.height) {
    out.push_back(absl::StrCat("the mask is ", mask.width, "x", mask.height, ", the image ", SizeText(image)));
    return out;
  }
  std::vector<bool> allowed(65536, false);
  allowed[0] = true;
  for (const Category& c : declared) {
    if (c.id >= 0 && c.id < 65536) allowed[c.id] = true;
  }
  std::vector<bool> reported(65536, false);
  for (uint16_t v : mask.pixels) {
    if (!allowed[v] && !reported[v]) {
      reported[v] = true;
      out.push_back(absl::StrCat("pixel value ", v, " is not a declared class id"));
      if (out.size() >= 10) break;
    }
  }
  return out;
}

}  // namespace fairtrace::annotations
