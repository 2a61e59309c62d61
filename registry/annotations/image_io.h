// Image headers and mask decoding for annotation checks (docs/annotations.md
// "Images"), through Debian's libpng, libjpeg-turbo and libtiff.
//
// ReadImageInfo reads only what the header says (width, height, bands,
// bits per sample) from PNG, JPEG or TIFF bytes (TIFF: the first image of
// the file, any bit depth or band count — only the size is used). The
// format is told by the magic bytes, never by the name.
// DecodeMask decodes a PNG mask whose pixel value is the class id: 1-16
// bit grayscale or palette PNGs (the palette index is the value); colour
// and alpha PNGs are refused (a colour is not a class id). At most
// `max_pixels` pixels are decoded.
//
// Errors: INVALID_ARGUMENT with a description fit for a field violation
// ("not a PNG, JPEG or TIFF image", "PNG: ... (libpng's words)", ...).
// The libraries' error paths are caught where they are called (longjmp
// from C frames that hold no C++ objects); nothing is printed.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fairtrace::annotations {

struct ImageInfo {
  std::string format;  // "png", "jpeg", "tiff"
  int64_t width = 0, height = 0;
  int bands = 0, bits = 0;
};

// Bytes enough for any PNG or JPEG header this reads (TIFF needs the
// whole file: its directory may sit at the end).
inline constexpr int64_t kHeaderPrefixBytes = int64_t{1} << 20;

// "" when `bytes` start like no image this reads; else the format.
std::string SniffImageFormat(absl::string_view bytes);

absl::StatusOr<ImageInfo> ReadImageInfo(absl::string_view bytes);

struct Mask {
  int64_t width = 0, height = 0;
  std::vector<uint16_t> pixels;  // row-major class ids
};
absl::StatusOr<Mask> DecodeMask(absl::string_view png, int64_t max_pixels);

// An image as 8-bit luma, Y = (299 R + 587 G + 114 B + 500) / 1000 of its
// 8-bit RGB (docs/splits.md, "Near duplicates"): PNG of any colour type
// (16-bit samples keep their high byte, alpha is dropped, palettes
// expanded) and JPEG (grayscale, RGB or YCbCr; CMYK refused), decoded by
// libjpeg-turbo with its scaled IDCT at the smallest 1/1, 1/2, 1/4 or 1/8
// scale that keeps at least `min_width` x `min_height` pixels, and turned
// upright by its EXIF orientation. TIFF and anything else: refused.
struct Gray {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major
};
absl::StatusOr<Gray> DecodeGray(absl::string_view bytes, int64_t max_pixels, int min_width = 1, int min_height = 1);

// A grayscale PNG of `mask` (8-bit when every id is < 256, else 16-bit);
// for tests and benchmarks.
std::string EncodeMaskPng(const Mask& mask);

}  // namespace fairtrace::annotations
