#include "registry/models/model_registry.h"

#include <gtest/gtest.h>

#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

const char kMlmodel[] = R"(flavors:
  sklearn:
    pickled_model: model.pkl
    code: null
model_uuid: 0123
signature:
  inputs: '[{"type": "double", "name": "x"}]'
  outputs: null
)";

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    blobs_ = *BlobStore::Open(dir_.path() / "cas");
    cas_ = std::make_unique<ContentStore>(store_->content(), blobs_.get(), CasLimits{});
    registry_ = std::make_unique<ModelRegistry>(store_->content(), store_->models(), store_->runs(), cas_.get(),
                                                &mlmodel::Validator::Default(), "secret", [this] { return ++clock_; });
  }
  // Stores a folder's blobs and returns its tree digest (not registered).
  Digest PutFolder(const std::vector<std::pair<std::string, std::string>>& files) {
    std::vector<TreeEntry> entries;
    std::vector<std::pair<Digest, absl::string_view>> items;
    for (const auto& [path, data] : files) {
      entries.push_back({path, DigestOf(data), false});
      items.emplace_back(DigestOf(data), data);
    }
    manifests_.push_back(*EncodeTree(entries));
    items.emplace_back(DigestOf(manifests_.back()), manifests_.back());
    EXPECT_TRUE(cas_->BatchUpdate(ctx_, items).ok());
    return DigestOf(manifests_.back());
  }
  absl::StatusOr<v1::RegisteredModel> CreateModel(const std::string& id, const std::string& request_id = "") {
    v1::CreateRegisteredModelRequest req;
    req.set_model_id(id);
    req.mutable_registered_model()->set_description("segments leaves");
    (*req.mutable_registered_model()->mutable_tags())["team"] = "phenome";
    req.set_request_id(request_id);
    return registry_->CreateRegisteredModel(ctx_, req);
  }
  absl::StatusOr<v1::ModelVersion> CreateVersion(const std::string& model, const Digest& tree,
                                                 const std::string& request_id = "") {
    v1::CreateModelVersionRequest req;
    req.set_parent("models/" + model);
    *req.mutable_model_version()->mutable_tree_digest() = DigestToProto(tree);
    req.set_request_id(request_id);
    return registry_->CreateModelVersion(ctx_, req);
  }
  int64_t AuditCount() { return static_cast<int64_t>(store_->content()->ListAudit(0, 100000)->size()); }

  testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ContentStore> cas_;
  std::unique_ptr<ModelRegistry> registry_;
  std::vector<std::string> manifests_;
  int64_t clock_ = 1000;
  CallContext ctx_{"user:t", "/test", std::string(64, 'a')};
};

TEST_F(ModelRegistryTest, CreateGetAndDuplicateNames) {
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel m, CreateModel("leaf-segmenter"));
  EXPECT_EQ(m.name(), "models/leaf-segmenter");
  EXPECT_EQ(m.tags().at("team"), "phenome");
  EXPECT_FALSE(m.etag().empty());
  EXPECT_THAT(CreateModel("leaf-segmenter"), StatusIs(absl::StatusCode::kAlreadyExists));
  // std::string elements: a c_str() of a temporary would dangle in the loop.
  for (const std::string& bad :
       std::vector<std::string>{"", "Leaf", "1leaf", "leaf_seg", "leaf-", std::string(64, 'a')}) {
    EXPECT_THAT(CreateModel(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST_F(ModelRegistryTest, RequestIdMakesCreatesIdempotent) {
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel first, CreateModel("a", "req-1"));
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel again, CreateModel("a", "req-1"));
  EXPECT_EQ(again.uid(), first.uid());
  Digest tree = PutFolder({{"MLmodel", kMlmodel}, {"model.pkl", "pickle"}});
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion v1, CreateVersion("a", tree, "req-2"));
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion v2, CreateVersion("a", tree, "req-2"));
  EXPECT_EQ(v2.uid(), v1.uid());
  EXPECT_EQ(v2.version(), 1);
  v1::ListModelVersionsRequest list;
  list.set_parent("models/a");
  ASSERT_OK_AND_ASSIGN(auto versions, registry_->ListModelVersions(list));
  EXPECT_EQ(versions.model_versions_size(), 1);  // the retry created nothing
}

