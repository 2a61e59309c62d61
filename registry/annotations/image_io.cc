#include "registry/annotations/image_io.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <mutex>

// clang-format off
#include <png.h>
#include <jpeglib.h>
#include <tiffio.h>
// clang-format on

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace fairtrace::annotations {
namespace {

// ---- PNG ----------------------------------------------------------------
// libpng reports errors by longjmp. The functions that may jump (the ones
// calling setjmp) hold only plain C data, so no destructor is skipped.

struct PngInput {
  const unsigned char* data;
  size_t size, pos;
  char error[256];
};

void PngReadBytes(png_structp png, png_bytep out, size_t n) {
  auto* in = static_cast<PngInput*>(png_get_io_ptr(png));
  if (in->size - in->pos < n) png_error(png, "the file ends early");
  std::memcpy(out, in->data + in->pos, n);
  in->pos += n;
}

void PngError(png_structp png, png_const_charp message) {
  auto* in = static_cast<PngInput*>(png_get_error_ptr(png));
  std::snprintf(in->error, sizeof in->error, "%s", message);
  png_longjmp(png, 1);
}

void PngWarning(png_structp, png_const_charp) {}

struct PngHeader {
  png_uint_32 width, height;
  int bit_depth, color_type;
};

bool ReadPngHeader(png_structp png, png_infop info, PngHeader* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->bit_depth = png_get_bit_depth(png, info);
  out->color_type = png_get_color_type(png, info);
  return true;
}

bool ReadPngRows(png_structp png, png_infop info, int bit_depth, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  if (bit_depth < 8) png_set_packing(png);  // one byte per pixel, values kept
  if (bit_depth == 16) png_set_swap(png);   // little-endian uint16
  png_read_update_info(png, info);
  png_read_image(png, rows);
  return true;
}

bool ReadPngRgbRows(png_structp png, png_infop info, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_expand(png);    // palette -> RGB, gray < 8 bit -> 8 bit, tRNS -> alpha
  png_set_strip_16(png);  // 16-bit samples: their high byte
  png_set_strip_alpha(png);
  png_set_gray_to_rgb(png);
  png_read_update_info(png, info);
  png_read_image(png, rows);
  return true;
}

class PngReader final {
 public:
  explicit PngReader(absl::string_view bytes) {
    in_ = {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0, {}};
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, &in_, PngError, PngWarning);
    if (png_) info_ = png_create_info_struct(png_);
    if (png_ && info_) {
      png_set_read_fn(png_, &in_, PngReadBytes);
      png_set_user_limits(png_, 1 << 20, 1 << 20);
      png_set_chunk_malloc_max(png_, 8 << 20);
    }
  }
  ~PngReader() { png_destroy_read_struct(&png_, &info_, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;

  bool ok() const { return png_ && info_; }
  png_structp png() { return png_; }
  png_infop info() { return info_; }
  absl::Status Error() const {
    return absl::InvalidArgumentError(absl::StrCat("PNG: ", in_.error[0] ? in_.error : "cannot be read"));
  }

 private:
  PngInput in_;
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

int PngBands(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
    case PNG_COLOR_TYPE_PALETTE:
      return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      return 2;
    case PNG_COLOR_TYPE_RGB:
      return 3;
    default:
      return 4;
  }
}

// ---- JPEG ---------------------------------------------------------------

struct JpegError {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void JpegSilence(j_common_ptr) {}

bool ReadJpegHeader(const unsigned char* data, unsigned long size, JpegError* err, ImageInfo* out_pod_fields) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = JpegErrorExit;
  err->pub.output_message = JpegSilence;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  out_pod_fields->width = cinfo.image_width;
  out_pod_fields->height = cinfo.image_height;
  out_pod_fields->bands = cinfo.num_components;
  out_pod_fields->bits = cinfo.data_precision;
  jpeg_destroy_decompress(&cinfo);
  return true;
}

// The EXIF orientation (1-8) in a JPEG's APP1 markers; 1 when none.
int ExifOrientation(jpeg_decompress_struct* cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 || std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;
    const unsigned char* t = m->data + 6;
    const size_t n = m->data_length - 6;
    const bool le = t[0] == 'I';
    auto u16 = [&](size_t at) -> unsigned { return le ? t[at] | (t[at + 1] << 8) : (t[at] << 8) | t[at + 1]; };
    auto u32 = [&](size_t at) -> size_t {
      return le ? t[at] | (t[at + 1] << 8) | (t[at + 2] << 16) | (size_t{t[at + 3]} << 24)
                : (size_t{t[at]} << 24) | (t[at + 1] << 16) | (t[at + 2] << 8) | t[at + 3];
    };
    const size_t ifd = u32(4);
    if (ifd + 2 > n) return 1;
    const unsigned entries = u16(ifd);
    for (unsigned e = 0; e < entries && ifd + 2 + 12 * (e + 1) <= n; ++e) {
      const size_t at = ifd + 2 + 12 * e;
      if (u16(at) == 0x0112) {
        const unsigned v = u16(at + 8);
        return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
      }
    }
  }
  return 1;
}

struct JpegGrayOut {
  unsigned width, height;
  int orientation;
};

// Decodes to RGB rows in `*rgb` (grown by the caller's callback); plain C
// data only across setjmp.
bool DecodeJpegRgb(const unsigned char* data, unsigned long size, JpegError* err, int min_w, int min_h,
                   int64_t max_pixels, unsigned char* (*grow)(void*, size_t), void* grow_ctx, JpegGrayOut* out) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = JpegErrorExit;
  err->pub.output_message = JpegSilence;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    std::snprintf(err->message, sizeof err->message, "CMYK JPEG images are not decoded");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  if (static_cast<int64_t>(cinfo.image_width) * cinfo.image_height > max_pixels) {
    std::snprintf(err->message, sizeof err->message, "%ux%u pixels; at most %lld are decoded", cinfo.image_width,
                  cinfo.image_height, static_cast<long long>(max_pixels));
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  out->orientation = ExifOrientation(&cinfo);
  cinfo.out_color_space = JCS_RGB;
  cinfo.scale_num = 1;
  cinfo.scale_denom = 1;
  for (unsigned d : {8u, 4u, 2u}) {
    if (cinfo.image_width / d >= static_cast<unsigned>(min_w) &&
        cinfo.image_height / d >= static_cast<unsigned>(min_h)) {
      cinfo.scale_denom = d;
      break;
    }
  }
  jpeg_start_decompress(&cinfo);
  out->width = cinfo.output_width;
  out->height = cinfo.output_height;
  unsigned char* rgb = grow(grow_ctx, static_cast<size_t>(out->width) * out->height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = rgb + static_cast<size_t>(cinfo.output_scanline) * out->width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

unsigned char* GrowVector(void* ctx, size_t n) {
  auto* v = static_cast<std::vector<unsigned char>*>(ctx);
  v->resize(n);
  return v->data();
}

Gray LumaOf(const std::vector<unsigned char>& rgb, int64_t w, int64_t h) {
  Gray g{w, h, std::vector<uint8_t>(static_cast<size_t>(w * h))};
  for (size_t i = 0; i < g.pixels.size(); ++i) {
    const unsigned r = rgb[3 * i], gr = rgb[3 * i + 1], b = rgb[3 * i + 2];
    g.pixels[i] = static_cast<uint8_t>((299 * r + 587 * gr + 114 * b + 500) / 1000);
  }
  return g;
}

// EXIF orientation 2-8 applied: the image as it is meant to be seen.
Gray Upright(Gray in, int orientation) {
  if (orientation <= 1 || orientation > 8) return in;
  const bool swap = orientation >= 5;
  Gray out{swap ? in.height : in.width, swap ? in.width : in.height, std::vector<uint8_t>(in.pixels.size())};
  for (int64_t y = 0; y < out.height; ++y) {
    for (int64_t x = 0; x < out.width; ++x) {
      int64_t sx = 0, sy = 0;  // the stored pixel shown at (x, y)
      switch (orientation) {
        case 2:
          sx = in.width - 1 - x;
          sy = y;
          break;
        case 3:
          sx = in.width - 1 - x;
          sy = in.height - 1 - y;
          break;
        case 4:
          sx = x;
          sy = in.height - 1 - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = in.height - 1 - x;
          break;
        case 7:
          sx = in.width - 1 - y;
          sy = in.height - 1 - x;
          break;
        case 8:
          sx = in.width - 1 - y;
          sy = x;
          break;
      }
      out.pixels[y * out.width + x] = in.pixels[sy * in.width + sx];
    }
  }
  return out;
}

// ---- TIFF ---------------------------------------------------------------

struct TiffInput {
  const char* data;
  toff_t size, pos;
};

tsize_t TiffRead(thandle_t h, tdata_t out, tsize_t n) {
  auto* in = static_cast<TiffInput*>(h);
  if (n < 0 || in->pos >= in->size) return 0;
  const toff_t take = std::min<toff_t>(static_cast<toff_t>(n), in->size - in->pos);
  std::memcpy(out, in->data + in->pos, take);
  in->pos += take;
  return static_cast<tsize_t>(take);
}
tsize_t TiffWrite(thandle_t, tdata_t, tsize_t) { return -1; }
toff_t TiffSeek(thandle_t h, toff_t off, int whence) {
  auto* in = static_cast<TiffInput*>(h);
  toff_t base = whence == SEEK_CUR ? in->pos : whence == SEEK_END ? in->size : 0;
  in->pos = base + off;  // past the end (or wrapped) is allowed: reads there return nothing
  return in->pos;
}
int TiffClose(thandle_t) { return 0; }
toff_t TiffSize(thandle_t h) { return static_cast<TiffInput*>(h)->size; }
int TiffMap(thandle_t, tdata_t*, toff_t*) { return 0; }
void TiffUnmap(thandle_t, tdata_t, toff_t) {}

absl::StatusOr<ImageInfo> ReadTiffInfo(absl::string_view bytes) {
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    // libtiff prints errors and warnings on stderr unless told otherwise.
    TIFFSetErrorHandler(nullptr);
    TIFFSetWarningHandler(nullptr);
  });
  TiffInput in{bytes.data(), bytes.size(), 0};
  TIFF* tif =
      TIFFClientOpen("image", "rm", &in, TiffRead, TiffWrite, TiffSeek, TiffClose, TiffSize, TiffMap, TiffUnmap);
  if (tif == nullptr) return absl::InvalidArgumentError("TIFF: the header or first directory cannot be read");
  uint32_t width = 0, height = 0;
  uint16_t bands = 1, bits = 1;
  bool ok = TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) == 1 && TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height) == 1;
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &bands);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFClose(tif);
  if (!ok) return absl::InvalidArgumentError("TIFF: no image width or length");
  return ImageInfo{"tiff", width, height, bands, bits};
}

}  // namespace

