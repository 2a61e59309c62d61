// Tests that need ../shared (or a file a Debian package of scripts/setup.sh
// installs): when it is missing they fail under .ci/run, which sets
// FAIRTRACE_REQUIRE_SHARED=1, and are skipped in a local run without it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace fairtrace::testing {

inline bool SharedRequired() {
  const char* v = std::getenv("FAIRTRACE_REQUIRE_SHARED");
  return v != nullptr && std::string(v) == "1";
}

}  // namespace fairtrace::testing

// Use at the top of a test body or SetUp(): fails (CI) or skips (local) the
// test when `path` does not exist.
#define FT_REQUIRE_PATH(required)                                                          \
  do {                                                                                     \
    const std::filesystem::path ft_required_path_ = std::filesystem::path(required);       \
    if (!std::filesystem::exists(ft_required_path_)) {                                     \
      if (::fairtrace::testing::SharedRequired()) {                                        \
        GTEST_FAIL() << ft_required_path_ << " is missing and FAIRTRACE_REQUIRE_SHARED=1"; \
      }                                                                                    \
      GTEST_SKIP() << ft_required_path_ << " not present";                                 \
    }                                                                                      \
  } while (0)
