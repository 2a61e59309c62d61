#include "registry/datasets/croissant.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace fairtrace::datasets {
namespace {

std::vector<v1::Item> Items() {
  std::vector<v1::Item> items(2);
  items[0].set_path("img/a \"quoted\" \\ tab\t.png");
  items[0].mutable_blob()->set_sha256(std::string(64, 'a'));
  items[0].mutable_blob()->set_size_bytes(4);
  items[0].set_media_type("image/png");
  items[0].add_links("investigations/drought/observationUnits/S1-P1");
  items[0].set_view("top");
  (*items[0].mutable_attributes())["plot"] = "3";
  items[0].set_digest(std::string(64, 'd'));
  items[1].set_path("img/b.png");
  items[1].mutable_blob()->set_sha256(std::string(64, 'b'));
  items[1].mutable_blob()->set_size_bytes(5);
  items[1].set_digest(std::string(64, 'e'));
  return items;
}

TEST(CroissantTest, ADocumentWithAbsoluteIdsFilesAndRecords) {
  v1::Dataset ds;
  ds.set_name("datasets/leaves");
  ds.mutable_datasheet()->set_license("CC-BY-4.0");
  ds.mutable_datasheet()->add_creators("Ada");
  v1::DatasetVersion v;
  v.set_name("datasets/leaves/versions/2");
  v.set_digest(std::string(64, 'f'));
  v.set_investigation_revision("investigations/drought/revisions/1");
  const std::string text = CroissantJsonLd(ds, v, Items(), "https://reg.example/");
  nlohmann::json doc = nlohmann::json::parse(text);  // valid JSON, whatever the paths hold
  EXPECT_EQ(doc["@id"], "https://reg.example/datasets/leaves/versions/2");
  EXPECT_EQ(doc["conformsTo"], "http://mlcommons.org/croissant/1.0");
  EXPECT_EQ(doc["isBasedOn"], "https://reg.example/investigations/drought/revisions/1");
  EXPECT_EQ(doc["creator"][0]["name"], "Ada");
  ASSERT_EQ(doc["distribution"].size(), 2u);
  EXPECT_EQ(doc["distribution"][0]["name"], "img/a \"quoted\" \\ tab\t.png");
  EXPECT_EQ(doc["distribution"][0]["sha256"], std::string(64, 'a'));
  EXPECT_EQ(doc["distribution"][0]["contentUrl"], "https://reg.example/blobs/" + std::string(64, 'a') + "/4");
  const auto& rs = doc["recordSet"][0];
  EXPECT_EQ(rs["@type"], "cr:RecordSet");
  ASSERT_EQ(rs["data"].size(), 2u);
  const std::string key = "https://reg.example/datasets/leaves/versions/2/items/";
  EXPECT_EQ(rs["data"][0][key + "links"][0], "https://reg.example/investigations/drought/observationUnits/S1-P1");
  EXPECT_EQ(rs["data"][0][key + "attributes"], "{\"plot\":\"3\"}");
  EXPECT_EQ(rs["data"][1][key + "item_digest"], std::string(64, 'e'));
  EXPECT_FALSE(rs["data"][1].contains(key + "view"));  // empty values are left out
  for (const auto& f : rs["field"]) EXPECT_EQ(f["@id"].get<std::string>().rfind("https://", 0), 0u);
}

TEST(CroissantTest, PiecesMakeTheSameDocumentAndAReaderMayStop) {
  v1::Dataset ds;
  ds.set_name("datasets/d");
  v1::DatasetVersion v;
  v.set_name("datasets/d/versions/1");
  std::vector<v1::Item> items = Items();
  ItemSource source = [&](const std::function<bool(const v1::Item&)>& each) {
    for (const v1::Item& i : items) {
      if (!each(i)) break;
    }
    return absl::OkStatus();
  };
  std::string pieces;
  int calls = 0;
  ASSERT_TRUE(WriteCroissant(
                  ds, v, "urn:fairtrace:", source,
                  [&](absl::string_view p) {
                    ++calls;
                    pieces.append(p.data(), p.size());
                    return true;
                  },
                  /*chunk=*/64)
                  .ok());
  EXPECT_GT(calls, 3);
  EXPECT_EQ(pieces, CroissantJsonLd(ds, v, items, "urn:fairtrace:"));
  int after_stop = 0;
  ASSERT_TRUE(WriteCroissant(
                  ds, v, "urn:fairtrace:", source, [&](absl::string_view) { return ++after_stop < 2; }, 64)
                  .ok());
  EXPECT_EQ(after_stop, 2);  // nothing sent once the reader went away
}

}  // namespace
}  // namespace fairtrace::datasets
