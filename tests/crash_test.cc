// Crash safety: SIGKILL the real server in the middle of a large streamed
// upload and in the middle of batches, restart it, and check that fsck is
// clean, no partial blob is visible, the upload resumes from its committed
// offset, and the audit chain verifies.
#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/testing/server_fixture.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace::testing {
namespace {

class CrashTest : public ServerFixture {
 protected:
  void ExpectConsistent() {
    ASSERT_OK_AND_ASSIGN(auto fsck, client_->Fsck());
    EXPECT_EQ(fsck.problem_count(), 0);
    for (const auto& p : fsck.problems()) ADD_FAILURE() << p.kind() << " " << p.subject() << " " << p.detail();
    ASSERT_OK_AND_ASSIGN(int64_t records, client_->VerifyAuditChain());
    EXPECT_GT(records, 0);
  }
};

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (size_t i = 0; i < n; i += 4) {
    uint32_t v = rng();
    for (size_t k = 0; k < 4 && i + k < n; ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

TEST_F(CrashTest, KillDuringStreamedUploadThenResume) {
  const std::string data = Pattern(64 << 20, 1);
  const Digest d = DigestOf(data);
  ASSERT_OK(client_->UploadBatch({{DigestOf("before"), "before"}}));  // something to audit
  std::atomic<int64_t> sent{0};
  std::thread uploader([&] {
    // Slow reader: ~1 MiB every 10 ms, so the kill lands mid-stream.
    auto st = client_->UploadStream(
        "crash-upload", d, 0,
        [&](int64_t off, size_t n) -> absl::StatusOr<std::string> {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          return data.substr(off, n);
        },
        [&](int64_t n) { sent += n; });
    EXPECT_FALSE(st.ok());  // the server died under it
  });
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sent < (20 << 20) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(sent.load(), 20 << 20) << "upload did not progress within 60 s";
  server_->Kill();
  uploader.join();

  Restart();
  ASSERT_OK_AND_ASSIGN(auto missing, client_->FindMissing({d}));
  EXPECT_EQ(missing.size(), 1u) << "a partial blob must never be visible";
  ASSERT_OK_AND_ASSIGN(auto st, client_->QueryWriteStatus("crash-upload", d));
  EXPECT_FALSE(st.complete());
  EXPECT_GT(st.committed_size(), 0);
  EXPECT_LE(st.committed_size(), sent.load());
  ExpectConsistent();

  ASSERT_OK(client_->UploadStream(
      "crash-upload", d, st.committed_size(),
      [&](int64_t off, size_t n) -> absl::StatusOr<std::string> { return data.substr(off, n); }, nullptr));
  ASSERT_OK_AND_ASSIGN(missing, client_->FindMissing({d}));
  EXPECT_TRUE(missing.empty());
  ExpectConsistent();
  ASSERT_OK_AND_ASSIGN(auto fsck, client_->Fsck());
  EXPECT_EQ(fsck.partial_uploads(), 0);
}

TEST_F(CrashTest, KillDuringBatchesLeavesWholeBlobsOrNothing) {
  for (int round = 0; round < 4; ++round) {
    std::atomic<int> completed{0};
    std::vector<Digest> sent;  // every digest offered to the server
    std::mutex mu;
    std::thread uploader([&] {
      for (int k = 0;; ++k) {
        std::vector<std::pair<Digest, std::string>> batch;
        for (int i = 0; i < 1000; ++i) {
          std::string s = Pattern(4096, (round * 1000 + k) * 1000 + i);
          batch.emplace_back(DigestOf(s), std::move(s));
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          for (const auto& [d, s] : batch) sent.push_back(d);
        }
        if (!client_->UploadBatch(batch).ok()) return;
        ++completed;
      }
    });
    // Let some batches commit, then kill at a varying point of the next one.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (completed < 1 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_GE(completed.load(), 1) << "no batch committed within 60 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(3 + 11 * round));
    server_->Kill();
    uploader.join();
    Restart();
    // Every blob is either visible and intact, or absent.
    ASSERT_OK_AND_ASSIGN(auto missing, client_->FindMissing(sent));
    EXPECT_LE(missing.size(), sent.size() - 1000) << "the first batch had committed";
    std::set<Digest> gone(missing.begin(), missing.end());
    std::vector<Digest> present;
    for (const Digest& d : sent) {
      if (!gone.count(d) && present.size() < 500) present.push_back(d);
    }
    ASSERT_OK_AND_ASSIGN(auto back, client_->BatchRead(present));
    for (size_t i = 0; i < present.size(); ++i) EXPECT_EQ(DigestOf(back[i]), present[i]);
    ExpectConsistent();
  }
}

}  // namespace
}  // namespace fairtrace::testing
