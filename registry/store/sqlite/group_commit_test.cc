// Group commit under faults (issue 8, item 7): a write that throws, or whose
// savepoint cannot be undone, never commits in part and never leaves later
// writers waiting.
#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "registry/store/sqlite/db.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteBackend::Open({.path = (dir_.path() / "t.db").string()});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  static AuditEntry Entry(const std::string& r) { return AuditEntry{"p", "/m", r, std::string(64, '0'), "OK"}; }
  std::vector<std::string> AuditedResources() {
    auto r = store_->content()->ListAudit(0, 1000);
    EXPECT_TRUE(r.ok());
    std::vector<std::string> out;
    for (const auto& a : *r) out.push_back(a.entry.resource);
    return out;
  }
  testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
};

TEST_F(GroupCommitTest, AThrowingWriteIsInternalAndLeavesNothing) {
  absl::Status s =
      store_->database()->WriteWithAudit(Entry("thrower"), [](sqlite::Db* db, AuditEntry&) -> absl::Status {
        EXPECT_TRUE(db->Exec("INSERT INTO server_secrets (name, value) VALUES ('half', 'done')").ok());
        throw std::runtime_error("boom");
      });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  // The next writer is not left waiting, and the thrower's row is gone.
  ASSERT_OK(store_->content()->AppendAudit(Entry("after")));
  EXPECT_EQ(AuditedResources(), std::vector<std::string>{"after"});
  auto secret = store_->models()->GetOrCreateSecret("half", [] { return std::string("fresh"); });
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret, "fresh");
}

TEST_F(GroupCommitTest, ASavepointThatCannotBeUndoneAbandonsTheWholeGroup) {
  // The write releases its own savepoint and then fails: ROLLBACK TO cannot
  // undo its row, so nothing of the group may commit.
  absl::Status s = store_->database()->WriteWithAudit(Entry("sneaky"), [](sqlite::Db* db, AuditEntry&) -> absl::Status {
    EXPECT_TRUE(db->Exec("INSERT INTO server_secrets (name, value) VALUES ('sneaky', 'x')").ok());
    EXPECT_TRUE(db->Exec("RELEASE write").ok());
    return absl::InvalidArgumentError("refused after all");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  ASSERT_OK(store_->content()->AppendAudit(Entry("after")));
  EXPECT_EQ(AuditedResources(), std::vector<std::string>{"after"});
  auto secret = store_->models()->GetOrCreateSecret("sneaky", [] { return std::string("fresh"); });
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret, "fresh");
}

TEST_F(GroupCommitTest, ConcurrentWritersWithThrowersAllFinish) {
  constexpr int kThreads = 8, kPerThread = 50;
  std::atomic<int> ok{0}, internal{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        bool throws = (i + t) % 5 == 0;
        absl::Status s =
            store_->database()->WriteWithAudit(Entry("w"), [throws](sqlite::Db*, AuditEntry&) -> absl::Status {
              if (throws) throw std::runtime_error("boom");
              return absl::OkStatus();
            });
        (s.ok() ? ok : internal)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok + internal, kThreads * kPerThread);
  EXPECT_EQ(internal.load(), kThreads * kPerThread / 5);
  EXPECT_EQ(static_cast<int>(AuditedResources().size()), ok.load());
}

}  // namespace
}  // namespace fairtrace
