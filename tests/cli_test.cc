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
  static std::string ReadFile(const stdfs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
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
  EXPECT_NE(stdfs::status(dest / "code/train.sh").permissions() & stdfs::perms::owner_exec, stdfs::perms::none);
  EXPECT_EQ(stdfs::status(dest / "MLmodel").permissions() & stdfs::perms::owner_exec, stdfs::perms::none);
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
  auto env = RunCommand({ServerProcess::CliBinary(), "audit", "verify"}, {"FAIRTRACE_SERVER=" + server_->target()});
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

TEST_F(CliTest, ModelsRegisterExportAndRefusals) {
  stdfs::path src = work() / "model";
  WriteFile(src / "MLmodel", "flavors:\n  sklearn:\n    pickled_model: model.pkl\n");
  WriteFile(src / "model.pkl", "pickled bytes");
  auto create = Cli({"models", "create", "leaf-segmenter", "--license", "MIT", "--tag", "crop=maize"});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  auto reg = Cli({"--json", "models", "versions", "register", "leaf-segmenter", src.string(), "--request-id", "r-1"});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  auto version = nlohmann::json::parse(reg.out);
  EXPECT_EQ(version["name"], "models/leaf-segmenter/versions/1");
  auto again = Cli({"--json", "models", "versions", "register", "leaf-segmenter", src.string(), "--request-id", "r-1"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["uid"], version["uid"]);

  auto exported = Cli({"models", "versions", "export", "leaf-segmenter", "1", (work() / "out").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(ReadFile(work() / "out" / "MLmodel"), ReadFile(src / "MLmodel"));
  EXPECT_EQ(ReadFile(work() / "out" / "model.pkl"), ReadFile(src / "model.pkl"));

  // A folder whose MLmodel names a missing file: one line per problem, exit 1.
  stdfs::path bad = work() / "bad";
  WriteFile(bad / "MLmodel", "flavors:\n  sklearn:\n    pickled_model: gone.pkl\n");
  auto rejected = Cli({"models", "versions", "register", "leaf-segmenter", bad.string()});
  EXPECT_EQ(rejected.exit_code, 1);
  EXPECT_THAT(rejected.err, HasSubstr("MLmodel.flavors.sklearn.pickled_model"));

  auto alias = Cli({"--json", "models", "alias", "set", "leaf-segmenter", "champion", "1"});
  ASSERT_EQ(alias.exit_code, 0) << alias.err;
  EXPECT_EQ(nlohmann::json::parse(alias.out)["aliases"]["champion"], "1");  // int64 is a JSON string
  auto by_alias = Cli({"--json", "models", "versions", "get", "leaf-segmenter", "champion"});
  ASSERT_EQ(by_alias.exit_code, 0) << by_alias.err;
  EXPECT_EQ(nlohmann::json::parse(by_alias.out)["version"], "1");
  EXPECT_EQ(Cli({"models", "alias", "delete", "leaf-segmenter", "champion"}).exit_code, 0);
  auto unknown = Cli({"models", "alias", "delete", "leaf-segmenter", "champion"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no alias"));

  auto del = Cli({"models", "delete", "leaf-segmenter"});
  EXPECT_EQ(del.exit_code, 1);
  EXPECT_THAT(del.err, HasSubstr("force"));
  // A version's soft delete: hidden from get and list unless asked for.
  auto vdel = Cli({"models", "versions", "delete", "leaf-segmenter", "1"});
  ASSERT_EQ(vdel.exit_code, 0) << vdel.err;
  EXPECT_THAT(vdel.out, HasSubstr("deleted: "));
  EXPECT_EQ(Cli({"models", "versions", "get", "leaf-segmenter", "1"}).exit_code, 1);
  auto shown = Cli({"--json", "models", "versions", "get", "leaf-segmenter", "1", "--show-deleted"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(nlohmann::json::parse(shown.out).contains("delete_time"));
  EXPECT_EQ(Cli({"--json", "models", "versions", "list", "leaf-segmenter"}).out, "");
  EXPECT_NE(Cli({"--json", "models", "versions", "list", "leaf-segmenter", "--show-deleted"}).out, "");
  auto again_del = Cli({"models", "versions", "delete", "leaf-segmenter", "1"});
  EXPECT_EQ(again_del.exit_code, 1);
  EXPECT_THAT(again_del.err, HasSubstr("no model version"));
  // With its only version deleted, the model deletes without --force.
  EXPECT_EQ(Cli({"models", "delete", "leaf-segmenter"}).exit_code, 0);
  auto list = Cli({"--json", "models", "list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out, "");  // deleted models are hidden
  auto dup = Cli({"models", "create", "leaf-segmenter"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_THAT(dup.err, HasSubstr("reserved"));
}

TEST_F(CliTest, MiappeValidateWorksOfflineWithExitCodes) {
  // No server needed: point --server at nothing.
  auto offline = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {ServerProcess::CliBinary(), "--server", "127.0.0.1:1"});
    return RunCommand(args);
  };
  std::string fixture = std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe/valid-1.2";
  auto ok = offline({"investigations", "validate", fixture});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("MIAPPE 1.2: 0 error(s)"));
  auto with_ontology = offline({"investigations", "validate", fixture, "--ontology",
                                std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe/ontology/mini-co715.obo"});
  EXPECT_EQ(with_ontology.exit_code, 0) << with_ontology.out;
  EXPECT_THAT(with_ontology.out, HasSubstr("reference data: co_715 fairtrace-test/2026-11-25 sha256:"));
  auto workbook = offline(
      {"investigations", "validate", std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe/xlsx/valid-1.2.xlsx"});
  EXPECT_EQ(workbook.exit_code, 0) << workbook.out << workbook.err;
  EXPECT_THAT(workbook.out, HasSubstr("MIAPPE 1.2: 0 error(s)"));
  EXPECT_THAT(workbook.out, HasSubstr("read as 2025-03-01"));  // the date cell conversion is reported
  stdfs::path bad = work() / "bad";
  stdfs::create_directories(bad);
  for (const auto& e : stdfs::directory_iterator(fixture)) stdfs::copy_file(e.path(), bad / e.path().filename());
  std::string study = ReadFile(bad / "study.tsv");
  study.replace(study.find("2025-03-01"), 10, "41043");
  WriteFile(bad / "study.tsv", study);
  auto bad_run = offline({"--json", "investigations", "validate", bad.string()});
  EXPECT_EQ(bad_run.exit_code, 1) << bad_run.err;
  auto j = nlohmann::json::parse(bad_run.out);
  EXPECT_GE(j["errors"].get<int>(), 1);
  nlohmann::json serial;
  for (const auto& f : j["findings"]) {
    if (f["code"] == "FMT-DATE-EXCEL-SERIAL") serial = f;
  }
  ASSERT_FALSE(serial.is_null()) << bad_run.out;
  EXPECT_EQ(serial["severity"], "ERROR");
  EXPECT_EQ(serial["field"], "studyStartDate");
  auto lenient = offline({"investigations", "validate", "--lenient", bad.string()});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.out;
  EXPECT_THAT(lenient.out, HasSubstr("fixed to: 2012-05-14"));
  auto missing = offline({"investigations", "validate", (work() / "nowhere").string()});
  EXPECT_EQ(missing.exit_code, 1);
}

// Several large files stream at once (issue 11): every byte arrives, and
// the folder pulls back identical.
TEST_F(CliTest, AFolderOfLargeFilesStreamsSeveralAtOnceAndPullsBackIdentical) {
  stdfs::path src = work() / "images";
  for (int i = 0; i < 7; ++i) {
    std::string data((1 + i % 3) << 20, '\0');
    for (size_t k = 0; k < data.size(); ++k) data[k] = static_cast<char>((k * 131 + i * 7) % 251);
    WriteFile(src / ("plant-" + std::to_string(i) + ".png"), data);
  }
  WriteFile(src / "small.csv", "path\n");
  auto push = Cli({"--json", "push", src.string()});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  auto j = nlohmann::json::parse(push.out);
  EXPECT_EQ(j["files"], 8);
  EXPECT_EQ(j["uploaded_blobs"], 9);  // the 8 files and the tree manifest
  stdfs::path dest = work() / "images-pulled";
  auto pull = Cli({"pull", j["digest"].get<std::string>(), dest.string()});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  for (const auto& e : stdfs::directory_iterator(src)) {
    EXPECT_EQ(ReadFile(dest / e.path().filename()), ReadFile(e.path())) << e.path();
  }
}

// The official templates as they are downloaded: one clear error each, the
// template named, exit 1 (issue 10; was 361 to 687 findings).
TEST_F(CliTest, MiappeValidateOfAnEmptyOfficialTemplateIsOneError) {
  const std::string templates = std::string(FAIRTRACE_SHARED_DIR) + "/miappe-examples/templates/";
  for (const std::string name : {"MIAPPEv1.1_training_spreadsheet.xlsx", "MIAPPE_Spreadsheet_Template-v1.2.xlsx",
                                 "MIAPPE_Minimal_Spreadsheet_Template-v1.2.xlsx"}) {
    auto r = RunCommand({ServerProcess::CliBinary(), "miappe", "validate", templates + name, "--json"});
    EXPECT_EQ(r.exit_code, 1) << name << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["findings"].size(), 1u) << r.out;
    EXPECT_EQ(j["findings"][0]["code"], "PRE-NODATA");
    EXPECT_THAT(j["template"]["name"].get<std::string>(), HasSubstr("MIAPPE 1."));
    auto text = RunCommand({ServerProcess::CliBinary(), "miappe", "validate", templates + name});
    EXPECT_THAT(text.out, HasSubstr("no data in this workbook")) << text.out;
    EXPECT_THAT(text.out, HasSubstr("read as: the official MIAPPE 1.")) << text.out;
  }
}

// Global options are accepted after the subcommand as well as before it,
// for every command; a usage error is one sentence and exit 1 (CLI11 would
// exit 109 for an unknown option, 106 for a missing argument).
TEST_F(CliTest, GlobalOptionsAfterTheSubcommandAndUsageErrorsExitOne) {
  std::string fixture = std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe/valid-1.2";
  auto after = RunCommand({ServerProcess::CliBinary(), "investigations", "validate", fixture, "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(nlohmann::json::parse(after.out)["errors"], 0);
  auto old_spelling = RunCommand({ServerProcess::CliBinary(), "miappe", "validate", "--json", fixture});
  ASSERT_EQ(old_spelling.exit_code, 0) << old_spelling.err;
  EXPECT_EQ(nlohmann::json::parse(old_spelling.out)["errors"], 0);
  // --server after a nested subcommand reaches the server it names.
  auto verify = RunCommand({ServerProcess::CliBinary(), "audit", "verify", "--server", server_->target(), "--json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  auto models = RunCommand({ServerProcess::CliBinary(), "models", "list", "--server", server_->target(), "--json"});
  EXPECT_EQ(models.exit_code, 0) << models.err;

  for (const std::vector<std::string>& usage :
       {std::vector<std::string>{"--no-such-option", "fsck"}, std::vector<std::string>{"push"},
        std::vector<std::string>{"investigations", "validate", "--bogus"},
        std::vector<std::string>{"no-such-command"}}) {
    std::vector<std::string> args = {ServerProcess::CliBinary()};
    args.insert(args.end(), usage.begin(), usage.end());
    auto r = RunCommand(args);
    EXPECT_EQ(r.exit_code, 1) << usage[0];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("fairtrace: "));
  }
  auto help = RunCommand({ServerProcess::CliBinary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
}

}  // namespace
}  // namespace fairtrace::testing
