#include "validators/mlmodel/mlmodel_validator.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/text/utf8.h"

namespace fairtrace::mlmodel {

extern const char kDefaultRulesYaml[];  // generated from schemas/mlmodel/rules.yaml

struct Rules {
  std::vector<std::string> required;
  absl::flat_hash_map<std::string, std::vector<std::string>> flavor_files;
  std::vector<std::string> env_files;
  absl::flat_hash_set<std::string> flavor_artifacts;
  std::vector<std::pair<std::string, std::vector<std::string>>> section_files;
  std::vector<std::string> signature_json;
  absl::flat_hash_set<std::string> known_keys;
};

namespace {

using json = nlohmann::json;

// A plain YAML scalar as JSON, following YAML 1.1/1.2 core-schema spellings
// (what PyYAML, which MLflow uses, writes). Quoted scalars stay strings.
json ScalarToJson(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  int64_t i;
  if (absl::SimpleAtoi(s, &i) && s.find_first_of(".eE") == std::string::npos) return i;
  double d;
  if (s.find_first_of("0123456789") != std::string::npos && absl::SimpleAtod(s, &d)) return d;
  return s;
}

json ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return ScalarToJson(n);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& e : n) out.push_back(ToJson(e));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : n) out[kv.first.as<std::string>()] = ToJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

std::vector<std::string> StringList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n && n.IsSequence()) {
    for (const auto& e : n) out.push_back(e.as<std::string>());
  }
  return out;
}

class Checker {
 public:
  Checker(const Rules& rules, const std::vector<std::string>& paths, Report& report) : rules_(rules), report_(report) {
    for (const auto& p : paths) {
      files_.insert(p);
      for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
        folders_.insert(p.substr(0, slash));
      }
    }
  }

  // Violations quote the file (keys, values, yaml-cpp's messages, which
  // may hold one byte of a multi-byte character): always valid UTF-8.
  void Add(std::string field, std::string description) {
    report_.violations.push_back({text::BoundText(field, 300), text::BoundText(description, 600)});
  }

  // A value naming a file or folder of the model folder.
  void CheckNamedPath(const std::string& field, const YAML::Node& value) {
    if (!value || value.IsNull() || (value.IsScalar() && ScalarToJson(value).is_null())) return;
    if (!value.IsScalar()) {
      Add(field, "must name a file of the model folder (a string)");
      return;
    }
    std::string name = value.Scalar();
    while (name.size() > 2 && name.rfind("./", 0) == 0) name = name.substr(2);
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    if (name.empty() || name.front() == '/') {
      Add(field, absl::StrCat("names \"", value.Scalar(), "\", which is not a relative path"));
      return;
    }
    for (absl::string_view comp : absl::StrSplit(name, '/')) {
      if (comp == "..") {
        Add(field, absl::StrCat("names \"", value.Scalar(), "\", which leaves the model folder"));
        return;
      }
    }
    if (!files_.contains(name) && !folders_.contains(name)) {
      Add(field, absl::StrCat("names \"", value.Scalar(), "\", which is not in the model folder"));
    }
  }

  // `artifacts: {name: {path: artifacts/x.pkl, uri: ...}}` (or name: path):
  // every path must be in the folder.
  void CheckArtifacts(const std::string& base, const YAML::Node& artifacts) {
    if (!artifacts || artifacts.IsNull()) return;
    if (!artifacts.IsMap()) {
      Add(absl::StrCat(base, ".artifacts"), "must map artifact names to their paths");
      return;
    }
    for (const auto& kv : artifacts) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      std::string field = absl::StrCat(base, ".artifacts.", key);
      if (kv.second.IsMap()) {
        if (!kv.second["path"] || kv.second["path"].IsNull()) {
          Add(absl::StrCat(field, ".path"), "is required: the artifact's file in the model folder");
        } else {
          CheckNamedPath(absl::StrCat(field, ".path"), kv.second["path"]);
        }
      } else {
        CheckNamedPath(field, kv.second);
      }
    }
  }

  void CheckFlavor(const std::string& name, const YAML::Node& flavor) {
    std::string base = absl::StrCat("flavors.", name);
    if (!flavor.IsMap()) {
      Add(base, "must be a mapping of the flavor's settings");
      return;
    }
    if (auto it = rules_.flavor_files.find(name); it != rules_.flavor_files.end()) {
      for (const auto& key : it->second) {
        if (flavor[key]) CheckNamedPath(absl::StrCat(base, ".", key), flavor[key]);
      }
    }
    if (rules_.flavor_artifacts.contains(name)) CheckArtifacts(base, flavor["artifacts"]);
    const YAML::Node env = flavor["env"];
    if (!env) return;
    if (env.IsMap()) {
      for (const auto& key : rules_.env_files) {
        if (env[key]) CheckNamedPath(absl::StrCat(base, ".env.", key), env[key]);
      }
    } else {
      CheckNamedPath(absl::StrCat(base, ".env"), env);
    }
  }

  void CheckSignature(const YAML::Node& sig) {
    if (!sig || sig.IsNull()) {
      report_.info.signature = nullptr;
      return;
    }
    if (!sig.IsMap()) {
      Add("signature", "must be a mapping with inputs/outputs/params");
      return;
    }
    json out = json::object();
    for (const auto& kv : sig) out[kv.first.as<std::string>()] = ToJson(kv.second);
    for (const auto& key : rules_.signature_json) {
      const YAML::Node v = sig[key];
      if (!v || v.IsNull() || (v.IsScalar() && ScalarToJson(v).is_null())) continue;
      std::string field = absl::StrCat("signature.", key);
      if (!v.IsScalar()) {
        Add(field, "must be a JSON string, as MLflow writes it");
        continue;
      }
      json parsed = json::parse(v.Scalar(), nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) {
        Add(field, absl::StrCat("is not valid JSON: \"", text::ClipText(v.Scalar(), 80), "\""));
        continue;
      }
      out[key] = std::move(parsed);
    }
    report_.info.signature = std::move(out);
  }

 private:
  const Rules& rules_;
  Report& report_;
  absl::flat_hash_set<std::string> files_;
  absl::flat_hash_set<std::string> folders_;
};