TEST_F(ModelRegistryTest, VersionRecordsTheParsedMlmodel) {
  ASSERT_OK(CreateModel("m").status());
  Digest tree = PutFolder({{"MLmodel", kMlmodel}, {"model.pkl", "pickle"}});
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion v, CreateVersion("m", tree));
  EXPECT_EQ(v.name(), "models/m/versions/1");
  EXPECT_EQ(v.mlmodel().flavors(0), "sklearn");
  EXPECT_EQ(v.mlmodel().model_uuid(), "0123");
  EXPECT_THAT(v.mlmodel().signature_json(), HasSubstr("\"name\":\"x\""));
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion v2, CreateVersion("m", tree));
  EXPECT_EQ(v2.version(), 2);
  v1::GetModelVersionRequest get;
  get.set_name("models/m/versions/1");
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion back, registry_->GetModelVersion(get));
  EXPECT_EQ(back.uid(), v.uid());
}

// model_size_bytes is what MLflow measured when it saved the folder: it is
// recorded as written, even when the stored files add up to another size
// (MLflow counts differently, e.g. without MLmodel itself).
TEST_F(ModelRegistryTest, ModelSizeIsRecordedNotEnforced) {
  ASSERT_OK(CreateModel("m").status());
  const std::string mlmodel = std::string(kMlmodel) + "model_size_bytes: 5\n";
  const std::string pickle(4096, 'p');
  Digest tree = PutFolder({{"MLmodel", mlmodel}, {"model.pkl", pickle}});
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion v, CreateVersion("m", tree));
  ASSERT_TRUE(v.mlmodel().has_model_size_bytes());
  EXPECT_EQ(v.mlmodel().model_size_bytes(), 5);
  EXPECT_NE(static_cast<int64_t>(mlmodel.size() + pickle.size()), v.mlmodel().model_size_bytes());
}

