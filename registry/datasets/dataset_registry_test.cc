#include "registry/datasets/dataset_registry.h"

#include <filesystem>
#include <fstream>
#include <list>

#include <gtest/gtest.h>

#include "common/content/tree.h"
#include "common/status/errors.h"
#include "registry/cas/blob_store.h"
#include "registry/investigations/investigation_registry.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

class DatasetRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *SqliteBackend::Open({.path = (dir_.path() / "db").string()});
    blobs_ = *BlobStore::Open(dir_.path() / "cas");
    cas_ = std::make_unique<ContentStore>(store_->content(), blobs_.get(), CasLimits{});
    auto clock = [this] { return clock_ += 1000; };
    investigations_ = std::make_unique<InvestigationRegistry>(store_->content(), store_->models(),
                                                              store_->investigations(), "secret", clock);
    registry_ = std::make_unique<DatasetRegistry>(store_->content(), cas_.get(), store_->models(),
                                                  store_->investigations(), store_->datasets(), "secret", clock);
    // The valid fixture investigation: studies S1, S2; units S1-P1..S1-P4, S2-P1..; materials Col-0, Ler.
    v1::ImportInvestigationRequest imp;
    imp.set_investigation_id("drought");
    for (const auto& e : std::filesystem::directory_iterator(std::string(FAIRTRACE_MIAPPE_FIXTURES) + "/valid-1.2")) {
      std::ifstream in(e.path(), std::ios::binary);
      v1::SheetFile* f = imp.add_files();
      f->set_name(e.path().filename().string());
      f->set_data(std::string(std::istreambuf_iterator<char>(in), {}));
    }
    ASSERT_TRUE(investigations_->ImportInvestigation(ctx_, imp).ok());
    v1::CreateDatasetRequest create;
    create.set_dataset_id("leaves");
    create.mutable_datasheet()->set_license("CC-BY-4.0");
    create.mutable_datasheet()->add_creators("Ada Example");
    ASSERT_TRUE(registry_->CreateDataset(ctx_, create).ok());
  }

  // Stores the files and registers their tree.
  Digest PutTree(const std::vector<std::pair<std::string, std::string>>& files) {
    std::vector<TreeEntry> entries;
    std::vector<std::pair<Digest, absl::string_view>> items;
    for (const auto& [path, data] : files) {
      keep_.push_back(data);
      entries.push_back({path, DigestOf(data), false});
      items.emplace_back(DigestOf(data), keep_.back());
    }
    keep_.push_back(*EncodeTree(entries));
    const Digest tree = DigestOf(keep_.back());
    items.emplace_back(tree, keep_.back());
    EXPECT_TRUE(cas_->BatchUpdate(ctx_, items).ok());
    EXPECT_TRUE(cas_->CreateTree(ctx_, tree).ok());
    return tree;
  }
  Digest PutBlob(const std::string& data) {
    keep_.push_back(data);
    std::vector<std::pair<Digest, absl::string_view>> items = {{DigestOf(data), keep_.back()}};
    EXPECT_TRUE(cas_->BatchUpdate(ctx_, items).ok());
    return DigestOf(data);
  }
  absl::StatusOr<v1::DatasetVersion> Version(const Digest& tree, const std::string& table,
                                             const std::string& revision = "investigations/drought",
                                             const std::string& request_id = "") {
    v1::CreateDatasetVersionRequest req;
    req.set_parent("datasets/leaves");
    *req.mutable_tree() = DigestToProto(tree);
    if (!table.empty()) *req.mutable_item_table() = DigestToProto(PutBlob(table));
    req.set_investigation_revision(revision);
    req.set_request_id(request_id);
    return registry_->CreateDatasetVersion(ctx_, req);
  }
  int64_t Latest() {
    v1::GetDatasetRequest get;
    get.set_name("datasets/leaves");
    return registry_->GetDataset(get)->latest_version();
  }
  std::vector<std::string> Paths(const std::string& version, const std::string& filter) {
    v1::ListItemsRequest req;
    req.set_parent(version);
    req.set_filter(filter);
    auto page = registry_->ListItems(req);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const v1::Item& i : page->items()) out.push_back(i.path());
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteBackend> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ContentStore> cas_;
  std::unique_ptr<InvestigationRegistry> investigations_;
  std::unique_ptr<DatasetRegistry> registry_;
  std::list<std::string> keep_;
  int64_t clock_ = 1'700'000'000'000'000;
  CallContext ctx_{"ada", "/fairtrace.v1.DatasetService/CreateDatasetVersion", std::string(64, '0')};
};

const char kTable[] =
    "path,observation_unit,acquired_at,view,plot\n"
    "img/p1-top.png,S1-P1,2025-04-01T10:00:00Z,top,1\n"
    "img/p1-side.png,S1-P1,2025-04-01T10:01:00Z,side,1\n"
    "img/p2-top.png,S1-P2,2025-04-02,top,2\n";

