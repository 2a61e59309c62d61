#include "registry/investigations/investigation_registry.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "common/status/errors.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

class InvestigationRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    registry_ = std::make_unique<InvestigationRegistry>(store_->content(), store_->models(), store_->investigations(),
                                                        "secret", [this] { return clock_ += 1000; });
    for (const auto& e : std::filesystem::directory_iterator(std::string(FAIRTRACE_MIAPPE_FIXTURES) + "/valid-1.2")) {
      std::ifstream in(e.path(), std::ios::binary);
      files_[e.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  v1::ImportInvestigationRequest Request(const std::string& id, const std::string& request_id = "") {
    v1::ImportInvestigationRequest req;
    req.set_investigation_id(id);
    req.set_request_id(request_id);
    for (const auto& [name, data] : files_) {
      v1::SheetFile* f = req.add_files();
      f->set_name(name);
      f->set_data(data);
    }
    return req;
  }
  absl::StatusOr<v1::Investigation> Import(const v1::ImportInvestigationRequest& req) {
    return registry_->ImportInvestigation(ctx_, req);
  }
  int64_t AuditCount() { return static_cast<int64_t>(store_->content()->ListAudit(0, 100000)->size()); }

  testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<InvestigationRegistry> registry_;
  std::map<std::string, std::string> files_;
  int64_t clock_ = 1'700'000'000'000'000;
  CallContext ctx_{"user:t", "/ImportInvestigation", std::string(64, 'a')};
};

TEST_F(InvestigationRegistryTest, ImportStoresAnImmutableRevisionWithReferenceableEntities) {
  ASSERT_OK_AND_ASSIGN(v1::Investigation inv, Import(Request("drought-2025")));
  EXPECT_EQ(inv.name(), "investigations/drought-2025");
  EXPECT_EQ(inv.revision(), 1);
  EXPECT_EQ(inv.revision_digest().size(), 64u);
  EXPECT_EQ(inv.profile(), "MIAPPE 1.2");
  EXPECT_EQ(inv.study_count(), 2);
  EXPECT_EQ(inv.title(), "Leaf area of Arabidopsis under drought");
  v1::GetEntityRequest get;
  get.set_name("investigations/drought-2025/observationUnits/S1-P1");
  ASSERT_OK_AND_ASSIGN(v1::MiappeEntity ou, registry_->GetEntity(get));
  EXPECT_EQ(ou.section(), "observation_unit");
  EXPECT_EQ(ou.values().at("biologicalMaterialId"), "Col-0");
  EXPECT_EQ(ou.location(), "observation_unit.tsv:2");
  get.set_name("investigations/drought-2025/biologicalMaterials/Col-0");
  ASSERT_OK(registry_->GetEntity(get).status());
  get.set_name("investigations/drought-2025/studies/S9");
  EXPECT_THAT(registry_->GetEntity(get), StatusIs(absl::StatusCode::kNotFound));
  get.set_name("investigations/drought-2025/plants/S1");
  EXPECT_THAT(registry_->GetEntity(get), StatusIs(absl::StatusCode::kInvalidArgument));
  // Pages of the observation units, in sheet order.
  v1::ListEntitiesRequest list;
  list.set_parent("investigations/drought-2025");
  list.set_section("observation_unit");
  list.set_page_size(3);
  std::vector<std::string> ids;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, registry_->ListEntities(list));
    for (const auto& e : page.entities()) ids.push_back(e.entity_id());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  ASSERT_EQ(ids.size(), 8u);
  EXPECT_EQ(ids[0], "S1-P1");
  // A second import of the same content is revision 2 with the same digest;
  // revision 1 stays readable.
  v1::ImportInvestigationRequest again = Request("drought-2025");
  again.set_etag(inv.etag());
  ASSERT_OK_AND_ASSIGN(v1::Investigation inv2, Import(again));
  EXPECT_EQ(inv2.revision(), 2);
  EXPECT_EQ(inv2.revision_digest(), inv.revision_digest());
  EXPECT_THAT(Import(again), StatusIs(absl::StatusCode::kAborted));  // etag of revision 1
  v1::GetInvestigationRequest old;
  old.set_name("investigations/drought-2025");
  old.set_revision(1);
  ASSERT_OK_AND_ASSIGN(v1::Investigation back, registry_->GetInvestigation(old));
  EXPECT_EQ(back.revision(), 1);
  old.set_revision(7);
  EXPECT_THAT(registry_->GetInvestigation(old), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(InvestigationRegistryTest, ASubmissionWithErrorsIsRejectedWholeWithOneViolationPerError) {
  std::string& ou = files_["observation_unit.tsv"];
  ou.replace(ou.find("S1\tLer\tS1-P2"), 12, "S1\tXyz\tS1-P2");
  std::string& study = files_["study.tsv"];
  study.replace(study.find("2025-03-01"), 10, "41043");
  int64_t audit_before = AuditCount();
  absl::Status s = Import(Request("bad-one")).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 MIAPPE error(s)")));
  ErrorDetails br = ErrorDetailsOf(s).value_or(ErrorDetails{});
  ASSERT_EQ(br.fields.size(), 2u);
  EXPECT_EQ(br.fields[0].field, "study[S1].studyStartDate");
  EXPECT_THAT(br.fields[0].description, HasSubstr("FMT-DATE-EXCEL-SERIAL"));
  EXPECT_EQ(br.fields[1].field, "observation_unit[S1-P2].biologicalMaterialId");
  v1::GetInvestigationRequest get;
  get.set_name("investigations/bad-one");
  EXPECT_THAT(registry_->GetInvestigation(get), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AuditCount(), audit_before + 1);  // the refusal is audited
  // The dry run returns the full report.
  v1::ValidateInvestigationRequest dry;
  *dry.mutable_files() = Request("x").files();
  ASSERT_OK_AND_ASSIGN(v1::ValidationReport report, registry_->ValidateInvestigation(ctx_, dry));
  EXPECT_EQ(report.error_count(), 2);
}

// The report says which official template a workbook was (issue 10); an
// untouched template is one error.
TEST_F(InvestigationRegistryTest, TheReportNamesTheRecognisedTemplate) {
  const std::string path =
      std::string(FAIRTRACE_SHARED_DIR) + "/miappe-examples/templates/MIAPPE_Spreadsheet_Template-v1.2.xlsx";
  std::ifstream in(path, std::ios::binary);
  v1::ValidateInvestigationRequest dry;
  v1::SheetFile* f = dry.add_files();
  f->set_name("MIAPPE_Spreadsheet_Template-v1.2.xlsx");
  f->set_data(std::string(std::istreambuf_iterator<char>(in), {}));
  ASSERT_OK_AND_ASSIGN(v1::ValidationReport report, registry_->ValidateInvestigation(ctx_, dry));
  EXPECT_EQ(report.template_().name(), "MIAPPE 1.2 spreadsheet template");
  EXPECT_EQ(report.template_().miappe_version(), "1.2");
  EXPECT_EQ(report.template_().reference_sheets_size(), 3);
  EXPECT_EQ(report.error_count(), 1);
  ASSERT_EQ(report.findings_size(), 1);
  EXPECT_EQ(report.findings(0).code(), "PRE-NODATA");
  // TSV sheets are no template.
  v1::ValidateInvestigationRequest tsv;
  *tsv.mutable_files() = Request("x").files();
  ASSERT_OK_AND_ASSIGN(v1::ValidationReport plain, registry_->ValidateInvestigation(ctx_, tsv));
  EXPECT_FALSE(plain.has_template_());
}

// Heavy calls honour cancellation and the server's deadline (issue 8, item 5):
// a stopped validation stores nothing and says why.
TEST_F(InvestigationRegistryTest, AStoppedValidationStoresNothing) {
  CallContext stopped = ctx_;
  stopped.should_stop = [] { return true; };
  v1::ValidateInvestigationRequest dry;
  const v1::ImportInvestigationRequest full = Request("x");
  for (const auto& f : full.files()) *dry.add_files() = f;
  EXPECT_THAT(registry_->ValidateInvestigation(stopped, dry), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(registry_->ImportInvestigation(stopped, Request("stopped")),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  v1::GetInvestigationRequest get;
  get.set_name("investigations/stopped");
  EXPECT_THAT(registry_->GetInvestigation(get), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(InvestigationRegistryTest, LenientImportStoresTheFixesAndKeepsThemAsWarnings) {
  std::string& study = files_["study.tsv"];
  study.replace(study.find("2025-03-01"), 10, "45717");
  v1::ImportInvestigationRequest req = Request("lenient");
  req.set_strictness(v1::STRICTNESS_LENIENT);
  ASSERT_OK_AND_ASSIGN(v1::Investigation inv, Import(req));
  EXPECT_EQ(inv.report().warning_count(), 1);
  bool fixed = false;
  for (const auto& f : inv.report().findings())
    fixed |= f.code() == "FMT-DATE-EXCEL-SERIAL" && f.fixed() == "2025-03-01";
  EXPECT_TRUE(fixed) << inv.report().DebugString();
  v1::GetEntityRequest get;
  get.set_name("investigations/lenient/studies/S1");
  ASSERT_OK_AND_ASSIGN(v1::MiappeEntity s1, registry_->GetEntity(get));
  EXPECT_EQ(s1.values().at("studyStartDate"), "2025-03-01");
}

TEST_F(InvestigationRegistryTest, MiappeJsonExportRoundTripsContentAndExtensions) {
  files_["observed_variable.tsv"] = absl::StrReplaceAll(
      files_["observed_variable.tsv"], {{"timeScale\n", "timeScale\tsensorId\n"}, {"\tDate\n", "\tDate\tcam-3\n"}});
  ASSERT_OK_AND_ASSIGN(v1::Investigation inv, Import(Request("source")));
  v1::ExportInvestigationRequest exp;
  exp.set_name("investigations/source");
  ASSERT_OK_AND_ASSIGN(auto exported, registry_->ExportInvestigation(exp));
  ASSERT_EQ(exported.files_size(), 1);
  EXPECT_THAT(exported.files(0).data(), HasSubstr("\"format\": \"fairtrace-miappe-json/1\""));
  EXPECT_THAT(exported.files(0).data(), HasSubstr("\"sensorId\": \"cam-3\""));
  v1::ImportInvestigationRequest back;
  back.set_investigation_id("copy");
  *back.add_files() = exported.files(0);
  ASSERT_OK_AND_ASSIGN(v1::Investigation copy, Import(back));
  EXPECT_EQ(copy.revision_digest(), inv.revision_digest());  // same content, same digest
  EXPECT_EQ(copy.entity_count(), inv.entity_count());
  // ISA-Tab: several files, the extension column kept; re-imported, the same entities.
  exp.set_format(v1::EXPORT_FORMAT_ISA_TAB);
  ASSERT_OK_AND_ASSIGN(auto isa, registry_->ExportInvestigation(exp));
  ASSERT_GE(isa.files_size(), 4);
  EXPECT_EQ(isa.files(0).name(), "i_investigation.txt");
  EXPECT_EQ(isa.notes_size(), 0);
  bool sensor = false;
  for (const auto& f : isa.files()) sensor = sensor || absl::StrContains(f.data(), "cam-3");
  EXPECT_TRUE(sensor);
  v1::ImportInvestigationRequest isa_back;
  isa_back.set_investigation_id("isa-copy");
  *isa_back.mutable_files() = isa.files();
  ASSERT_OK_AND_ASSIGN(v1::Investigation isa_copy, Import(isa_back));
  EXPECT_EQ(isa_copy.entity_count(), inv.entity_count());
  exp.set_format(static_cast<v1::ExportFormat>(7));
  EXPECT_THAT(registry_->ExportInvestigation(exp), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(InvestigationRegistryTest, RequestIdsAndBadRequests) {
  ASSERT_OK_AND_ASSIGN(v1::Investigation first, Import(Request("idem", "req-1")));
  ASSERT_OK_AND_ASSIGN(v1::Investigation retry, Import(Request("idem", "req-1")));
  EXPECT_EQ(retry.revision(), first.revision());
  EXPECT_EQ(retry.revision(), 1);
  EXPECT_THAT(Import(Request("Bad_Id")), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ImportInvestigationRequest none;
  none.set_investigation_id("empty");
  EXPECT_THAT(Import(none), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("files")));
  v1::ImportInvestigationRequest path = Request("path");
  path.mutable_files(0)->set_name("../study.tsv");
  EXPECT_THAT(Import(path), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("files[0].name")));
  v1::ListInvestigationsRequest list;
  ASSERT_OK_AND_ASSIGN(auto all, registry_->ListInvestigations(list));
  EXPECT_EQ(all.investigations_size(), 1);
}

}  // namespace
}  // namespace fairtrace
