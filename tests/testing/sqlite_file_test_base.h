// A test fixture over one SQLite database file in a temporary folder: open
// it as a backend (migrated, anchored), edit it behind the backend's back,
// and make audit entries. For the store's own tests only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "registry/store/sqlite/db.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {

class SqliteFileTestBase : public ::testing::Test {
 protected:
  std::string path() const { return (dir_.path() / "t.db").string(); }
  std::unique_ptr<SqliteBackend> Open() {
    auto s = SqliteBackend::Open({.path = path()});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  // Runs SQL on the file directly, as someone with the file would.
  void Exec(const std::string& sql) {
    auto db = sqlite::Db::Open(path());
    ASSERT_TRUE(db.ok());
    ASSERT_OK((*db)->Exec(sql));
  }
  static AuditEntry Entry(const std::string& r) { return AuditEntry{"p", "/m", r, std::string(64, '0'), "OK"}; }
  testing::TempDir dir_;
};

}  // namespace fairtrace