std::string SniffImageFormat(absl::string_view b) {
  if (absl::StartsWith(b, "\x89PNG\r\n\x1a\n")) return "png";
  if (absl::StartsWith(b, "\xff\xd8\xff")) return "jpeg";
  if (absl::StartsWith(b, absl::string_view("II*\0", 4)) || absl::StartsWith(b, absl::string_view("MM\0*", 4)) ||
      absl::StartsWith(b, absl::string_view("II+\0", 4)) || absl::StartsWith(b, absl::string_view("MM\0+", 4))) {
    return "tiff";
  }
  return "";
}

absl::StatusOr<ImageInfo> ReadImageInfo(absl::string_view bytes) {
  const std::string format = SniffImageFormat(bytes);
  if (format == "png") {
    PngReader r(bytes);
    if (!r.ok()) return absl::ResourceExhaustedError("PNG: cannot allocate a reader");
    PngHeader h{};
    if (!ReadPngHeader(r.png(), r.info(), &h)) return r.Error();
    return ImageInfo{"png", h.width, h.height, PngBands(h.color_type), h.bit_depth};
  }
  if (format == "jpeg") {
    JpegError err{};
    ImageInfo info;
    if (!ReadJpegHeader(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), &err, &info)) {
      return absl::InvalidArgumentError(absl::StrCat("JPEG: ", err.message));
    }
    info.format = "jpeg";
    return info;
  }
  if (format == "tiff") return ReadTiffInfo(bytes);
  return absl::InvalidArgumentError("not a PNG, JPEG or TIFF image");
}

