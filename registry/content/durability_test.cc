// Durability below the process: faults a crash test (SIGKILL) cannot make —
// a failed fsync, a failed rename, a short write, ENOSPC — injected at every
// step of a write, in the blob files (BlobStore through fs::Env) and in the
// database (SQLite through the Env VFS shim). After each fault, with the
// disk healthy again and everything reopened as after a restart:
//   - nothing acknowledged is lost: every blob whose write returned OK
//     reads back, byte for byte;
//   - nothing partial becomes visible: a blob is either missing or reads
//     back whole and verified (fsck finds no blob file with wrong bytes);
//   - the same write succeeds when retried.
#include <iostream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/fs/fault_injection_env.h"
#include "registry/cas/blob_store.h"
#include "registry/content/content_store.h"
#include "registry/content/fsck.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using Op = fs::Env::Op;
using Fault = fs::FaultInjectionEnv::Fault;

// The VFS shim keeps a pointer to the env for the life of the process.
fs::FaultInjectionEnv* Env() {
  static auto* env = new fs::FaultInjectionEnv();
  return env;
}

class Registry {
 public:
  explicit Registry(const std::filesystem::path& dir) {
    backend_ = *SqliteBackend::Open({.path = (dir / "db").string(), .env = Env()});
    blobs_ = *BlobStore::Open(dir / "cas", Env());
    CasLimits limits;
    limits.max_blob_size = 1 << 24;
    limits.max_batch_bytes = 1 << 20;
    cas_ = std::make_unique<ContentStore>(backend_->content(), blobs_.get(), limits);
  }
  ContentStore* cas() { return cas_.get(); }
  Store* store() { return backend_->content(); }
  BlobStore* blobs() { return blobs_.get(); }

 private:
  std::unique_ptr<SqliteBackend> backend_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ContentStore> cas_;
};

const CallContext kCtx{"user:t", "/test", std::string(64, 'c')};

// Stores `data` with BatchUpdate (a pack file) or a resumable Write (a
// loose file); OK only when the blob was acknowledged.
absl::Status Put(ContentStore* cas, const std::string& data, bool streamed, const std::string& upload_id) {
  Digest d = DigestOf(data);
  if (!streamed) {
    std::vector<std::pair<Digest, absl::string_view>> items = {{d, data}};
    auto r = cas->BatchUpdate(kCtx, items);
    if (!r.ok()) return r.status();
    return (*r)[0];
  }
  auto start = cas->BeginWrite(kCtx, UploadResourceName(upload_id, d), 0);
  if (!start.ok()) return start.status();
  if (!start->session) return absl::OkStatus();  // already stored
  if (absl::Status s = start->session->Append(0, data); !s.ok()) return s;
  return start->session->Finish().status();
}

// What a fault may leave: the blob missing, or whole.
void ExpectMissingOrWhole(Registry& r, const std::string& data, const std::string& what) {
  auto missing = r.cas()->FindMissing({DigestOf(data)});
  ASSERT_TRUE(missing.ok()) << what << ": " << missing.status();
  if (missing->empty()) {
    auto bytes = r.cas()->ReadBlob(DigestOf(data), 1 << 24);
    ASSERT_TRUE(bytes.ok()) << what << ": visible but unreadable: " << bytes.status();
    EXPECT_EQ(*bytes, data) << what << ": visible with other bytes";
  }
}

struct Step {
  Op op;
  Fault fault;
  const char* name;
};

class DurabilityTest : public ::testing::TestWithParam<bool> {};  // streamed?

