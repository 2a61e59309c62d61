#include "registry/annotations/image_io.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"

// clang-format off
#include <png.h>
#include <jpeglib.h>
#include <tiffio.h>
// clang-format on

namespace fairtrace::annotations {
namespace {

Mask Ramp(int64_t w, int64_t h, uint16_t scale) {
  Mask m{w, h, {}};
  for (int64_t i = 0; i < w * h; ++i) m.pixels.push_back(static_cast<uint16_t>((i % 7) * scale));
  return m;
}

TEST(DecodeMask, RoundTripsEightAndSixteenBit) {
  for (uint16_t scale : {1, 1000}) {
    Mask m = Ramp(33, 17, scale);
    std::string png = EncodeMaskPng(m);
    ASSERT_FALSE(png.empty());
    absl::StatusOr<Mask> back = DecodeMask(png, 1 << 20);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->width, 33);
    EXPECT_EQ(back->height, 17);
    EXPECT_EQ(back->pixels, m.pixels);
    absl::StatusOr<ImageInfo> info = ReadImageInfo(png);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->format, "png");
    EXPECT_EQ(info->bits, scale == 1 ? 8 : 16);
  }
}

TEST(DecodeMask, RefusesTooManyPixelsTruncatedAndNonPng) {
  std::string png = EncodeMaskPng(Ramp(100, 100, 1));
  absl::StatusOr<Mask> big = DecodeMask(png, 9'999);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("at most 9999"), std::string::npos);
  absl::StatusOr<Mask> cut = DecodeMask(png.substr(0, png.size() / 2), 1 << 20);
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(cut.status().message().find("PNG: "), std::string::npos);
  EXPECT_EQ(DecodeMask("GIF89a....", 100).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadImageInfo("hello").status().message(), "not a PNG, JPEG or TIFF image");
}

TEST(DecodeMask, RefusesColourPngs) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = 4;
  image.height = 2;
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> rgb(4 * 2 * 3, 9);
  png_alloc_size_t size = 1 << 16;
  std::string png(size, '\0');
  ASSERT_TRUE(png_image_write_to_memory(&image, png.data(), &size, 0, rgb.data(), 0, nullptr));
  png.resize(size);
  absl::StatusOr<Mask> m = DecodeMask(png, 100);
  EXPECT_NE(m.status().message().find("grayscale or palette"), std::string::npos);
  absl::StatusOr<ImageInfo> info = ReadImageInfo(png);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->bands, 3);
}

TEST(ReadImageInfo, JpegHeader) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &out, &size);
  c.image_width = 40;
  c.image_height = 24;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_start_compress(&c, TRUE);
  std::vector<unsigned char> row(40 * 3, 128);
  while (c.next_scanline < c.image_height) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string jpeg(reinterpret_cast<char*>(out), size);
  free(out);
  absl::StatusOr<ImageInfo> info = ReadImageInfo(jpeg);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->format, "jpeg");
  EXPECT_EQ(info->width, 40);
  EXPECT_EQ(info->height, 24);
  EXPECT_EQ(info->bands, 3);
  // Only the start of a JPEG: its header is read, no crash on the rest.
  EXPECT_TRUE(absl::StartsWith(ReadImageInfo(jpeg.substr(0, 4)).status().message(), "JPEG: "));
}

TEST(ReadImageInfo, SixteenBitMultiBandTiff) {
  std::filesystem::path path = std::filesystem::temp_directory_path() / "fairtrace_image_io_test.tif";
  TIFF* t = TIFFOpen(path.c_str(), "w");
  ASSERT_NE(t, nullptr);
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 30);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, 10);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 5);
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  std::vector<uint16_t> row(30 * 5, 7);
  for (uint32_t y = 0; y < 10; ++y) TIFFWriteScanline(t, row.data(), y, 0);
  TIFFClose(t);
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::remove(path);
  absl::StatusOr<ImageInfo> info = ReadImageInfo(bytes.str());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->format, "tiff");
  EXPECT_EQ(info->width, 30);
  EXPECT_EQ(info->height, 10);
  EXPECT_EQ(info->bands, 5);
  EXPECT_EQ(info->bits, 16);
  EXPECT_EQ(ReadImageInfo(bytes.str().substr(0, 8)).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fairtrace::annotations
