// InvestigationRegistry: one entity added, changed or removed, as the next
// revision of its investigation (contract in experiment_registry.h).
#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "registry/core/resource_util.h"
#include "registry/investigations/investigation_names.h"
#include "registry/investigations/investigation_registry.h"
#include "validators/miappe/schema.h"
#include "validators/miappe/validator.h"

namespace fairtrace {
namespace {

namespace mp = miappe;

constexpr size_t kMaxKey = 256;
constexpr size_t kMaxValue = size_t{64} << 10;
constexpr int kMaxKeys = 500;

absl::Status CheckValues(const std::string& section, const google::protobuf::Map<std::string, std::string>& values,
                         const std::string& field) {
  if (values.size() > kMaxKeys) return InvalidField(field, absl::StrCat("at most ", kMaxKeys, " fields"));
  for (const auto& [k, v] : values) {
    if (mp::Schema::Default().Field(section, k) == nullptr) {
      return InvalidField(absl::StrCat(field, "[", text::ClipText(k, 64), "]"),
                          absl::StrCat("not a field of ", section, " (use its v1.2 codename)"));
    }
    if (v.size() > kMaxValue) return InvalidField(absl::StrCat(field, "[", k, "]"), "at most 64 KiB");
  }
  return absl::OkStatus();
}

absl::Status CheckExtensions(const google::protobuf::Map<std::string, std::string>& ext, const std::string& field) {
  if (ext.size() > kMaxKeys) return InvalidField(field, absl::StrCat("at most ", kMaxKeys, " extensions"));
  for (const auto& [k, v] : ext) {
    if (k.empty() || k.size() > kMaxKey) return InvalidField(field, "extension names are 1-256 bytes");
    if (v.size() > kMaxValue)
      return InvalidField(absl::StrCat(field, "[", text::ClipText(k, 64), "]"), "at most 64 KiB");
  }
  return absl::OkStatus();
}

// Sets (or, for "", removes) extension `key` keeping the others' order.
void SetExtension(mp::Record* r, const std::string& key, const std::string& value) {
  auto it = std::find_if(r->extensions.begin(), r->extensions.end(), [&](const auto& kv) { return kv.first == key; });
  if (value.empty()) {
    if (it != r->extensions.end()) r->extensions.erase(it);
  } else if (it != r->extensions.end()) {
    it->second = value;
  } else {
    r->extensions.emplace_back(key, value);
  }
}

// The index of the one record of `section` with `entity_id`.
absl::StatusOr<size_t> FindOne(const std::vector<mp::Record>& records, const std::string& section,
                               const std::string& entity_id, const std::string& name) {
  std::vector<size_t> hits;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].section == section && (section == "investigation" || mp::RecordId(records[i]) == entity_id)) {
      hits.push_back(i);
    }
  }
  if (hits.empty()) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no ", section, " \"", entity_id, "\" in ", name))
        .Reason("ENTITY_NOT_FOUND")
        .Resource(section, name);
  }
  if (hits.size() > 1) {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat(hits.size(), " ", section, " records share the id \"", entity_id,
                                     "\"; give each its own id (re-import the investigation) before changing one"))
        .Reason("AMBIGUOUS_ENTITY")
        .Resource(section, name);
  }
  return hits[0];
}

}  // namespace

absl::StatusOr<v1::Investigation> InvestigationRegistry::ChangeRecords(
    const CallContext& ctx, const std::string& id, const std::string& etag, const std::string& request_id,
    v1::Strictness strictness, const std::function<absl::Status(std::vector<mp::Record>*)>& edit) {
  FT_ASSIGN_OR_RETURN(std::optional<v1::Investigation> earlier, Replay(ctx, request_id));
  if (earlier) return *std::move(earlier);
  FT_ASSIGN_OR_RETURN(v1::Investigation inv, Load(id, 0));
  FT_RETURN_IF_ERROR(CheckEtag(etag, inv.uid(), inv.revision(), inv.name()));
  FT_ASSIGN_OR_RETURN(std::vector<mp::Record> records, LoadRecords(id, inv));
  FT_RETURN_IF_ERROR(edit(&records));
  mp::Submission sub;
  sub.records = std::move(records);
  // A stored revision had its sheets; what a section needs is checked by count.
  for (const mp::SectionRule& s : mp::Schema::Default().sections()) sub.sheets.insert(s.section);
  mp::Report report = mp::Validate(sub, mp::Schema::Default(), ValidateOptionsFor(strictness, ctx), {});
  FT_RETURN_IF_ERROR(ValidationStoppedError(report));
  return StoreRevision(ctx, id, inv.project(), std::move(sub), report, strictness, request_id, inv.revision());
}

