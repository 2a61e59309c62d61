#include "registry/datasets/dataset_registry.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "registry/core/audited.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_util.h"
#include "registry/datasets/croissant.h"
#include "registry/datasets/dataset_digest.h"
#include "registry/datasets/item_table.h"
#include "registry/investigations/investigation_names.h"
#include "validators/miappe/miappe_json.h"

namespace fairtrace {

using google::protobuf::util::TimeUtil;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxViolations = 1000;

absl::Status VersionNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(name, " does not exist"))
      .Reason("VERSION_NOT_FOUND")
      .Resource("fairtrace.v1.DatasetVersion", name);
}

absl::Status DatasetNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(name, " does not exist"))
      .Reason("DATASET_NOT_FOUND")
      .Resource("fairtrace.v1.Dataset", name);
}

std::string CollectionOf(const std::string& section) {
  for (const auto& [s, collection] : miappe::SectionCollections()) {
    if (s == section) return collection;
  }
  return section;
}

std::string EntityResource(const std::string& investigation, const std::string& section, const std::string& id) {
  return absl::StrCat("investigations/", investigation, "/", CollectionOf(section), "/", PercentEncode(id));
}

std::string DatasheetJson(const v1::Datasheet& d) { return MessageJson(d); }

absl::Status CheckDatasheet(const v1::Datasheet& d, size_t max_bytes) {
  if (d.ByteSizeLong() > max_bytes) {
    return InvalidField("datasheet", absl::StrCat("at most ", max_bytes, " bytes"));
  }
  FT_RETURN_IF_ERROR(CheckLength(d.description(), 16384, "datasheet.description"));
  FT_RETURN_IF_ERROR(CheckLength(d.license(), 256, "datasheet.license"));
  FT_RETURN_IF_ERROR(CheckLength(d.collection_method(), 16384, "datasheet.collection_method"));
  FT_RETURN_IF_ERROR(CheckLength(d.intended_use(), 16384, "datasheet.intended_use"));
  if (d.creators_size() > 100) return InvalidField("datasheet.creators", "at most 100");
  for (int i = 0; i < d.creators_size(); ++i) {
    FT_RETURN_IF_ERROR(CheckLength(d.creators(i), 256, absl::StrCat("datasheet.creators[", i, "]")));
  }
  return absl::OkStatus();
}

json LinksJson(const std::vector<std::string>& links) { return json(links); }

std::vector<std::string> LinksOf(const ItemRow& row) {
  json j = json::parse(row.links_json, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

// The investigation a version's links name, resolved.
struct Pinned {
  std::string investigation;  // {i}
  int64_t revision = 0;
  std::string name;  // investigations/{i}/revisions/{r}
  std::string digest;
};

}  // namespace

v1::DatasetVersion DatasetVersionProto(const DatasetVersionRow& row) {
  v1::DatasetVersion p;
  p.set_name(absl::StrCat("datasets/", row.dataset_id, "/versions/", row.version));
  p.set_uid(row.uid);
  p.set_digest(row.digest);
  *p.mutable_tree() = DigestToProto({row.tree_digest, row.tree_size});
  if (!row.item_table_digest.empty()) {
    *p.mutable_item_table() = DigestToProto({row.item_table_digest, row.item_table_size});
  }
  p.set_investigation_revision(row.investigation_revision);
  p.set_investigation_digest(row.investigation_digest);
  p.set_item_count(row.item_count);
  p.set_linked_item_count(row.linked_item_count);
  p.set_total_bytes(row.total_bytes);
  p.set_observation_unit_count(row.observation_unit_count);
  p.set_biological_material_count(row.biological_material_count);
  p.set_sample_count(row.sample_count);
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time);
  return p;
}

v1::Item ItemProto(const ItemRow& row) {
  v1::Item p;
  p.set_path(row.path);
  *p.mutable_blob() = DigestToProto({row.blob_digest, row.blob_size});
  p.set_media_type(row.media_type);
  for (const std::string& l : LinksOf(row)) p.add_links(l);
  p.set_acquired_at(row.acquired_at);
  p.set_sensor(row.sensor);
  p.set_view(row.view);
  p.set_station(row.station);
  json attrs = json::parse(row.attributes_json, nullptr, false);
  if (attrs.is_object()) {
    for (const auto& [k, v] : attrs.items()) {
      if (v.is_string()) (*p.mutable_attributes())[k] = v.get<std::string>();
    }
  }
  p.set_digest(row.item_digest);
  return p;
}

