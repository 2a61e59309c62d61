// libFuzzer target: the annotation parsers (registry/annotations/
// annotation_formats.h) and the image readers (image_io.h) on arbitrary
// bytes: never a crash, problems bounded; a COCO file or label CSV they
// accept names only items, keeps boxes and polygon points inside the image
// and RLE runs summing to the image's pixels; a decoded mask has
// width x height pixels within the bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "registry/annotations/annotation_formats.h"
#include "registry/annotations/image_io.h"

namespace fa = fairtrace::annotations;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const fa::ImageSize image{64, 48};
  fa::ItemLookup items{
      [](const std::string& p) { return p == "a.png" || p == "b/c.png"; },
      [&](const std::string& p) -> absl::StatusOr<fa::ImageSize> {
        if (p == "a.png") return image;
        return absl::InvalidArgumentError("no header");
      },
  };
  fa::FormatLimits limits;
  limits.max_annotations = 10'000;
  limits.max_pixels = 1 << 20;
  for (fa::TaskType t : {fa::TaskType::kBoxes, fa::TaskType::kPolygons, fa::TaskType::kMasks, fa::TaskType::kLabels,
                         fa::TaskType::kMeasurements}) {
    fa::ParsedSet sets[] = {fa::ParseCoco("f.json", bytes, t, items, limits),
                            fa::ParseLabelCsv("f.csv", bytes, t, {}, items, limits)};
    for (const fa::ParsedSet& s : sets) {
      if (s.problems.size() > limits.max_problems || s.problem_count < s.problems.size()) std::abort();
      if (s.problem_count > 0) continue;
      for (const fa::Annotation& a : s.annotations) {
        if (!items.is_item(a.path)) std::abort();
        if (a.bbox[0] < -1e-6 || a.bbox[1] < -1e-6 || a.bbox[0] + a.bbox[2] > 64 + 1e-6 ||
            a.bbox[1] + a.bbox[3] > 48 + 1e-6) {
          if (t == fa::TaskType::kBoxes || t == fa::TaskType::kPolygons) std::abort();
        }
        for (const auto& part : a.polygons) {
          if (part.size() % 2 != 0 || part.size() < 6) std::abort();
        }
        if (!a.rle.empty()) {
          int64_t sum = 0;
          for (uint32_t r : a.rle) sum += r;
          if (sum != a.rle_height * a.rle_width) std::abort();
        }
      }
    }
  }
  (void)fa::DecodeCocoRle(bytes, 1 << 20);
  (void)fa::ReadImageInfo(bytes);
  absl::StatusOr<fa::Mask> m = fa::DecodeMask(bytes, 1 << 16);
  if (m.ok() && (static_cast<int64_t>(m->pixels.size()) != m->width * m->height || m->pixels.size() > (1u << 16))) {
    std::abort();
  }
  return 0;
}
