// MIAPPE investigations over the wire and from the CLI, against the real
// server: import (TSV sheets and an xlsx workbook), refusal of a whole
// submission with one violation per error, entities by name.
#include <fstream>

#include <nlohmann/json.hpp>

#include "fairtrace/v1/admin.grpc.pb.h"
#include "fairtrace/v1/experiments.grpc.pb.h"
#include "fairtrace/v1/investigations.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

namespace stdfs = std::filesystem;
using ::testing::HasSubstr;

class ExperimentsTest : public ServerFixture {
 protected:
  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {ServerProcess::CliBinary(), "--server", server_->target()});
    return RunCommand(args);
  }
  static std::string Fixtures() { return std::string(FAIRTRACE_SOURCE_DIR) + "/tests/fixtures/miappe"; }
};

TEST_F(ExperimentsTest, ImportGetAndRefuse) {
  auto imported = Cli({"--json", "investigations", "import", Fixtures() + "/valid-1.2", "--id", "drought-2025"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  auto j = nlohmann::json::parse(imported.out);
  EXPECT_EQ(j["name"], "investigations/drought-2025");
  EXPECT_EQ(j["revision"], "1");  // int64 as a JSON string (proto JSON)
  auto workbook = Cli({"investigations", "import", Fixtures() + "/xlsx/valid-1.2.xlsx", "--id", "drought-2025"});
  ASSERT_EQ(workbook.exit_code, 0) << workbook.err;
  EXPECT_THAT(workbook.out, HasSubstr("revision 2"));
  // Same content from a workbook and from TSV sheets: the same digest.
  auto got = Cli({"--json", "investigations", "get", "drought-2025", "--revision", "1"});
  auto got2 = Cli({"--json", "investigations", "get", "drought-2025"});
  ASSERT_EQ(got.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(got2.out)["revision"], "2");
  EXPECT_EQ(nlohmann::json::parse(got.out)["revision_digest"], nlohmann::json::parse(got2.out)["revision_digest"]);

  auto stub = v1::InvestigationService::NewStub(channel_);
  grpc::ClientContext ctx;
  v1::GetEntityRequest req;
  req.set_name("investigations/drought-2025/biologicalMaterials/Col-0");
  v1::MiappeEntity bm;
  ASSERT_TRUE(stub->GetEntity(&ctx, req, &bm).ok());
  EXPECT_EQ(bm.values().at("organism"), "NCBITAXON:3702");
  // The site check read country outlines (netCDF/HDF5) without noise in the log.
  EXPECT_THAT(server_->log(), HasSubstr("country outlines DCW-GMT"));
  EXPECT_THAT(server_->log(), ::testing::Not(HasSubstr("HDF5-DIAG")));

  // A broken copy is refused whole: one line per error, nothing stored.
  stdfs::path bad = dir_.path() / "bad";
  stdfs::create_directories(bad);
  for (const auto& e : stdfs::directory_iterator(Fixtures() + "/valid-1.2")) {
    stdfs::copy_file(e.path(), bad / e.path().filename());
  }
  std::ifstream in(bad / "observation_unit.tsv");
  std::string ou((std::istreambuf_iterator<char>(in)), {});
  ou.replace(ou.find("S1\tLer\tS1-P2"), 12, "S1\tXyz\tS1-P2");
  std::ofstream(bad / "observation_unit.tsv") << ou;
  auto refused = Cli({"investigations", "import", bad.string(), "--id", "bad-one"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("observation_unit[S1-P2].biologicalMaterialId: XRF-OU-BM"));
  auto absent = Cli({"investigations", "get", "bad-one"});
  EXPECT_EQ(absent.exit_code, 1);

  // Export as MIAPPE JSON and import it back: the same digest.
  std::string exported = (dir_.path() / "export.json").string();
  auto exp = Cli({"investigations", "export", "drought-2025", "--revision", "1", "--output", exported});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  auto again = Cli({"investigations", "export", "drought-2025", "--output", exported});
  EXPECT_EQ(again.exit_code, 1);  // never overwrites
  auto reimported = Cli({"--json", "investigations", "import", exported, "--id", "copy"});
  ASSERT_EQ(reimported.exit_code, 0) << reimported.err;
  EXPECT_EQ(nlohmann::json::parse(reimported.out)["revision_digest"],
            nlohmann::json::parse(got.out)["revision_digest"]);
}

// ISA-Tab in and out: import the fixture, export it as ISA-Tab into a new
// folder, import that folder: the same revision digest (the export is a
// fixed point for ISA-Tab input); a missing study file refuses the import.
TEST_F(ExperimentsTest, IsaTabImportExportReimport) {
  auto imported = Cli({"--json", "investigations", "import", Fixtures() + "/isatab-valid", "--id", "barley-n"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  auto first = nlohmann::json::parse(imported.out);
  EXPECT_EQ(first["profile"], "MIAPPE 1.1");

  auto stub = v1::InvestigationService::NewStub(channel_);
  grpc::ClientContext ctx;
  v1::GetEntityRequest req;
  req.set_name("investigations/barley-n/observationUnits/plot-3");
  v1::MiappeEntity ou;
  ASSERT_TRUE(stub->GetEntity(&ctx, req, &ou).ok());
  EXPECT_EQ(ou.values().at("biologicalMaterialId"), "Morex");

  std::string folder = (dir_.path() / "isa-export").string();
  auto missing_output = Cli({"investigations", "export", "barley-n", "--format", "isa-tab"});
  EXPECT_EQ(missing_output.exit_code, 1);
  auto exp = Cli({"investigations", "export", "barley-n", "--format", "isa-tab", "--output", folder});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_TRUE(stdfs::exists(stdfs::path(folder) / "i_investigation.txt"));
  EXPECT_TRUE(stdfs::exists(stdfs::path(folder) / "s_study1.txt"));
  auto again = Cli({"investigations", "export", "barley-n", "--format", "isa-tab", "--output", folder});
  EXPECT_EQ(again.exit_code, 1);  // never overwrites
  auto reimported = Cli({"--json", "investigations", "import", folder, "--id", "barley-n"});
  ASSERT_EQ(reimported.exit_code, 0) << reimported.err;
  auto second = nlohmann::json::parse(reimported.out);
  EXPECT_EQ(second["revision"], "2");
  EXPECT_EQ(second["revision_digest"], first["revision_digest"]);

  stdfs::path partial = dir_.path() / "partial";
  stdfs::create_directories(partial);
  for (const auto& e : stdfs::directory_iterator(Fixtures() + "/isatab-valid")) {
    if (e.path().filename() != "s_study1.txt") stdfs::copy_file(e.path(), partial / e.path().filename());
  }
  auto refused = Cli({"investigations", "import", partial.string(), "--id", "barley-partial"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("XRF-FILE-MISSING"));
  EXPECT_EQ(Cli({"investigations", "get", "barley-partial"}).exit_code, 1);
}

// An entity change over the wire: a good one is the next revision, a bad
// one INVALID_ARGUMENT with one BadRequest violation per error.
TEST_F(ExperimentsTest, UpdateEntityOverTheWire) {
  ASSERT_EQ(Cli({"investigations", "import", Fixtures() + "/valid-1.2", "--id", "edits"}).exit_code, 0);
  auto stub = v1::InvestigationService::NewStub(channel_);
  v1::UpdateEntityRequest req;
  req.mutable_entity()->set_name("investigations/edits/observationUnits/S1-P2");
  (*req.mutable_entity()->mutable_values())["biologicalMaterialId"] = "Xyz";
  (*req.mutable_entity()->mutable_values())["obsUnitType"] = "leaf";
  req.mutable_update_mask()->add_paths("values.biologicalMaterialId");
  req.mutable_update_mask()->add_paths("values.obsUnitType");
  v1::Investigation inv;
  grpc::ClientContext bad_ctx;
  grpc::Status bad = stub->UpdateEntity(&bad_ctx, req, &inv);
  ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad.error_message();
  EXPECT_EQ(Reason(bad), "MIAPPE_INVALID");
  std::vector<std::string> fields = ViolatedFields(bad);
  EXPECT_THAT(fields, ::testing::Contains("observation_unit[S1-P2].biologicalMaterialId"));
  EXPECT_THAT(fields, ::testing::Contains("observation_unit[S1-P2].obsUnitType"));

  (*req.mutable_entity()->mutable_values())["biologicalMaterialId"] = "Col-0";
  (*req.mutable_entity()->mutable_values())["obsUnitType"] = "pot";
  grpc::ClientContext ok_ctx;
  grpc::Status ok = stub->UpdateEntity(&ok_ctx, req, &inv);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(inv.revision(), 2);
  auto got = Cli({"--json", "investigations", "get", "edits"});
  EXPECT_EQ(nlohmann::json::parse(got.out)["revision"], "2");
}

// The same calls from the command line: set, add, delete; a refused change
// prints one line per error and exits 1.
TEST_F(ExperimentsTest, EntityVerbsOfTheCli) {
  ASSERT_EQ(Cli({"investigations", "import", Fixtures() + "/valid-1.2", "--id", "cli-edits"}).exit_code, 0);
  auto set = Cli({"--json", "investigations", "set", "investigations/cli-edits/observationUnits/S1-P2",
                  "spatialDistribution=block:2; pot:2", "--ext", "camera=top-1"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(nlohmann::json::parse(set.out)["revision"], "2");
  auto bad =
      Cli({"investigations", "set", "investigations/cli-edits/observationUnits/S1-P2", "biologicalMaterialId=Xyz"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("observation_unit[S1-P2].biologicalMaterialId: XRF-OU-BM"));
  auto malformed = Cli({"investigations", "set", "investigations/cli-edits/observationUnits/S1-P2", "no-equals-sign"});
  EXPECT_EQ(malformed.exit_code, 1);
  auto add = Cli({"--json", "investigations", "add", "cli-edits", "observation_unit", "studyId=S1", "obsUnitId=S1-P9",
                  "obsUnitType=pot", "biologicalMaterialId=Col-0", "obsUnitFactorValue=drought",
                  "spatialDistribution=block:2; pot:9"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(nlohmann::json::parse(add.out)["revision"], "3");
  auto del = Cli({"--json", "investigations", "delete", "investigations/cli-edits/observationUnits/S1-P9"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(nlohmann::json::parse(del.out)["revision"], "4");
  auto gone = Cli({"investigations", "delete", "investigations/cli-edits/observationUnits/S1-P9"});
  EXPECT_EQ(gone.exit_code, 1);  // not found
}

// The first names of the service and the command stay usable for one
// release: ExperimentService answers as InvestigationService does, and its
// calls are audited under the name they were made by; `fairtrace miappe`
// is `fairtrace investigations`.
TEST_F(ExperimentsTest, DeprecatedExperimentServiceAndMiappeSpellingStillWork) {
  auto imported = Cli({"miappe", "import", Fixtures() + "/valid-1.2", "--id", "old-names"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  v1::GetInvestigationRequest req;
  req.set_name("investigations/old-names");
  v1::Investigation by_new, by_old;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(v1::InvestigationService::NewStub(channel_)->GetInvestigation(&ctx, req, &by_new).ok());
  }
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(v1::ExperimentService::NewStub(channel_)->GetInvestigation(&ctx, req, &by_old).ok());
  }
  EXPECT_EQ(by_old.SerializeAsString(), by_new.SerializeAsString());

  v1::DeleteEntityRequest del;
  del.set_name("investigations/old-names/biologicalMaterials/no-such-material");
  v1::Investigation ignored;
  grpc::ClientContext dctx;
  EXPECT_EQ(v1::ExperimentService::NewStub(channel_)->DeleteEntity(&dctx, del, &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);

  std::set<std::string> methods;
  v1::ListAuditRecordsRequest list;
  v1::ListAuditRecordsResponse resp;
  grpc::ClientContext lctx;
  ASSERT_TRUE(v1::AuditService::NewStub(channel_)->ListAuditRecords(&lctx, list, &resp).ok());
  for (const auto& r : resp.records()) methods.insert(r.method());
  EXPECT_TRUE(methods.count("/fairtrace.v1.InvestigationService/ImportInvestigation"));
  EXPECT_TRUE(methods.count("/fairtrace.v1.ExperimentService/DeleteEntity"));
}

}  // namespace
}  // namespace fairtrace::testing