std::string ScalarOrEmpty(const YAML::Node& n) {
  return n && n.IsScalar() && !ScalarToJson(n).is_null() ? n.Scalar() : "";
}

}  // namespace

Validator::Validator(std::unique_ptr<Rules> rules) : rules_(std::move(rules)) {}
Validator::~Validator() = default;

absl::StatusOr<std::unique_ptr<Validator>> Validator::FromRules(absl::string_view rules_yaml) {
  auto rules = std::make_unique<Rules>();
  try {
    YAML::Node root = YAML::Load(std::string(rules_yaml));
    if (!root.IsMap()) return absl::InvalidArgumentError("MLmodel rules: not a mapping");
    rules->required = StringList(root["required"]);
    if (root["flavor_files"]) {
      for (const auto& kv : root["flavor_files"]) {
        rules->flavor_files[kv.first.as<std::string>()] = StringList(kv.second);
      }
    }
    rules->env_files = StringList(root["env_files"]);
    for (auto& f : StringList(root["flavor_artifacts"])) rules->flavor_artifacts.insert(std::move(f));
    if (root["section_files"]) {
      for (const auto& kv : root["section_files"]) {
        rules->section_files.emplace_back(kv.first.as<std::string>(), StringList(kv.second));
      }
    }
    rules->signature_json = StringList(root["signature_json"]);
    for (auto& k : StringList(root["known_keys"])) rules->known_keys.insert(std::move(k));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("MLmodel rules: ", e.what()));
  }
  return std::unique_ptr<Validator>(new Validator(std::move(rules)));
}

const Validator& Validator::Default() {
  static const Validator* v = [] {
    auto r = FromRules(kDefaultRulesYaml);
    if (!r.ok()) std::abort();  // the compiled-in rules are tested
    return r->release();
  }();
  return *v;
}

