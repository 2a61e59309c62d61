#include "registry/annotations/annotation_registry.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "registry/annotations/agreement_report.h"
#include "registry/annotations/annotation_names.h"
#include "registry/annotations/image_io.h"
#include "registry/core/audited.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_util.h"
#include "registry/investigations/investigation_names.h"

namespace fairtrace {

using annotations::TaskType;
using google::protobuf::util::TimeUtil;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxViolations = 1000;

struct TaskInfo {
  v1::AnnotationTask proto;
  TaskType task;
};
constexpr TaskInfo kTasks[] = {
    {v1::ANNOTATION_TASK_LABELS, TaskType::kLabels}, {v1::ANNOTATION_TASK_MEASUREMENTS, TaskType::kMeasurements},
    {v1::ANNOTATION_TASK_BOXES, TaskType::kBoxes},   {v1::ANNOTATION_TASK_POLYGONS, TaskType::kPolygons},
    {v1::ANNOTATION_TASK_MASKS, TaskType::kMasks},
};

std::optional<TaskType> TaskOf(v1::AnnotationTask t) {
  for (const TaskInfo& i : kTasks) {
    if (i.proto == t) return i.task;
  }
  return std::nullopt;
}

v1::AnnotationTask TaskProto(const std::string& name) {
  for (const TaskInfo& i : kTasks) {
    if (annotations::TaskTypeName(i.task) == name) return i.proto;
  }
  return v1::ANNOTATION_TASK_UNSPECIFIED;
}

std::optional<TaskType> TaskNamed(const std::string& name) {
  for (const TaskInfo& i : kTasks) {
    if (annotations::TaskTypeName(i.task) == name) return i.task;
  }
  return std::nullopt;
}

const char* FormatName(v1::AnnotationFormat f) {
  switch (f) {
    case v1::ANNOTATION_FORMAT_COCO_JSON:
      return "coco_json";
    case v1::ANNOTATION_FORMAT_LABEL_CSV:
      return "label_csv";
    case v1::ANNOTATION_FORMAT_MASK_FOLDER:
      return "mask_folder";
    default:
      return "";
  }
}

v1::AnnotationFormat FormatProto(const std::string& name) {
  for (v1::AnnotationFormat f :
       {v1::ANNOTATION_FORMAT_COCO_JSON, v1::ANNOTATION_FORMAT_LABEL_CSV, v1::ANNOTATION_FORMAT_MASK_FOLDER}) {
    if (name == FormatName(f)) return f;
  }
  return v1::ANNOTATION_FORMAT_UNSPECIFIED;
}

std::string SetName(const AnnotationSetRow& r) {
  return absl::StrCat(DatasetVersionName(r.dataset_id, r.version), "/annotationSets/", r.set_id);
}

std::string ReportName(const AgreementReportRow& r) {
  return absl::StrCat(DatasetVersionName(r.dataset_id, r.version), "/agreementReports/", r.report_id);
}

std::vector<annotations::Category> CategoriesOf(const AnnotationSetRow& row) {
  v1::AnnotationSet meta;
  MessageFromJson(row.meta_json, &meta);
  std::vector<annotations::Category> out;
  for (const v1::AnnotationCategory& c : meta.categories()) out.push_back({c.id(), c.name()});
  return out;
}

absl::Status SetNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(name, " does not exist"))
      .Reason("ANNOTATION_SET_NOT_FOUND")
      .Resource("fairtrace.v1.AnnotationSet", name);
}

// The one-to-one description a set's digest covers (docs/annotations.md,
// "Digest"): compact JSON, keys sorted.
std::string SetDigest(const DatasetVersionRow& version, const AnnotationSetRow& row, const v1::AnnotationSet& meta,
                      const std::string& replaces_digest) {
  json categories = json::array();
  for (const v1::AnnotationCategory& c : meta.categories()) categories.push_back(json::array({c.id(), c.name()}));
  json doc = {
      {"annotation_set", 1},
      {"dataset_version", version.digest},
      {"task", row.task},
      {"format", row.format},
      {"source", absl::StrCat(row.source_digest, "/", row.source_size)},
      {"annotator", row.annotator},
      {"protocol",
       {{"name", meta.protocol().name()},
        {"version", meta.protocol().version()},
        {"guideline", meta.protocol().has_guideline() ? absl::StrCat(meta.protocol().guideline().sha256(), "/",
                                                                     meta.protocol().guideline().size_bytes())
                                                      : ""}}},
      {"tool", {{"name", meta.tool().name()}, {"version", meta.tool().version()}}},
      {"categories", categories},
      {"replaces", replaces_digest},
  };
  Sha256 h;
  h.Update(doc.dump());
  return h.FinishHex();
}

class Violations {
 public:
  void Add(std::string where, std::string what) {
    ++count_;
    if (list_.size() < kMaxViolations) list_.emplace_back(std::move(where), std::move(what));
  }
  void AddAll(const annotations::ParsedSet& p) {
    for (const annotations::Problem& x : p.problems) Add(x.where, x.description);
    count_ += p.problem_count - p.problems.size();
  }
  bool empty() const { return count_ == 0; }
  absl::Status Error() const {
    ErrorBuilder err(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("the annotations have ", count_,
                                  " problem(s); nothing was stored; first: ", list_[0].first, ": ", list_[0].second));
    err.Reason("ANNOTATIONS_INVALID").Meta("problem_count", absl::StrCat(count_));
    for (const auto& [where, what] : list_) err.Field(absl::StrCat("annotation_set.source[", where, "]"), what);
    return err.Build();
  }

