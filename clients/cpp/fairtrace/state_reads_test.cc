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
  v1::MlmodelInfo* m = v.mutable_mlmodel();
  m->add_flavors("python_function");
  m->set_mlflow_version("2.10.2");
  m->set_model_size_bytes(812);
  m->set_signature_json(R"({"inputs":"[]"})");
  m->set_saved_input_example_info_json("null");
  m->set_metadata_json("null");
  m->set_flavors_json(R"({"python_function":{"loader_module":"mlflow.sklearn"}})");
  m->set_extensions_json("{}");
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
      {"mlmodel_json",
       {{"flavors", {"python_function"}},
        {"mlflow_version", "2.10.2"},
        {"model_uuid", ""},
        {"run_id", ""},
        {"utc_time_created", ""},
        {"model_size_bytes", 812},
        {"signature", {{"inputs", "[]"}}},
        {"saved_input_example_info", nullptr},
        {"metadata", nullptr},
        {"flavor_details", {{"python_function", {{"loader_module", "mlflow.sklearn"}}}}},
        {"extensions", json::object()}}},
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
  EXPECT_EQ(c.fields, 15);
}

// A deleted version's document has delete_time; a live one's has none
// (resource_state.cc leaves the NULL column out), which a live read matches.
TEST(StateReadsTest, AVersionsDeleteTimeIsComparedLeftOutWhileNull) {
  v1::ModelVersion v = Version();
  v.mutable_delete_time()->set_seconds(1'700'000'200);
  json deleted = VersionDocument();
  deleted["delete_time"] = 1'700'000'200'000'000;
  ReadCheck c = CompareReadView(deleted, ModelVersionView(v), "GetModelVersion");
  EXPECT_THAT(c.differences, IsEmpty());
  EXPECT_EQ(c.fields, 15);
  // The document says deleted and the read not, or the other way round.
  EXPECT_THAT(CompareReadView(deleted, ModelVersionView(Version()), "GetModelVersion").differences,
              ElementsAre(HasSubstr("delete_time: the document says 1700000200000000")));
  EXPECT_THAT(CompareReadView(VersionDocument(), ModelVersionView(v), "GetModelVersion").differences,
              ElementsAre(HasSubstr("delete_time: the document says null")));
}

TEST(StateReadsTest, AVersionsMlmodelIsRebuiltFromTheParsedInfo) {
  v1::ModelVersion v = Version();
  v.mutable_mlmodel()->set_flavors_json(R"({"python_function":{"loader_module":"evil"}})");
  v.mutable_mlmodel()->clear_model_size_bytes();
  EXPECT_THAT(CompareReadView(VersionDocument(), ModelVersionView(v), "GetModelVersion").differences,
              ElementsAre(HasSubstr("mlmodel_json: the document says")));
  EXPECT_TRUE(ModelVersionView(v)["mlmodel_json"]["model_size_bytes"].is_null());
  v.mutable_mlmodel()->set_metadata_json("{not json");  // kept as text: it differs
  EXPECT_EQ(ModelVersionView(v)["mlmodel_json"]["metadata"], "{not json");
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

v1::LineageEdge Edge(const std::string& s, const std::string& p, const std::string& o, const std::string& origin) {
  v1::LineageEdge e;
  e.set_subject(s);
  e.set_predicate(p);
  e.set_object(o);
  e.set_role("r");
  e.set_origin(origin);
  return e;
}

TEST(StateReadsTest, AResourcesLineageChainHoldsOnlyTheEdgesItsOwnCallsMade) {
  const std::string run = "runs/0123456789abcdef0123456789abcdef";
  const std::string model = "models/m/versions/1";
  // Upstream and downstream answers mixed; the version's source-run edge
  // touches the run but belongs to the version.
  std::vector<v1::LineageEdge> edges = {Edge(run, "used", "trees/b", run), Edge(model, "wasGeneratedBy", run, model),
                                        Edge(run, "used", "blobs/a", run), Edge("blobs/o", "wasGeneratedBy", run, run)};
  std::string chain;
  for (const std::string& row :
       {R"({"object":")" + run + R"(","predicate":"wasGeneratedBy","role":"r","subject":"blobs/o"})",
        R"({"object":"blobs/a","predicate":"used","role":"r","subject":")" + run + R"("})",
        R"({"object":"trees/b","predicate":"used","role":"r","subject":")" + run + R"("})"}) {
    chain = Sha256Hex(chain + row);
  }
  EXPECT_EQ(OwnLineageChain(run, edges), chain);
  edges.push_back(edges[0]);  // an edge seen both ways counts once
  EXPECT_EQ(OwnLineageChain(run, edges), chain);
  EXPECT_EQ(OwnLineageChain("runs/other", edges), "");
  // A node the caller may not see: the chain cannot be rebuilt.
  edges.push_back(Edge(run, "used", "redacted/1", run));
  EXPECT_EQ(OwnLineageChain(run, edges), std::nullopt);
  // ... unless the redacted edge is another resource's.
  EXPECT_TRUE(OwnLineageChain(model, edges).has_value());
}

TEST(StateReadsTest, ADatasetVersionsItemsAndLinksChainsAreRecomputedFromItsItems) {
  v1::DatasetVersion v;
  v.set_name("datasets/d/versions/1");
  v.set_uid("u-v1");
  std::vector<v1::Item> items(2);
  items[0].set_path("b.png");
  items[0].mutable_blob()->set_sha256(kTree);
  items[0].mutable_blob()->set_size_bytes(7);
  items[0].set_media_type("image/png");
  items[0].add_links("investigations/i/observationUnits/u1");
  items[0].add_links("investigations/i/samples/s\"1");
  (*items[0].mutable_attributes())["zone"] = "north";
  (*items[0].mutable_attributes())["block"] = "é\n";
  items[0].set_digest("d-b");
  items[1].set_path("a.png");
  items[1].mutable_blob()->set_sha256(kOtherTree);
  items[1].mutable_blob()->set_size_bytes(3);
  items[1].set_media_type("image/png");
  items[1].set_acquired_at("2025-04-01");
  items[1].add_links("investigations/i/observationUnits/u1");
  items[1].set_digest("d-a");
  json view = DatasetVersionView(v, items);
  // Rows by path; JSON columns as the stored texts.
  const std::string i1 = Sha256Hex(
      R"({"acquired_at":"2025-04-01","attributes_json":"{}","blob_digest":")" + kOtherTree +
      R"(","blob_size":3,"item_digest":"d-a","links_json":"[\"investigations/i/observationUnits/u1\"]","media_type":"image/png","path":"a.png","sensor":"","station":"","view":""})");
  const std::string i2 = Sha256Hex(
      i1 + R"({"acquired_at":"","attributes_json":"{\"block\":\"é\\n\",\"zone\":\"north\"}","blob_digest":")" + kTree +
      R"(","blob_size":7,"item_digest":"d-b","links_json":"[\"investigations/i/observationUnits/u1\",\"investigations/i/samples/s\\\"1\"]","media_type":"image/png","path":"b.png","sensor":"","station":"","view":""})");
  EXPECT_EQ(view["items"], i2);
  const std::string l1 = Sha256Hex(R"({"link":"investigations/i/observationUnits/u1","path":"a.png"})");
  const std::string l2 = Sha256Hex(l1 + R"({"link":"investigations/i/observationUnits/u1","path":"b.png"})");
  const std::string l3 = Sha256Hex(l2 + R"({"link":"investigations/i/samples/s\"1","path":"b.png"})");
  EXPECT_EQ(view["links"], l3);
  EXPECT_EQ(view["uid"], "u-v1");
  // An attribute edited changes the items chain only.
  (*items[1].mutable_attributes())["zone"] = "south";
  json edited = DatasetVersionView(v, items);
  EXPECT_NE(edited["items"], i2);
  EXPECT_EQ(edited["links"], l3);
}