absl::StatusOr<Mask> DecodeMask(absl::string_view bytes, int64_t max_pixels) {
  if (SniffImageFormat(bytes) != "png") return absl::InvalidArgumentError("a mask must be a PNG image");
  PngReader r(bytes);
  if (!r.ok()) return absl::ResourceExhaustedError("PNG: cannot allocate a reader");
  PngHeader h{};
  if (!ReadPngHeader(r.png(), r.info(), &h)) return r.Error();
  if (h.color_type != PNG_COLOR_TYPE_GRAY && h.color_type != PNG_COLOR_TYPE_PALETTE) {
    return absl::InvalidArgumentError(
        "a mask must be a grayscale or palette PNG whose pixel value is the class id (this one has colour or alpha "
        "channels)");
  }
  const int64_t pixels = static_cast<int64_t>(h.width) * h.height;
  if (pixels > max_pixels) {
    return absl::InvalidArgumentError(
        absl::StrCat("the mask has ", h.width, "x", h.height, " pixels; at most ", max_pixels, " are decoded"));
  }
  const size_t stride = h.bit_depth == 16 ? 2 * h.width : h.width;
  std::vector<unsigned char> raw(stride * h.height);
  std::vector<png_bytep> rows(h.height);
  for (png_uint_32 y = 0; y < h.height; ++y) rows[y] = raw.data() + y * stride;
  if (!ReadPngRows(r.png(), r.info(), h.bit_depth, rows.data())) return r.Error();
  Mask m;
  m.width = h.width;
  m.height = h.height;
  m.pixels.resize(static_cast<size_t>(pixels));
  if (h.bit_depth == 16) {
    std::memcpy(m.pixels.data(), raw.data(), raw.size());
  } else {
    for (size_t i = 0; i < raw.size(); ++i) m.pixels[i] = raw[i];
  }
  return m;
}