TEST_F(ModelRegistryTest, VersionWithMissingBlobsListsThem) {
  ASSERT_OK(CreateModel("m").status());
  std::string manifest =
      *EncodeTree({{"MLmodel", DigestOf(kMlmodel), false}, {"model.pkl", DigestOf("never uploaded"), false}});
  std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf(manifest), manifest},
                                                             {DigestOf(kMlmodel), kMlmodel}};
  ASSERT_TRUE(cas_->BatchUpdate(ctx_, items).ok());
  absl::Status s = CreateVersion("m", DigestOf(manifest)).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  ErrorDetails pf = ErrorDetailsOf(s).value_or(ErrorDetails{});
  ASSERT_EQ(pf.preconditions.size(), 1u);
  EXPECT_EQ(pf.preconditions[0].subject, BlobResourceName(DigestOf("never uploaded")));
  EXPECT_THAT(CreateVersion("m", DigestOf("no manifest")), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// With the manifest's bytes (the MLflow door), a new tree is registered in
// the version's own write: one transaction, the version's record then the
// tree's, the manifest kept in its blob's row. Refused, nothing is left.
TEST_F(ModelRegistryTest, VersionWithItsManifestRegistersTheTreeInTheSameWrite) {
  ASSERT_OK(CreateModel("m").status());
  std::vector<std::pair<Digest, absl::string_view>> files = {{DigestOf(kMlmodel), kMlmodel},
                                                             {DigestOf("pickle"), "pickle"}};
  ASSERT_TRUE(cas_->BatchUpdate(ctx_, files).ok());
  const std::string manifest =
      *EncodeTree({{"MLmodel", DigestOf(kMlmodel), false}, {"model.pkl", DigestOf("pickle"), false}});
  const Digest tree = DigestOf(manifest);
  v1::CreateModelVersionRequest req;
  req.set_parent("models/m");
  *req.mutable_model_version()->mutable_tree_digest() = DigestToProto(tree);
  const int64_t before = AuditCount();
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion v, registry_->CreateModelVersion(ctx_, req, manifest));
  EXPECT_EQ(v.version(), 1);
  ASSERT_OK_AND_ASSIGN(auto records, store_->content()->ListAudit(before, 10));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].entry.resource, "models/m/versions/1");
  EXPECT_EQ(records[1].entry.resource, "trees/" + tree.sha256 + "/" + std::to_string(tree.size_bytes));
  EXPECT_EQ(records[1].entry.method, records[0].entry.method);
  ASSERT_OK_AND_ASSIGN(BlobRow row, cas_->GetBlob(tree));
  EXPECT_TRUE(row.location.in_database);
  EXPECT_TRUE(row.is_tree);
  // The tree registered now, a second version from the same manifest only
  // adds the version.
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion again, registry_->CreateModelVersion(ctx_, req, manifest));
  EXPECT_EQ(again.version(), 2);
  EXPECT_EQ(AuditCount(), before + 3);
  // Its MLmodel came from the validation cache: the same parsed fields.
  EXPECT_EQ(again.mlmodel().SerializeAsString(), v.mlmodel().SerializeAsString());
  EXPECT_EQ(again.mlmodel().flavors(0), "sklearn");

  // An invalid MLmodel: refused before anything is written.
  const std::string bad_mlmodel = "flavors:\n  sklearn:\n    pickled_model: gone.pkl\n";
  std::vector<std::pair<Digest, absl::string_view>> bad = {{DigestOf(bad_mlmodel), bad_mlmodel}};
  ASSERT_TRUE(cas_->BatchUpdate(ctx_, bad).ok());
  const std::string bad_manifest = *EncodeTree({{"MLmodel", DigestOf(bad_mlmodel), false}});
  *req.mutable_model_version()->mutable_tree_digest() = DigestToProto(DigestOf(bad_manifest));
  const int64_t before_bad = AuditCount();
  EXPECT_THAT(registry_->CreateModelVersion(ctx_, req, bad_manifest), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(AuditCount(), before_bad + 1);  // the refusal's own record only
  ASSERT_OK_AND_ASSIGN(auto missing, cas_->FindMissing({DigestOf(bad_manifest)}));
  EXPECT_EQ(missing.size(), 1u);
  EXPECT_FALSE(store_->content()->GetTree(DigestOf(bad_manifest))->has_value());
  // A blob the manifest names is missing: FAILED_PRECONDITION, nothing kept.
  const std::string gap = *EncodeTree({{"MLmodel", DigestOf(kMlmodel), false}, {"w", DigestOf("absent"), false}});
  *req.mutable_model_version()->mutable_tree_digest() = DigestToProto(DigestOf(gap));
  EXPECT_THAT(registry_->CreateModelVersion(ctx_, req, gap), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(missing, cas_->FindMissing({DigestOf(gap)}));
  EXPECT_EQ(missing.size(), 1u);
}

TEST_F(ModelRegistryTest, InvalidMlmodelGivesOneViolationPerProblem) {
  ASSERT_OK(CreateModel("m").status());
  Digest tree = PutFolder({{"MLmodel",
                            "flavors:\n  sklearn:\n    pickled_model: gone.pkl\n"
                            "signature:\n  inputs: '{broken'\n"}});
  absl::Status s = CreateVersion("m", tree).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  ErrorDetails br = ErrorDetailsOf(s).value_or(ErrorDetails{});
  ASSERT_EQ(br.fields.size(), 2u);
  EXPECT_EQ(br.fields[0].field, "MLmodel.flavors.sklearn.pickled_model");
  EXPECT_EQ(br.fields[1].field, "MLmodel.signature.inputs");
  Digest no_mlmodel = PutFolder({{"model.pkl", "x"}});
  EXPECT_THAT(CreateVersion("m", no_mlmodel), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no MLmodel")));
  EXPECT_THAT(CreateVersion("absent", tree), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ModelRegistryTest, SoftDeleteRulesAndEtags) {
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel m, CreateModel("m"));
  Digest tree = PutFolder({{"MLmodel", kMlmodel}, {"model.pkl", "pickle"}});
  ASSERT_OK(CreateVersion("m", tree).status());
  v1::DeleteRegisteredModelRequest del;
  del.set_name("models/m");
  EXPECT_THAT(registry_->DeleteRegisteredModel(ctx_, del), StatusIs(absl::StatusCode::kFailedPrecondition));
  del.set_force(true);
  del.set_etag("7-0123456789ab");  // not the current etag
  EXPECT_THAT(registry_->DeleteRegisteredModel(ctx_, del), StatusIs(absl::StatusCode::kAborted));
  v1::GetRegisteredModelRequest get;
  get.set_name("models/m");
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel now, registry_->GetRegisteredModel(get));
  EXPECT_EQ(now.etag(), m.etag()) << "adding a version does not change the model's own etag";
  del.set_etag(now.etag());
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel gone, registry_->DeleteRegisteredModel(ctx_, del));
  EXPECT_NE(gone.etag(), now.etag());
  EXPECT_TRUE(gone.has_delete_time());
  EXPECT_THAT(registry_->GetRegisteredModel(get), StatusIs(absl::StatusCode::kNotFound));
  get.set_show_deleted(true);
  EXPECT_OK(registry_->GetRegisteredModel(get).status());
  EXPECT_THAT(CreateModel("m"), StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("reserved")));
  EXPECT_THAT(CreateVersion("m", tree), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ModelRegistryTest, ListsPageWithTamperProofTokens) {
  for (int i = 0; i < 7; ++i) ASSERT_OK(CreateModel("m" + std::to_string(i)).status());
  v1::ListRegisteredModelsRequest req;
  req.set_page_size(3);
  std::vector<std::string> names;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, registry_->ListRegisteredModels(req));
    for (const auto& m : page.registered_models()) names.push_back(m.name());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(names.front(), "models/m0");
  req.set_page_token("bm90IGEgdG9rZW4");
  EXPECT_THAT(registry_->ListRegisteredModels(req), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ModelRegistryTest, EveryMutationIsAuditedEvenFailures) {
  int64_t before = AuditCount();
  ASSERT_OK(CreateModel("m").status());
  EXPECT_FALSE(CreateModel("m").ok());
  EXPECT_FALSE(CreateModel("BAD").ok());
  EXPECT_EQ(AuditCount(), before + 3);
}

}  // namespace
}  // namespace fairtrace

