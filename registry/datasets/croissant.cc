#include "registry/datasets/croissant.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// JSON string escaping (RFC 8259): quote, backslash and control
// characters; UTF-8 passes through (item paths and table values are valid
// UTF-8, checked on the way in).
void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      absl::StrAppend(out, "\\u00", absl::Hex(u, absl::kZeroPad2));
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// `key` (already a JSON string) : `value`, with a comma before it.
void Member(std::string* out, absl::string_view quoted_key, absl::string_view value) {
  out->push_back(',');
  out->append(quoted_key.data(), quoted_key.size());
  out->push_back(':');
  AppendJsonString(out, value);
}

// The document's head as a JSON object without its closing brace.
std::string OpenObject(const json& j) {
  std::string s = j.dump();
  s.pop_back();  // '}'
  return s;
}

}  // namespace

absl::Status WriteCroissant(const v1::Dataset& dataset, const v1::DatasetVersion& version, const std::string& base_iri,
                            const ItemSource& items, const std::function<bool(absl::string_view)>& out, size_t chunk) {
  const std::string id = absl::StrCat(base_iri, version.name());
  const std::string dataset_id = dataset.name().substr(dataset.name().find('/') + 1);
  const v1::Datasheet& sheet = dataset.datasheet();
  json head;
  head["@context"] = Context();
  head["@type"] = "sc:Dataset";
  head["@id"] = id;
  head["name"] = dataset_id;
  head["description"] = sheet.description().empty() ? absl::StrCat("Dataset ", dataset_id) : sheet.description();
  head["conformsTo"] = "http://mlcommons.org/croissant/1.0";
  head["url"] = id;
  head["version"] = absl::StrCat(version.name().substr(version.name().rfind('/') + 1), ".0.0");
  head["identifier"] = absl::StrCat("sha256:", version.digest());
  head["dateCreated"] = google::protobuf::util::TimeUtil::ToString(version.create_time());
  if (!sheet.license().empty()) head["license"] = sheet.license();
  json creators = json::array();
  for (const std::string& c : sheet.creators()) creators.push_back({{"@type", "sc:Person"}, {"name", c}});
  if (!creators.empty()) head["creator"] = std::move(creators);
  if (!sheet.collection_method().empty()) head["rai:dataCollection"] = sheet.collection_method();
  if (!sheet.intended_use().empty()) head["rai:dataUseCases"] = sheet.intended_use();
  if (!version.investigation_revision().empty()) {
    head["isBasedOn"] = absl::StrCat(base_iri, version.investigation_revision());
  }
  const std::string rs = absl::StrCat(id, "/items");
  auto field_id = [&](const char* name) { return absl::StrCat(rs, "/", name); };
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
  json record_set = {{"@type", "cr:RecordSet"},
                     {"@id", rs},
                     {"name", "items"},
                     {"description", "one record per file of the version"},
                     {"key", {{"@id", field_id("path")}}},
                     {"field", std::move(fields)}};
  // Field ids as quoted record keys, made once (every record repeats them).
  auto quoted = [&](const char* name) {
    std::string q;
    AppendJsonString(&q, field_id(name));
    return q;
  };
  const std::string k_path = quoted("path"), k_sha = quoted("sha256"), k_links = quoted("links"),
                    k_acq = quoted("acquired_at"), k_sensor = quoted("sensor"), k_view = quoted("view"),
                    k_station = quoted("station"), k_attrs = quoted("attributes"), k_digest = quoted("item_digest");

  std::string buf;
  bool alive = true;
  auto flush = [&](bool force) {
    if (alive && (force || buf.size() >= chunk)) {
      alive = out(buf);
      buf.clear();
    }
    return alive;
  };
  buf = OpenObject(head);
  buf += ",\"distribution\":[";
  bool first = true;
  absl::Status st = items([&](const v1::Item& item) {
    buf += first ? "{" : ",{";
    first = false;
    buf += "\"@type\":\"cr:FileObject\"";
    Member(&buf, "\"@id\"", absl::StrCat(id, "/files/", PercentEncode(item.path())));
    Member(&buf, "\"name\"", item.path());
    Member(&buf, "\"contentUrl\"",
           absl::StrCat(base_iri, "blobs/", item.blob().sha256(), "/", item.blob().size_bytes()));
    Member(&buf, "\"encodingFormat\"", item.media_type());
    Member(&buf, "\"contentSize\"", absl::StrCat(item.blob().size_bytes(), " B"));
    Member(&buf, "\"sha256\"", item.blob().sha256());
    buf += "}";
    return flush(false);
  });
  if (!st.ok() || !alive) return st;
  buf += "],\"recordSet\":[";
  buf += OpenObject(record_set);
  buf += ",\"data\":[";
  first = true;
  st = items([&](const v1::Item& item) {
    buf += first ? "{" : ",{";
    first = false;
    buf += k_path;
    buf += ':';
    AppendJsonString(&buf, item.path());
    Member(&buf, k_sha, item.blob().sha256());
    if (item.links_size() > 0) {
      buf += ',';
      buf += k_links;
      buf += ":[";
      for (int i = 0; i < item.links_size(); ++i) {
        if (i > 0) buf += ',';
        AppendJsonString(&buf, absl::StrCat(base_iri, item.links(i)));
      }
      buf += ']';
    }
    if (!item.acquired_at().empty()) Member(&buf, k_acq, item.acquired_at());
    if (!item.sensor().empty()) Member(&buf, k_sensor, item.sensor());
    if (!item.view().empty()) Member(&buf, k_view, item.view());
    if (!item.station().empty()) Member(&buf, k_station, item.station());
    if (!item.attributes().empty()) {
      nlohmann::json attrs = nlohmann::json::object();  // sorted keys
      for (const auto& [k, v] : item.attributes()) attrs[k] = v;
      Member(&buf, k_attrs, attrs.dump());
    }
    Member(&buf, k_digest, item.digest());
    buf += '}';
    return flush(false);
  });
  if (!st.ok() || !alive) return st;
  buf += "]}]}";
  flush(true);
  return absl::OkStatus();
}

std::string CroissantJsonLd(const v1::Dataset& dataset, const v1::DatasetVersion& version,
                            const std::vector<v1::Item>& items, const std::string& base_iri) {
  std::string doc;
  ItemSource source = [&](const std::function<bool(const v1::Item&)>& each) {
    for (const v1::Item& i : items) {
      if (!each(i)) break;
    }
    return absl::OkStatus();
  };
  (void)WriteCroissant(dataset, version, base_iri, source, [&](absl::string_view piece) {
    doc.append(piece.data(), piece.size());
    return true;
  });
  return doc;
}

}  // namespace fairtrace::datasets
