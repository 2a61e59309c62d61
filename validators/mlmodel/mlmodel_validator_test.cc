#include "validators/mlmodel/mlmodel_validator.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/text/utf8.h"
#include "tests/testing/shared.h"

namespace fairtrace::mlmodel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace stdfs = std::filesystem;

std::vector<std::string> Fields(const Report& r) {
  std::vector<std::string> out;
  for (const auto& v : r.violations) out.push_back(v.field);
  return out;
}

const char kMinimal[] = R"(flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
  sklearn:
    pickled_model: model.pkl
    code: null
model_size_bytes: 5
model_uuid: abc
run_id: r1
signature:
  inputs: '[{"type": "double", "name": "x"}]'
  outputs: '[{"type": "long"}]'
  params: null
saved_input_example_info:
  artifact_path: input_example.json
  type: dataframe
metadata:
  task: leaf-area
x_lab_owner: phenome
)";

const std::vector<std::string> kPaths = {"MLmodel",         "python_model.pkl", "conda.yaml",
                                         "python_env.yaml", "model.pkl",        "input_example.json"};

TEST(MlmodelValidator, CompiledInRulesLoad) { EXPECT_TRUE(Validator::Default().Validate(kMinimal, kPaths).ok()); }

TEST(MlmodelValidator, AcceptsAndRecordsAValidModel) {
  Report r = Validator::Default().Validate(kMinimal, kPaths);
  ASSERT_TRUE(r.ok()) << r.violations[0].field << ": " << r.violations[0].description;
  EXPECT_THAT(r.info.flavors, ElementsAre("python_function", "sklearn"));
  EXPECT_EQ(r.info.model_uuid, "abc");
  EXPECT_EQ(r.info.run_id, "r1");
  EXPECT_EQ(r.info.model_size_bytes, 5);
  EXPECT_EQ(r.info.signature["inputs"][0]["name"], "x");
  EXPECT_TRUE(r.info.signature["params"].is_null());
  EXPECT_EQ(r.info.metadata["task"], "leaf-area");
  EXPECT_EQ(r.info.extensions["x_lab_owner"], "phenome");  // unknown keys kept
  EXPECT_EQ(r.info.flavor_details["sklearn"]["pickled_model"], "model.pkl");
}

// Shapes yaml-cpp and nlohmann::json throw on (issue 8, item 3) are
// findings, never exceptions.
TEST(MlmodelValidator, LibraryExceptionsBecomeFindings) {
  for (const std::string& yaml : {std::string("? [a, b]\n: c\nflavors:\n  sklearn: {pickled_model: model.pkl}\n"),
                                  std::string("flavors:\n  ? {x: 1}\n  : {}\n"),
                                  std::string("flavors:\n  sklearn:\n    pickled_model: [1, [2]]\n")}) {
    Report r;
    ASSERT_NO_THROW(r = Validator::Default().Validate(yaml, kPaths)) << yaml;
    EXPECT_FALSE(r.ok()) << yaml;
  }
}

// Issue 8, item 11: an artifact the MLmodel names but the folder lacks made
// mlflow.pyfunc.load_model fail after the version was accepted.
TEST(MlmodelValidator, PyfuncArtifactsMustBeInTheFolder) {
  std::string yaml = R"(flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    artifacts:
      weights:
        path: artifacts/weights.bin
        uri: /home/ana/weights.bin
      vocab: artifacts/vocab.txt
      labels:
        uri: /tmp/labels.csv
)";
  std::vector<std::string> paths = {"MLmodel", "python_model.pkl", "artifacts/weights.bin"};
  Report r = Validator::Default().Validate(yaml, paths);
  EXPECT_THAT(Fields(r), ::testing::UnorderedElementsAre("flavors.python_function.artifacts.vocab",
                                                         "flavors.python_function.artifacts.labels.path"));
  paths.push_back("artifacts/vocab.txt");
  yaml = yaml.substr(0, yaml.find("      labels:"));
  EXPECT_TRUE(Validator::Default().Validate(yaml, paths).ok());
  EXPECT_FALSE(Validator::Default().Validate(yaml + "    artifacts_x: 1\n", {"MLmodel"}).ok());
}

