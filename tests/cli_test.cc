// The fairtrace CLI as a user runs it, against the real server.
#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

namespace stdfs = std::filesystem;
using ::testing::HasSubstr;

class CliTest : public ServerFixture {
 protected:
  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ServerProcess::CliBinary(), "--server", server_->target()});
    return RunCommand(args);
  }
  static void WriteFile(const stdfs::path& p, const std::string& data, bool exec = false) {
    stdfs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
    if (exec) stdfs::permissions(p, stdfs::perms::owner_exec, stdfs::perm_options::add);
  }
  static std::string ReadFile(const stdfs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  stdfs::path work() { return dir_.path() / "work"; }
};

TEST_F(CliTest, PushPullFolderRoundTripIsIdentical) {
  stdfs::path src = work() / "model";
  WriteFile(src / "MLmodel", "flavors:\n  python_function: {}\n");
  WriteFile(src / "code" / "train.sh", "#!/bin/sh\necho hi\n", true);
  WriteFile(src / "data" / "weights.bin", std::string(3 << 20, 'w'));  // streamed
  WriteFile(src / "empty.txt", "");
  auto push = Cli({"--json", "push", src.string()});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  auto j = nlohmann::json::parse(push.out);
  EXPECT_EQ(j["kind"], "tree");
  EXPECT_EQ(j["files"], 4);
  std::string digest = j["digest"];

  auto again = Cli({"--json", "push", src.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["uploaded_bytes"], 0);
  EXPECT_EQ(nlohmann::json::parse(again.out)["digest"], digest);

  stdfs::path dest = work() / "pulled";
  auto pull = Cli({"pull", digest, dest.string()});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  for (const char* f : {"MLmodel", "code/train.sh", "data/weights.bin", "empty.txt"}) {
    EXPECT_EQ(ReadFile(dest / f), ReadFile(src / f)) << f;
  }
  EXPECT_NE(stdfs::status(dest / "code/train.sh").permissions() & stdfs::perms::owner_exec,
            stdfs::perms::none);
  EXPECT_EQ(stdfs::status(dest / "MLmodel").permissions() & stdfs::perms::owner_exec,
            stdfs::perms::none);
  auto stat = Cli({"--json", "stat", digest});
  ASSERT_EQ(stat.exit_code, 0) << stat.err;
  EXPECT_EQ(nlohmann::json::parse(stat.out)["kind"], "tree");
  EXPECT_EQ(nlohmann::json::parse(stat.out)["entries"], 4);
}

TEST_F(CliTest, PushPullSingleFile) {
  WriteFile(work() / "a.txt", "hello");
  auto push = Cli({"push", (work() / "a.txt").string()});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(push.out, DigestOf("hello").ToString() + "\n");
  auto pull = Cli({"pull", DigestOf("hello").ToString(), (work() / "b.txt").string()});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(ReadFile(work() / "b.txt"), "hello");
}

TEST_F(CliTest, PullIntoExistingPathChangesNothing) {
  WriteFile(work() / "a.txt", "hello");
  ASSERT_EQ(Cli({"push", (work() / "a.txt").string()}).exit_code, 0);
  WriteFile(work() / "taken", "mine");
  auto pull = Cli({"pull", DigestOf("hello").ToString(), (work() / "taken").string()});
  EXPECT_EQ(pull.exit_code, 1);
  EXPECT_THAT(pull.err, HasSubstr("exists"));
  EXPECT_EQ(ReadFile(work() / "taken"), "mine");
  // No temp file is left beside it.
  int n = 0;
  for (const auto& e : stdfs::directory_iterator(work())) n += e.path().filename().string()[0] == '.';
  EXPECT_EQ(n, 0);
}

TEST_F(CliTest, ExitCodesSayWhoIsAtFault) {
  auto bad = Cli({"pull", "not-a-digest", (work() / "x").string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("invalid DIGEST"));
  auto missing = Cli({"stat", DigestOf("never pushed").ToString()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("not found"));
  auto nofile = Cli({"push", (work() / "does-not-exist").string()});
  EXPECT_EQ(nofile.exit_code, 1);
  auto down = RunCommand({ServerProcess::CliBinary(), "--server", "127.0.0.1:1", "fsck"});
  EXPECT_EQ(down.exit_code, 2);
  EXPECT_THAT(down.err, HasSubstr("cannot reach the fairtrace server"));
  // FAIRTRACE_SERVER picks the server when --server is absent.
  auto env = RunCommand({ServerProcess::CliBinary(), "audit", "verify"},
                        {"FAIRTRACE_SERVER=" + server_->target()});
  EXPECT_EQ(env.exit_code, 0) << env.err;
}

TEST_F(CliTest, SymlinksInAFolderAreRefused) {
  WriteFile(work() / "dir" / "real.txt", "r");
  stdfs::create_symlink("real.txt", work() / "dir" / "link.txt");
  auto push = Cli({"push", (work() / "dir").string()});
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_THAT(push.err, HasSubstr("symbolic link"));
}

TEST_F(CliTest, FsckAndAuditVerifyReportClean) {
  WriteFile(work() / "d" / "f", "content");
  ASSERT_EQ(Cli({"push", (work() / "d").string()}).exit_code, 0);
  auto fsck = Cli({"--json", "fsck"});
  ASSERT_EQ(fsck.exit_code, 0) << fsck.err;
  auto j = nlohmann::json::parse(fsck.out);
  EXPECT_TRUE(j["clean"]);
  EXPECT_EQ(j["tree_references_checked"], 1);
  auto verify = Cli({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0);
  EXPECT_THAT(verify.out, HasSubstr("audit chain verified"));
}

}  // namespace
}  // namespace fairtrace::testing
