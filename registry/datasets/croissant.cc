#include "registry/datasets/croissant.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "registry/investigations/investigation_names.h"

namespace fairtrace::datasets {
namespace {

using json = nlohmann::ordered_json;

// The Croissant 1.0 context (the specification's, with the RAI prefix).
json Context() {
  return {{"@language", "en"},
          {"@vocab", "https://schema.org/"},
          {"sc", "https://schema.org/"},
          {"cr", "http://mlcommons.org/croissant/"},
          {"rai", "http://mlcommons.org/croissant/RAI/"},
          {"dct", "http://purl.org/dc/terms/"},
          {"citeAs", "cr:citeAs"},
          {"column", "cr:column"},
          {"conformsTo", "dct:conformsTo"},
          {"data", {{"@id", "cr:data"}, {"@type", "@json"}}},
          {"dataType", {{"@id", "cr:dataType"}, {"@type", "@vocab"}}},
          {"examples", {{"@id", "cr:examples"}, {"@type", "@json"}}},
          {"extract", "cr:extract"},
          {"field", "cr:field"},
          {"fileProperty", "cr:fileProperty"},
          {"fileObject", "cr:fileObject"},
          {"fileSet", "cr:fileSet"},
          {"format", "cr:format"},
          {"includes", "cr:includes"},
          {"isLiveDataset", "cr:isLiveDataset"},
          {"jsonPath", "cr:jsonPath"},
          {"key", "cr:key"},
          {"md5", "cr:md5"},
          {"parentField", "cr:parentField"},
          {"path", "cr:path"},
          {"recordSet", "cr:recordSet"},
          {"references", "cr:references"},
          {"regex", "cr:regex"},
          {"repeated", "cr:repeated"},
          {"replace", "cr:replace"},
          {"separator", "cr:separator"},
          {"source", "cr:source"},
          {"subField", "cr:subField"},
          {"transform", "cr:transform"}};
}

}  // namespace

std::string CroissantJsonLd(const v1::Dataset& dataset, const v1::DatasetVersion& version,
                            const std::vector<v1::Item>& items, const std::string& base_iri) {
  const std::string id = absl::StrCat(base_iri, version.name());
  const std::string dataset_id = dataset.name().substr(dataset.name().find('/') + 1);
  const v1::Datasheet& sheet = dataset.datasheet();
  json doc;
  doc["@context"] = Context();
  doc["@type"] = "sc:Dataset";
  doc["@id"] = id;
  doc["name"] = dataset_id;
  doc["description"] = sheet.description().empty() ? absl::StrCat("Dataset ", dataset_id) : sheet.description();
  doc["conformsTo"] = "http://mlcommons.org/croissant/1.0";
  doc["url"] = id;
  doc["version"] = absl::StrCat(version.name().substr(version.name().rfind('/') + 1), ".0.0");
  doc["identifier"] = absl::StrCat("sha256:", version.digest());
  doc["dateCreated"] = google::protobuf::util::TimeUtil::ToString(version.create_time());
  if (!sheet.license().empty()) doc["license"] = sheet.license();
  json creators = json::array();
  for (const std::string& c : sheet.creators()) creators.push_back({{"@type", "sc:Person"}, {"name", c}});
  if (!creators.empty()) doc["creator"] = std::move(creators);
  if (!sheet.collection_method().empty()) doc["rai:dataCollection"] = sheet.collection_method();
  if (!sheet.intended_use().empty()) doc["rai:dataUseCases"] = sheet.intended_use();
  if (!version.investigation_revision().empty()) {
    doc["isBasedOn"] = absl::StrCat(base_iri, version.investigation_revision());
  }
  json files = json::array();
  json data = json::array();
  const std::string rs = absl::StrCat(id, "/items");
  auto field_id = [&](const char* name) { return absl::StrCat(rs, "/", name); };
  // Field ids as record keys, made once (100,000 records repeat them).
  const std::string k_path = field_id("path"), k_sha = field_id("sha256"), k_links = field_id("links"),
                    k_acq = field_id("acquired_at"), k_sensor = field_id("sensor"), k_view = field_id("view"),
                    k_station = field_id("station"), k_attrs = field_id("attributes"),
                    k_digest = field_id("item_digest");
  for (const v1::Item& item : items) {
    const std::string file_id = absl::StrCat(id, "/files/", PercentEncode(item.path()));
    files.push_back(
        {{"@type", "cr:FileObject"},
         {"@id", file_id},
         {"name", item.path()},
         {"contentUrl", absl::StrCat(base_iri, "blobs/", item.blob().sha256(), "/", item.blob().size_bytes())},
         {"encodingFormat", item.media_type()},
         {"contentSize", absl::StrCat(item.blob().size_bytes(), " B")},
         {"sha256", item.blob().sha256()}});
    // Empty values are left out of a record (a field without a value).
    json record;
    record[k_path] = item.path();
    record[k_sha] = item.blob().sha256();
    if (item.links_size() > 0) {
      json links = json::array();
      for (const std::string& l : item.links()) links.push_back(absl::StrCat(base_iri, l));
      record[k_links] = std::move(links);
    }
    if (!item.acquired_at().empty()) record[k_acq] = item.acquired_at();
    if (!item.sensor().empty()) record[k_sensor] = item.sensor();
    if (!item.view().empty()) record[k_view] = item.view();
    if (!item.station().empty()) record[k_station] = item.station();
    if (!item.attributes().empty()) {
      json attrs = json::object();
      for (const auto& [k, v] : item.attributes()) attrs[k] = v;
      record[k_attrs] = attrs.dump();
    }
    record[k_digest] = item.digest();
    data.push_back(std::move(record));
  }
  doc["distribution"] = std::move(files);
  json fields = json::array();
  for (const auto& [name, type, description] : std::vector<std::tuple<const char*, const char*, const char*>>{
           {"path", "sc:Text", "the file's path in the version's tree"},
           {"sha256", "sc:Text", "SHA-256 of the file's bytes"},
           {"links", "sc:URL", "the MIAPPE entities the file shows"},
           {"acquired_at", "sc:Date", "ISO 8601 acquisition date or date-time"},
           {"sensor", "sc:Text", "sensor or camera"},
           {"view", "sc:Text", "view"},
           {"station", "sc:Text", "imaging station"},
           {"attributes", "sc:Text", "the other columns of the item table, as a JSON object"},
           {"item_digest", "sc:Text", "SHA-256 of the item's canonical text (docs/dataset-format.md)"}}) {
    json f = {{"@type", "cr:Field"},
              {"@id", field_id(name)},
              {"name", name},
              {"description", description},
              {"dataType", type}};
    if (std::string(name) == "links") f["repeated"] = true;
    fields.push_back(std::move(f));
  }
  doc["recordSet"] = json::array({{{"@type", "cr:RecordSet"},
                                   {"@id", rs},
                                   {"name", "items"},
                                   {"description", "one record per file of the version"},
                                   {"key", {{"@id", field_id("path")}}},
                                   {"field", std::move(fields)},
                                   {"data", std::move(data)}}});
  return doc.dump();
}

}  // namespace fairtrace::datasets
