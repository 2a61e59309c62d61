// Entity-level changes: each is the next revision, validated whole, and
// refused whole with one violation per error.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "registry/investigations/investigation_registry.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

class ExperimentEntitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    registry_ = std::make_unique<InvestigationRegistry>(store_->content(), store_->models(), store_->investigations(),
                                                        "secret", [this] { return clock_ += 1000; });
    v1::ImportInvestigationRequest req;
    req.set_investigation_id("drought");
    for (const auto& e : std::filesystem::directory_iterator(std::string(FAIRTRACE_MIAPPE_FIXTURES) + "/valid-1.2")) {
      std::ifstream in(e.path(), std::ios::binary);
      v1::SheetFile* f = req.add_files();
      f->set_name(e.path().filename().string());
      f->set_data(std::string(std::istreambuf_iterator<char>(in), {}));
    }
    first_ = *registry_->ImportInvestigation(ctx_, req);
  }

  absl::StatusOr<v1::MiappeEntity> Get(const std::string& name, int64_t revision = 0) {
    v1::GetEntityRequest get;
    get.set_name(name);
    get.set_revision(revision);
    return registry_->GetEntity(get);
  }
  int64_t Latest() {
    v1::GetInvestigationRequest get;
    get.set_name("investigations/drought");
    return registry_->GetInvestigation(get)->revision();
  }
  v1::UpdateEntityRequest Update(const std::string& name, const std::string& field, const std::string& value) {
    v1::UpdateEntityRequest req;
    req.mutable_entity()->set_name(name);
    if (!value.empty()) (*req.mutable_entity()->mutable_values())[field] = value;
    req.mutable_update_mask()->add_paths("values." + field);
    return req;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<InvestigationRegistry> registry_;
  int64_t clock_ = 1'700'000'000'000'000;
  CallContext ctx_{"user:t", "/Import", std::string(64, 'a')};
  v1::Investigation first_;
};

constexpr char kOu[] = "investigations/drought/observationUnits/S1-P2";

TEST_F(ExperimentEntitiesTest, UpdateMakesTheNextRevisionAndKeepsTheOldOne) {
  ASSERT_EQ(first_.revision(), 1);
  ASSERT_OK_AND_ASSIGN(v1::Investigation inv,
                       registry_->UpdateEntity(ctx_, Update(kOu, "spatialDistribution", "block:2; pot:2")));
  EXPECT_EQ(inv.revision(), 2);
  EXPECT_NE(inv.revision_digest(), first_.revision_digest());
  EXPECT_EQ(inv.entity_count(), first_.entity_count());
  ASSERT_OK_AND_ASSIGN(v1::MiappeEntity now, Get(kOu));
  EXPECT_EQ(now.values().at("spatialDistribution"), "block:2; pot:2");
  EXPECT_EQ(now.values().at("biologicalMaterialId"), "Ler");  // the rest as it was
  ASSERT_OK_AND_ASSIGN(v1::MiappeEntity then, Get(kOu, 1));
  EXPECT_EQ(then.values().at("spatialDistribution"), "block:1; pot:2");
  // Setting it back gives the first content again: the same digest.
  ASSERT_OK_AND_ASSIGN(v1::Investigation back,
                       registry_->UpdateEntity(ctx_, Update(kOu, "spatialDistribution", "block:1; pot:2")));
  EXPECT_EQ(back.revision_digest(), first_.revision_digest());
}

