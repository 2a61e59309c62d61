// The model registry over the wire, with the real MLflow 2.10.2 folders of
// ../shared/mlflow-models: push, register, export byte-identical; bad input.
#include <fstream>

#include "clients/cpp/fairtrace/pull.h"
#include "clients/cpp/fairtrace/push.h"
#include "fairtrace/v1/models.grpc.pb.h"
#include "tests/testing/server_fixture.h"
#include "tests/testing/shared.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace::testing {
namespace {

namespace stdfs = std::filesystem;

class ModelsTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    models_ = v1::ModelService::NewStub(channel_);
  }
  static stdfs::path Shared(const std::string& name) {
    return stdfs::path(FAIRTRACE_SHARED_DIR) / "mlflow-models" / name;
  }
  grpc::Status CreateModel(const std::string& id, v1::RegisteredModel* out) {
    grpc::ClientContext ctx;
    v1::CreateRegisteredModelRequest req;
    req.set_model_id(id);
    req.mutable_registered_model()->set_license("Apache-2.0");
    return models_->CreateRegisteredModel(&ctx, req, out);
  }
  grpc::Status CreateVersion(const std::string& model, const Digest& tree, const std::string& request_id,
                             v1::ModelVersion* out) {
    grpc::ClientContext ctx;
    v1::CreateModelVersionRequest req;
    req.set_parent("models/" + model);
    *req.mutable_model_version()->mutable_tree_digest() = DigestToProto(tree);
    req.set_request_id(request_id);
    return models_->CreateModelVersion(&ctx, req, out);
  }
  std::unique_ptr<v1::ModelService::Stub> models_;
};

TEST_F(ModelsTest, RealMlflowFoldersRegisterAndExportByteIdentical) {
  for (const std::string name : {"pyfunc-leaf-area", "sklearn-stress-classifier"}) {
    FT_REQUIRE_PATH(Shared(name));
    std::cout << "[ shared   ] registering the real MLflow folder " << Shared(name) << "\n";
    ASSERT_OK_AND_ASSIGN(client::PushResult pushed, client::Push(*client_, Shared(name), {}));
    v1::RegisteredModel model;
    ASSERT_TRUE(CreateModel(name, &model).ok());
    v1::ModelVersion version;
    grpc::Status s = CreateVersion(name, pushed.digest, "", &version);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(version.name(), "models/" + name + "/versions/1");
    EXPECT_EQ(version.mlmodel().mlflow_version(), "2.10.2");
    EXPECT_TRUE(version.mlmodel().has_model_size_bytes());
    EXPECT_NE(version.mlmodel().signature_json().find("inputs"), std::string::npos);

    stdfs::path out = dir_.path() / ("export-" + name);
    ASSERT_OK(client::Pull(*client_, DigestFromProto(version.tree_digest(), "tree").value(), out, false).status());
    for (const auto& e : stdfs::directory_iterator(Shared(name))) {
      std::ifstream a(e.path(), std::ios::binary), b(out / e.path().filename(), std::ios::binary);
      std::string sa(std::istreambuf_iterator<char>(a), {}), sb(std::istreambuf_iterator<char>(b), {});
      EXPECT_EQ(sa, sb) << e.path();
    }
    EXPECT_EQ(std::distance(stdfs::directory_iterator(out), {}),
              std::distance(stdfs::directory_iterator(Shared(name)), {}));
  }
}

TEST_F(ModelsTest, SameRequestIdTwiceCreatesOnce) {
  FT_REQUIRE_PATH(Shared("sklearn-stress-classifier"));
  ASSERT_OK_AND_ASSIGN(client::PushResult pushed, client::Push(*client_, Shared("sklearn-stress-classifier"), {}));
  v1::RegisteredModel model;
  ASSERT_TRUE(CreateModel("stress", &model).ok());
  v1::ModelVersion first, second;
  ASSERT_TRUE(CreateVersion("stress", pushed.digest, "retry-7f3a", &first).ok());
  ASSERT_TRUE(CreateVersion("stress", pushed.digest, "retry-7f3a", &second).ok());
  EXPECT_EQ(first.uid(), second.uid());
  grpc::ClientContext ctx;
  v1::ListModelVersionsRequest list;
  list.set_parent("models/stress");
  v1::ListModelVersionsResponse resp;
  ASSERT_TRUE(models_->ListModelVersions(&ctx, list, &resp).ok());
  EXPECT_EQ(resp.model_versions_size(), 1);
}

TEST_F(ModelsTest, MutatedCopyWithMissingFileIsRejectedPerField) {
  FT_REQUIRE_PATH(Shared("sklearn-stress-classifier"));
  stdfs::path copy = dir_.path() / "mutated";
  stdfs::copy(Shared("sklearn-stress-classifier"), copy);
  for (const auto& e : stdfs::directory_iterator(copy)) {
    stdfs::permissions(e.path(), stdfs::perms::owner_write, stdfs::perm_options::add);
  }
  stdfs::remove(copy / "model.pkl");  // named by sklearn.pickled_model and python_function.model_path
  ASSERT_OK_AND_ASSIGN(client::PushResult pushed, client::Push(*client_, copy, {}));
  v1::RegisteredModel model;
  ASSERT_TRUE(CreateModel("mutated", &model).ok());
  v1::ModelVersion version;
  grpc::Status s = CreateVersion("mutated", pushed.digest, "", &version);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(s), "INVALID_MLMODEL");
  EXPECT_THAT(ViolatedFields(s), ::testing::UnorderedElementsAre("MLmodel.flavors.python_function.model_path",
                                                                 "MLmodel.flavors.sklearn.pickled_model"));
}

TEST_F(ModelsTest, VersionWhoseBlobsAreMissingIsAFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(std::string manifest, EncodeTree({{"MLmodel", DigestOf("flavors: {}\n"), false}}));
  ASSERT_OK(client_->UploadBatch({{DigestOf(manifest), manifest}}));
  v1::RegisteredModel model;
  ASSERT_TRUE(CreateModel("partial", &model).ok());
  v1::ModelVersion version;
  grpc::Status s = CreateVersion("partial", DigestOf(manifest), "", &version);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "MISSING_BLOBS");
}

TEST_F(ModelsTest, DuplicateNamesAndBadNames) {
  v1::RegisteredModel model;
  ASSERT_TRUE(CreateModel("dup", &model).ok());
  grpc::Status s = CreateModel("dup", &model);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(s), "MODEL_EXISTS");
  s = CreateModel("Not_Valid", &model);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(s), ::testing::ElementsAre("model_id"));
}

}  // namespace
}  // namespace fairtrace::testing