TEST(StateReadsTest, ReportsJsonColumnsAreRebuiltFromTheirReads) {
  v1::AgreementReport r;
  v1::AgreementCoefficient* k = r.add_overall();
  k->set_measure("cohen_kappa");
  k->set_defined(true);
  k->set_value(0.25);
  k->set_units(3);
  k->set_interval_defined(true);
  k->set_lower(-0.5);
  k->set_upper(1);
  v1::AgreementCoefficient* a = r.add_overall();
  a->set_measure("krippendorff_alpha");
  a->set_undefined_reason("p_e = 1");
  EXPECT_EQ(AgreementReportView(r)["overall_json"],
            json::parse(R"([{"measure":"cohen_kappa","defined":true,"units":3,"value":0.25,"interval_defined":true,
                            "lower":-0.5,"upper":1.0},
                           {"measure":"krippendorff_alpha","defined":false,"units":0,"undefined_reason":"p_e = 1"}])"));

  v1::LeakageReport l;
  l.set_name("datasets/d/versions/1/splits/s/leakageReports/r1");
  v1::LeakageFinding* f = l.add_findings();
  f->set_kind("exact_duplicate");
  f->set_count(12345678901);
  v1::LeakagePair* p = f->add_pairs();
  p->set_a("a.png");
  p->set_a_part("train");
  p->set_b("b.png");
  p->set_b_part("test");
  p->set_shared(kTree);
  l.add_findings()->set_kind("group:observation_unit");
  EXPECT_EQ(LeakageReportView(l)["findings_json"],
            json::parse(R"([{"kind":"exact_duplicate","count":"12345678901","pairs":[{"a":"a.png","a_part":"train",
                            "b":"b.png","b_part":"test","shared":")" +
                        kTree + R"("}]},{"kind":"group:observation_unit","count":"0","pairs":[]}])"));

  v1::Split s;
  s.set_method(v1::SPLIT_METHOD_KFOLD);
  s.set_folds(5);
  s.set_seed(18446744073709551615u);
  s.set_group_by("observation_unit");
  s.set_digest("not a parameter");
  EXPECT_EQ(SplitView(s, {})["params_json"],
            json::parse(R"({"method":"SPLIT_METHOD_KFOLD","folds":5,"seed":"18446744073709551615",
                            "group_by":"observation_unit"})"));

  v1::AnnotationSet set;
  set.set_annotator("ada");
  set.add_categories()->set_name("healthy");
  set.set_replaces("datasets/d/versions/1/annotationSets/old");
  EXPECT_EQ(AnnotationSetView(set, {})["meta_json"],
            json::parse(R"({"protocol":{},"tool":{},"categories":[{"name":"healthy"}],
                            "replaces":"datasets/d/versions/1/annotationSets/old"})"));
}

