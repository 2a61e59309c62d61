#include "common/content/sha256.h"

#include <gtest/gtest.h>

namespace fairtrace {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShotAndResets) {
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.FinishHex(), Sha256Hex("abc"));
  h.Update("abc");  // reused after Finish
  EXPECT_EQ(h.FinishHex(), Sha256Hex("abc"));
}

TEST(Hex, RoundTripAndRejects) {
  uint8_t b[2];
  EXPECT_TRUE(FromHex("0aff", b, 2));
  EXPECT_EQ(ToHex(b, 2), "0aff");
  EXPECT_FALSE(FromHex("0AFF", b, 2));  // uppercase is not canonical
  EXPECT_FALSE(FromHex("0af", b, 2));
  EXPECT_FALSE(FromHex("0axf", b, 2));
}

}  // namespace
}  // namespace fairtrace