namespace fairtrace {
namespace {

class ModelMutableFieldsTest : public ModelRegistryTest {
 protected:
  void SetUp() override {
    ModelRegistryTest::SetUp();
    ASSERT_OK(CreateModel("m").status());
    tree_ = PutFolder({{"MLmodel", kMlmodel}, {"model.pkl", "pickle"}});
    ASSERT_OK(CreateVersion("m", tree_).status());
    ASSERT_OK(CreateVersion("m", tree_).status());
  }
  absl::StatusOr<v1::ModelVersion> Version(const std::string& ref) {
    v1::GetModelVersionRequest get;
    get.set_name("models/m/versions/" + ref);
    return registry_->GetModelVersion(get);
  }
  Digest tree_;
};

TEST_F(ModelMutableFieldsTest, UpdateModelWithMaskAndEtag) {
  v1::GetRegisteredModelRequest get;
  get.set_name("models/m");
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel before, registry_->GetRegisteredModel(get));
  v1::UpdateRegisteredModelRequest req;
  req.mutable_registered_model()->set_name("models/m");
  req.mutable_registered_model()->set_owner("ana");
  req.mutable_registered_model()->set_description("ignored: not in the mask");
  req.mutable_registered_model()->set_etag(before.etag());
  req.mutable_update_mask()->add_paths("owner");
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel after, registry_->UpdateRegisteredModel(ctx_, req));
  EXPECT_EQ(after.owner(), "ana");
  EXPECT_EQ(after.description(), before.description());
  EXPECT_NE(after.etag(), before.etag());
  // The same (now stale) etag again: ABORTED, nothing changes.
  req.mutable_registered_model()->set_owner("bob");
  EXPECT_THAT(registry_->UpdateRegisteredModel(ctx_, req), StatusIs(absl::StatusCode::kAborted));
  req.mutable_registered_model()->clear_etag();
  req.mutable_update_mask()->add_paths("uid");
  EXPECT_THAT(registry_->UpdateRegisteredModel(ctx_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("immutable")));
  req.mutable_update_mask()->set_paths(1, "colour");
  EXPECT_THAT(registry_->UpdateRegisteredModel(ctx_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field")));
}

TEST_F(ModelMutableFieldsTest, UpdateVersionStageAndImmutableFields) {
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion v1, Version("1"));
  EXPECT_EQ(v1.stage(), v1::MODEL_STAGE_NONE);
  v1::UpdateModelVersionRequest req;
  req.mutable_model_version()->set_name("models/m/versions/1");
  req.mutable_model_version()->set_stage(v1::MODEL_STAGE_PRODUCTION);
  req.mutable_model_version()->set_etag(v1.etag());
  req.mutable_update_mask()->add_paths("stage");
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion after, registry_->UpdateModelVersion(ctx_, req));
  EXPECT_EQ(after.stage(), v1::MODEL_STAGE_PRODUCTION);
  EXPECT_EQ(after.tree_digest().sha256(), v1.tree_digest().sha256());
  EXPECT_THAT(registry_->UpdateModelVersion(ctx_, req), StatusIs(absl::StatusCode::kAborted));  // stale etag
  req.mutable_model_version()->clear_etag();
  req.mutable_update_mask()->set_paths(0, "tree_digest");
  EXPECT_THAT(registry_->UpdateModelVersion(ctx_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("immutable")));
}