TEST_F(DatasetRegistryTest, AVersionIsATreePlusLinkedItems) {
  Digest tree = PutTree({{"img/p1-top.png", "png 1"},
                         {"img/p1-side.png", "png 2"},
                         {"img/p2-top.png", "png 3"},
                         {"README.txt", "about"}});
  auto v = Version(tree, kTable);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->name(), "datasets/leaves/versions/1");
  EXPECT_EQ(v->item_count(), 4);  // the README is an item without links
  EXPECT_EQ(v->linked_item_count(), 3);
  EXPECT_EQ(v->observation_unit_count(), 2);
  EXPECT_EQ(v->investigation_revision(), "investigations/drought/revisions/1");
  EXPECT_EQ(v->investigation_digest().size(), 64u);
  EXPECT_EQ(v->digest().size(), 64u);
  EXPECT_EQ(v->total_bytes(), 5 + 5 + 5 + 5);
  EXPECT_EQ(Paths(v->name(), "link = \"investigations/drought/observationUnits/S1-P1\""),
            (std::vector<std::string>{"img/p1-side.png", "img/p1-top.png"}));
  EXPECT_EQ(Paths(v->name(), "view = \"top\" AND attributes.plot = \"2\""),
            (std::vector<std::string>{"img/p2-top.png"}));
  EXPECT_EQ(Paths(v->name(), "acquired_at >= \"2025-04-02\""), (std::vector<std::string>{"img/p2-top.png"}));
  EXPECT_EQ(Paths(v->name(), "media_type = \"text/plain\""), (std::vector<std::string>{"README.txt"}));
  // The same content again: the same digest, a new version number.
  auto again = Version(tree, kTable);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->digest(), v->digest());
  EXPECT_EQ(again->name(), "datasets/leaves/versions/2");
  // Lineage: the version shows the units and, through them, their materials.
  bool truncated = false;
  auto down = store_->runs()->Lineage("investigations/drought/biologicalMaterials/Col-0", /*upstream=*/false, 3, 100,
                                      &truncated);
  ASSERT_TRUE(down.ok());
  bool reached = false;
  for (const EdgeRow& e : *down) reached = reached || e.subject == "datasets/leaves/versions/1";
  EXPECT_TRUE(reached);
}

TEST_F(DatasetRegistryTest, PagesOfItems) {
  Digest tree = PutTree({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  auto v = Version(tree, "", "");
  ASSERT_TRUE(v.ok()) << v.status();
  v1::ListItemsRequest req;
  req.set_parent(v->name());
  req.set_page_size(2);
  auto p1 = registry_->ListItems(req);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->items_size(), 2);
  req.set_page_token(p1->next_page_token());
  auto p2 = registry_->ListItems(req);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->items_size(), 1);
  EXPECT_EQ(p2->items(0).path(), "c");
  EXPECT_TRUE(p2->next_page_token().empty());
  req.set_filter("view = \"top\"");  // a token is bound to its filter
  EXPECT_THAT(registry_->ListItems(req), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DatasetRegistryTest, BadInputIsAPreciseErrorAndStoresNothing) {
  Digest tree = PutTree({{"img/p1-top.png", "png 1"}, {"img/p2-top.png", "png 3"}});
  struct Case {
    std::string table, revision, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"path,observation_unit\nimg/p1-top.png,S1-P1\nimg/missing.png,S1-P1\n", "investigations/drought",
            "no file \"img/missing.png\" in the tree"},
           {"path\nimg/p1-top.png\nimg/p1-top.png\n", "investigations/drought", "listed twice"},
           {"path,observation_unit\nimg/p1-top.png,S9-P9\n", "investigations/drought",
            "no observation_unit \"S9-P9\" in investigations/drought/revisions/1"},
           {"path,links\nimg/p1-top.png,investigations/other/observationUnits/S1-P1\n", "investigations/drought",
            "another investigation"},
           {"path,acquired_at\nimg/p1-top.png,yesterday\n", "investigations/drought", "ISO 8601"},
           {"file\nimg/p1-top.png\n", "investigations/drought", "no path column"},
           {"path,observation_unit\nimg/p1-top.png,S1-P1\n", "", "name the investigation revision"},
           {"path\nimg/p1-top.png\n", "investigations/nowhere", "no investigation"},
           {"path\nimg/p1-top.png\n", "investigations/drought/revisions/7", "no investigation"},
       }) {
    auto v = Version(tree, c.table, c.revision);
    ASSERT_FALSE(v.ok()) << c.table;
    EXPECT_THAT(v.status().ToString(), HasSubstr(c.expect)) << c.table;
  }
  // A problem on line 3 is named with its line.
  auto lined = Version(tree, "path,acquired_at\nimg/p1-top.png,2025-04-01\nimg/p2-top.png,2025-13-01\n");
  ASSERT_FALSE(lined.ok());
  auto details = ErrorDetailsOf(lined.status());
  ASSERT_TRUE(details.has_value());
  ASSERT_FALSE(details->fields.empty());
  EXPECT_EQ(details->fields[0].field, "item_table[item_table:3 (acquired_at)]");
  // An unregistered tree and a missing table blob are failed preconditions.
  v1::CreateDatasetVersionRequest req;
  req.set_parent("datasets/leaves");
  *req.mutable_tree() = DigestToProto(DigestOf("not a tree"));
  EXPECT_THAT(registry_->CreateDatasetVersion(ctx_, req), StatusIs(absl::StatusCode::kFailedPrecondition));
  *req.mutable_tree() = DigestToProto(tree);
  *req.mutable_item_table() = DigestToProto(DigestOf("never uploaded"));
  EXPECT_THAT(registry_->CreateDatasetVersion(ctx_, req), StatusIs(absl::StatusCode::kFailedPrecondition));
  req.set_parent("datasets/none");
  EXPECT_THAT(registry_->CreateDatasetVersion(ctx_, req), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Latest(), 0);  // nothing was stored
}