DatasetRegistry::DatasetRegistry(Store* store, ContentStore* content, ModelStore* request_ids,
                                 InvestigationStore* investigations, DatasetStore* datasets, std::string page_token_key,
                                 std::function<int64_t()> now_micros, DatasetLimits limits)
    : store_(store),
      content_(content),
      request_ids_(request_ids),
      investigations_(investigations),
      datasets_(datasets),
      token_key_(std::move(page_token_key)),
      now_(std::move(now_micros)),
      limits_(limits) {}

v1::Dataset DatasetRegistry::DatasetProto(const DatasetRow& row) const {
  v1::Dataset p;
  p.set_name(absl::StrCat("datasets/", row.dataset_id));
  p.set_uid(row.uid);
  MessageFromJson(row.datasheet_json, p.mutable_datasheet());
  p.set_latest_version(row.latest_version);
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time);
  *p.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row.update_time);
  p.set_etag(Etag(row.uid, row.revision));
  p.set_project(row.project);
  return p;
}

absl::StatusOr<DatasetRow> DatasetRegistry::LoadDataset(const std::string& name, const std::string& field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 || parts[0] != "datasets" || !IsValidResourceId(parts[1])) {
    return InvalidField(field, "expected \"datasets/{dataset}\"");
  }
  FT_ASSIGN_OR_RETURN(std::optional<DatasetRow> row, datasets_->GetDataset(std::string(parts[1])));
  if (!row) return DatasetNotFound(name);
  return *row;
}

absl::StatusOr<DatasetRegistry::VersionRef> DatasetRegistry::ParseVersionName(const std::string& name,
                                                                              const std::string& field) const {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  VersionRef ref;
  if (parts.size() != 4 || parts[0] != "datasets" || !IsValidResourceId(parts[1]) || parts[2] != "versions" ||
      !ParseCanonicalInt(parts[3], &ref.version) || ref.version <= 0) {
    return InvalidField(field, "expected \"datasets/{dataset}/versions/{n}\"");
  }
  ref.dataset_id = std::string(parts[1]);
  return ref;
}

absl::StatusOr<DatasetVersionRow> DatasetRegistry::LoadVersion(const std::string& name, const std::string& field) {
  FT_ASSIGN_OR_RETURN(VersionRef ref, ParseVersionName(name, field));
  FT_ASSIGN_OR_RETURN(std::optional<DatasetVersionRow> row, datasets_->GetVersion(ref.dataset_id, ref.version));
  if (!row) return VersionNotFound(name);
  return *row;
}

// ---- datasets ------------------------------------------------------------

absl::StatusOr<v1::Dataset> DatasetRegistry::CreateDataset(const CallContext& ctx,
                                                           const v1::CreateDatasetRequest& req) {
  const std::string resource = absl::StrCat("datasets/", req.dataset_id());
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::Dataset> {
    if (!IsValidResourceId(req.dataset_id())) {
      return InvalidField("dataset_id", "1-63 characters of [a-z0-9-], starting with a letter");
    }
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    FT_RETURN_IF_ERROR(CheckDatasheet(req.datasheet(), limits_.max_datasheet_bytes));
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(request_ids_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) {
      FT_ASSIGN_OR_RETURN(DatasetRow row, LoadDataset(*earlier, "request_id"));
      return DatasetProto(row);
    }
    DatasetRow row;
    row.dataset_id = req.dataset_id();
    row.uid = NewUid();
    row.datasheet_json = DatasheetJson(req.datasheet());
    FT_ASSIGN_OR_RETURN(row.project, ProjectOfCreate(req.project(), "project"));
    row.create_time = row.update_time = now_();
    FT_ASSIGN_OR_RETURN(DatasetRow stored, datasets_->InsertDataset(row, RequestKeyOf(ctx, req.request_id()),
                                                                    MakeAuditEntry(ctx, resource, absl::OkStatus())));
    return DatasetProto(stored);
  });
}

