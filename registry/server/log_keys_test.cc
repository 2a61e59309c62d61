#include "registry/server/log_keys.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

namespace stdfs = std::filesystem;

TEST(LogKeysTest, CreatedOnceThenLoadedWithItsName) {
  testing::TempDir dir;
  auto first = LoadOrCreateLogKeys(dir.path(), "lab.example/log");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].name(), "lab.example/log");
  EXPECT_EQ(stdfs::status(dir.path() / "keys").permissions() & stdfs::perms::all, stdfs::perms::owner_all);
  auto again = LoadOrCreateLogKeys(dir.path(), "ignored-now");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].VerifierKey(), (*first)[0].VerifierKey());
  testing::TempDir other;
  auto generated = LoadOrCreateLogKeys(other.path(), "");
  ASSERT_TRUE(generated.ok());
  EXPECT_EQ((*generated)[0].name().rfind("fairtrace/", 0), 0u) << (*generated)[0].name();
}

TEST(LogKeysTest, RotationSignsWithBothThenWithTheNewKey) {
  testing::TempDir dir;
  EXPECT_FALSE(StartKeyRotation(dir.path(), "").ok());  // no key yet
  auto keys = LoadOrCreateLogKeys(dir.path(), "lab.example/log");
  ASSERT_TRUE(keys.ok());
  EXPECT_FALSE(FinishKeyRotation(dir.path()).ok());  // nothing in progress
  auto next = StartKeyRotation(dir.path(), "");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->name(), "lab.example/log");
  EXPECT_FALSE(StartKeyRotation(dir.path(), "").ok());  // one at a time
  auto both = LoadOrCreateLogKeys(dir.path(), "");
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].VerifierKey(), (*keys)[0].VerifierKey());
  EXPECT_EQ((*both)[1].VerifierKey(), next->VerifierKey());
  auto done = FinishKeyRotation(dir.path());
  ASSERT_TRUE(done.ok()) << done.status();
  auto after = LoadOrCreateLogKeys(dir.path(), "");
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].VerifierKey(), next->VerifierKey());
  bool retired = false;
  for (const auto& e : stdfs::directory_iterator(dir.path() / "keys")) {
    retired = retired || e.path().filename().string().rfind("checkpoint.retired-", 0) == 0;
  }
  EXPECT_TRUE(retired);
}

TEST(LogKeysTest, ADamagedKeyFileStopsTheStartWithItsPath) {
  testing::TempDir dir;
  ASSERT_TRUE(LoadOrCreateLogKeys(dir.path(), "log").ok());
  std::ofstream(dir.path() / "keys" / "checkpoint.key") << "name: log\nnot a pem\n";
  auto broken = LoadOrCreateLogKeys(dir.path(), "");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(broken.status().message().find("checkpoint.key"), std::string::npos);
  std::ofstream(dir.path() / "keys" / "checkpoint.key") << "-----BEGIN PRIVATE KEY-----\n";
  EXPECT_FALSE(LoadOrCreateLogKeys(dir.path(), "").ok());
}

}  // namespace
}  // namespace fairtrace