TEST(StateReadsTest, AnAnnotationSetsAndARunsArtifactsChainsAreRecomputedAsStored) {
  std::vector<v1::Annotation> annotations(2);
  annotations[0].set_path("b.png");
  annotations[0].set_source_id(7);
  v1::StoredAnnotation* st = annotations[0].mutable_stored();
  st->set_seq(2);
  st->set_category_id(-1);
  st->set_value(0.5);
  for (double x : {1.0, 2.0, 3.5, 4.0}) st->add_bbox(x);
  st->set_geometry_json(R"({"polygons":[[1,2,3,4]]})");
  annotations[1].set_path("a.png");
  v1::StoredAnnotation* first = annotations[1].mutable_stored();
  first->set_seq(1);
  first->set_category_id(0);
  for (int i = 0; i < 4; ++i) first->add_bbox(0);
  const std::string a1 = Sha256Hex(
      R"({"bbox_h":0.0,"bbox_w":0.0,"bbox_x":0.0,"bbox_y":0.0,"category_id":0,"geometry_json":"","mask_digest":"","path":"a.png","seq":1,"source_id":0,"value":0.0})");
  const std::string a2 = Sha256Hex(
      a1 +
      R"({"bbox_h":4.0,"bbox_w":3.5,"bbox_x":1.0,"bbox_y":2.0,"category_id":-1,"geometry_json":"{\"polygons\":[[1,2,3,4]]}","mask_digest":"","path":"b.png","seq":2,"source_id":7,"value":0.5})");
  EXPECT_EQ(AnnotationSetView(v1::AnnotationSet(), annotations)["annotations"], a2);
  st->set_value(0.25);  // an edited measurement
  EXPECT_NE(AnnotationSetView(v1::AnnotationSet(), annotations)["annotations"], a2);

  std::vector<v1::ArtifactChange> changes(2);
  changes[0].set_seq(4);
  changes[0].set_path("model/MLmodel");
  changes[0].mutable_blob()->set_sha256(kTree);
  changes[0].mutable_blob()->set_size_bytes(10);
  changes[1].set_seq(9);
  changes[1].set_path("model/MLmodel");  // then deleted
  const std::string c1 = Sha256Hex(R"({"path":"model/MLmodel","seq":4,"sha256":")" + kTree + R"(","size_bytes":10})");
  EXPECT_EQ(ArtifactsChain(changes),
            Sha256Hex(c1 + R"({"path":"model/MLmodel","seq":9,"sha256":null,"size_bytes":null})"));
  EXPECT_EQ(ArtifactsChain({}), "");
}