absl::StatusOr<v1::Dataset> DatasetRegistry::GetDataset(const v1::GetDatasetRequest& req) {
  FT_ASSIGN_OR_RETURN(DatasetRow row, LoadDataset(req.name(), "name"));
  return DatasetProto(row);
}

absl::StatusOr<v1::ListDatasetsResponse> DatasetRegistry::ListDatasets(const v1::ListDatasetsRequest& req,
                                                                       const ProjectScope& scope) {
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page = req.page_size() == 0 ? 50 : std::min(req.page_size(), 1000);
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key_, "datasets", req.page_token()));
  FT_ASSIGN_OR_RETURN(std::vector<DatasetRow> rows, datasets_->ListDatasets(after, page + 1, scope));
  v1::ListDatasetsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) *out.add_datasets() = DatasetProto(rows[i]);
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, "datasets", rows[page - 1].dataset_id));
  }
  return out;
}

absl::StatusOr<v1::Dataset> DatasetRegistry::UpdateDataset(const CallContext& ctx,
                                                           const v1::UpdateDatasetRequest& req) {
  return Audited(store_, ctx, req.name(), [&]() -> absl::StatusOr<v1::Dataset> {
    FT_ASSIGN_OR_RETURN(DatasetRow cur, LoadDataset(req.name(), "name"));
    if (req.etag().empty()) return InvalidField("etag", "required: the dataset's current etag");
    FT_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.uid, cur.revision, req.name()));
    FT_RETURN_IF_ERROR(CheckDatasheet(req.datasheet(), limits_.max_datasheet_bytes));
    FT_ASSIGN_OR_RETURN(DatasetRow updated,
                        datasets_->UpdateDatasheet(cur.dataset_id, DatasheetJson(req.datasheet()), cur.revision, now_(),
                                                   MakeAuditEntry(ctx, req.name(), absl::OkStatus())));
    return DatasetProto(updated);
  });
}

// ---- versions ------------------------------------------------------------

namespace {

// Collects the problems of a version and turns them into one error.
class Problems {
 public:
  void Add(std::string where, std::string description) {
    ++count_;
    if (list_.size() < kMaxViolations) list_.emplace_back(std::move(where), std::move(description));
  }
  bool empty() const { return count_ == 0; }
  absl::Status Error() const {
    ErrorBuilder err(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("the item table has ", count_,
                                  " problem(s); nothing was stored; first: ", list_[0].first, ": ", list_[0].second));
    err.Reason("ITEMS_INVALID").Meta("problem_count", absl::StrCat(count_));
    for (const auto& [where, what] : list_) err.Field(absl::StrCat("item_table[", where, "]"), what);
    return err.Build();
  }

 private:
  size_t count_ = 0;
  std::vector<std::pair<std::string, std::string>> list_;
};

}  // namespace