 private:
  size_t count_ = 0;
  std::vector<std::pair<std::string, std::string>> list_;
};

absl::Status CheckCategories(const google::protobuf::RepeatedPtrField<v1::AnnotationCategory>& cats, size_t max,
                             bool class_ids) {
  if (static_cast<size_t>(cats.size()) > max) {
    return InvalidField("annotation_set.categories", absl::StrCat("at most ", max));
  }
  std::set<int64_t> ids;
  std::set<std::string> names;
  for (int i = 0; i < cats.size(); ++i) {
    const std::string f = absl::StrCat("annotation_set.categories[", i, "]");
    if (cats[i].name().empty()) return InvalidField(absl::StrCat(f, ".name"), "required");
    FT_RETURN_IF_ERROR(CheckLength(cats[i].name(), 256, absl::StrCat(f, ".name")));
    if (class_ids && (cats[i].id() < 0 || cats[i].id() > 65535)) {
      return InvalidField(absl::StrCat(f, ".id"), "a mask class id is 0-65535 (the pixel value)");
    }
    if (!ids.insert(cats[i].id()).second) return InvalidField(absl::StrCat(f, ".id"), "used twice");
    if (!names.insert(cats[i].name()).second) return InvalidField(absl::StrCat(f, ".name"), "used twice");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSource(ContentStore* content, const Digest& d, int64_t max, const char* field) {
  if (d.size_bytes > max) return InvalidField(field, absl::StrCat("at most ", max, " bytes"));
  absl::StatusOr<std::string> bytes = content->ReadBlob(d, max);
  if (absl::IsNotFound(bytes.status())) {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("the blob ", d.ToString(), " is not stored"))
        .Reason("SOURCE_MISSING")
        .Precondition("SOURCE_MISSING", BlobResourceName(d), "upload the file first");
  }
  return bytes;
}

json GeometryJson(const annotations::Annotation& a) {
  if (!a.polygons.empty()) return json{{"polygons", a.polygons}};
  if (!a.rle.empty()) return json{{"h", a.rle_height}, {"w", a.rle_width}, {"rle", a.rle}};
  return json();
}

}  // namespace

v1::AnnotationSet AnnotationSetProto(const AnnotationSetRow& row) {
  v1::AnnotationSet p;
  MessageFromJson(row.meta_json, &p);
  p.set_name(SetName(row));
  p.set_uid(row.uid);
  p.set_annotator(row.annotator);
  p.set_task(TaskProto(row.task));
  p.set_format(FormatProto(row.format));
  const Digest source{row.source_digest, row.source_size};
  if (row.format == "mask_folder") {
    *p.mutable_source_tree() = DigestToProto(source);
  } else {
    *p.mutable_source_blob() = DigestToProto(source);
  }
  p.set_digest(row.digest);
  p.set_annotation_count(row.annotation_count);
  p.set_annotated_item_count(row.item_count);
  p.set_created_by(row.created_by);
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time);
  return p;
}

v1::AgreementReport AgreementReportProto(const AgreementReportRow& row) {
  v1::AgreementReport p;
  p.set_name(ReportName(row));
  p.set_uid(row.uid);
  json sets = json::parse(row.sets_json, nullptr, false);
  if (sets.is_array()) {
    for (const json& s : sets) {
      if (s.is_string()) p.add_annotation_sets(s.get<std::string>());
    }
  }
  p.set_task(TaskProto(row.task));
  *p.mutable_document() = DigestToProto({row.document_digest, row.document_size});
  json overall = json::parse(row.overall_json, nullptr, false);
  if (overall.is_array()) {
    for (const json& c : overall) MessageFromJson(c.dump(), p.add_overall());
  }
  p.set_created_by(row.created_by);
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time);
  return p;
}

AnnotationRegistry::AnnotationRegistry(Store* store, ContentStore* content, ModelStore* request_ids,
                                       DatasetStore* datasets, AnnotationStore* annotations,
                                       InvestigationStore* investigations, std::string page_token_key,
                                       std::function<int64_t()> now_micros, AnnotationLimits limits)
    : store_(store),
      content_(content),
      request_ids_(request_ids),
      datasets_(datasets),
      annotations_(annotations),
      investigations_(investigations),
      token_key_(std::move(page_token_key)),
      now_(std::move(now_micros)),
      limits_(limits) {}

absl::StatusOr<DatasetVersionRow> AnnotationRegistry::LoadVersion(const std::string& name, const std::string& field) {
  return LoadDatasetVersion(datasets_, name, field);
}

absl::StatusOr<AnnotationSetRow> AnnotationRegistry::LoadSet(const std::string& name, const std::string& field) {
  FT_ASSIGN_OR_RETURN(DatasetChildName n, ParseDatasetChildName(name, "annotationSets", field));
  FT_ASSIGN_OR_RETURN(std::optional<AnnotationSetRow> row, annotations_->GetSet(n.dataset_id, n.version, n.id));
  if (!row) return SetNotFound(name);
  return *row;
}

