#include "validators/miappe/miappe_json.h"

#include "common/text/utf8.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "validators/miappe/locations.h"

namespace fairtrace::miappe {
namespace {

using json = nlohmann::json;

Finding Syn(const std::string& code, Severity sev, const std::string& section, const std::string& where,
            std::string message, std::string hint = "") {
  return ReaderFinding(code, sev, section, where, std::move(message), std::move(hint));
}

// A JSON value as the cell text it stands for; false when it has none.
bool CellText(const json& v, std::string* out) {
  if (v.is_string()) {
    *out = v.get<std::string>();
    return true;
  }
  if (v.is_number() || v.is_boolean()) {
    *out = v.dump();
    return true;
  }
  if (v.is_null()) {
    out->clear();
    return true;
  }
  if (v.is_array()) {
    std::vector<std::string> items;
    for (const json& i : v) {
      std::string t;
      if (!i.is_string() && !i.is_number()) return false;
      CellText(i, &t);
      items.push_back(std::move(t));
    }
    *out = absl::StrJoin(items, "; ");
    return true;
  }
  return false;
}

void ReadRecord(const json& obj, const char* section, const std::string& where, const Schema& schema, Submission* sub,
                std::vector<Finding>* findings) {
  if (!obj.is_object()) {
    findings->push_back(Syn("SYN-06", Severity::kError, section, where, "a record must be a JSON object"));
    return;
  }
  Record rec;
  rec.section = section;
  rec.location = where;
  auto cells = std::make_shared<CellMap>();
  cells->style = CellMap::Style::kJson;
  cells->prefix = where;
  for (const auto& [key, value] : obj.items()) {
    if (key == "extensions") {
      if (!value.is_object()) {
        findings->push_back(Syn("SYN-06", Severity::kError, section, where, "\"extensions\" must be an object"));
        continue;
      }
      for (const auto& [k, v] : value.items()) {
        std::string text;
        if (CellText(v, &text)) rec.extensions.emplace_back(k, text);
      }
      continue;
    }
    std::string text;
    if (!CellText(value, &text)) {
      findings->push_back(Syn("SYN-06", Severity::kError, section, absl::StrCat(where, "/", JsonPointerToken(key)),
                              "a value must be a string, a number or a list of strings"));
      continue;
    }
    const FieldRule* f = schema.FieldByHeader(section, key);
    if (f == nullptr) {
      findings->push_back(Syn("SYN-03", Severity::kInfo, section, absl::StrCat(where, "/", JsonPointerToken(key)),
                              absl::StrCat("unknown key \"", key, "\" kept as an extension"),
                              "use the MIAPPE 1.2 codename of the field"));
      rec.extensions.emplace_back(key, text);
    } else {
      rec.values[f->codename] = text;
      cells->column[f->codename] = static_cast<int>(cells->keys.size());
      cells->keys.push_back(key);
    }
  }
  rec.cells = std::move(cells);
  sub->records.push_back(std::move(rec));
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& SectionCollections() {
  static const auto* keys = new std::vector<std::pair<std::string, std::string>>{
      {"investigation", "investigation"},
      {"study", "studies"},
      {"person", "persons"},
      {"data_file", "dataFiles"},
      {"biological_material", "biologicalMaterials"},
      {"environment", "environmentParameters"},
      {"factor", "factors"},
      {"event", "events"},
      {"observation_unit", "observationUnits"},
      {"sample", "samples"},
      {"observed_variable", "observedVariables"},
  };
  return *keys;
}

bool LooksLikeJson(absl::string_view data) {
  absl::string_view t = absl::StripLeadingAsciiWhitespace(data);
  return !t.empty() && t[0] == '{';
}

namespace {

// The reader proper; nlohmann::json throws type errors on shapes it did not
// expect ({"format": 1}), which ReadMiappeJson reports as a finding.
void ReadMiappeJsonUnchecked(absl::string_view file_name, absl::string_view data, const Schema& schema, Submission* sub,
                             std::vector<Finding>* findings) {
  std::string name(file_name);
  json doc;
  try {
    doc = json::parse(data);
  } catch (const json::parse_error& e) {
    findings->push_back(Syn("SYN-06", Severity::kError, "", name, absl::StrCat("not valid JSON: ", e.what()),
                            "check the document with a JSON linter (comments are not JSON)"));
    return;
  }
  if (!doc.is_object()) {
    findings->push_back(Syn("SYN-06", Severity::kError, "", name, "the document must be a JSON object"));
    return;
  }
  if (doc.value("format", "") != kMiappeJsonFormat) {
    findings->push_back(Syn("SYN-06", Severity::kWarning, "", name,
                            absl::StrCat("\"format\" is not \"", kMiappeJsonFormat, "\""),
                            "set \"format\" so that readers know the layout"));
  }
  for (const auto& [key, value] : doc.items()) {
    if (key == "format") continue;
    const char* section = nullptr;
    for (const auto& [s, k] : SectionCollections()) {
      if (key == k) section = s.c_str();
    }
    if (section == nullptr) {
      findings->push_back(Syn("SYN-03", Severity::kInfo, "", absl::StrCat(name, "#/", JsonPointerToken(key)),
                              absl::StrCat("unknown key \"", key, "\" ignored"),
                              "sections are investigation, studies, persons, ..., observedVariables"));
      continue;
    }
    sub->sheets.insert(section);
    if (std::string(section) == "investigation") {
      ReadRecord(value, section, absl::StrCat(name, "#/investigation"), schema, sub, findings);
      continue;
    }
    if (!value.is_array()) {
      findings->push_back(Syn("SYN-06", Severity::kError, section, absl::StrCat(name, "#/", JsonPointerToken(key)),
                              absl::StrCat("\"", key, "\" must be a list of records")));
      continue;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      ReadRecord(value[i], section, absl::StrCat(name, "#/", JsonPointerToken(key), "/", i), schema, sub, findings);
    }
  }
}

}  // namespace

void ReadMiappeJson(absl::string_view file_name, absl::string_view data, const Schema& schema, Submission* sub,
                    std::vector<Finding>* findings) {
  const size_t records_before = sub->records.size();
  const size_t before = findings->size();
  try {
    ReadMiappeJsonUnchecked(file_name, data, schema, sub, findings);
  } catch (const std::exception& e) {
    // Nothing of a document that could not be read.
    sub->records.resize(records_before);
    findings->resize(before);
    findings->push_back(Syn("SYN-06", Severity::kError, "", std::string(file_name),
                            absl::StrCat("not a MIAPPE JSON document: ", text::ClipText(e.what(), 200)),
                            "see docs/miappe-json.md for the layout"));
  }
}

std::string WriteMiappeJson(const std::vector<Record>& records) {
  json doc = json::object();
  doc["format"] = kMiappeJsonFormat;
  for (const auto& [section, key] : SectionCollections()) {
    json list = json::array();
    for (const Record& r : records) {
      if (r.section != section) continue;
      json obj = json::object();
      for (const auto& [k, v] : r.values) {
        if (!v.empty()) obj[k] = v;
      }
      json ext = json::object();
      for (const auto& [k, v] : r.extensions) {
        if (!v.empty()) ext[k] = v;
      }
      if (!ext.empty()) obj["extensions"] = ext;
      list.push_back(std::move(obj));
    }
    if (section == "investigation") {
      if (!list.empty()) doc[key] = list[0];
    } else if (!list.empty()) {
      doc[key] = std::move(list);
    }
  }
  return doc.dump(2) + "\n";
}

}  // namespace fairtrace::miappe