absl::StatusOr<v1::Investigation> InvestigationRegistry::CreateEntity(const CallContext& ctx,
                                                                      const v1::CreateEntityRequest& req) {
  std::string resource = req.parent();
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::Investigation> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseInvestigationName(req.parent(), "parent"));
    if (mp::Schema::Default().Section(req.section()) == nullptr || req.section() == "investigation") {
      return InvalidField("section", "a MIAPPE section other than investigation: study, observation_unit, ...");
    }
    FT_RETURN_IF_ERROR(CheckValues(req.section(), req.values(), "values"));
    FT_RETURN_IF_ERROR(CheckExtensions(req.extensions(), "extensions"));
    return ChangeRecords(ctx, id, req.etag(), req.request_id(), req.strictness(),
                         [&](std::vector<mp::Record>* records) -> absl::Status {
                           mp::Record r;
                           r.section = req.section();
                           r.location = absl::StrCat("CreateEntity by ", ctx.principal);
                           for (const auto& [k, v] : req.values()) r.values[k] = v;
                           std::map<std::string, std::string> sorted(req.extensions().begin(), req.extensions().end());
                           for (const auto& [k, v] : sorted) SetExtension(&r, k, v);
                           // After the last record of its section, keeping sheet order.
                           auto at = records->end();
                           for (auto it = records->begin(); it != records->end(); ++it) {
                             if (it->section == r.section) at = it + 1;
                           }
                           records->insert(at, std::move(r));
                           return absl::OkStatus();
                         });
  });
}

absl::StatusOr<v1::Investigation> InvestigationRegistry::UpdateEntity(const CallContext& ctx,
                                                                      const v1::UpdateEntityRequest& req) {
  const std::string& name = req.entity().name();
  std::string resource = name;
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::Investigation> {
    EntityName target;
    if (absl::StrContains(absl::string_view(name).substr(name.find('/') + 1), "/")) {
      FT_ASSIGN_OR_RETURN(target, ParseEntityName(name, "entity.name"));
    } else {
      FT_ASSIGN_OR_RETURN(target.investigation, ParseInvestigationName(name, "entity.name"));
      target.section = "investigation";
    }
    FT_RETURN_IF_ERROR(CheckValues(target.section, req.entity().values(), "entity.values"));
    FT_RETURN_IF_ERROR(CheckExtensions(req.entity().extensions(), "entity.extensions"));
    std::vector<std::pair<bool, std::string>> paths;  // (is value, key)
    for (int i = 0; i < req.update_mask().paths_size(); ++i) {
      const std::string& p = req.update_mask().paths(i);
      std::string field = absl::StrCat("update_mask.paths[", i, "]");
      if (absl::StartsWith(p, "values.") && p.size() > 7) {
        if (mp::Schema::Default().Field(target.section, p.substr(7)) == nullptr) {
          return InvalidField(field, absl::StrCat("not a field of ", target.section));
        }
        paths.emplace_back(true, p.substr(7));
      } else if (absl::StartsWith(p, "extensions.") && p.size() > 11 && p.size() <= 11 + kMaxKey) {
        paths.emplace_back(false, p.substr(11));
      } else {
        return InvalidField(field, "\"values.<codename>\" or \"extensions.<header>\"");
      }
    }
    return ChangeRecords(ctx, target.investigation, req.etag(), req.request_id(), req.strictness(),
                         [&](std::vector<mp::Record>* records) -> absl::Status {
                           FT_ASSIGN_OR_RETURN(size_t i, FindOne(*records, target.section, target.entity_id, name));
                           mp::Record& r = (*records)[i];
                           const auto& values = req.entity().values();
                           const auto& ext = req.entity().extensions();
                           if (paths.empty()) {  // replace the record's content
                             r.values.clear();
                             for (const auto& [k, v] : values) r.values[k] = v;
                             std::vector<std::pair<std::string, std::string>> kept;
                             for (const auto& [k, v] : r.extensions) {
                               if (ext.contains(k)) kept.emplace_back(k, ext.at(k));
                             }
                             r.extensions = std::move(kept);
                             std::map<std::string, std::string> sorted(ext.begin(), ext.end());
                             for (const auto& [k, v] : sorted) SetExtension(&r, k, v);
                             return absl::OkStatus();
                           }
                           for (const auto& [is_value, key] : paths) {
                             if (is_value) {
                               auto it = values.find(key);
                               if (it == values.end() || it->second.empty()) {
                                 r.values.erase(key);
                               } else {
                                 r.values[key] = it->second;
                               }
                             } else {
                               auto it = ext.find(key);
                               SetExtension(&r, key, it == ext.end() ? "" : it->second);
                             }
                           }
                           return absl::OkStatus();
                         });
  });
}

absl::StatusOr<v1::Investigation> InvestigationRegistry::DeleteEntity(const CallContext& ctx,
                                                                      const v1::DeleteEntityRequest& req) {
  std::string resource = req.name();
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::Investigation> {
    FT_ASSIGN_OR_RETURN(EntityName target, ParseEntityName(req.name(), "name"));
    return ChangeRecords(ctx, target.investigation, req.etag(), req.request_id(), req.strictness(),
                         [&](std::vector<mp::Record>* records) -> absl::Status {
                           FT_ASSIGN_OR_RETURN(size_t i,
                                               FindOne(*records, target.section, target.entity_id, req.name()));
                           records->erase(records->begin() + static_cast<std::ptrdiff_t>(i));
                           return absl::OkStatus();
                         });
  });
}

}  // namespace fairtrace