absl::StatusOr<v1::DatasetVersion> DatasetRegistry::CreateDatasetVersion(const CallContext& ctx,
                                                                         const v1::CreateDatasetVersionRequest& req) {
  const std::string resource = absl::StrCat(req.parent(), "/versions");
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::DatasetVersion> {
    FT_ASSIGN_OR_RETURN(DatasetRow dataset, LoadDataset(req.parent(), "parent"));
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(request_ids_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) {
      FT_ASSIGN_OR_RETURN(DatasetVersionRow row, LoadVersion(*earlier, "request_id"));
      return DatasetVersionProto(row);
    }
    // The tree: registered, listed whole.
    FT_ASSIGN_OR_RETURN(Digest tree, DigestFromProto(req.tree(), "tree"));
    absl::StatusOr<std::vector<TreeEntry>> entries = content_->TreeEntries(tree);
    if (absl::IsNotFound(entries.status())) {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("the tree ", tree.ToString(), " is not registered"))
          .Reason("TREE_NOT_REGISTERED")
          .Precondition("TREE_NOT_REGISTERED", TreeResourceName(tree),
                        "push the folder first (fairtrace push DIR registers its tree)");
    }
    FT_RETURN_IF_ERROR(entries.status());
    if (entries->size() > limits_.max_items) {
      return InvalidField("tree", absl::StrCat(entries->size(), " files; a version holds at most ", limits_.max_items));
    }
    // The item table.
    datasets::ItemTable table;
    Digest table_digest;
    const bool has_table = req.has_item_table();
    if (has_table) {
      FT_ASSIGN_OR_RETURN(table_digest, DigestFromProto(req.item_table(), "item_table"));
      if (table_digest.size_bytes > limits_.max_item_table_bytes) {
        return InvalidField("item_table", absl::StrCat("at most ", limits_.max_item_table_bytes, " bytes"));
      }
      absl::StatusOr<std::string> bytes = content_->ReadBlob(table_digest, limits_.max_item_table_bytes);
      if (absl::IsNotFound(bytes.status())) {
        return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                            absl::StrCat("the item table blob ", table_digest.ToString(), " is not stored"))
            .Reason("ITEM_TABLE_MISSING")
            .Precondition("ITEM_TABLE_MISSING", BlobResourceName(table_digest), "upload the table first");
      }
      FT_RETURN_IF_ERROR(bytes.status());
      datasets::TableFormat format = datasets::TableFormat::kDetect;
      if (req.item_table_format() == v1::ITEM_TABLE_FORMAT_CSV) format = datasets::TableFormat::kCsv;
      if (req.item_table_format() == v1::ITEM_TABLE_FORMAT_TSV) format = datasets::TableFormat::kTsv;
      if (req.item_table_format() == v1::ITEM_TABLE_FORMAT_JSONL) format = datasets::TableFormat::kJsonl;
      table = datasets::ParseItemTable("item_table", *bytes, format);
    }
    Problems problems;
    for (const datasets::TableProblem& p : table.problems) problems.Add(p.where, p.description);
    // The pinned MIAPPE revision.
    Pinned pinned;
    bool any_link = false;
    for (const datasets::TableRow& r : table.rows) any_link = any_link || !r.links.empty();
    if (!req.investigation_revision().empty()) {
      std::vector<absl::string_view> parts = absl::StrSplit(req.investigation_revision(), '/');
      int64_t rev = 0;
      if (!(parts.size() == 2 ||
            (parts.size() == 4 && parts[2] == "revisions" && ParseCanonicalInt(parts[3], &rev) && rev > 0)) ||
          parts[0] != "investigations" || !IsValidResourceId(parts[1])) {
        return InvalidField("investigation_revision",
                            "expected \"investigations/{i}/revisions/{r}\" or \"investigations/{i}\"");
      }
      pinned.investigation = std::string(parts[1]);
      FT_ASSIGN_OR_RETURN(std::optional<InvestigationRow> inv, investigations_->GetInvestigation(pinned.investigation));
      if (!inv) return InvestigationNotFound(absl::StrCat("investigations/", pinned.investigation));
      pinned.revision = rev == 0 ? inv->latest_revision : rev;
      FT_ASSIGN_OR_RETURN(std::optional<RevisionRow> revision,
                          investigations_->GetRevision(pinned.investigation, pinned.revision));
      if (!revision) {
        return InvestigationNotFound(
            absl::StrCat("investigations/", pinned.investigation, "/revisions/", pinned.revision));
      }
      pinned.name = absl::StrCat("investigations/", pinned.investigation, "/revisions/", pinned.revision);
      pinned.digest = revision->digest;
    } else if (any_link) {
      return InvalidField("investigation_revision",
                          "the item table links MIAPPE entities: name the investigation revision they belong to");
    }
    // Rows joined to files by path; each link resolved to its entity once.
    absl::flat_hash_map<std::string, size_t> file_of;
    file_of.reserve(entries->size());
    for (size_t i = 0; i < entries->size(); ++i) file_of.emplace((*entries)[i].path, i);
    std::vector<const datasets::TableRow*> row_of(entries->size(), nullptr);
    struct Entity {
      std::string section, id;
      int first_line = 0;
      bool exists = false;
      std::string record_json;
    };
    std::map<std::string, Entity> entities;  // resource name -> entity
    std::vector<std::vector<std::string>> links_of(entries->size());
    size_t n = 0;
    for (const datasets::TableRow& r : table.rows) {
      if (++n % 4096 == 0 && ctx.should_stop && ctx.should_stop()) {
        return absl::DeadlineExceededError("stopped: the call was cancelled or reached its deadline");
      }
      const std::string where = absl::StrCat("item_table:", r.line);
      auto f = file_of.find(r.path);
      if (f == file_of.end()) {
        problems.Add(absl::StrCat(where, " (path)"), absl::StrCat("no file \"", r.path, "\" in the tree"));
        continue;
      }
      if (row_of[f->second] != nullptr) {
        problems.Add(absl::StrCat(where, " (path)"),
                     absl::StrCat("\"", r.path, "\" is listed twice (also on line ", row_of[f->second]->line, ")"));
        continue;
      }
      row_of[f->second] = &r;
      for (const datasets::RawLink& l : r.links) {
        std::string name, section, id;
        if (l.section.empty()) {
          absl::StatusOr<EntityName> e = ParseEntityName(l.value, "links");
          if (!e.ok()) {
            problems.Add(absl::StrCat(where, " (links)"),
                         absl::StrCat("\"", l.value, "\" is not a MIAPPE entity name (investigations/{i}/",
                                      "observationUnits/{id}, ...)"));
            continue;
          }
          if (e->investigation != pinned.investigation) {
            problems.Add(absl::StrCat(where, " (links)"),
                         absl::StrCat("\"", l.value, "\" names another investigation than the pinned ", pinned.name));
            continue;
          }
          section = e->section;
          id = e->entity_id;
        } else {
          section = l.section;
          id = l.value;
        }
        name = EntityResource(pinned.investigation, section, id);
        entities.try_emplace(name, Entity{section, id, r.line});
        links_of[f->second].push_back(name);
      }
    }
    for (auto& [name, e] : entities) {
      FT_ASSIGN_OR_RETURN(std::optional<EntityRow> found,
                          investigations_->GetEntity(pinned.investigation, pinned.revision, e.section, e.id));
      if (!found) {
        problems.Add(absl::StrCat("item_table:", e.first_line),
                     absl::StrCat("no ", e.section, " \"", e.id, "\" in ", pinned.name));
        continue;
      }
      e.exists = true;
      e.record_json = found->record_json;
    }
    if (!problems.empty()) return problems.Error();
    // Items, their digests and the version's.
    DatasetVersionRow v;
    v.dataset_id = dataset.dataset_id;
    v.uid = NewUid();
    v.tree_digest = tree.sha256;
    v.tree_size = tree.size_bytes;
    if (has_table) {
      v.item_table_digest = table_digest.sha256;
      v.item_table_size = table_digest.size_bytes;
    }
    v.investigation_revision = pinned.name;
    v.investigation_digest = pinned.digest;
    v.create_time = now_();
    std::vector<ItemRow> items;
    items.reserve(entries->size());
    std::vector<ItemLinkRow> link_rows;
    std::vector<std::string> digests;
    digests.reserve(entries->size());
    for (size_t i = 0; i < entries->size(); ++i) {
      const TreeEntry& e = (*entries)[i];
      datasets::CanonicalItem c;
      c.path = e.path;
      c.blob_sha256 = e.digest.sha256;
      c.blob_size = e.digest.size_bytes;
      c.links = std::move(links_of[i]);
      std::sort(c.links.begin(), c.links.end());
      c.links.erase(std::unique(c.links.begin(), c.links.end()), c.links.end());
      json attrs = json::object();
      if (const datasets::TableRow* r = row_of[i]) {
        c.acquired_at = r->acquired_at;
        c.sensor = r->sensor;
        c.view = r->view;
        c.station = r->station;
        c.attributes = r->attributes;
        for (const auto& [k, val] : r->attributes) attrs[k] = val;
      }
      ItemRow item;
      item.path = c.path;
      item.blob_digest = c.blob_sha256;
      item.blob_size = c.blob_size;
      item.media_type = datasets::MediaTypeOf(c.path);
      item.acquired_at = c.acquired_at;
      item.sensor = c.sensor;
      item.view = c.view;
      item.station = c.station;
      item.attributes_json = attrs.dump();
      item.links_json = LinksJson(c.links).dump();
      item.item_digest = datasets::ItemDigest(c);
      for (const std::string& l : c.links) link_rows.push_back({l, c.path});
      v.total_bytes += c.blob_size;
      if (!c.links.empty()) ++v.linked_item_count;
      digests.push_back(item.item_digest);
      items.push_back(std::move(item));
    }
    v.item_count = static_cast<int64_t>(items.size());
    v.digest = datasets::VersionDigest(tree.sha256, tree.size_bytes, pinned.digest, std::move(digests));
    // Lineage: the version was derived from its tree, its revision and the
    // entities its items show; a unit's biological material too, so that
    // "which datasets (and models) saw material X" is answered downstream.
    std::vector<EdgeRow> edges = {{"", "wasDerivedFrom", TreeResourceName(tree), "content"}};
    if (!pinned.name.empty()) edges.push_back({"", "wasDerivedFrom", pinned.name, "metadata"});
    std::set<std::string> shown;
    for (const auto& [name, e] : entities) {
      shown.insert(name);
      if (e.section == "observation_unit") ++v.observation_unit_count;
      if (e.section == "biological_material") ++v.biological_material_count;
      if (e.section == "sample") ++v.sample_count;
      json rec = json::parse(e.record_json, nullptr, false);
      if (!rec.is_object() || !rec.contains("values") || !rec["values"].is_object()) continue;
      const json& values = rec["values"];
      auto refs = [&](const char* key, const char* section) {
        if (!values.contains(key) || !values[key].is_string()) return;
        for (absl::string_view id : absl::StrSplit(values[key].get<std::string>(), ';', absl::SkipWhitespace())) {
          shown.insert(EntityResource(pinned.investigation, section, std::string(absl::StripAsciiWhitespace(id))));
        }
      };
      if (e.section == "observation_unit") refs("biologicalMaterialId", "biological_material");
      if (e.section == "sample") refs("obsUnitId", "observation_unit");
    }
    for (const std::string& name : shown) edges.push_back({"", "wasDerivedFrom", name, "shows"});
    FT_ASSIGN_OR_RETURN(DatasetVersionRow stored,
                        datasets_->InsertVersion(v, items, link_rows, edges, RequestKeyOf(ctx, req.request_id()),
                                                 MakeAuditEntry(ctx, resource, absl::OkStatus())));
    return DatasetVersionProto(stored);
  });
}