namespace {

// The checks of Validate() once the bytes are known to be UTF-8; may throw
// (yaml-cpp, nlohmann::json), which Validate() turns into a finding.
void ValidateParsed(const Rules& rules, absl::string_view mlmodel_yaml, Checker& check, Report& report) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(mlmodel_yaml));
  } catch (const YAML::ParserException& e) {
    check.Add("MLmodel", absl::StrCat("is not valid YAML: ", e.msg, " (line ", e.mark.line + 1, ", column ",
                                      e.mark.column + 1, ")"));
    return;
  } catch (const YAML::Exception& e) {
    check.Add("MLmodel", absl::StrCat("is not valid YAML: ", e.what()));
    return;
  }
  if (!root.IsMap()) {
    check.Add("MLmodel", "must be a YAML mapping (key: value lines)");
    return;
  }
  for (const auto& key : rules.required) {
    if (!root[key] || root[key].IsNull()) check.Add(key, "is required");
  }
  ModelInfo& info = report.info;
  if (const YAML::Node flavors = root["flavors"]; flavors && !flavors.IsNull()) {
    if (!flavors.IsMap() || flavors.size() == 0) {
      check.Add("flavors", "must map at least one flavor name to its settings");
    } else {
      info.flavor_details = json::object();
      for (const auto& kv : flavors) {
        std::string name = kv.first.as<std::string>();
        info.flavors.push_back(name);
        info.flavor_details[name] = ToJson(kv.second);
        check.CheckFlavor(name, kv.second);
      }
    }
  }
  for (const auto& [section, keys] : rules.section_files) {
    const YAML::Node s = root[section];
    if (!s || s.IsNull()) continue;
    if (!s.IsMap()) {
      check.Add(section, "must be a mapping");
      continue;
    }
    for (const auto& key : keys) {
      if (s[key]) check.CheckNamedPath(absl::StrCat(section, ".", key), s[key]);
    }
  }
  check.CheckSignature(root["signature"]);
  if (const YAML::Node size = root["model_size_bytes"]; size && !size.IsNull()) {
    json v = size.IsScalar() ? ScalarToJson(size) : json();
    if (!v.is_number_integer() || v.get<int64_t>() < 0) {
      check.Add("model_size_bytes", "must be a non-negative integer");
    } else {
      info.model_size_bytes = v.get<int64_t>();
    }
  }
  info.mlflow_version = ScalarOrEmpty(root["mlflow_version"]);
  info.model_uuid = ScalarOrEmpty(root["model_uuid"]);
  info.run_id = ScalarOrEmpty(root["run_id"]);
  info.utc_time_created = ScalarOrEmpty(root["utc_time_created"]);
  info.saved_input_example_info = ToJson(root["saved_input_example_info"]);
  info.metadata = ToJson(root["metadata"]);
  info.extensions = json::object();
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (!rules.known_keys.contains(key)) info.extensions[key] = ToJson(kv.second);
  }
}

}  // namespace

Report Validator::Validate(absl::string_view mlmodel_yaml, const std::vector<std::string>& paths) const {
  Report report;
  Checker check(*rules_, paths, report);
  // MLmodel is YAML, which is Unicode text: bytes that are not UTF-8 are a
  // problem of the file, reported here (later, JSON encoding would throw).
  if (auto bad = text::FirstInvalidUtf8(mlmodel_yaml)) {
    check.Add("MLmodel", absl::StrCat("is not valid UTF-8 (byte offset ", *bad, ")"));
    return report;
  }
  try {
    ValidateParsed(*rules_, mlmodel_yaml, check, report);
    // YAML escapes ("\xFF" in a double-quoted scalar) can make text that is
    // not UTF-8 out of UTF-8 bytes; what is recorded must serialise, so a
    // throw here is the file's problem (found by fuzz/mlmodel_fuzz).
    for (const json* j : {&report.info.signature, &report.info.saved_input_example_info, &report.info.metadata,
                          &report.info.flavor_details, &report.info.extensions}) {
      (void)j->dump();
    }
  } catch (const std::exception& e) {
    // yaml-cpp and nlohmann::json throw on shapes the checks above did not
    // foresee (a mapping used as a key, ...): a finding, never an escape.
    report.info = ModelInfo();
    check.Add("MLmodel", absl::StrCat("cannot be read: ", text::ClipText(e.what(), 200)));
  }
  return report;
}

}  // namespace fairtrace::mlmodel