absl::StatusOr<Gray> DecodeGray(absl::string_view bytes, int64_t max_pixels, int min_width, int min_height) {
  const std::string format = SniffImageFormat(bytes);
  if (format == "png") {
    PngReader r(bytes);
    if (!r.ok()) return absl::ResourceExhaustedError("PNG: cannot allocate a reader");
    PngHeader h{};
    if (!ReadPngHeader(r.png(), r.info(), &h)) return r.Error();
    if (static_cast<int64_t>(h.width) * h.height > max_pixels) {
      return absl::InvalidArgumentError(
          absl::StrCat("PNG: ", h.width, "x", h.height, " pixels; at most ", max_pixels, " are decoded"));
    }
    std::vector<unsigned char> rgb(static_cast<size_t>(h.width) * h.height * 3);
    std::vector<png_bytep> rows(h.height);
    for (png_uint_32 y = 0; y < h.height; ++y) rows[y] = rgb.data() + static_cast<size_t>(y) * h.width * 3;
    if (!ReadPngRgbRows(r.png(), r.info(), rows.data())) return r.Error();
    return LumaOf(rgb, h.width, h.height);
  }
  if (format == "jpeg") {
    JpegError err{};
    JpegGrayOut out{};
    std::vector<unsigned char> rgb;
    if (!DecodeJpegRgb(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), &err, min_width, min_height,
                       max_pixels, GrowVector, &rgb, &out)) {
      return absl::InvalidArgumentError(absl::StrCat("JPEG: ", err.message));
    }
    return Upright(LumaOf(rgb, out.width, out.height), out.orientation);
  }
  if (format == "tiff") return absl::InvalidArgumentError("TIFF images are not decoded for perceptual hashes");
  return absl::InvalidArgumentError("not a PNG or JPEG image");
}

std::string EncodeMaskPng(const Mask& mask) {
  bool wide = false;
  for (uint16_t v : mask.pixels) wide = wide || v > 255;
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(mask.width);
  image.height = static_cast<png_uint_32>(mask.height);
  image.format = wide ? PNG_FORMAT_LINEAR_Y : PNG_FORMAT_GRAY;
  std::vector<uint8_t> narrow;
  const void* data = mask.pixels.data();
  if (!wide) {
    narrow.assign(mask.pixels.begin(), mask.pixels.end());
    data = narrow.data();
  }
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, data, 0, nullptr)) return "";
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, data, 0, nullptr)) return "";
  out.resize(size);
  return out;
}

}  // namespace fairtrace::annotations
