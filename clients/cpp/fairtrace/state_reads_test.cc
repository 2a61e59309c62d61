// The read views and their comparison with state documents, without a
// server (tests/state_digest_test.cc runs them against the real one).
#include "clients/cpp/fairtrace/state_reads.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/content/sha256.h"
#include "google/protobuf/util/time_util.h"

namespace fairtrace::client {
namespace {

using google::protobuf::util::TimeUtil;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kTree(64, 'a');
const std::string kOtherTree(64, 'b');

v1::ModelVersion Version() {
  v1::ModelVersion v;
  v.set_name("models/leaf/versions/2");
  v.set_uid("u-2");
  v.set_version(2);
  v.mutable_tree_digest()->set_sha256(kTree);
  v.mutable_tree_digest()->set_size_bytes(812);
  v.set_source_run("runs/0123456789abcdef0123456789abcdef");
  (*v.mutable_tags())["team"] = "roots";
  v.set_stage(v1::MODEL_STAGE_PRODUCTION);
  *v.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(1'700'000'000'123'456);
  *v.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(1'700'000'100'000'000);
  v.set_etag("3-0123456789ab");
  return v;
}

// The version's state document as the server writes it (columns of
// model_versions, docs/audit-log.md "The state document").
json VersionDocument() {
  return {
      {"kind", "modelVersion"},
      {"name", "models/leaf/versions/2"},
      {"model_id", "leaf"},
      {"version", 2},
      {"uid", "u-2"},
      {"tree_sha256", kTree},
      {"tree_size", 812},
      {"mlmodel_json", {{"flavors", json::object()}}},
      {"source_run", "runs/0123456789abcdef0123456789abcdef"},
      {"description", ""},
      {"tags_json", {{"team", "roots"}}},
      {"stage", "PRODUCTION"},
      {"create_time", 1'700'000'000'123'456},
      {"update_time", 1'700'000'100'000'000},
      {"revision", 3},
      {"lineage",
       Sha256Hex(
           Sha256Hex(std::string(R"({"object":"trees/)") + kTree +
                     R"(/812","predicate":"wasDerivedFrom","role":"content","subject":"models/leaf/versions/2"})") +
           R"({"object":"runs/0123456789abcdef0123456789abcdef","predicate":"wasGeneratedBy","role":"model","subject":"models/leaf/versions/2"})")}};
}

TEST(StateReadsTest, AVersionReadAgreesWithItsDocument) {
  ReadCheck c = CompareReadView(VersionDocument(), ModelVersionView(Version()), "GetModelVersion");
  EXPECT_TRUE(c.read);
  EXPECT_THAT(c.differences, IsEmpty());
  EXPECT_EQ(c.fields, 13);
}

TEST(StateReadsTest, AVersionReadPointingAtAnotherTreeIsNamed) {
  v1::ModelVersion v = Version();
  v.mutable_tree_digest()->set_sha256(kOtherTree);
  ReadCheck c = CompareReadView(VersionDocument(), ModelVersionView(v), "GetModelVersion");
  // The tree, and the lineage edge to it.
  ASSERT_EQ(c.differences.size(), 2u);
  EXPECT_THAT(c.differences[0], HasSubstr("lineage: the document says "));
  EXPECT_THAT(c.differences[1], HasSubstr("tree_sha256: the document says \"" + kTree));
  EXPECT_THAT(c.differences[1], HasSubstr("GetModelVersion says \"" + kOtherTree));
}

TEST(StateReadsTest, EveryDifferingFieldIsNamedAndAMissingFieldToo) {
  v1::ModelVersion v = Version();
  v.set_stage(v1::MODEL_STAGE_ARCHIVED);
  (*v.mutable_tags())["team"] = "shoots";
  *v.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(1);
  json doc = VersionDocument();
  doc.erase("source_run");
  ReadCheck c = CompareReadView(doc, ModelVersionView(v), "GetModelVersion");
  std::vector<std::string> fields;
  for (const std::string& d : c.differences) fields.push_back(d.substr(0, d.find(':')));
  std::sort(fields.begin(), fields.end());
  EXPECT_THAT(fields, ElementsAre("source_run", "stage", "tags_json", "update_time"));
  // The revision is the etag's number.
  v = Version();
  v.set_etag("4-0123456789ab");
  EXPECT_THAT(CompareReadView(VersionDocument(), ModelVersionView(v), "GetModelVersion").differences,
              ElementsAre(HasSubstr("revision: the document says 3, GetModelVersion says 4")));
  v.set_etag("no revision");
  EXPECT_THAT(CompareReadView(VersionDocument(), ModelVersionView(v), "GetModelVersion").differences,
              ElementsAre(HasSubstr("revision: the document says 3, GetModelVersion says null")));
}

TEST(StateReadsTest, ADefaultProjectIsLeftOutOfDocumentsAndSaidEitherWayByReads) {
  json doc = {{"name", "datasets/d"}};
  for (const char* read : {"", "default"}) {
    EXPECT_THAT(CompareReadView(doc, {{"project", read}}, "GetDataset").differences, IsEmpty()) << read;
  }
  EXPECT_THAT(CompareReadView(doc, {{"project", "embargo"}}, "GetDataset").differences,
              ElementsAre(HasSubstr("project: the document says \"default\"")));
  doc["project"] = "embargo";
  EXPECT_THAT(CompareReadView(doc, {{"project", "embargo"}}, "GetDataset").differences, IsEmpty());
  EXPECT_THAT(CompareReadView(doc, {{"project", ""}}, "GetDataset").differences, ::testing::SizeIs(1));
}

TEST(StateReadsTest, ARunsParamsAndMetricsChainsAreRecomputedFromTheReads) {
  v1::Run r;
  r.set_name("runs/0123456789abcdef0123456789abcdef");
  (*r.mutable_params())["lr"] = "0.001";
  (*r.mutable_params())["epochs"] = "10";
  r.set_status(v1::RUN_STATUS_FINISHED);
  r.set_kind(v1::RUN_KIND_TRAINING);
  auto point = [](const char* key, double value, int64_t step, int64_t order) {
    v1::Metric m;
    m.set_key(key);
    m.set_value(value);
    m.set_step(step);
    *m.mutable_timestamp() = TimeUtil::MicrosecondsToTimestamp(1000 + order);
    m.set_log_order(order);
    return m;
  };
  // Histories come per key; the chain is in logging order across keys.
  std::vector<v1::Metric> history = {point("loss", 0.5, 1, 10), point("loss", std::nan(""), 2, 30),
                                     point("acc", 0.25, 1, 20)};
  json view = RunView(r, history);
  // c1 = SHA-256("" || row1), c2 = SHA-256(c1 || row2), rows by key.
  const std::string c1 = Sha256Hex(R"({"key":"epochs","value":"10"})");
  const std::string c2 = Sha256Hex(c1 + R"({"key":"lr","value":"0.001"})");
  EXPECT_EQ(view["params"], c2);
  const std::string m1 = Sha256Hex(R"({"key":"loss","step":1,"timestamp":1010,"value":0.5})");
  const std::string m2 = Sha256Hex(m1 + R"({"key":"acc","step":1,"timestamp":1020,"value":0.25})");
  const std::string m3 = Sha256Hex(m2 + R"({"key":"loss","step":2,"timestamp":1030,"value":null})");
  EXPECT_EQ(view["metrics"], m3);
  history[0].set_value(0.01);  // a better loss
  EXPECT_NE(RunView(r, history)["metrics"], m3);
  EXPECT_EQ(view["status"], "FINISHED");
  EXPECT_EQ(view["run_kind"], "TRAINING");
  EXPECT_TRUE(view["end_time"].is_null());
  // No params: the empty chain.
  EXPECT_EQ(RunView(v1::Run(), {})["params"], "");
  EXPECT_EQ(RunView(v1::Run(), {})["metrics"], "");
  EXPECT_EQ(RunView(v1::Run(), {})["run_kind"], "");
}

TEST(StateReadsTest, ASplitsItemsChainIsRecomputedFromItsPartsInPartThenPathOrder) {
  v1::Split s;
  s.set_method(v1::SPLIT_METHOD_KFOLD);
  json view = SplitView(s, {{"train", {"b.png", "a.png"}}, {"test", {"c.png"}}});
  std::string chain;
  for (const char* row : {R"({"part":"test","path":"c.png"})", R"({"part":"train","path":"a.png"})",
                          R"({"part":"train","path":"b.png"})"}) {
    chain = Sha256Hex(chain + row);
  }
  EXPECT_EQ(view["items"], chain);
  EXPECT_EQ(view["method"], "kfold");
  // An item moved from one part to another changes the chain.
  EXPECT_NE(SplitView(s, {{"train", {"b.png"}}, {"test", {"a.png", "c.png"}}})["items"], chain);
}

TEST(StateReadsTest, EnumsTimesAndFlagsTakeTheDocumentsRepresentation) {
  v1::AnnotationSet a;
  a.set_task(v1::ANNOTATION_TASK_BOXES);
  a.set_format(v1::ANNOTATION_FORMAT_COCO_JSON);
  a.mutable_source_blob()->set_sha256(kTree);
  a.mutable_source_blob()->set_size_bytes(9);
  json av = AnnotationSetView(a);
  EXPECT_EQ(av["task"], "boxes");
  EXPECT_EQ(av["format"], "coco_json");
  EXPECT_EQ(av["source_digest"], kTree);
  v1::AnnotationSet masks;
  masks.set_format(v1::ANNOTATION_FORMAT_MASK_FOLDER);
  masks.mutable_source_tree()->set_sha256(kOtherTree);
  EXPECT_EQ(AnnotationSetView(masks)["source_digest"], kOtherTree);

  v1::LeakageReport l;
  l.set_leakage_found(true);
  EXPECT_EQ(LeakageReportView(l)["leakage_found"], 1);

  v1::Token t;
  t.set_name("tokens/0123456789abcdef");
  *t.mutable_revoke_time() = TimeUtil::MicrosecondsToTimestamp(42);
  json tv = TokenView(t);
  EXPECT_EQ(tv["expire_time"], 0);  // "never", as access_tokens stores it
  EXPECT_EQ(tv["revoke_time"], 42);

  v1::RegisteredModel m;
  (*m.mutable_aliases())["champion"] = 3;
  EXPECT_EQ(ModelAliasView(m, "champion")["version"], 3);
  EXPECT_TRUE(ModelAliasView(m, "gone")["version"].is_null());

  v1::Grant g;
  g.set_principal("user:ana");
  g.set_role("viewer");
  g.set_project("default");
  EXPECT_EQ(GrantView(g)["name"], "grants/user:ana/viewer/default");
}

}  // namespace
}  // namespace fairtrace::client