TEST_F(ExperimentEntitiesTest, AnUpdateWithAnErrorIsRefusedWhole) {
  absl::StatusOr<v1::Investigation> bad = registry_->UpdateEntity(ctx_, Update(kOu, "biologicalMaterialId", "Xyz"));
  ASSERT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MIAPPE error")));
  EXPECT_EQ(Latest(), 1);
  // Clearing a mandatory field: refused too.
  EXPECT_THAT(registry_->UpdateEntity(ctx_, Update("investigations/drought/studies/S1", "studyTitle", "")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Latest(), 1);
}

TEST_F(ExperimentEntitiesTest, UpdateChecksItsRequest) {
  EXPECT_THAT(registry_->UpdateEntity(ctx_, Update(kOu, "noSuchField", "x")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a field")));
  v1::UpdateEntityRequest path = Update(kOu, "obsUnitType", "pot");
  path.mutable_update_mask()->add_paths("obsUnitType");
  EXPECT_THAT(registry_->UpdateEntity(ctx_, path), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      registry_->UpdateEntity(ctx_, Update("investigations/drought/observationUnits/S9-P9", "obsUnitType", "pot")),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(registry_->UpdateEntity(ctx_, Update("investigations/nope/observationUnits/S1-P2", "obsUnitType", "pot")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(registry_->UpdateEntity(ctx_, Update("investigations/drought/plants/x", "obsUnitType", "pot")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::UpdateEntityRequest stale = Update(kOu, "obsUnitType", "pot");
  stale.set_etag("W/\"stale\"");
  EXPECT_THAT(registry_->UpdateEntity(ctx_, stale), StatusIs(absl::StatusCode::kAborted));
  v1::UpdateEntityRequest huge = Update(kOu, "obsUnitType", std::string(70000, 'x'));
  EXPECT_THAT(registry_->UpdateEntity(ctx_, huge), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64 KiB")));
  EXPECT_EQ(Latest(), 1);
}

TEST_F(ExperimentEntitiesTest, EtagAndRequestIdGuardChanges) {
  v1::UpdateEntityRequest req = Update(kOu, "externalId", "Biosamples:SAMEA0000099");
  req.set_etag(first_.etag());
  req.set_request_id("edit-1");
  ASSERT_OK_AND_ASSIGN(v1::Investigation a, registry_->UpdateEntity(ctx_, req));
  ASSERT_OK_AND_ASSIGN(v1::Investigation b, registry_->UpdateEntity(ctx_, req));  // a retry
  EXPECT_EQ(a.revision(), 2);
  EXPECT_EQ(b.revision(), 2);
  EXPECT_EQ(Latest(), 2);
  req.set_request_id("edit-2");  // a new change with the old etag
  EXPECT_THAT(registry_->UpdateEntity(ctx_, req), StatusIs(absl::StatusCode::kAborted));
}

TEST_F(ExperimentEntitiesTest, ExtensionsAndTheInvestigationRecordCanBeUpdated) {
  v1::UpdateEntityRequest req;
  req.mutable_entity()->set_name("investigations/drought");
  (*req.mutable_entity()->mutable_values())["investigationDescription"] = "revised";
  (*req.mutable_entity()->mutable_extensions())["reviewer"] = "Bob";
  req.mutable_update_mask()->add_paths("values.investigationDescription");
  req.mutable_update_mask()->add_paths("extensions.reviewer");
  ASSERT_OK(registry_->UpdateEntity(ctx_, req).status());
  v1::ListEntitiesRequest list;
  list.set_parent("investigations/drought");
  list.set_section("investigation");
  ASSERT_OK_AND_ASSIGN(v1::ListEntitiesResponse inv, registry_->ListEntities(list));
  ASSERT_EQ(inv.entities_size(), 1);
  EXPECT_EQ(inv.entities(0).values().at("investigationDescription"), "revised");
  EXPECT_EQ(inv.entities(0).extensions().at("reviewer"), "Bob");
}

TEST_F(ExperimentEntitiesTest, CreateAddsARecordAndDeleteRemovesOne) {
  v1::CreateEntityRequest create;
  create.set_parent("investigations/drought");
  create.set_section("observation_unit");
  auto& v = *create.mutable_values();
  v["studyId"] = "S1";
  v["obsUnitId"] = "S1-P9";
  v["obsUnitType"] = "pot";
  v["biologicalMaterialId"] = "Col-0";
  v["obsUnitFactorValue"] = "drought";
  v["spatialDistribution"] = "block:2; pot:9";
  (*create.mutable_extensions())["camera"] = "top-1";
  ASSERT_OK_AND_ASSIGN(v1::Investigation added, registry_->CreateEntity(ctx_, create));
  EXPECT_EQ(added.entity_count(), first_.entity_count() + 1);
  ASSERT_OK_AND_ASSIGN(v1::MiappeEntity ou, Get("investigations/drought/observationUnits/S1-P9"));
  EXPECT_EQ(ou.extensions().at("camera"), "top-1");

  v1::DeleteEntityRequest del;
  del.set_name("investigations/drought/observationUnits/S1-P9");
  ASSERT_OK_AND_ASSIGN(v1::Investigation removed, registry_->DeleteEntity(ctx_, del));
  EXPECT_EQ(removed.entity_count(), first_.entity_count());
  EXPECT_EQ(removed.revision_digest(), first_.revision_digest());
  EXPECT_THAT(registry_->DeleteEntity(ctx_, del), StatusIs(absl::StatusCode::kNotFound));

  // A material still used by units cannot go.
  del.set_name("investigations/drought/biologicalMaterials/Col-0");
  EXPECT_THAT(registry_->DeleteEntity(ctx_, del), StatusIs(absl::StatusCode::kInvalidArgument));
  // A unit pointing at an unknown material cannot come.
  v["biologicalMaterialId"] = "Xyz";
  EXPECT_THAT(registry_->CreateEntity(ctx_, create), StatusIs(absl::StatusCode::kInvalidArgument));
  create.set_section("investigation");
  EXPECT_THAT(registry_->CreateEntity(ctx_, create), StatusIs(absl::StatusCode::kInvalidArgument));
  create.set_section("observation_unit");
  v["notAField"] = "x";
  EXPECT_THAT(registry_->CreateEntity(ctx_, create), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ExperimentEntitiesTest, AnIdSharedByRecordsIsAmbiguous) {
  v1::CreateEntityRequest create;
  create.set_parent("investigations/drought");
  create.set_section("person");
  auto& v = *create.mutable_values();
  v["personName"] = "Ada Example";
  v["personRole"] = "author";
  v["personAffiliation"] = "Other Institute";
  ASSERT_OK(registry_->CreateEntity(ctx_, create).status());
  EXPECT_THAT(registry_->UpdateEntity(ctx_, Update("investigations/drought/persons/Ada%20Example", "personRole", "x")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("share the id")));
}

}  // namespace
}  // namespace fairtrace