// Found by fuzz/mlmodel_fuzz: yaml-cpp's message quoted one byte of a
// multi-byte character ("unknown escape character: \xF0").
TEST(MlmodelValidator, ViolationsAreValidUtf8EvenWhenYamlCppQuotesHalfACharacter) {
  const std::string yaml = std::string("f\0\0\0\0\0\0\0; x: \"\\\xF0\x9F\x8C\xB1\"\n", 30);
  Report r = Validator::Default().Validate(yaml, kPaths);
  ASSERT_FALSE(r.ok());
  for (const auto& v : r.violations) {
    EXPECT_TRUE(text::IsValidUtf8(v.field));
    EXPECT_TRUE(text::IsValidUtf8(v.description)) << v.description;
  }
}

// Found by fuzz/mlmodel_fuzz (10-minute run): a valid UTF-8 file whose
// parsed values did not serialise as JSON (the server then failed with
// INTERNAL). Now a violation; what an accepted model records serialises.
TEST(MlmodelValidator, ValuesThatCannotBeRecordedAreViolations) {
  std::ifstream in(std::string(FAIRTRACE_SOURCE_DIR) + "/fuzz/corpus/mlmodel_fuzz/crash-yaml-escape-invalid-text",
                   std::ios::binary);
  ASSERT_TRUE(in);
  std::string yaml((std::istreambuf_iterator<char>(in)), {});
  Report r;
  ASSERT_NO_THROW(r = Validator::Default().Validate(yaml, kPaths));
  if (r.ok()) {
    EXPECT_NO_THROW((void)r.info.flavor_details.dump());
    EXPECT_NO_THROW((void)r.info.extensions.dump());
    EXPECT_NO_THROW((void)r.info.metadata.dump());
  }
}

TEST(MlmodelValidator, InvalidUtf8IsAFinding) {
  std::string yaml = std::string(kMinimal) + "x_note: caf\xE9\n";
  Report r;
  ASSERT_NO_THROW(r = Validator::Default().Validate(yaml, kPaths));
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].field, "MLmodel");
  EXPECT_THAT(r.violations[0].description, HasSubstr("not valid UTF-8"));
}

TEST(MlmodelValidator, NotYaml) {
  Report r = Validator::Default().Validate("flavors: [unclosed\n  - : :", kPaths);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].field, "MLmodel");
  EXPECT_THAT(r.violations[0].description, HasSubstr("not valid YAML"));
  EXPECT_THAT(r.violations[0].description, HasSubstr("line"));
}

TEST(MlmodelValidator, NotAMappingOrNoFlavors) {
  EXPECT_THAT(Fields(Validator::Default().Validate("- a\n- b\n", kPaths)), ElementsAre("MLmodel"));
  EXPECT_THAT(Fields(Validator::Default().Validate("model_uuid: x\n", kPaths)), ElementsAre("flavors"));
  EXPECT_THAT(Fields(Validator::Default().Validate("flavors: {}\n", kPaths)), ElementsAre("flavors"));
}

TEST(MlmodelValidator, EveryMissingFileIsOneViolation) {
  std::vector<std::string> paths = {"MLmodel", "conda.yaml"};
  Report r = Validator::Default().Validate(kMinimal, paths);
  EXPECT_THAT(Fields(r), ElementsAre("flavors.python_function.python_model", "flavors.python_function.env.virtualenv",
                                     "flavors.sklearn.pickled_model", "saved_input_example_info.artifact_path"));
  EXPECT_THAT(r.violations[0].description, HasSubstr("python_model.pkl"));
}