absl::StatusOr<v1::DatasetVersion> DatasetRegistry::GetDatasetVersion(const v1::GetDatasetVersionRequest& req) {
  FT_ASSIGN_OR_RETURN(DatasetVersionRow row, LoadVersion(req.name(), "name"));
  return DatasetVersionProto(row);
}

absl::StatusOr<v1::ListDatasetVersionsResponse> DatasetRegistry::ListDatasetVersions(
    const v1::ListDatasetVersionsRequest& req) {
  FT_ASSIGN_OR_RETURN(DatasetRow ds, LoadDataset(req.parent(), "parent"));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page = req.page_size() == 0 ? 50 : std::min(req.page_size(), 1000);
  FT_ASSIGN_OR_RETURN(std::string before_text,
                      DecodePageToken(token_key_, absl::StrCat("dataset-versions:", ds.uid), req.page_token()));
  int64_t before = 0;
  if (!before_text.empty() && !ParseCanonicalInt(before_text, &before)) {
    return InvalidField("page_token", "not a token of this list");
  }
  FT_ASSIGN_OR_RETURN(std::vector<DatasetVersionRow> rows, datasets_->ListVersions(ds.dataset_id, before, page + 1));
  v1::ListDatasetVersionsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i)
    *out.add_versions() = DatasetVersionProto(rows[i]);
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(
        EncodePageToken(token_key_, absl::StrCat("dataset-versions:", ds.uid), absl::StrCat(rows[page - 1].version)));
  }
  return out;
}

