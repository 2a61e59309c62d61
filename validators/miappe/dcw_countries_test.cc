// Country outlines from Debian's gmt-dcw (installed by scripts/setup.sh).
#include "validators/miappe/dcw_countries.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include "tests/testing/shared.h"

namespace fairtrace::miappe {
namespace {

class DcwCountriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FT_REQUIRE_PATH(kDefaultDcwPath);
    auto opened = DcwCountries::Open();
    ASSERT_TRUE(opened.ok()) << opened.status();
    dcw_ = *std::move(opened);
  }
  std::unique_ptr<DcwCountries> dcw_;
};

TEST_F(DcwCountriesTest, PointsFallInTheirCountries) {
  EXPECT_EQ(dcw_->Near("FR", 48.85, 2.35, 0.0), true);  // Paris
  EXPECT_EQ(dcw_->Near("IT", 48.85, 2.35, 0.0), false);
  EXPECT_EQ(dcw_->Near("IT", 44.70, 7.70, 0.0), true);     // Cavallermaggiore
  EXPECT_EQ(dcw_->Near("IT", 44.70, 1.87, 0.1), false);    // the POPYOMICS site as written
  EXPECT_EQ(dcw_->Near("cl", -34.06, -70.73, 0.0), true);  // Graneros; Chile's outline is in 0..360
  EXPECT_EQ(dcw_->Near("JP", 36.06, 140.10, 0.0), true);   // Tsukuba
  EXPECT_EQ(dcw_->Near("FR", 45.0, -30.0, 0.1), false);    // mid-Atlantic
  EXPECT_EQ(dcw_->Near("ZZ", 0, 0, 0.1), std::nullopt);    // no such outline
  EXPECT_EQ(dcw_->Near("F", 0, 0, 0.1), std::nullopt);
  // Whatever gmt-dcw version Debian ships: "DCW-GMT <major>.<minor>[.<patch>]".
  EXPECT_THAT(dcw_->Snapshot(), ::testing::MatchesRegex("DCW-GMT [0-9]+\\.[0-9]+(\\.[0-9]+)?"));
}

TEST_F(DcwCountriesTest, ToleranceReachesJustOutsideTheOutline) {
  // Just off the Atlantic coast of Brittany.
  EXPECT_EQ(dcw_->Near("FR", 48.40, -4.90, 0.0), false);
  EXPECT_EQ(dcw_->Near("FR", 48.40, -4.90, 0.5), true);
}

TEST(DcwCountriesOpen, MissingOrWrongFilesAreErrors) {
  EXPECT_FALSE(DcwCountries::Open("/nonexistent/dcw.nc").ok());
  std::string junk = (std::filesystem::temp_directory_path() / "not-dcw.nc").string();
  std::ofstream(junk) << "not netCDF";
  EXPECT_FALSE(DcwCountries::Open(junk).ok());
  std::filesystem::remove(junk);
}

// The CLI opens the outlines only when a site has coordinates to check.
TEST(LazyDcwCountries, OpensOnFirstUseAndSaysWhyNot) {
  FT_REQUIRE_PATH(kDefaultDcwPath);
  LazyDcwCountries lazy;
  EXPECT_FALSE(lazy.opened());
  EXPECT_EQ(lazy.Snapshot(), "");  // nothing used yet
  EXPECT_EQ(lazy.Near("FR", 48.85, 2.35, 0.0), true);
  EXPECT_TRUE(lazy.opened());
  EXPECT_THAT(lazy.Snapshot(), ::testing::StartsWith("DCW-GMT "));
  EXPECT_TRUE(lazy.error().ok());

  LazyDcwCountries missing("/nonexistent/dcw.nc");
  EXPECT_EQ(missing.Near("FR", 48.85, 2.35, 0.0), std::nullopt);
  EXPECT_FALSE(missing.opened());
  EXPECT_EQ(missing.error().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.Snapshot(), "");
}

}  // namespace
}  // namespace fairtrace::miappe