absl::StatusOr<v1::AnnotationSet> AnnotationRegistry::CreateAnnotationSet(const CallContext& ctx,
                                                                          const v1::CreateAnnotationSetRequest& req) {
  const std::string resource = absl::StrCat(req.parent(), "/annotationSets/", req.annotation_set_id());
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::AnnotationSet> {
    FT_ASSIGN_OR_RETURN(DatasetVersionRow version, LoadVersion(req.parent(), "parent"));
    if (!IsValidResourceId(req.annotation_set_id())) {
      return InvalidField("annotation_set_id", "1-63 characters of [a-z0-9-], starting with a letter");
    }
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(request_ids_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) {
      FT_ASSIGN_OR_RETURN(AnnotationSetRow row, LoadSet(*earlier, "request_id"));
      return AnnotationSetProto(row);
    }
    const v1::AnnotationSet& in = req.annotation_set();
    std::optional<TaskType> task = TaskOf(in.task());
    if (!task) return InvalidField("annotation_set.task", "required: labels, measurements, boxes, polygons or masks");
    const v1::AnnotationFormat format = in.format();
    const bool coco = format == v1::ANNOTATION_FORMAT_COCO_JSON, csv = format == v1::ANNOTATION_FORMAT_LABEL_CSV;
    const bool folder = format == v1::ANNOTATION_FORMAT_MASK_FOLDER;
    if (!coco && !csv && !folder) {
      return InvalidField("annotation_set.format", "required: COCO_JSON, LABEL_CSV or MASK_FOLDER");
    }
    const bool fits =
        (coco && (*task == TaskType::kBoxes || *task == TaskType::kPolygons || *task == TaskType::kMasks)) ||
        (csv && (*task == TaskType::kLabels || *task == TaskType::kMeasurements)) ||
        (folder && *task == TaskType::kMasks);
    if (!fits) {
      return InvalidField("annotation_set.format",
                          absl::StrCat("a ", FormatName(format), " set cannot hold ", annotations::TaskTypeName(*task),
                                       " (COCO: boxes, polygons, masks; label CSV: labels, measurements; mask "
                                       "folder: masks)"));
    }
    const std::string annotator = in.annotator().empty() ? ctx.principal : in.annotator();
    FT_RETURN_IF_ERROR(CheckLength(annotator, 256, "annotation_set.annotator"));
    FT_RETURN_IF_ERROR(CheckLength(in.protocol().name(), 256, "annotation_set.protocol.name"));
    FT_RETURN_IF_ERROR(CheckLength(in.protocol().version(), 64, "annotation_set.protocol.version"));
    FT_RETURN_IF_ERROR(CheckLength(in.tool().name(), 256, "annotation_set.tool.name"));
    FT_RETURN_IF_ERROR(CheckLength(in.tool().version(), 64, "annotation_set.tool.version"));
    if (coco && in.categories_size() > 0) {
      return InvalidField("annotation_set.categories", "a COCO file declares its own categories: leave this empty");
    }
    if (folder && in.categories_size() == 0) {
      return InvalidField("annotation_set.categories", "a mask folder needs its class ids (pixel value -> name)");
    }
    if (*task == TaskType::kMeasurements && in.categories_size() > 0) {
      return InvalidField("annotation_set.categories", "measurements have no categories");
    }
    FT_RETURN_IF_ERROR(CheckCategories(in.categories(), limits_.format.max_categories, folder));
    if (in.protocol().has_guideline()) {
      FT_ASSIGN_OR_RETURN(Digest g, DigestFromProto(in.protocol().guideline(), "annotation_set.protocol.guideline"));
      FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs({g}));
      if (!has[0]) {
        return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                            absl::StrCat("the guideline blob ", g.ToString(), " is not stored"))
            .Reason("GUIDELINE_MISSING")
            .Precondition("GUIDELINE_MISSING", BlobResourceName(g), "upload the guideline document first");
      }
    }
    std::string replaces_digest;
    if (!in.replaces().empty()) {
      FT_ASSIGN_OR_RETURN(DatasetChildName r,
                          ParseDatasetChildName(in.replaces(), "annotationSets", "annotation_set.replaces"));
      if (r.dataset_id != version.dataset_id || r.version != version.version) {
        return InvalidField("annotation_set.replaces", "a correction replaces a set of the same dataset version");
      }
      FT_ASSIGN_OR_RETURN(AnnotationSetRow old, LoadSet(in.replaces(), "annotation_set.replaces"));
      replaces_digest = old.digest;
    }
    // The items and their image sizes (headers read once, on demand).
    FT_ASSIGN_OR_RETURN(std::vector<ItemRow> items, datasets_->AllItems(version.uid));
    absl::flat_hash_map<std::string, Digest> blob_of;
    for (const ItemRow& i : items) blob_of.emplace(i.path, Digest{i.blob_digest, i.blob_size});
    absl::flat_hash_map<std::string, absl::StatusOr<annotations::ImageSize>> sizes;
    annotations::ItemLookup lookup;
    lookup.is_item = [&](const std::string& p) { return blob_of.contains(p); };
    lookup.image_size = [&](const std::string& p) -> absl::StatusOr<annotations::ImageSize> {
      auto cached = sizes.find(p);
      if (cached != sizes.end()) return cached->second;
      const Digest& d = blob_of.at(p);
      std::string head;
      absl::Status read = content_->Read(BlobResourceName(d), 0, annotations::kHeaderPrefixBytes, 1 << 20,
                                         [&](absl::string_view chunk) {
                                           head.append(chunk.data(), chunk.size());
                                           return true;
                                         });
      absl::StatusOr<annotations::ImageSize> size = [&]() -> absl::StatusOr<annotations::ImageSize> {
        FT_RETURN_IF_ERROR(read);
        if (annotations::SniffImageFormat(head) == "tiff" && d.size_bytes > static_cast<int64_t>(head.size())) {
          FT_ASSIGN_OR_RETURN(head, content_->ReadBlob(d, limits_.max_image_bytes));
        }
        FT_ASSIGN_OR_RETURN(annotations::ImageInfo info, annotations::ReadImageInfo(head));
        return annotations::ImageSize{info.width, info.height};
      }();
      sizes.emplace(p, size);
      return size;
    };
    std::vector<annotations::Category> declared;
    for (const v1::AnnotationCategory& c : in.categories()) declared.push_back({c.id(), c.name()});
    // Parse and check.
    Digest source;
    annotations::ParsedSet parsed;
    Violations problems;
    if (folder) {
      FT_ASSIGN_OR_RETURN(source, DigestFromProto(in.source_tree(), "annotation_set.source_tree"));
      absl::StatusOr<std::vector<TreeEntry>> entries = content_->TreeEntries(source);
      if (absl::IsNotFound(entries.status())) {
        return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                            absl::StrCat("the tree ", source.ToString(), " is not registered"))
            .Reason("SOURCE_MISSING")
            .Precondition("SOURCE_MISSING", TreeResourceName(source), "push the mask folder first");
      }
      FT_RETURN_IF_ERROR(entries.status());
      parsed.categories = declared;
      size_t n = 0;
      for (const TreeEntry& e : *entries) {
        if (++n % 64 == 0 && ctx.should_stop && ctx.should_stop()) {
          return absl::DeadlineExceededError("stopped: the call was cancelled or reached its deadline");
        }
        if (!blob_of.contains(e.path)) {
          problems.Add(e.path, "no item of the dataset version has this path");
          continue;
        }
        if (e.digest.size_bytes > limits_.max_mask_bytes) {
          problems.Add(e.path,
                       absl::StrCat("a mask of ", e.digest.size_bytes, " bytes; at most ", limits_.max_mask_bytes));
          continue;
        }
        FT_ASSIGN_OR_RETURN(std::string png, content_->ReadBlob(e.digest, limits_.max_mask_bytes));
        absl::StatusOr<annotations::Mask> mask = annotations::DecodeMask(png, limits_.format.max_pixels);
        if (!mask.ok()) {
          problems.Add(e.path, std::string(mask.status().message()));
          continue;
        }
        absl::StatusOr<annotations::ImageSize> size = lookup.image_size(e.path);
        if (!size.ok()) {
          problems.Add(e.path, absl::StrCat("the item's image size cannot be read: ", size.status().message()));
          continue;
        }
        std::vector<std::string> bad = annotations::CheckMask(*mask, *size, declared);
        for (std::string& b : bad) problems.Add(e.path, std::move(b));
        if (!bad.empty()) continue;
        annotations::Annotation a;
        a.path = e.path;
        a.mask_digest = e.digest.ToString();
        parsed.annotations.push_back(std::move(a));
      }
    } else {
      FT_ASSIGN_OR_RETURN(source, DigestFromProto(in.source_blob(), "annotation_set.source_blob"));
      FT_ASSIGN_OR_RETURN(std::string bytes,
                          ReadSource(content_, source, limits_.max_source_bytes, "annotation_set.source_blob"));
      parsed = coco ? annotations::ParseCoco("source", bytes, *task, lookup, limits_.format)
                    : annotations::ParseLabelCsv("source", bytes, *task, declared, lookup, limits_.format);
      problems.AddAll(parsed);
    }
    if (!problems.empty()) return problems.Error();
    if (parsed.annotations.empty()) {
      return InvalidField("annotation_set.source", "holds no annotation: a set annotates at least one item");
    }
    // Rows.
    AnnotationSetRow row;
    row.dataset_id = version.dataset_id;
    row.version = version.version;
    row.set_id = req.annotation_set_id();
    row.uid = NewUid();
    row.version_uid = version.uid;
    row.annotator = annotator;
    row.task = annotations::TaskTypeName(*task);
    row.format = FormatName(format);
    row.source_digest = source.sha256;
    row.source_size = source.size_bytes;
    v1::AnnotationSet meta;
    *meta.mutable_protocol() = in.protocol();
    *meta.mutable_tool() = in.tool();
    for (const annotations::Category& c : parsed.categories) {
      v1::AnnotationCategory* p = meta.add_categories();
      p->set_id(c.id);
      p->set_name(c.name);
    }
    meta.set_replaces(in.replaces());
    row.meta_json = MessageJson(meta);
    row.digest = SetDigest(version, row, meta, replaces_digest);
    row.created_by = ctx.principal;
    row.create_time = now_();
    std::vector<AnnotationRow> rows;
    rows.reserve(parsed.annotations.size());
    std::set<std::string> annotated;
    for (size_t i = 0; i < parsed.annotations.size(); ++i) {
      const annotations::Annotation& a = parsed.annotations[i];
      AnnotationRow r;
      r.seq = static_cast<int64_t>(i + 1);
      r.path = a.path;
      r.source_id = a.source_id;
      r.category_id = a.category_id;
      r.value = a.value;
      std::copy(a.bbox, a.bbox + 4, r.bbox);
      json g = GeometryJson(a);
      if (!g.is_null()) r.geometry_json = g.dump();
      r.mask_digest = a.mask_digest;
      annotated.insert(a.path);
      rows.push_back(std::move(r));
    }
    row.annotation_count = static_cast<int64_t>(rows.size());
    row.item_count = static_cast<int64_t>(annotated.size());
    std::vector<EdgeRow> edges = {
        {"", "wasDerivedFrom", DatasetVersionName(version.dataset_id, version.version), "annotates"},
        {"", "wasDerivedFrom", folder ? TreeResourceName(source) : BlobResourceName(source), "source"}};
    if (in.protocol().has_guideline()) {
      edges.push_back({"", "wasDerivedFrom",
                       BlobResourceName({in.protocol().guideline().sha256(), in.protocol().guideline().size_bytes()}),
                       "guideline"});
    }
    if (!in.replaces().empty()) edges.push_back({"", "wasRevisionOf", in.replaces(), "replaces"});
    FT_RETURN_IF_ERROR(annotations_->InsertSet(row, rows, edges, RequestKeyOf(ctx, req.request_id()),
                                               MakeAuditEntry(ctx, resource, absl::OkStatus())));
    return AnnotationSetProto(row);
  });
}

