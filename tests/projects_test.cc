// Projects through the real server (docs/security.md, "Projects"): lists
// show only the caller's projects, a resource of another project answers
// exactly as a missing one, writes need the role in the resource's project,
// creates name their project, lineage redacts nodes of hidden projects, and
// the whole-log calls need a grant on every project.
#include "absl/strings/str_cat.h"
#include "clients/cpp/fairtrace/cas_client.h"
#include "common/content/tree.h"
#include "fairtrace/v1/access.grpc.pb.h"
#include "fairtrace/v1/admin.grpc.pb.h"
#include "fairtrace/v1/datasets.grpc.pb.h"
#include "fairtrace/v1/models.grpc.pb.h"
#include "fairtrace/v1/runs.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class ProjectsTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    admin_token_ = TokenFor("user:root");
    Grant("user:root", "admin", "");  // the first grant: access control is on
    ana_ = TokenFor("user:ana");
    Grant("user:ana", "data-scientist", "wheat");
    Grant("user:ana", "viewer", "maize");
    models_ = v1::ModelService::NewStub(channel_);
    runs_ = v1::RunService::NewStub(channel_);
  }
  void Grant(const std::string& principal, const std::string& role, const std::string& project) {
    auto stub = v1::AccessService::NewStub(channel_);
    auto ctx = As(admin_token_);
    v1::AddGrantRequest req;
    req.set_principal(principal);
    req.set_role(role);
    req.set_project(project);
    v1::Grant g;
    grpc::Status s = stub->AddGrant(ctx.get(), req, &g);
    ASSERT_TRUE(s.ok()) << principal << " " << role << ": " << s.error_message();
  }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }
  grpc::Status CreateModel(const std::string& token, const std::string& id, const std::string& project,
                           v1::RegisteredModel* out = nullptr) {
    v1::CreateRegisteredModelRequest req;
    req.set_model_id(id);
    req.mutable_registered_model()->set_project(project);
    v1::RegisteredModel m;
    return models_->CreateRegisteredModel(As(token).get(), req, out ? out : &m);
  }
  grpc::Status GetModel(const std::string& token, const std::string& name) {
    v1::GetRegisteredModelRequest req;
    req.set_name(name);
    v1::RegisteredModel m;
    return models_->GetRegisteredModel(As(token).get(), req, &m);
  }
  grpc::Status CreateRun(const std::string& token, const std::string& project, const std::string& input, v1::Run* out) {
    v1::CreateRunRequest req;
    req.mutable_run()->set_experiment("leaf-seg");
    req.mutable_run()->set_project(project);
    if (!input.empty()) {
      v1::RunEdge* edge = req.mutable_run()->add_inputs();
      edge->set_role("base");
      edge->mutable_artifact()->set_resource(input);
    }
    return runs_->CreateRun(As(token).get(), req, out);
  }

  std::string ana_;
  std::unique_ptr<v1::ModelService::Stub> models_;
  std::unique_ptr<v1::RunService::Stub> runs_;
};