namespace {

const std::vector<FilterField>& ItemFilterFields() {
  static const std::vector<FilterField>* kFields = new std::vector<FilterField>{
      {"path", FilterType::kString},   {"media_type", FilterType::kString},   {"acquired_at", FilterType::kString},
      {"sensor", FilterType::kString}, {"view", FilterType::kString},         {"station", FilterType::kString},
      {"link", FilterType::kString},   {"attributes.", FilterType::kDynamic},
  };
  return *kFields;
}

}  // namespace

absl::StatusOr<v1::ListItemsResponse> DatasetRegistry::ListItems(const v1::ListItemsRequest& req) {
  FT_ASSIGN_OR_RETURN(DatasetVersionRow v, LoadVersion(req.parent(), "parent"));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page = req.page_size() == 0 ? limits_.default_item_page : std::min(req.page_size(), limits_.max_item_page);
  FT_ASSIGN_OR_RETURN(ParsedFilter filter, ParseFilter(req.filter(), ItemFilterFields()));
  // The token is bound to the version and the filter.
  const std::string kind = absl::StrCat("items:", v.uid, ":", req.filter());
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key_, kind, req.page_token()));
  FT_ASSIGN_OR_RETURN(std::vector<ItemRow> rows, datasets_->ListItems(v.uid, filter, after, page + 1));
  v1::ListItemsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) *out.add_items() = ItemProto(rows[i]);
  if (static_cast<int>(rows.size()) > page)
    out.set_next_page_token(EncodePageToken(token_key_, kind, rows[page - 1].path));
  return out;
}