absl::StatusOr<v1::AnnotationSet> AnnotationRegistry::GetAnnotationSet(const v1::GetAnnotationSetRequest& req) {
  FT_ASSIGN_OR_RETURN(AnnotationSetRow row, LoadSet(req.name(), "name"));
  return AnnotationSetProto(row);
}

absl::StatusOr<v1::ListAnnotationSetsResponse> AnnotationRegistry::ListAnnotationSets(
    const v1::ListAnnotationSetsRequest& req) {
  FT_ASSIGN_OR_RETURN(DatasetVersionRow v, LoadVersion(req.parent(), "parent"));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page = req.page_size() == 0 ? limits_.default_set_page : std::min(req.page_size(), limits_.max_set_page);
  const std::string kind = absl::StrCat("annotation-sets:", v.uid);
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key_, kind, req.page_token()));
  FT_ASSIGN_OR_RETURN(std::vector<AnnotationSetRow> rows,
                      annotations_->ListSets(v.dataset_id, v.version, after, page + 1));
  v1::ListAnnotationSetsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) {
    *out.add_annotation_sets() = AnnotationSetProto(rows[i]);
  }
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, kind, rows[page - 1].set_id));
  }
  return out;
}

namespace {

const std::vector<FilterField>& AnnotationFilterFields() {
  static const std::vector<FilterField>* kFields = new std::vector<FilterField>{
      {"path", FilterType::kString},
      {"category_id", FilterType::kInt},
  };
  return *kFields;
}

}  // namespace