TEST_F(ProjectsTest, ListsShowOnlyTheCallersProjectsAndOthersAnswerAsMissing) {
  for (const auto& [id, project] : std::vector<std::pair<std::string, std::string>>{
           {"m-wheat", "wheat"}, {"m-rice", "rice"}, {"m-maize", "maize"}, {"m-default", ""}}) {
    ASSERT_TRUE(CreateModel(admin_token_, id, project).ok()) << id;
  }
  v1::ListRegisteredModelsResponse list;
  ASSERT_TRUE(models_->ListRegisteredModels(As(ana_).get(), {}, &list).ok());
  std::vector<std::string> seen;
  for (const auto& m : list.registered_models()) seen.push_back(absl::StrCat(m.name(), "@", m.project()));
  EXPECT_THAT(seen, ElementsAre("models/m-maize@maize", "models/m-wheat@wheat"));
  ASSERT_TRUE(models_->ListRegisteredModels(As(admin_token_).get(), {}, &list).ok());
  EXPECT_EQ(list.registered_models_size(), 4);

  // Hidden and missing: the same code, reason and message shape.
  grpc::Status hidden = GetModel(ana_, "models/m-rice");
  grpc::Status missing = GetModel(ana_, "models/no-such-model");
  EXPECT_EQ(hidden.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(hidden), Reason(missing));
  EXPECT_EQ(hidden.error_message(), "models/m-rice does not exist");
  EXPECT_EQ(missing.error_message(), "models/no-such-model does not exist");
  EXPECT_EQ(GetModel(ana_, "models/m-default").error_code(), grpc::StatusCode::NOT_FOUND);
  // A name that could name nothing is the call's own INVALID_ARGUMENT.
  EXPECT_EQ(GetModel(ana_, "models/Not_An_Id").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Children of a hidden resource are hidden with it.
  v1::GetModelVersionRequest version;
  version.set_name("models/m-rice/versions/1");
  v1::ModelVersion v;
  grpc::Status child = models_->GetModelVersion(As(ana_).get(), version, &v);
  EXPECT_EQ(child.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(child.error_message(), "models/m-rice does not exist");
  EXPECT_TRUE(GetModel(ana_, "models/m-maize").ok());
  EXPECT_TRUE(GetModel(admin_token_, "models/m-rice").ok());

  // Writes: the role in the resource's project decides.
  v1::UpdateRegisteredModelRequest update;
  update.mutable_registered_model()->set_name("models/m-maize");
  update.mutable_registered_model()->set_description("x");
  update.mutable_update_mask()->add_paths("description");
  v1::RegisteredModel m;
  grpc::Status viewer_write = models_->UpdateRegisteredModel(As(ana_).get(), update, &m);
  EXPECT_EQ(viewer_write.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reason(viewer_write), "PERMISSION_DENIED_FOR_ROLE");
  update.mutable_registered_model()->set_name("models/m-wheat");
  EXPECT_TRUE(models_->UpdateRegisteredModel(As(ana_).get(), update, &m).ok());
  update.mutable_registered_model()->set_name("models/m-rice");
  EXPECT_EQ(models_->UpdateRegisteredModel(As(ana_).get(), update, &m).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ProjectsTest, CreatesNameTheirProject) {
  v1::RegisteredModel created;
  ASSERT_TRUE(CreateModel(ana_, "seg", "wheat", &created).ok());
  EXPECT_EQ(created.project(), "wheat");
  grpc::Status elsewhere = CreateModel(ana_, "seg2", "rice");
  EXPECT_EQ(elsewhere.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(elsewhere.error_message(), "projects/rice does not exist");
  EXPECT_EQ(CreateModel(ana_, "seg2", "maize").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // "" is "default", where ana holds nothing.
  EXPECT_EQ(CreateModel(ana_, "seg2", "").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CreateModel(ana_, "seg2", "Not A Project").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The documented leak: names are global.
  ASSERT_TRUE(CreateModel(admin_token_, "taken", "rice").ok());
  EXPECT_EQ(CreateModel(ana_, "taken", "wheat").error_code(), grpc::StatusCode::ALREADY_EXISTS);

  auto datasets = v1::DatasetService::NewStub(channel_);
  for (const auto& [id, project] :
       std::vector<std::pair<std::string, std::string>>{{"d-wheat", "wheat"}, {"d-rice", "rice"}}) {
    v1::CreateDatasetRequest req;
    req.set_dataset_id(id);
    req.set_project(project);
    v1::Dataset d;
    ASSERT_TRUE(datasets->CreateDataset(As(admin_token_).get(), req, &d).ok()) << id;
    EXPECT_EQ(d.project(), project);
  }
  v1::ListDatasetsResponse list;
  ASSERT_TRUE(datasets->ListDatasets(As(ana_).get(), {}, &list).ok());
  ASSERT_EQ(list.datasets_size(), 1);
  EXPECT_EQ(list.datasets(0).name(), "datasets/d-wheat");
}

TEST_F(ProjectsTest, LineageRedactsNodesOfHiddenProjectsAndKeepsTheirEdges) {
  v1::Run hidden, visible;
  ASSERT_TRUE(CreateRun(admin_token_, "rice", "", &hidden).ok());
  grpc::Status created = CreateRun(admin_token_, "wheat", hidden.name(), &visible);
  ASSERT_TRUE(created.ok()) << created.error_code() << " " << created.error_message() << " " << Reason(created);
  EXPECT_EQ(visible.project(), "wheat");

  v1::GetLineageRequest req;
  req.set_resource(visible.name());
  v1::GetLineageResponse lineage;
  ASSERT_TRUE(runs_->GetLineage(As(ana_).get(), req, &lineage).ok());
  ASSERT_EQ(lineage.edges_size(), 1);
  EXPECT_EQ(lineage.edges(0).subject(), visible.name());
  EXPECT_EQ(lineage.edges(0).object(), "redacted/1");
  ASSERT_TRUE(runs_->GetLineage(As(admin_token_).get(), req, &lineage).ok());
  EXPECT_EQ(lineage.edges(0).object(), hidden.name());
  req.set_resource(hidden.name());
  EXPECT_EQ(runs_->GetLineage(As(ana_).get(), req, &lineage).error_code(), grpc::StatusCode::NOT_FOUND);

  // A run cannot use what its author cannot see.
  v1::Run r;
  grpc::Status uses_hidden = CreateRun(ana_, "wheat", hidden.name(), &r);
  EXPECT_EQ(uses_hidden.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(uses_hidden.error_message(), absl::StrCat(hidden.name(), " does not exist"));
  ASSERT_TRUE(CreateRun(ana_, "wheat", visible.name(), &r).ok());

  v1::ListRunsResponse runs;
  ASSERT_TRUE(runs_->ListRuns(As(ana_).get(), {}, &runs).ok());
  std::vector<std::string> names;
  for (const auto& run : runs.runs()) names.push_back(run.name());
  EXPECT_THAT(names, UnorderedElementsAre(visible.name(), r.name()));
}

// A visible resource that names a hidden one: the name is redacted in
// every reply, and a hidden run's details are not shown.
TEST_F(ProjectsTest, RepliesRedactReferencesToHiddenResources) {
  v1::Run hidden, visible;
  ASSERT_TRUE(CreateRun(admin_token_, "rice", "", &hidden).ok());
  ASSERT_TRUE(CreateRun(admin_token_, "wheat", hidden.name(), &visible).ok());
  v1::GetRunRequest get;
  get.set_name(visible.name());
  v1::Run seen;
  ASSERT_TRUE(runs_->GetRun(As(ana_).get(), get, &seen).ok());
  ASSERT_EQ(seen.inputs_size(), 1);
  EXPECT_EQ(seen.inputs(0).artifact().resource(), "redacted");
  ASSERT_TRUE(runs_->GetRun(As(admin_token_).get(), get, &seen).ok());
  EXPECT_EQ(seen.inputs(0).artifact().resource(), hidden.name());

  // A model version in wheat made by a run in rice.
  client::ClientOptions o;
  o.target = server_->target();
  o.token = admin_token_;
  client::CasClient cas(o);
  const std::string mlmodel = "flavors:\n  sklearn:\n    pickled_model: model.pkl\n";
  const std::string manifest =
      *EncodeTree({{"MLmodel", DigestOf(mlmodel), false}, {"model.pkl", DigestOf("pickle"), false}});
  ASSERT_TRUE(
      cas.UploadBatch({{DigestOf(mlmodel), mlmodel}, {DigestOf("pickle"), "pickle"}, {DigestOf(manifest), manifest}})
          .ok());
  ASSERT_TRUE(cas.CreateTree(DigestOf(manifest)).ok());
  ASSERT_TRUE(CreateModel(admin_token_, "seg", "wheat").ok());
  v1::CreateModelVersionRequest create;
  create.set_parent("models/seg");
  *create.mutable_model_version()->mutable_tree_digest() = DigestToProto(DigestOf(manifest));
  create.mutable_model_version()->set_source_run(hidden.name());
  v1::ModelVersion version;
  grpc::Status made = models_->CreateModelVersion(As(admin_token_).get(), create, &version);
  ASSERT_TRUE(made.ok()) << made.error_message();
  v1::GetModelVersionRequest get_version;
  get_version.set_name(version.name());
  get_version.set_include_source_run(true);
  ASSERT_TRUE(models_->GetModelVersion(As(ana_).get(), get_version, &version).ok());
  EXPECT_EQ(version.source_run(), "redacted");
  EXPECT_EQ(version.source_run_detail().name(), "redacted");
  EXPECT_EQ(version.source_run_detail().experiment(), "");
  EXPECT_FALSE(version.source_run_detail().has_start_time());
  ASSERT_TRUE(models_->GetModelVersion(As(admin_token_).get(), get_version, &version).ok());
  EXPECT_EQ(version.source_run_detail().name(), hidden.name());
  EXPECT_EQ(version.source_run_detail().experiment(), "leaf-seg");
}

TEST_F(ProjectsTest, TheWholeLogNeedsAGrantOnEveryProject) {
  Grant("user:aud", "auditor", "wheat");
  Grant("user:aud-all", "auditor", "");
  auto audit = v1::AuditService::NewStub(channel_);
  v1::ListAuditRecordsResponse records;
  grpc::Status one_project = audit->ListAuditRecords(As(TokenFor("user:aud")).get(), {}, &records);
  EXPECT_EQ(one_project.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(audit->ListAuditRecords(As(TokenFor("user:aud-all")).get(), {}, &records).ok());
  v1::SignedCheckpoint checkpoint;
  EXPECT_TRUE(audit->GetCheckpoint(As(ana_).get(), {}, &checkpoint).ok());

  // A per-project auditor proves the records of its projects only.
  ASSERT_TRUE(CreateModel(admin_token_, "m-wheat", "wheat").ok());
  ASSERT_TRUE(CreateModel(admin_token_, "m-rice", "rice").ok());
  ASSERT_TRUE(audit->ListAuditRecords(As(admin_token_).get(), {}, &records).ok());
  int64_t wheat = 0, rice = 0;
  for (const auto& r : records.records()) {
    if (r.resource() == "models/m-wheat") wheat = r.sequence();
    if (r.resource() == "models/m-rice") rice = r.sequence();
  }
  ASSERT_GT(wheat, 0);
  ASSERT_GT(rice, 0);
  const std::string aud = TokenFor("user:aud");
  v1::GetInclusionProofRequest prove;
  prove.set_sequence(wheat);
  v1::InclusionProof proof;
  grpc::Status proved = audit->GetInclusionProof(As(aud).get(), prove, &proof);
  ASSERT_TRUE(proved.ok()) << proved.error_message();
  EXPECT_EQ(proof.record().resource(), "models/m-wheat");
  prove.set_sequence(rice);
  grpc::Status refused = audit->GetInclusionProof(As(aud).get(), prove, &proof);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reason(refused), "RECORD_OUTSIDE_PROJECTS");
  EXPECT_TRUE(audit->GetInclusionProof(As(TokenFor("user:aud-all")).get(), prove, &proof).ok());
  // A viewer has no audit access anywhere.
  EXPECT_EQ(audit->GetInclusionProof(As(ana_).get(), prove, &proof).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace fairtrace::testing