absl::Status DatasetRegistry::DiffDatasetVersions(
    const CallContext& ctx, const v1::DiffDatasetVersionsRequest& req,
    const std::function<bool(const v1::DiffDatasetVersionsResponse&)>& sink) {
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page = req.page_size() == 0 ? limits_.default_diff_page : std::min(req.page_size(), limits_.max_diff_page);
  FT_ASSIGN_OR_RETURN(DatasetVersionRow base, LoadVersion(req.base(), "base"));
  FT_ASSIGN_OR_RETURN(DatasetVersionRow target, LoadVersion(req.target(), "target"));
  FT_ASSIGN_OR_RETURN(std::vector<ItemRow> a, datasets_->AllItems(base.uid));
  FT_ASSIGN_OR_RETURN(std::vector<ItemRow> b, datasets_->AllItems(target.uid));
  if (ctx.should_stop && ctx.should_stop()) return absl::DeadlineExceededError("stopped");
  std::vector<v1::ItemChange> changes;
  std::vector<const ItemRow*> removed, added;
  size_t i = 0, j = 0;
  auto digest = [](const ItemRow& r) { return DigestToProto({r.blob_digest, r.blob_size}); };
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].path < b[j].path)) {
      removed.push_back(&a[i++]);
    } else if (i == a.size() || b[j].path < a[i].path) {
      added.push_back(&b[j++]);
    } else {
      const ItemRow& x = a[i++];
      const ItemRow& y = b[j++];
      if (x.item_digest == y.item_digest) continue;
      v1::ItemChange c;
      c.set_path(y.path);
      *c.mutable_old_blob() = digest(x);
      *c.mutable_new_blob() = digest(y);
      if (x.blob_digest != y.blob_digest || x.blob_size != y.blob_size) {
        c.set_kind(v1::ItemChange::CHANGED);
      } else {
        // Links are read only for the items whose links changed.
        c.set_kind(v1::ItemChange::RELINKED);
        FT_ASSIGN_OR_RETURN(std::optional<ItemRow> old_item, datasets_->GetItem(base.uid, x.path));
        FT_ASSIGN_OR_RETURN(std::optional<ItemRow> new_item, datasets_->GetItem(target.uid, y.path));
        if (old_item) {
          for (const std::string& l : LinksOf(*old_item)) c.add_old_links(l);
        }
        if (new_item) {
          for (const std::string& l : LinksOf(*new_item)) c.add_new_links(l);
        }
      }
      changes.push_back(std::move(c));
    }
  }
  // Same bytes under another path: moved (first removed path with those
  // bytes pairs with the first added one, in path order).
  std::map<std::pair<std::string, int64_t>, std::vector<const ItemRow*>> removed_by_blob;
  for (const ItemRow* r : removed) removed_by_blob[{r->blob_digest, r->blob_size}].push_back(r);
  std::set<const ItemRow*> moved_from;
  for (const ItemRow* r : added) {
    v1::ItemChange c;
    c.set_path(r->path);
    *c.mutable_new_blob() = digest(*r);
    auto it = removed_by_blob.find({r->blob_digest, r->blob_size});
    if (it != removed_by_blob.end() && !it->second.empty()) {
      const ItemRow* from = it->second.front();
      it->second.erase(it->second.begin());
      moved_from.insert(from);
      c.set_kind(v1::ItemChange::MOVED);
      c.set_old_path(from->path);
      *c.mutable_old_blob() = digest(*from);
    } else {
      c.set_kind(v1::ItemChange::ADDED);
    }
    changes.push_back(std::move(c));
  }
  for (const ItemRow* r : removed) {
    if (moved_from.contains(r)) continue;
    v1::ItemChange c;
    c.set_kind(v1::ItemChange::REMOVED);
    c.set_path(r->path);
    *c.mutable_old_blob() = digest(*r);
    changes.push_back(std::move(c));
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const v1::ItemChange& x, const v1::ItemChange& y) { return x.path() < y.path(); });
  v1::DiffDatasetVersionsResponse first;
  for (const v1::ItemChange& c : changes) {
    switch (c.kind()) {
      case v1::ItemChange::ADDED:
        first.set_added(first.added() + 1);
        break;
      case v1::ItemChange::REMOVED:
        first.set_removed(first.removed() + 1);
        break;
      case v1::ItemChange::CHANGED:
        first.set_changed(first.changed() + 1);
        break;
      case v1::ItemChange::MOVED:
        first.set_moved(first.moved() + 1);
        break;
      case v1::ItemChange::RELINKED:
        first.set_relinked(first.relinked() + 1);
        break;
      default:
        break;
    }
  }
  first.set_across_datasets(base.dataset_id != target.dataset_id);
  size_t k = 0;
  v1::DiffDatasetVersionsResponse msg = first;
  do {
    for (int n = 0; n < page && k < changes.size(); ++n) *msg.add_changes() = std::move(changes[k++]);
    if (!sink(msg)) return absl::OkStatus();  // the client went away
    msg.Clear();
  } while (k < changes.size());
  return absl::OkStatus();
}