TEST_F(DatasetRegistryTest, DiffNamesAddedRemovedChangedMovedAndRelinked) {
  Digest t1 = PutTree({{"a.png", "A"}, {"b.png", "B"}, {"c.png", "C"}, {"d.png", "D"}});
  auto v1 = Version(t1, "path,observation_unit\na.png,S1-P1\nd.png,S1-P1\n");
  ASSERT_TRUE(v1.ok()) << v1.status();
  // a: relinked; b: changed; c -> e: moved; d: removed; f: added.
  Digest t2 = PutTree({{"a.png", "A"}, {"b.png", "B2"}, {"e.png", "C"}, {"f.png", "F"}});
  auto v2 = Version(t2, "path,observation_unit\na.png,S1-P2\n");
  ASSERT_TRUE(v2.ok()) << v2.status();
  v1::DiffDatasetVersionsRequest req;
  req.set_base(v1->name());
  req.set_target(v2->name());
  req.set_page_size(2);
  std::vector<v1::DiffDatasetVersionsResponse> pages;
  ASSERT_TRUE(registry_
                  ->DiffDatasetVersions(ctx_, req,
                                        [&](const v1::DiffDatasetVersionsResponse& r) {
                                          pages.push_back(r);
                                          return true;
                                        })
                  .ok());
  ASSERT_EQ(pages.size(), 3u);  // 5 changes in pages of 2
  EXPECT_EQ(pages[0].added(), 1);
  EXPECT_EQ(pages[0].removed(), 1);
  EXPECT_EQ(pages[0].changed(), 1);
  EXPECT_EQ(pages[0].moved(), 1);
  EXPECT_EQ(pages[0].relinked(), 1);
  EXPECT_FALSE(pages[0].across_datasets());
  std::vector<std::pair<std::string, int>> seen;
  for (const auto& p : pages) {
    for (const auto& c : p.changes()) seen.emplace_back(c.path(), c.kind());
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int>>{{"a.png", v1::ItemChange::RELINKED},
                                                            {"b.png", v1::ItemChange::CHANGED},
                                                            {"d.png", v1::ItemChange::REMOVED},
                                                            {"e.png", v1::ItemChange::MOVED},
                                                            {"f.png", v1::ItemChange::ADDED}}));
  EXPECT_EQ(pages[1].changes(1).old_path(), "c.png");
  ASSERT_EQ(pages[0].changes(0).old_links_size(), 1);  // a.png: relinked from S1-P1 to S1-P2
  EXPECT_EQ(pages[0].changes(0).old_links(0), "investigations/drought/observationUnits/S1-P1");
  EXPECT_EQ(pages[0].changes(0).new_links(0), "investigations/drought/observationUnits/S1-P2");
  req.set_target("datasets/leaves/versions/9");
  EXPECT_THAT(registry_->DiffDatasetVersions(ctx_, req, [](const auto&) { return true; }),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DatasetRegistryTest, RetriesAndDatasheetEtags) {
  Digest tree = PutTree({{"a.png", "A"}});
  auto first = Version(tree, "", "", "retry-1");
  auto second = Version(tree, "", "", "retry-1");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->name(), second->name());
  EXPECT_EQ(Latest(), 1);
  v1::GetDatasetRequest get;
  get.set_name("datasets/leaves");
  v1::Dataset ds = *registry_->GetDataset(get);
  EXPECT_EQ(ds.datasheet().license(), "CC-BY-4.0");
  v1::UpdateDatasetRequest upd;
  upd.set_name("datasets/leaves");
  upd.mutable_datasheet()->set_intended_use("leaf segmentation benchmarks");
  upd.set_etag(ds.etag());
  auto updated = registry_->UpdateDataset(ctx_, upd);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->datasheet().intended_use(), "leaf segmentation benchmarks");
  EXPECT_THAT(registry_->UpdateDataset(ctx_, upd), StatusIs(absl::StatusCode::kAborted));  // stale etag
  v1::CreateDatasetRequest dup;
  dup.set_dataset_id("leaves");
  EXPECT_THAT(registry_->CreateDataset(ctx_, dup), StatusIs(absl::StatusCode::kAlreadyExists));
  dup.set_dataset_id("Leaves!");
  EXPECT_THAT(registry_->CreateDataset(ctx_, dup), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace fairtrace