TEST(StateReadsTest, ARevisionsEntitiesChainIsRecomputedFromItsEntitiesInSequence) {
  v1::Investigation inv;
  inv.set_name("investigations/drought");
  inv.set_revision(2);
  std::vector<v1::MiappeEntity> entities(2);
  entities[0].set_seq(2);
  entities[0].set_section("study");
  entities[0].set_entity_id("S1");
  entities[0].set_location("study.tsv:2");
  (*entities[0].mutable_values())["studyTitle"] = "Drought \"19\"";
  (*entities[0].mutable_values())["studyId"] = "S1";
  for (const char* k : {"zz note", "aa note"}) {
    v1::ExtensionCell* c = entities[0].add_extension_cells();
    c->set_key(k);
    c->set_value(std::string("v ") + k);
  }
  entities[1].set_seq(1);
  entities[1].set_section("investigation");
  entities[1].set_entity_id("drought");
  entities[1].set_location("investigation.tsv:1");
  json view = InvestigationRevisionView(inv, entities);
  const std::string e1 = Sha256Hex(
      R"({"entity_id":"drought","location":"investigation.tsv:1","record_json":"{\"extensions\":[],\"location\":\"investigation.tsv:1\",\"section\":\"investigation\",\"values\":{}}","section":"investigation","seq":1})");
  const std::string e2 = Sha256Hex(
      e1 +
      R"({"entity_id":"S1","location":"study.tsv:2","record_json":"{\"extensions\":[[\"zz note\",\"v zz note\"],[\"aa note\",\"v aa note\"]],\"location\":\"study.tsv:2\",\"section\":\"study\",\"values\":{\"studyId\":\"S1\",\"studyTitle\":\"Drought \\\"19\\\"\"}}","section":"study","seq":2})");
  EXPECT_EQ(view["entities"], e2);
  EXPECT_EQ(view["name"], "investigations/drought/revisions/2");
  // The extension columns' order is part of the record.
  std::swap(*entities[0].mutable_extension_cells(0), *entities[0].mutable_extension_cells(1));
  EXPECT_NE(InvestigationRevisionView(inv, entities)["entities"], e2);
}

TEST(StateReadsTest, ASplitsPartsAndAnExperimentTakeTheDocumentsShape) {
  v1::Split s;
  v1::SplitPart* train = s.add_parts();
  train->set_part("train");
  train->set_digest("d-train");
  train->set_item_count(8);
  train->set_group_count(3);
  (*(*train->mutable_shares_with())["test"].mutable_counts())["blob"] = 2;
  v1::SplitPart* test = s.add_parts();
  test->set_part("test");
  EXPECT_EQ(SplitView(s, {})["parts_json"],
            json::parse(R"([{"part":"train","digest":"d-train","item_count":8,"group_count":3,
                             "shares_with":{"test":{"blob":2}}},
                            {"part":"test","digest":"","item_count":0,"group_count":0,"shares_with":{}}])"));

  v1::Experiment e;
  e.set_name("experiments/7");
  e.set_display_name("wheat");
  e.set_lifecycle_stage("deleted");
  (*e.mutable_tags())["crop"] = "wheat";
  *e.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(5);
  json ev = ExperimentView(e);
  EXPECT_EQ(ev["experiment_id"], 7);
  EXPECT_EQ(ev["experiment_name"], "wheat");
  EXPECT_EQ(ev["tags_json"], json({{"crop", "wheat"}}));
  EXPECT_EQ(ev["update_time"], 5);
}

TEST(StateReadsTest, EnumsTimesAndFlagsTakeTheDocumentsRepresentation) {
  v1::AnnotationSet a;
  a.set_task(v1::ANNOTATION_TASK_BOXES);
  a.set_format(v1::ANNOTATION_FORMAT_COCO_JSON);
  a.mutable_source_blob()->set_sha256(kTree);
  a.mutable_source_blob()->set_size_bytes(9);
  json av = AnnotationSetView(a, {});
  EXPECT_EQ(av["task"], "boxes");
  EXPECT_EQ(av["format"], "coco_json");
  EXPECT_EQ(av["source_digest"], kTree);
  v1::AnnotationSet masks;
  masks.set_format(v1::ANNOTATION_FORMAT_MASK_FOLDER);
  masks.mutable_source_tree()->set_sha256(kOtherTree);
  EXPECT_EQ(AnnotationSetView(masks, {})["source_digest"], kOtherTree);

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