TEST_F(ModelMutableFieldsTest, AliasesMoveResolveAndDelete) {
  v1::SetModelAliasRequest set;
  set.set_name("models/m");
  set.set_alias("champion");
  set.set_version(1);
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel m, registry_->SetModelAlias(ctx_, set));
  EXPECT_EQ(m.aliases().at("champion"), 1);
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion champion, Version("champion"));
  EXPECT_EQ(champion.version(), 1);
  EXPECT_THAT(champion.aliases(), ::testing::ElementsAre("champion"));
  set.set_version(2);  // moves
  ASSERT_OK(registry_->SetModelAlias(ctx_, set).status());
  ASSERT_OK_AND_ASSIGN(champion, Version("champion"));
  EXPECT_EQ(champion.version(), 2);
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion one, Version("1"));
  EXPECT_TRUE(one.aliases().empty());
  set.set_version(9);
  EXPECT_THAT(registry_->SetModelAlias(ctx_, set), StatusIs(absl::StatusCode::kNotFound));
  set.set_alias("Bad Alias");
  EXPECT_THAT(registry_->SetModelAlias(ctx_, set), StatusIs(absl::StatusCode::kInvalidArgument));
  // MLflow's rule: any case, any script; "latest" and v<digits> reserved.
  set.set_version(1);
  set.set_alias("Latest");
  EXPECT_THAT(registry_->SetModelAlias(ctx_, set), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reserved")));
  set.set_alias("Best_\xC3\xA9t\xC3\xA9-2024");
  ASSERT_OK(registry_->SetModelAlias(ctx_, set).status());
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion best, Version("Best_\xC3\xA9t\xC3\xA9-2024"));
  EXPECT_EQ(best.version(), 1);
  // Digits only: an alias too (MLflow's "@12"), set and resolved through
  // the alias fields; in a version name, a number is the version.
  set.set_alias("2");
  ASSERT_OK_AND_ASSIGN(m, registry_->SetModelAlias(ctx_, set));
  EXPECT_EQ(m.aliases().at("2"), 1);
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion two, Version("2"));
  EXPECT_EQ(two.version(), 2);
  // Digits in a version name are a version number, spelled one way: the
  // alias "002" is read through the alias fields only.
  set.set_alias("002");
  ASSERT_OK(registry_->SetModelAlias(ctx_, set).status());
  EXPECT_THAT(Version("002"), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::DeleteModelAliasRequest del;
  del.set_name("models/m");
  del.set_alias("champion");
  ASSERT_OK(registry_->DeleteModelAlias(ctx_, del).status());
  EXPECT_THAT(registry_->DeleteModelAlias(ctx_, del), StatusIs(absl::StatusCode::kNotFound));  // unknown alias
  EXPECT_THAT(Version("champion"), StatusIs(absl::StatusCode::kNotFound));
}