TEST(MlmodelValidator, FolderNamesAndUnsafeNames) {
  const char* yaml = R"(flavors:
  python_function:
    data: model_dir/
    code: ../outside
  sklearn:
    pickled_model: /etc/passwd
)";
  Report r = Validator::Default().Validate(yaml, {"model_dir/a/b.bin"});
  EXPECT_THAT(Fields(r), ElementsAre("flavors.python_function.code", "flavors.sklearn.pickled_model"));
  EXPECT_THAT(r.violations[0].description, HasSubstr("leaves the model folder"));
  EXPECT_THAT(r.violations[1].description, HasSubstr("not a relative path"));
}

TEST(MlmodelValidator, SignatureStringsMustBeJson) {
  std::string yaml = kMinimal;
  yaml.replace(yaml.find("'[{\"type\": \"long\"}]'"), 19, "'[{not json'");
  Report r = Validator::Default().Validate(yaml, kPaths);
  EXPECT_THAT(Fields(r), ElementsAre("signature.outputs"));
}

TEST(MlmodelValidator, LegacyStringEnvAndBadSize) {
  const char* yaml = "flavors:\n  python_function:\n    env: conda.yaml\nmodel_size_bytes: -3\n";
  Report r = Validator::Default().Validate(yaml, {"MLmodel"});
  EXPECT_THAT(Fields(r), ElementsAre("flavors.python_function.env", "model_size_bytes"));
}

TEST(MlmodelValidator, RulesAreData) {
  auto v = Validator::FromRules("required: [flavors, run_id]\nflavor_files:\n  custom: [weights]\n");
  ASSERT_TRUE(v.ok()) << v.status();
  Report r = (*v)->Validate("flavors:\n  custom:\n    weights: w.bin\n", {"MLmodel"});
  EXPECT_THAT(Fields(r), ElementsAre("run_id", "flavors.custom.weights"));
  EXPECT_FALSE(Validator::FromRules("[not, a, mapping]").ok());
}

// The real folders MLflow 2.10.2 wrote (../shared/mlflow-models), when present.
class SharedModels : public ::testing::TestWithParam<std::string> {
 protected:
  stdfs::path Dir() { return stdfs::path(FAIRTRACE_SHARED_DIR) / "mlflow-models" / GetParam(); }
  void SetUp() override {
    FT_REQUIRE_PATH(Dir());
    std::cout << "[ shared   ] validating the real MLflow folder " << Dir() << "\n";
    for (const auto& e : stdfs::recursive_directory_iterator(Dir())) {
      if (e.is_regular_file()) paths_.push_back(e.path().lexically_relative(Dir()).generic_string());
    }
    std::ifstream in(Dir() / "MLmodel");
    mlmodel_.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<std::string> paths_;
  std::string mlmodel_;
};

TEST_P(SharedModels, ValidatesAsWritten) {
  Report r = Validator::Default().Validate(mlmodel_, paths_);
  for (const auto& v : r.violations) ADD_FAILURE() << v.field << ": " << v.description;
  EXPECT_EQ(r.info.mlflow_version, "2.10.2");
  EXPECT_EQ(r.info.model_uuid.size(), 32u);
  EXPECT_TRUE(r.info.model_size_bytes.has_value());
  EXPECT_TRUE(r.info.signature["inputs"].is_array());
  EXPECT_TRUE(r.info.signature["params"].is_null());
}

TEST_P(SharedModels, MutatedCopiesFail) {
  std::vector<std::string> without_example;
  for (const auto& p : paths_) {
    if (p != "input_example.json") without_example.push_back(p);
  }
  EXPECT_THAT(Fields(Validator::Default().Validate(mlmodel_, without_example)),
              ElementsAre("saved_input_example_info.artifact_path"));
  std::string broken = mlmodel_;
  broken.replace(broken.find("inputs: '["), 10, "inputs: '{");
  EXPECT_THAT(Fields(Validator::Default().Validate(broken, paths_)), ElementsAre("signature.inputs"));
  EXPECT_THAT(Fields(Validator::Default().Validate("flavors: [\n", paths_)), ElementsAre("MLmodel"));
}

INSTANTIATE_TEST_SUITE_P(Mlflow2102, SharedModels, ::testing::Values("pyfunc-leaf-area", "sklearn-stress-classifier"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace fairtrace::mlmodel