TEST_P(DurabilityTest, EveryFaultAtEveryStepLosesNothingAcknowledgedAndShowsNothingPartial) {
  const bool streamed = GetParam();
  const Step steps[] = {{Op::kOpen, Fault::kError, "open"},
                        {Op::kWrite, Fault::kError, "write EIO"},
                        {Op::kWrite, Fault::kNoSpace, "short write ENOSPC"},
                        {Op::kSync, Fault::kError, "fsync"},
                        {Op::kSyncDir, Fault::kError, "fsync of a folder"},
                        {Op::kRename, Fault::kError, "rename"}};
  const std::string acked = std::string(200 << 10, 'a');  // stored before any fault
  int faults_injected = 0;
  std::string summary;
  for (const Step& step : steps) {
    int of_this_step = 0;
    for (int nth = 1;; ++nth) {
      SCOPED_TRACE(absl::StrCat(step.name, " #", nth, streamed ? " (Write)" : " (BatchUpdate)"));
      testing::TempDir dir;
      const std::string data = absl::StrCat(std::string(300 << 10, 'n'), step.name, nth);
      {
        Registry r(dir.path());
        Env()->Disarm();
        ASSERT_OK(Put(r.cas(), acked, streamed, "u0"));
        Env()->Arm({step.op, nth, step.fault, "", /*sticky=*/false});
        absl::Status s = Put(r.cas(), data, streamed, "u1");
        bool fired = Env()->fired();
        Env()->Disarm();
        if (!fired) {
          ASSERT_OK(s);  // past the write's last call of this kind
          absl::StrAppend(&summary, " ", step.name, ": ", of_this_step, ";");
          break;
        }
        ++faults_injected;
        ++of_this_step;
        if (s.ok()) {
          // The fault hit a step after the point of no return (a later
          // cleanup): acknowledged, so it must survive the restart below.
          ASSERT_OK(r.cas()->FindMissing({DigestOf(data)}).status());
        }
        ExpectMissingOrWhole(r, data, "before restart");
      }
      // The disk is healthy again; a restart reopens everything.
      Registry r(dir.path());
      auto acked_bytes = r.cas()->ReadBlob(DigestOf(acked), 1 << 24);
      ASSERT_TRUE(acked_bytes.ok()) << "an acknowledged blob was lost: " << acked_bytes.status();
      EXPECT_EQ(*acked_bytes, acked);
      ExpectMissingOrWhole(r, data, "after restart");
      auto report = RunFsck(*r.store(), *r.blobs());
      ASSERT_TRUE(report.ok()) << report.status();
      EXPECT_TRUE(report->clean()) << report->problems.front().kind << " " << report->problems.front().subject;
      // And the write succeeds when retried.
      ASSERT_OK(Put(r.cas(), data, streamed, "u2"));
      auto bytes = r.cas()->ReadBlob(DigestOf(data), 1 << 24);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      EXPECT_EQ(*bytes, data);
      ASSERT_LT(nth, 200) << "the write never ran out of calls to fail";
    }
  }
  // Each kind of fault reached some step of the write (the env is wired in).
  EXPECT_GE(faults_injected, 6);
  std::cout << "faults injected (calls failed, each in a fresh registry):" << summary << "\n";
}

// A tree registered with its manifest kept in the database (PutTree, the
// MLflow door's folders) is one transaction: whatever write or sync of the
// database fails, after a restart the tree and its manifest are there
// together (and read back) or neither is, fsck is clean, and a retry works.
TEST(TreeDurabilityTest, AManifestKeptInTheDatabaseGoesWithItsTreeOrNotAtAll) {
  const Step steps[] = {{Op::kWrite, Fault::kError, "write EIO"},
                        {Op::kWrite, Fault::kNoSpace, "short write ENOSPC"},
                        {Op::kSync, Fault::kError, "fsync"}};
  int faults_injected = 0;
  for (const Step& step : steps) {
    for (int nth = 1;; ++nth) {
      SCOPED_TRACE(absl::StrCat(step.name, " #", nth));
      testing::TempDir dir;
      const std::string file = absl::StrCat("weights after ", step.name, nth);
      const std::string manifest = *EncodeTree({{"model.bin", DigestOf(file), false}});
      const Digest tree = DigestOf(manifest);
      {
        Registry r(dir.path());
        Env()->Disarm();
        ASSERT_OK(Put(r.cas(), file, false, "u0"));
        Env()->Arm({step.op, nth, step.fault, "", /*sticky=*/false});
        absl::StatusOr<Digest> s = r.cas()->PutTree(kCtx, manifest);
        const bool fired = Env()->fired();
        Env()->Disarm();
        if (!fired) {
          ASSERT_OK(s.status());  // past the write's last call of this kind
          break;
        }
        ++faults_injected;
      }
      Registry r(dir.path());
      ASSERT_OK_AND_ASSIGN(std::optional<TreeRow> row, r.store()->GetTree(tree));
      ASSERT_OK_AND_ASSIGN(std::vector<Digest> missing, r.cas()->FindMissing({tree}));
      EXPECT_EQ(row.has_value(), missing.empty()) << "a tree without its manifest, or the reverse";
      if (row) {
        EXPECT_EQ(*r.cas()->ReadBlob(tree, 1 << 20), manifest);
      }
      auto report = RunFsck(*r.store(), *r.blobs());
      ASSERT_TRUE(report.ok()) << report.status();
      EXPECT_TRUE(report->clean()) << report->problems.front().kind << " " << report->problems.front().subject;
      ASSERT_OK(r.cas()->PutTree(kCtx, manifest).status());
      EXPECT_EQ(*r.cas()->ReadBlob(tree, 1 << 20), manifest);
      ASSERT_TRUE(r.store()->GetTree(tree)->has_value());
      ASSERT_LT(nth, 200) << "the write never ran out of calls to fail";
    }
  }
  EXPECT_GE(faults_injected, 3);
}

INSTANTIATE_TEST_SUITE_P(Paths, DurabilityTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "StreamedWrite" : "BatchUpdate"; });

}  // namespace
}  // namespace fairtrace