// A deleted version disappears from reads, lists and writes unless asked
// for, keeps its tree and number, takes its aliases along, and every step
// (failures too) is in the audit log.
TEST_F(ModelMutableFieldsTest, DeleteVersionIsSoftAndHidesIt) {
  v1::SetModelAliasRequest set;
  set.set_name("models/m");
  set.set_alias("champion");
  set.set_version(1);
  ASSERT_OK(registry_->SetModelAlias(ctx_, set).status());
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion one, Version("1"));

  v1::DeleteModelVersionRequest del;
  del.set_name("models/m/versions/champion");
  EXPECT_THAT(registry_->DeleteModelVersion(ctx_, del),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("by number")));
  del.set_name("models/m/versions/1");
  del.set_etag("9-0123456789ab");
  EXPECT_THAT(registry_->DeleteModelVersion(ctx_, del), StatusIs(absl::StatusCode::kAborted));
  del.set_etag(one.etag());
  const int64_t before = AuditCount();
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion gone, registry_->DeleteModelVersion(ctx_, del));
  EXPECT_TRUE(gone.has_delete_time());
  EXPECT_NE(gone.etag(), one.etag());
  EXPECT_TRUE(gone.aliases().empty());
  EXPECT_EQ(gone.tree_digest().sha256(), tree_.sha256);
  EXPECT_EQ(AuditCount(), before + 2);  // the version and its alias

  EXPECT_THAT(Version("1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Version("champion"), StatusIs(absl::StatusCode::kNotFound));
  v1::GetModelVersionRequest get;
  get.set_name("models/m/versions/1");
  get.set_show_deleted(true);
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion shown, registry_->GetModelVersion(get));
  EXPECT_EQ(shown.delete_time().seconds(), gone.delete_time().seconds());
  EXPECT_EQ(shown.etag(), gone.etag());

  v1::ListModelVersionsRequest list;
  list.set_parent("models/m");
  ASSERT_OK_AND_ASSIGN(auto live, registry_->ListModelVersions(list));
  ASSERT_EQ(live.model_versions_size(), 1);
  EXPECT_EQ(live.model_versions(0).version(), 2);
  list.set_show_deleted(true);
  list.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(auto all, registry_->ListModelVersions(list));
  ASSERT_EQ(all.model_versions_size(), 1);
  EXPECT_TRUE(all.model_versions(0).has_delete_time());
  // A page token of the list with deleted versions is not one of the list without.
  v1::ListModelVersionsRequest other;
  other.set_parent("models/m");
  other.set_page_token(all.next_page_token());
  EXPECT_THAT(registry_->ListModelVersions(other), StatusIs(absl::StatusCode::kInvalidArgument));

  // Writes see no version: delete again, update, alias.
  const int64_t refused = AuditCount();
  del.clear_etag();
  EXPECT_THAT(registry_->DeleteModelVersion(ctx_, del), StatusIs(absl::StatusCode::kNotFound));
  v1::UpdateModelVersionRequest upd;
  upd.mutable_model_version()->set_name("models/m/versions/1");
  upd.mutable_update_mask()->add_paths("description");
  EXPECT_THAT(registry_->UpdateModelVersion(ctx_, upd), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(registry_->SetModelAlias(ctx_, set), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AuditCount(), refused + 3);
  upd.mutable_update_mask()->set_paths(0, "delete_time");
  upd.mutable_model_version()->set_name("models/m/versions/2");
  EXPECT_THAT(registry_->UpdateModelVersion(ctx_, upd),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("immutable")));

  // The number is not given again; the tree is still registered.
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion three, CreateVersion("m", tree_));
  EXPECT_EQ(three.version(), 3);
  EXPECT_OK(cas_->TreeEntries(tree_).status());
  v1::GetRegisteredModelRequest model;
  model.set_name("models/m");
  ASSERT_OK_AND_ASSIGN(v1::RegisteredModel m, registry_->GetRegisteredModel(model));
  EXPECT_TRUE(m.aliases().empty());
}

// A request id replayed after its version was deleted answers with the
// first result (deleted), not with a new version.
TEST_F(ModelRegistryTest, ARetryAfterTheVersionWasDeletedReplaysIt) {
  ASSERT_OK(CreateModel("m").status());
  Digest tree = PutFolder({{"MLmodel", kMlmodel}, {"model.pkl", "pickle"}});
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion first, CreateVersion("m", tree, "req-1"));
  v1::DeleteModelVersionRequest del;
  del.set_name(first.name());
  ASSERT_OK(registry_->DeleteModelVersion(ctx_, del).status());
  ASSERT_OK_AND_ASSIGN(v1::ModelVersion again, CreateVersion("m", tree, "req-1"));
  EXPECT_EQ(again.name(), first.name());
  EXPECT_TRUE(again.has_delete_time());
  // With every version deleted, the model deletes without force.
  v1::DeleteRegisteredModelRequest del_model;
  del_model.set_name("models/m");
  EXPECT_OK(registry_->DeleteRegisteredModel(ctx_, del_model).status());
}

}  // namespace
}  // namespace fairtrace