absl::Status DatasetRegistry::ExportDatasetVersion(
    const CallContext& ctx, const v1::ExportDatasetVersionRequest& req,
    const std::function<bool(const v1::ExportDatasetVersionResponse&)>& sink) {
  const std::string base = req.base_iri().empty() ? "urn:fairtrace:" : req.base_iri();
  // An absolute IRI: a scheme ("https:", "urn:") then no spaces or quotes.
  const size_t colon = base.find(':');
  bool valid = colon != std::string::npos && colon > 0 && base.size() <= 1024 &&
               (base.back() == '/' || base.back() == ':') && absl::ascii_isalpha(static_cast<unsigned char>(base[0]));
  for (char c : base) valid = valid && static_cast<unsigned char>(c) > 0x20 && c != '"' && c != '<' && c != '>';
  if (!valid) return InvalidField("base_iri", "an absolute IRI ending in '/' or ':' (\"https://host/\", \"urn:x:\")");
  FT_ASSIGN_OR_RETURN(DatasetVersionRow v, LoadVersion(req.name(), "name"));
  FT_ASSIGN_OR_RETURN(std::optional<DatasetRow> ds, datasets_->GetDataset(v.dataset_id));
  if (!ds) return DatasetNotFound(absl::StrCat("datasets/", v.dataset_id));
  // Items are read 10,000 at a time, twice (the files, then the records):
  // memory stays bounded whatever the version's size.
  datasets::ItemSource items = [&](const std::function<bool(const v1::Item&)>& each) -> absl::Status {
    std::string after;
    while (true) {
      if (ctx.should_stop && ctx.should_stop()) return absl::DeadlineExceededError("stopped");
      FT_ASSIGN_OR_RETURN(std::vector<ItemRow> rows, datasets_->ListItems(v.uid, ParsedFilter{}, after, 10'000));
      for (const ItemRow& r : rows) {
        if (!each(ItemProto(r))) return absl::OkStatus();
      }
      if (rows.size() < 10'000) return absl::OkStatus();
      after = rows.back().path;
    }
  };
  bool first = true;
  return datasets::WriteCroissant(DatasetProto(*ds), DatasetVersionProto(v), base, items, [&](absl::string_view piece) {
    v1::ExportDatasetVersionResponse msg;
    if (first) msg.set_media_type("application/ld+json");
    first = false;
    msg.set_data(std::string(piece));
    return sink(msg);
  });
}

}  // namespace fairtrace
