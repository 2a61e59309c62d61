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