absl::StatusOr<v1::ListAnnotationsResponse> AnnotationRegistry::ListAnnotations(const v1::ListAnnotationsRequest& req) {
  FT_ASSIGN_OR_RETURN(AnnotationSetRow set, LoadSet(req.parent(), "parent"));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page =
      req.page_size() == 0 ? limits_.default_annotation_page : std::min(req.page_size(), limits_.max_annotation_page);
  FT_ASSIGN_OR_RETURN(ParsedFilter filter, ParseFilter(req.filter(), AnnotationFilterFields()));
  const std::string kind = absl::StrCat("annotations:", set.uid, ":", req.filter());
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key_, kind, req.page_token()));
  int64_t after_seq = 0;
  if (!after.empty() && !ParseCanonicalInt(after, &after_seq)) return InvalidField("page_token", "not a page token");
  FT_ASSIGN_OR_RETURN(std::vector<AnnotationRow> rows,
                      annotations_->ListAnnotations(set.uid, filter, after_seq, page + 1));
  absl::flat_hash_map<int64_t, std::string> category_name;
  for (const annotations::Category& c : CategoriesOf(set)) category_name.emplace(c.id, c.name);
  v1::ListAnnotationsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) {
    const AnnotationRow& r = rows[i];
    v1::Annotation* a = out.add_annotations();
    a->set_path(r.path);
    a->set_source_id(r.source_id);
    if (r.category_id >= 0) {
      a->set_category_id(r.category_id);
      a->set_category(category_name[r.category_id]);
    }
    if (set.task == "measurements") a->set_value(r.value);
    if (set.task == "boxes" || set.task == "polygons" || (set.task == "masks" && r.mask_digest.empty())) {
      for (double x : r.bbox) a->add_bbox(x);
    }
    json g = r.geometry_json.empty() ? json() : json::parse(r.geometry_json, nullptr, false);
    if (g.is_object() && g.contains("polygons")) {
      for (const json& part : g["polygons"]) {
        v1::Polygon* p = a->add_polygons();
        for (const json& x : part) p->add_coordinates(x.get<double>());
      }
    }
    if (g.is_object() && g.contains("rle")) {
      int64_t area = 0, k = 0;
      for (const json& run : g["rle"]) area += (k++ % 2 == 1) ? run.get<int64_t>() : 0;
      a->set_mask_area(area);
    }
    if (!r.mask_digest.empty()) {
      absl::StatusOr<Digest> d = ParseDigest(r.mask_digest, "mask");
      if (d.ok()) *a->mutable_mask() = DigestToProto(*d);
    }
    v1::StoredAnnotation* stored = a->mutable_stored();
    stored->set_seq(r.seq);
    stored->set_category_id(r.category_id);
    stored->set_value(r.value);
    for (double x : r.bbox) stored->add_bbox(x);
    stored->set_geometry_json(r.geometry_json);
    stored->set_mask_digest(r.mask_digest);
  }
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, kind, absl::StrCat(rows[page - 1].seq)));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<std::pair<std::string, std::string>>>>
AnnotationRegistry::FactorLevels(const DatasetVersionRow& version) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  if (version.investigation_revision.empty() || version.linked_item_count == 0) return out;
  std::vector<absl::string_view> rev = absl::StrSplit(version.investigation_revision, '/');
  int64_t revision = 0;
  if (rev.size() != 4 || !ParseCanonicalInt(rev[3], &revision)) return out;
  const std::string investigation(rev[1]);
  FT_ASSIGN_OR_RETURN(std::vector<ItemRow> items,
                      datasets_->ListItems(version.uid, ParsedFilter{}, "", static_cast<int>(version.item_count) + 1));
  // A level written without its factor ("drought") belongs to the one
  // declared factor that lists it (MIAPPE rule 5: matched unambiguously).
  std::map<std::string, std::set<std::string>> factors_of_level;
  FT_ASSIGN_OR_RETURN(std::vector<EntityRow> factors,
                      investigations_->ListEntities(investigation, revision, "factor", 0, 10'000));
  for (const EntityRow& f : factors) {
    json rec = json::parse(f.record_json, nullptr, false);
    if (!rec.is_object() || !rec.contains("values") || !rec["values"].is_object()) continue;
    const json& v = rec["values"];
    if (!v.contains("expeFactorType") || !v["expeFactorType"].is_string() || !v.contains("expeFactorValues") ||
        !v["expeFactorValues"].is_string()) {
      continue;
    }
    for (absl::string_view level :
         absl::StrSplit(v["expeFactorValues"].get<std::string>(), ';', absl::SkipWhitespace())) {
      factors_of_level[std::string(absl::StripAsciiWhitespace(level))].insert(v["expeFactorType"].get<std::string>());
    }
  }
  // Unit id -> its levels; sample id -> its unit ids (looked up once each).
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> unit_levels;
  std::map<std::string, std::vector<std::string>> sample_units;
  auto values_of = [&](const char* section, const std::string& id) -> absl::StatusOr<json> {
    FT_ASSIGN_OR_RETURN(std::optional<EntityRow> e, investigations_->GetEntity(investigation, revision, section, id));
    if (!e) return json();
    json rec = json::parse(e->record_json, nullptr, false);
    if (!rec.is_object() || !rec.contains("values") || !rec["values"].is_object()) return json();
    return rec["values"];
  };
  auto levels_of_unit = [&](const std::string& id) -> absl::StatusOr<std::vector<std::pair<std::string, std::string>>> {
    auto it = unit_levels.find(id);
    if (it != unit_levels.end()) return it->second;
    FT_ASSIGN_OR_RETURN(json values, values_of("observation_unit", id));
    std::vector<std::pair<std::string, std::string>> levels;
    if (values.is_object() && values.contains("obsUnitFactorValue") && values["obsUnitFactorValue"].is_string()) {
      for (absl::string_view v :
           absl::StrSplit(values["obsUnitFactorValue"].get<std::string>(), ';', absl::SkipWhitespace())) {
        v = absl::StripAsciiWhitespace(v);
        size_t colon = v.find(':');
        if (colon == absl::string_view::npos) {
          auto f = factors_of_level.find(std::string(v));
          const bool one = f != factors_of_level.end() && f->second.size() == 1;
          levels.emplace_back(one ? *f->second.begin() : "factor", std::string(v));
        } else {
          levels.emplace_back(std::string(absl::StripAsciiWhitespace(v.substr(0, colon))),
                              std::string(absl::StripAsciiWhitespace(v.substr(colon + 1))));
        }
      }
    }
    unit_levels.emplace(id, levels);
    return levels;
  };
  for (const ItemRow& item : items) {
    json links = json::parse(item.links_json, nullptr, false);
    if (!links.is_array()) continue;
    std::set<std::pair<std::string, std::string>> levels;
    for (const json& l : links) {
      if (!l.is_string()) continue;
      absl::StatusOr<EntityName> e = ParseEntityName(l.get<std::string>(), "link");
      if (!e.ok()) continue;
      std::vector<std::string> units;
      if (e->section == "observation_unit") units.push_back(e->entity_id);
      if (e->section == "sample") {
        auto it = sample_units.find(e->entity_id);
        if (it == sample_units.end()) {
          FT_ASSIGN_OR_RETURN(json values, values_of("sample", e->entity_id));
          std::vector<std::string> ids;
          if (values.is_object() && values.contains("obsUnitId") && values["obsUnitId"].is_string()) {
            for (absl::string_view id :
                 absl::StrSplit(values["obsUnitId"].get<std::string>(), ';', absl::SkipWhitespace())) {
              ids.emplace_back(absl::StripAsciiWhitespace(id));
            }
          }
          it = sample_units.emplace(e->entity_id, ids).first;
        }
        units = it->second;
      }
      for (const std::string& u : units) {
        FT_ASSIGN_OR_RETURN(auto unit, levels_of_unit(u));
        levels.insert(unit.begin(), unit.end());
      }
    }
    if (!levels.empty())
      out.emplace(item.path, std::vector<std::pair<std::string, std::string>>(levels.begin(), levels.end()));
  }
  return out;
}

absl::StatusOr<v1::AgreementReport> AnnotationRegistry::ComputeAgreement(const CallContext& ctx,
                                                                         const v1::ComputeAgreementRequest& req) {
  std::string resource = "agreementReports";
  if (req.annotation_sets_size() > 0) {
    absl::StatusOr<DatasetChildName> first =
        ParseDatasetChildName(req.annotation_sets(0), "annotationSets", "annotation_sets[0]");
    if (first.ok()) {
      resource =
          absl::StrCat(DatasetVersionName(first->dataset_id, first->version), "/agreementReports/", req.report_id());
    }
  }
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::AgreementReport> {
    if (req.annotation_sets_size() < 2) {
      return InvalidField("annotation_sets", "agreement needs two or more annotation sets");
    }
    if (static_cast<size_t>(req.annotation_sets_size()) > limits_.max_sets_per_report) {
      return InvalidField("annotation_sets", absl::StrCat("at most ", limits_.max_sets_per_report));
    }
    if (!req.report_id().empty() && !IsValidResourceId(req.report_id())) {
      return InvalidField("report_id", "1-63 characters of [a-z0-9-], starting with a letter");
    }
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(request_ids_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) {
      FT_ASSIGN_OR_RETURN(DatasetChildName n, ParseDatasetChildName(*earlier, "agreementReports", "request_id"));
      FT_ASSIGN_OR_RETURN(std::optional<AgreementReportRow> row,
                          annotations_->GetReport(n.dataset_id, n.version, n.id));
      if (row) return AgreementReportProto(*row);
    }
    std::vector<AnnotationSetRow> sets;
    std::set<std::string> seen;
    for (int i = 0; i < req.annotation_sets_size(); ++i) {
      const std::string field = absl::StrCat("annotation_sets[", i, "]");
      if (!seen.insert(req.annotation_sets(i)).second) return InvalidField(field, "named twice");
      FT_ASSIGN_OR_RETURN(AnnotationSetRow s, LoadSet(req.annotation_sets(i), field));
      if (!sets.empty() && (s.dataset_id != sets[0].dataset_id || s.version != sets[0].version)) {
        return InvalidField(
            field, absl::StrCat("belongs to ", DatasetVersionName(s.dataset_id, s.version), ", the first set to ",
                                DatasetVersionName(sets[0].dataset_id, sets[0].version),
                                ": agreement is between sets of one dataset version"));
      }
      if (!sets.empty() && s.task != sets[0].task) {
        return InvalidField(field, absl::StrCat("holds ", s.task, ", the first set ", sets[0].task,
                                                ": agreement is between sets of one task"));
      }
      if (!sets.empty() && (s.format == "mask_folder") != (sets[0].format == "mask_folder")) {
        return InvalidField(field, "mask folders (semantic masks) and COCO masks (instances) are not compared");
      }
      sets.push_back(std::move(s));
    }
    const TaskType task = *TaskNamed(sets[0].task);
    annotations::AgreementOptions o;
    switch (req.scale()) {
      case v1::AGREEMENT_SCALE_UNSPECIFIED:
        o.scale = task == TaskType::kMeasurements ? annotations::Scale::kInterval : annotations::Scale::kNominal;
        break;
      case v1::AGREEMENT_SCALE_NOMINAL:
      case v1::AGREEMENT_SCALE_ORDINAL:
        if (task != TaskType::kLabels) return InvalidField("scale", "nominal and ordinal scales are for labels");
        o.scale =
            req.scale() == v1::AGREEMENT_SCALE_NOMINAL ? annotations::Scale::kNominal : annotations::Scale::kOrdinal;
        break;
      case v1::AGREEMENT_SCALE_INTERVAL:
        if (task != TaskType::kMeasurements && task != TaskType::kLabels) {
          return InvalidField("scale", "the interval scale is for measurements and numeric labels");
        }
        o.scale = annotations::Scale::kInterval;
        break;
      default:
        return InvalidField("scale", "unknown scale");
    }
    if (req.bootstrap_replicates() < -1 || req.bootstrap_replicates() > limits_.max_replicates) {
      return InvalidField("bootstrap_replicates", absl::StrCat("0 (the default, ", limits_.default_replicates,
                                                               "), -1 (none) or 1-", limits_.max_replicates));
    }
    o.replicates = req.bootstrap_replicates() == 0    ? limits_.default_replicates
                   : req.bootstrap_replicates() == -1 ? 0
                                                      : req.bootstrap_replicates();
    o.seed = req.seed();
    if (!(req.iou_threshold() >= 0 && req.iou_threshold() <= 1)) {
      return InvalidField("iou_threshold", "between 0 (the default, 0.5) and 1");
    }
    o.iou_threshold = req.iou_threshold() == 0 ? 0.5 : req.iou_threshold();
    if (req.worst_items() < 0 || req.worst_items() > limits_.max_worst_items) {
      return InvalidField("worst_items", absl::StrCat("0 (the default, ", limits_.default_worst_items, ") to ",
                                                      limits_.max_worst_items));
    }
    o.worst_items = req.worst_items() == 0 ? limits_.default_worst_items : req.worst_items();
    FT_ASSIGN_OR_RETURN(DatasetVersionRow version,
                        LoadVersion(DatasetVersionName(sets[0].dataset_id, sets[0].version), "annotation_sets"));
    annotations::AgreementInput in;
    in.dataset_version = DatasetVersionName(version.dataset_id, version.version);
    in.task = task;
    in.should_stop = ctx.should_stop;
    for (const AnnotationSetRow& s : sets) {
      annotations::SetData d;
      d.name = SetName(s);
      d.digest = s.digest;
      d.annotator = s.annotator;
      d.categories = CategoriesOf(s);
      FT_ASSIGN_OR_RETURN(d.annotations, annotations_->AllAnnotations(s.uid));
      in.sets.push_back(std::move(d));
    }
    FT_ASSIGN_OR_RETURN(in.factor_levels, FactorLevels(version));
    in.load_mask = [&](const std::string& digest) -> absl::StatusOr<annotations::Mask> {
      FT_ASSIGN_OR_RETURN(Digest d, ParseDigest(digest, "mask"));
      FT_ASSIGN_OR_RETURN(std::string png, content_->ReadBlob(d, limits_.max_mask_bytes));
      return annotations::DecodeMask(png, limits_.format.max_pixels);
    };
    absl::StatusOr<annotations::AgreementResult> computed = annotations::ComputeAgreementReport(in, o);
    if (absl::IsInvalidArgument(computed.status())) return InvalidField("scale", computed.status().message());
    FT_ASSIGN_OR_RETURN(annotations::AgreementResult result, std::move(computed));
    const std::string bytes = annotations::ReportBytes(result.document);
    if (static_cast<int64_t>(bytes.size()) > content_->limits().max_batch_bytes) {
      return ErrorBuilder(absl::StatusCode::kResourceExhausted,
                          absl::StrCat("the report would hold ", bytes.size(), " bytes; at most ",
                                       content_->limits().max_batch_bytes, " (ask for fewer worst_items)"))
          .Reason("REPORT_TOO_LARGE")
          .Build();
    }
    Sha256 h;
    h.Update(bytes);
    const Digest doc{h.FinishHex(), static_cast<int64_t>(bytes.size())};
    FT_ASSIGN_OR_RETURN(std::vector<absl::Status> put, content_->BatchUpdate(ctx, {{doc, bytes}}));
    FT_RETURN_IF_ERROR(put[0]);
    AgreementReportRow row;
    row.dataset_id = version.dataset_id;
    row.version = version.version;
    row.report_id = req.report_id().empty() ? absl::StrCat("r-", NewUid().substr(0, 12)) : req.report_id();
    row.uid = NewUid();
    row.task = sets[0].task;
    json names = json::array();
    for (const AnnotationSetRow& s : sets) names.push_back(SetName(s));
    row.sets_json = names.dump();
    row.document_digest = doc.sha256;
    row.document_size = doc.size_bytes;
    json overall = json::array();
    for (const annotations::Coefficient& c : result.overall) {
      json j = {{"measure", c.measure}, {"defined", c.estimate.defined}, {"units", c.units}};
      if (c.estimate.defined) j["value"] = c.estimate.value;
      if (!c.estimate.defined) j["undefined_reason"] = c.estimate.undefined_reason;
      if (c.has_interval && c.interval.lower.defined) {
        j["interval_defined"] = true;
        j["lower"] = c.interval.lower.value;
        j["upper"] = c.interval.upper.value;
      }
      overall.push_back(j);
    }
    row.overall_json = overall.dump();
    row.created_by = ctx.principal;
    row.create_time = now_();
    std::vector<EdgeRow> edges;
    for (const AnnotationSetRow& s : sets) edges.push_back({"", "wasDerivedFrom", SetName(s), "annotations"});
    edges.push_back({"", "wasDerivedFrom", BlobResourceName(doc), "document"});
    FT_RETURN_IF_ERROR(annotations_->InsertReport(row, edges, RequestKeyOf(ctx, req.request_id()),
                                                  MakeAuditEntry(ctx, ReportName(row), absl::OkStatus())));
    return AgreementReportProto(row);
  });
}

absl::StatusOr<v1::AgreementReport> AnnotationRegistry::GetAgreementReport(const v1::GetAgreementReportRequest& req) {
  FT_ASSIGN_OR_RETURN(DatasetChildName n, ParseDatasetChildName(req.name(), "agreementReports", "name"));
  FT_ASSIGN_OR_RETURN(std::optional<AgreementReportRow> row, annotations_->GetReport(n.dataset_id, n.version, n.id));
  if (!row) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(req.name(), " does not exist"))
        .Reason("REPORT_NOT_FOUND")
        .Resource("fairtrace.v1.AgreementReport", req.name());
  }
  return AgreementReportProto(*row);
}

}  // namespace fairtrace
