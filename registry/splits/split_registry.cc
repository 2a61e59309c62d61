#include "registry/splits/split_registry.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/content/sha256.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "registry/annotations/annotation_names.h"
#include "registry/core/audited.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_util.h"
#include "registry/splits/group_keys.h"
#include "registry/splits/leakage.h"
#include "registry/splits/perceptual_hash.h"
#include "registry/splits/run_leakage.h"
#include "registry/splits/split_algorithm.h"
#include "validators/miappe/tsv.h"

namespace fairtrace {

using google::protobuf::util::TimeUtil;
using json = nlohmann::json;

namespace {

constexpr char kAlgorithm[] = "fairtrace-split/1";
constexpr size_t kMaxViolations = 1000;

const char* MethodName(v1::SplitMethod m) {
  switch (m) {
    case v1::SPLIT_METHOD_HOLDOUT:
      return "holdout";
    case v1::SPLIT_METHOD_KFOLD:
      return "kfold";
    case v1::SPLIT_METHOD_TEMPORAL:
      return "temporal";
    case v1::SPLIT_METHOD_EXPLICIT:
      return "explicit";
    default:
      return "";
  }
}

std::string SplitName(const SplitRow& r) {
  return absl::StrCat(DatasetVersionName(r.dataset_id, r.version), "/splits/", r.split_id);
}

absl::Status SplitNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(name, " does not exist"))
      .Reason("SPLIT_NOT_FOUND")
      .Resource("fairtrace.v1.Split", name);
}

// "…/splits/{s}/<collection>/{id}" -> the split's name and the id.
absl::StatusOr<std::pair<std::string, std::string>> SplitChild(const std::string& name, absl::string_view collection,
                                                               const std::string& field) {
  const std::string marker = absl::StrCat("/", collection, "/");
  const size_t at = name.rfind(marker);
  if (at == std::string::npos) {
    return InvalidField(field, absl::StrCat("expected \"datasets/{d}/versions/{v}/splits/{s}/", collection, "/{id}\""));
  }
  std::string id = name.substr(at + marker.size());
  if (id.empty() || id.size() > 63 || id.find('/') != std::string::npos) {
    return InvalidField(field, absl::StrCat("expected \"datasets/{d}/versions/{v}/splits/{s}/", collection, "/{id}\""));
  }
  return std::make_pair(name.substr(0, at), id);
}

}  // namespace

v1::Split SplitProto(const SplitRow& row) {
  v1::Split p;
  MessageFromJson(row.params_json, &p);
  p.set_name(SplitName(row));
  p.set_uid(row.uid);
  p.set_algorithm(kAlgorithm);
  json parts = json::parse(row.parts_json, nullptr, false);
  if (parts.is_array()) {
    for (const json& part : parts) {
      v1::SplitPart* sp = p.add_parts();
      sp->set_part(part.value("part", ""));
      sp->set_name(absl::StrCat(SplitName(row), "/parts/", sp->part()));
      sp->set_digest(part.value("digest", ""));
      sp->set_item_count(part.value("item_count", int64_t{0}));
      sp->set_group_count(part.value("group_count", int64_t{0}));
      if (auto shares = part.find("shares_with"); shares != part.end() && shares->is_object()) {
        for (const auto& [other, counts] : shares->items()) {
          if (!counts.is_object()) continue;
          v1::PartShares& out = (*sp->mutable_shares_with())[other];
          for (const auto& [kind, n] : counts.items()) {
            if (n.is_number_integer()) (*out.mutable_counts())[kind] = n.get<int64_t>();
          }
        }
      }
    }
  }
  p.set_digest(row.digest);
  p.set_created_by(row.created_by);
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time);
  return p;
}

SplitRegistry::SplitRegistry(Store* store, ContentStore* content, ModelStore* request_ids, DatasetStore* datasets,
                             AnnotationStore* annotations, InvestigationStore* investigations, SplitStore* splits,
                             RunStore* runs, std::string page_token_key, std::function<int64_t()> now_micros,
                             SplitLimits limits)
    : store_(store),
      content_(content),
      request_ids_(request_ids),
      datasets_(datasets),
      annotations_(annotations),
      investigations_(investigations),
      splits_(splits),
      runs_(runs),
      token_key_(std::move(page_token_key)),
      now_(std::move(now_micros)),
      limits_(limits) {}

absl::StatusOr<SplitRow> SplitRegistry::LoadSplit(const std::string& name, const std::string& field) {
  FT_ASSIGN_OR_RETURN(DatasetChildName n, ParseDatasetChildName(name, "splits", field));
  FT_ASSIGN_OR_RETURN(std::optional<SplitRow> row, splits_->GetSplit(n.dataset_id, n.version, n.id));
  if (!row) return SplitNotFound(name);
  return *row;
}

absl::StatusOr<v1::Split> SplitRegistry::CreateSplit(const CallContext& ctx, const v1::CreateSplitRequest& req) {
  const std::string resource = absl::StrCat(req.parent(), "/splits/", req.split_id());
  return Audited(store_, ctx, resource, [&]() -> absl::StatusOr<v1::Split> {
    FT_ASSIGN_OR_RETURN(DatasetVersionRow version, LoadDatasetVersion(datasets_, req.parent(), "parent"));
    if (!IsValidResourceId(req.split_id())) {
      return InvalidField("split_id", "1-63 characters of [a-z0-9-], starting with a letter");
    }
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(request_ids_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) {
      FT_ASSIGN_OR_RETURN(SplitRow row, LoadSplit(*earlier, "request_id"));
      return SplitProto(row);
    }
    const v1::Split& in = req.split();
    const char* method = MethodName(in.method());
    if (*method == '\0') return InvalidField("split.method", "required: HOLDOUT, KFOLD, TEMPORAL or EXPLICIT");
    FT_RETURN_IF_ERROR(splits::GroupKeys::CheckGroupBy(in.group_by(), "split.group_by"));
    if (static_cast<size_t>(in.ratios_size()) > limits_.max_parts) {
      return InvalidField("split.ratios", absl::StrCat("at most ", limits_.max_parts, " parts"));
    }
    if (in.folds() > limits_.max_folds) return InvalidField("split.folds", absl::StrCat("at most ", limits_.max_folds));
    const bool is_explicit = in.method() == v1::SPLIT_METHOD_EXPLICIT;
    if (is_explicit && (!in.group_by().empty() || !in.stratify_by().empty() || in.ratios_size() > 0)) {
      return InvalidField("split", "an explicit split takes only its assignment");
    }
    FT_ASSIGN_OR_RETURN(std::vector<ItemRow> items, datasets_->ListItems(version.uid, ParsedFilter{}, "",
                                                                         static_cast<int>(version.item_count) + 1));
    std::vector<splits::SplitItem> split_items(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      split_items[i].path = items[i].path;
      split_items[i].item_digest = items[i].item_digest;
      split_items[i].has_acquired = !items[i].acquired_at.empty() &&
                                    splits::AcquiredMicros(items[i].acquired_at, &split_items[i].acquired_micros);
    }
    std::vector<EdgeRow> edges = {
        {"", "wasDerivedFrom", DatasetVersionName(version.dataset_id, version.version), "splits"}};
    std::vector<splits::Part> parts;
    if (is_explicit) {
      FT_ASSIGN_OR_RETURN(Digest d, DigestFromProto(in.assignment(), "split.assignment"));
      if (d.size_bytes > limits_.max_assignment_bytes) {
        return InvalidField("split.assignment", absl::StrCat("at most ", limits_.max_assignment_bytes, " bytes"));
      }
      absl::StatusOr<std::string> bytes = content_->ReadBlob(d, limits_.max_assignment_bytes);
      if (absl::IsNotFound(bytes.status())) {
        return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                            absl::StrCat("the assignment blob ", d.ToString(), " is not stored"))
            .Reason("ASSIGNMENT_MISSING")
            .Precondition("ASSIGNMENT_MISSING", BlobResourceName(d), "upload the path,part CSV first");
      }
      FT_RETURN_IF_ERROR(bytes.status());
      edges.push_back({"", "wasDerivedFrom", BlobResourceName(d), "assignment"});
      // path,part rows: every item exactly once.
      std::vector<std::pair<std::string, std::string>> problems;
      size_t problem_count = 0;
      auto problem = [&](std::string where, std::string what) {
        if (problems.size() < kMaxViolations) problems.emplace_back(std::move(where), std::move(what));
        ++problem_count;
      };
      std::vector<miappe::Finding> findings;
      miappe::Table t = miappe::ParseTsv("assignment", *bytes, &findings, false, ',');
      for (const miappe::Finding& f : findings) {
        if (f.severity == miappe::Severity::kError) problem(f.location, f.message);
      }
      absl::flat_hash_map<std::string, size_t> index;
      for (size_t i = 0; i < items.size(); ++i) index.emplace(items[i].path, i);
      std::vector<std::string> part_of(items.size());
      std::vector<std::string> order;
      std::map<std::string, std::vector<size_t>> members;
      int path_col = -1, part_col = -1;
      if (!t.rows.empty()) {
        for (size_t c = 0; c < t.rows[0].size(); ++c) {
          const std::string h = absl::AsciiStrToLower(absl::StripAsciiWhitespace(t.rows[0][c]));
          if (h == "path") path_col = static_cast<int>(c);
          if (h == "part") part_col = static_cast<int>(c);
        }
      }
      if (path_col < 0 || part_col < 0) {
        problem("assignment:1", "the header must name a path and a part column");
      } else {
        for (size_t r = 1; r < t.rows.size(); ++r) {
          const std::string where = absl::StrCat("assignment:", t.lines[r]);
          std::string path(absl::StripAsciiWhitespace(t.rows[r][path_col]));
          std::string part(absl::StripAsciiWhitespace(t.rows[r][part_col]));
          auto it = index.find(path);
          if (it == index.end()) {
            problem(absl::StrCat(where, " (path)"), absl::StrCat("\"", path, "\" is not an item of the version"));
            continue;
          }
          if (!part_of[it->second].empty()) {
            problem(absl::StrCat(where, " (path)"), absl::StrCat("\"", path, "\" is assigned twice (parts overlap)"));
            continue;
          }
          if (!IsValidResourceId(part) &&
              !(part.size() <= 63 && !part.empty() &&
                part.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos)) {
            problem(absl::StrCat(where, " (part)"), absl::StrCat("\"", part, "\": a part is 1-63 of [a-z0-9_-]"));
            continue;
          }
          part_of[it->second] = part;
          if (!members.contains(part)) order.push_back(part);
          members[part].push_back(it->second);
        }
        for (size_t i = 0; i < items.size(); ++i) {
          if (part_of[i].empty()) problem(items[i].path, "this item is in no part (the assignment misses it)");
        }
      }
      if (problem_count > 0) {
        ErrorBuilder err(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("the assignment has ", problem_count, " problem(s); nothing was stored; first: ",
                                      problems[0].first, ": ", problems[0].second));
        err.Reason("ASSIGNMENT_INVALID").Meta("problem_count", absl::StrCat(problem_count));
        for (const auto& [where, what] : problems) err.Field(absl::StrCat("split.assignment[", where, "]"), what);
        return err.Build();
      }
      if (order.size() > limits_.max_parts) {
        return InvalidField("split.assignment", absl::StrCat("at most ", limits_.max_parts, " parts"));
      }
      for (const std::string& name : order) {
        splits::Part p;
        p.name = name;
        p.items = members[name];
        std::sort(p.items.begin(), p.items.end());
        std::vector<std::string> digests;
        for (size_t i : p.items) digests.push_back(items[i].item_digest);
        p.digest = splits::PartDigest(std::move(digests));
        p.groups = static_cast<int64_t>(p.items.size());
        parts.push_back(std::move(p));
      }
    } else {
      splits::SplitParams params;
      params.method = in.method() == v1::SPLIT_METHOD_KFOLD      ? splits::Method::kKFold
                      : in.method() == v1::SPLIT_METHOD_TEMPORAL ? splits::Method::kTemporal
                                                                 : splits::Method::kHoldout;
      for (const v1::PartRatio& r : in.ratios()) params.ratios.emplace_back(r.part(), r.ratio());
      params.folds = in.folds();
      params.seed = in.seed();
      if (in.method() == v1::SPLIT_METHOD_KFOLD && in.ratios_size() > 0) {
        return InvalidField("split.ratios", "a k-fold split takes folds, not ratios");
      }
      if (!in.group_by().empty()) {
        params.grouped = true;
        splits::GroupKeys keys(version, investigations_);
        bool any = false;
        for (size_t i = 0; i < items.size(); ++i) {
          FT_ASSIGN_OR_RETURN(split_items[i].group, keys.KeyOf(items[i], in.group_by()));
          any = any || !split_items[i].group.empty();
        }
        if (!any) {
          return InvalidField("split.group_by", absl::StrCat("no item of the version has a ", in.group_by()));
        }
      }
      if (!in.stratify_by().empty()) {
        FT_ASSIGN_OR_RETURN(DatasetChildName sn,
                            ParseDatasetChildName(in.stratify_by(), "annotationSets", "split.stratify_by"));
        if (sn.dataset_id != version.dataset_id || sn.version != version.version) {
          return InvalidField("split.stratify_by", "the annotation set must be of the same dataset version");
        }
        FT_ASSIGN_OR_RETURN(std::optional<AnnotationSetRow> set,
                            annotations_->GetSet(sn.dataset_id, sn.version, sn.id));
        if (!set) {
          return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(in.stratify_by(), " does not exist"))
              .Reason("ANNOTATION_SET_NOT_FOUND")
              .Resource("fairtrace.v1.AnnotationSet", in.stratify_by());
        }
        if (set->task != "labels") return InvalidField("split.stratify_by", "stratifying needs a labels set");
        json meta = json::parse(set->meta_json, nullptr, false);
        std::map<int64_t, std::string> name_of;
        if (meta.is_object() && meta.contains("categories") && meta["categories"].is_array()) {
          for (const json& c : meta["categories"]) {
            int64_t id = 0;  // proto JSON writes int64 as a string
            if (c.contains("id") && c["id"].is_string() && !absl::SimpleAtoi(c["id"].get<std::string>(), &id)) continue;
            if (c.contains("id") && c["id"].is_number_integer()) id = c["id"].get<int64_t>();
            name_of[id] = c.value("name", "");
            params.label_order.push_back(c.value("name", ""));
          }
        }
        FT_ASSIGN_OR_RETURN(std::vector<AnnotationRow> labels, annotations_->AllAnnotations(set->uid));
        absl::flat_hash_map<std::string, std::string> label_of;
        for (const AnnotationRow& a : labels) label_of[a.path] = name_of[a.category_id];
        for (splits::SplitItem& it : split_items) {
          auto l = label_of.find(it.path);
          if (l != label_of.end()) it.label = l->second;
        }
        params.stratified = true;
        edges.push_back({"", "wasDerivedFrom", in.stratify_by(), "labels"});
      }
      absl::StatusOr<std::vector<splits::Part>> cut = splits::Split(split_items, params);
      if (!cut.ok()) return InvalidField("split", cut.status().message());
      parts = *std::move(cut);
    }
    // The row: parts with digests; the split's digest over its definition.
    v1::Split given;
    given.set_method(in.method());
    *given.mutable_ratios() = in.ratios();
    given.set_folds(in.folds());
    given.set_seed(in.seed());
    given.set_group_by(in.group_by());
    given.set_stratify_by(in.stratify_by());
    if (is_explicit) *given.mutable_assignment() = in.assignment();
    SplitRow row;
    row.dataset_id = version.dataset_id;
    row.version = version.version;
    row.split_id = req.split_id();
    row.uid = NewUid();
    row.version_uid = version.uid;
    row.method = method;
    row.params_json = MessageJson(given);
    // What each two parts share (blobs, plants, the split's own groups):
    // kept with the split for the check when a run ends on its parts.
    std::vector<std::string> pair_groups = {"observation_unit"};
    if (!in.group_by().empty() && in.group_by() != "observation_unit") pair_groups.push_back(in.group_by());
    splits::GroupKeys pair_keys(version, investigations_);
    std::vector<splits::LeakageItem> assigned;
    for (const splits::Part& p : parts) {
      for (size_t i : p.items) {
        splits::LeakageItem li;
        li.part = p.name;
        li.blob = items[i].blob_digest;
        for (const std::string& g : pair_groups) {
          FT_ASSIGN_OR_RETURN(li.groups[g], pair_keys.KeyOf(items[i], g));
        }
        assigned.push_back(std::move(li));
      }
    }
    auto shared = splits::PartPairCounts(assigned, pair_groups);
    json parts_json = json::array(), digest_parts = json::array();
    std::vector<SplitAssignment> assignments;
    for (const splits::Part& p : parts) {
      json leaks = json::object();
      for (const auto& [pair, counts] : shared) {
        if (pair.first != p.name && pair.second != p.name) continue;
        const std::string& other = pair.first == p.name ? pair.second : pair.first;
        for (const auto& [kind, n] : counts) leaks[other][kind] = n;
      }
      parts_json.push_back({{"part", p.name},
                            {"digest", p.digest},
                            {"item_count", static_cast<int64_t>(p.items.size())},
                            {"group_count", p.groups},
                            {"shares_with", leaks}});
      digest_parts.push_back(json::array({p.name, p.digest}));
      for (size_t i : p.items) assignments.push_back({p.name, items[i].path});
    }
    row.parts_json = parts_json.dump();
    Sha256 h;
    h.Update(json{{"algorithm", kAlgorithm},
                  {"dataset_version", version.digest},
                  {"params", json::parse(row.params_json, nullptr, false)},
                  {"parts", digest_parts}}
                 .dump());
    row.digest = h.FinishHex();
    row.created_by = ctx.principal;
    row.create_time = now_();
    FT_RETURN_IF_ERROR(splits_->InsertSplit(row, assignments, edges, RequestKeyOf(ctx, req.request_id()),
                                            MakeAuditEntry(ctx, resource, absl::OkStatus())));
    return SplitProto(row);
  });
}

absl::StatusOr<v1::Split> SplitRegistry::GetSplit(const v1::GetSplitRequest& req) {
  FT_ASSIGN_OR_RETURN(SplitRow row, LoadSplit(req.name(), "name"));
  return SplitProto(row);
}

absl::StatusOr<v1::ListSplitsResponse> SplitRegistry::ListSplits(const v1::ListSplitsRequest& req) {
  FT_ASSIGN_OR_RETURN(DatasetVersionRow v, LoadDatasetVersion(datasets_, req.parent(), "parent"));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page =
      req.page_size() == 0 ? limits_.default_split_page : std::min(req.page_size(), limits_.max_split_page);
  const std::string kind = absl::StrCat("splits:", v.uid);
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key_, kind, req.page_token()));
  FT_ASSIGN_OR_RETURN(std::vector<SplitRow> rows, splits_->ListSplits(v.dataset_id, v.version, after, page + 1));
  v1::ListSplitsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) *out.add_splits() = SplitProto(rows[i]);
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, kind, rows[page - 1].split_id));
  }
  return out;
}

absl::StatusOr<v1::ListPartItemsResponse> SplitRegistry::ListPartItems(const v1::ListPartItemsRequest& req) {
  FT_ASSIGN_OR_RETURN(auto child, SplitChild(req.parent(), "parts", "parent"));
  FT_ASSIGN_OR_RETURN(SplitRow split, LoadSplit(child.first, "parent"));
  v1::Split proto = SplitProto(split);
  bool known = false;
  for (const v1::SplitPart& p : proto.parts()) known = known || p.part() == child.second;
  if (!known) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(req.parent(), " does not exist"))
        .Reason("PART_NOT_FOUND")
        .Resource("fairtrace.v1.SplitPart", req.parent());
  }
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page = req.page_size() == 0 ? limits_.default_item_page : std::min(req.page_size(), limits_.max_item_page);
  const std::string kind = absl::StrCat("part-items:", split.uid, ":", child.second);
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key_, kind, req.page_token()));
  FT_ASSIGN_OR_RETURN(std::vector<std::string> paths, splits_->PartPaths(split.uid, child.second, after, page + 1));
  v1::ListPartItemsResponse out;
  for (int i = 0; i < static_cast<int>(paths.size()) && i < page; ++i) {
    FT_ASSIGN_OR_RETURN(std::optional<ItemRow> item, datasets_->GetItem(split.version_uid, paths[i]));
    if (!item) continue;
    v1::PartItem* p = out.add_items();
    p->set_path(item->path);
    *p->mutable_blob() = DigestToProto({item->blob_digest, item->blob_size});
    p->set_digest(item->item_digest);
  }
  if (static_cast<int>(paths.size()) > page)
    out.set_next_page_token(EncodePageToken(token_key_, kind, paths[page - 1]));
  return out;
}

namespace {

v1::LeakageReport ReportProto(const LeakageReportRow& row, const std::string& name) {
  v1::LeakageReport p;
  p.set_name(name);
  p.set_uid(row.uid);
  p.set_split(row.split_name);
  p.set_leakage_found(row.leakage_found);
  json findings = json::parse(row.findings_json, nullptr, false);
  if (findings.is_array()) {
    for (const json& f : findings) MessageFromJson(f.dump(), p.add_findings());
  }
  *p.mutable_document() = DigestToProto({row.document_digest, row.document_size});
  p.set_created_by(row.created_by);
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time);
  return p;
}

}  // namespace

absl::StatusOr<splits::LeakageFindingOut> SplitRegistry::NearDuplicates(
    const CallContext& ctx, const std::vector<splits::LeakageItem>& items,
    const absl::flat_hash_map<std::string, const ItemRow*>& item_of, const std::vector<std::string>& part_order,
    int max_distance, size_t max_pairs, json* doc) {
  splits::LeakageFindingOut out;
  out.kind = "near_duplicate";
  // The image blobs, each once, with the items holding them.
  std::vector<std::string> blobs;
  absl::flat_hash_map<std::string, std::vector<const splits::LeakageItem*>> holders;
  absl::flat_hash_map<std::string, int64_t> size_of;
  int64_t not_images = 0;
  for (const splits::LeakageItem& it : items) {
    const ItemRow* row = item_of.at(it.path);
    if (!absl::StartsWith(row->media_type, "image/")) {
      ++not_images;
      continue;
    }
    auto [h, fresh] = holders.try_emplace(it.blob);
    if (fresh) {
      blobs.push_back(it.blob);
      size_of[it.blob] = row->blob_size;
    }
    h->second.push_back(&it);
  }
  FT_ASSIGN_OR_RETURN(std::vector<PerceptualHashRow> cached, splits_->GetHashes(blobs));
  absl::flat_hash_map<std::string, PerceptualHashRow> hash_of;
  for (PerceptualHashRow& r : cached) hash_of.emplace(r.blob, std::move(r));
  std::vector<std::string> missing;
  for (const std::string& b : blobs) {
    if (!hash_of.contains(b)) missing.push_back(b);
  }
  // Missing hashes: decoded by two workers (the machine kind has two cores).
  std::vector<PerceptualHashRow> computed(missing.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> stopped{false};
  auto work = [&] {
    for (size_t i = next++; i < missing.size(); i = next++) {
      if (i % 64 == 0 && ctx.should_stop && ctx.should_stop()) {
        stopped = true;
        return;
      }
      computed[i].blob = missing[i];
      absl::StatusOr<std::string> bytes =
          content_->ReadBlob({missing[i], size_of[missing[i]]}, limits_.max_image_bytes);
      absl::StatusOr<uint64_t> h = bytes.ok() ? splits::DifferenceHashOf(*bytes, limits_.max_image_pixels)
                                              : absl::StatusOr<uint64_t>(bytes.status());
      if (h.ok()) {
        computed[i].dhash = absl::StrFormat("%016x", *h);
      } else {
        computed[i].error = std::string(h.status().message());
      }
    }
  };
  {
    std::thread helper(work);
    work();
    helper.join();
  }
  if (stopped) return absl::DeadlineExceededError("stopped: the call was cancelled or reached its deadline");
  FT_RETURN_IF_ERROR(splits_->PutHashes(computed, MakeAuditEntry(ctx, "perceptualHashes", absl::OkStatus())));
  for (PerceptualHashRow& r : computed) hash_of.emplace(r.blob, std::move(r));
  // Near pairs among the hashed blobs, across parts.
  std::vector<std::string> hashed;
  std::vector<uint64_t> values;
  json refused = json::array();
  int64_t refused_count = 0;
  for (const std::string& b : blobs) {
    const PerceptualHashRow& r = hash_of[b];
    uint64_t v = 0;
    if (r.dhash.size() == 16 && absl::SimpleHexAtoi(r.dhash, &v)) {
      hashed.push_back(b);
      values.push_back(v);
    } else {
      ++refused_count;
      if (refused.size() < 100) refused.push_back({{"path", holders[b][0]->path}, {"reason", r.error}});
    }
  }
  for (const auto& [i, j] : splits::NearPairs(values, max_distance)) {
    const splits::LeakageItem* across[2] = {nullptr, nullptr};
    for (const splits::LeakageItem* a : holders[hashed[i]]) {
      for (const splits::LeakageItem* b : holders[hashed[j]]) {
        if (a->part != b->part && across[0] == nullptr) {
          across[0] = a;
          across[1] = b;
        }
      }
    }
    if (across[0] == nullptr) continue;
    // As the other findings: the item of the earlier part first.
    auto rank = [&](const std::string& part) {
      return std::find(part_order.begin(), part_order.end(), part) - part_order.begin();
    };
    if (rank(across[1]->part) < rank(across[0]->part)) std::swap(across[0], across[1]);
    ++out.count;
    if (out.pairs.size() < max_pairs) {
      out.pairs.push_back({across[0]->path, across[0]->part, across[1]->path, across[1]->part,
                           absl::StrCat("hamming ", splits::Hamming(values[i], values[j]))});
    }
  }
  *doc = {{"hash", "dhash-64 (docs/splits.md)"},
          {"max_distance", max_distance},
          {"images", blobs.size()},
          {"computed_now", missing.size()},
          {"not_images", not_images},
          {"refused", refused_count},
          {"refused_first", refused}};
  return out;
}

absl::StatusOr<v1::LeakageReport> SplitRegistry::CheckLeakage(const CallContext& ctx,
                                                              const v1::CheckLeakageRequest& req) {
  const std::string report_id = req.report_id().empty() ? absl::StrCat("l-", NewUid().substr(0, 12)) : req.report_id();
  if (!req.run().empty() && !req.split().empty()) return InvalidField("run", "check a split or a run, not both");
  if (!req.run().empty()) return CheckRun(ctx, req, report_id);
  const std::string name = absl::StrCat(req.split(), "/leakageReports/", report_id);
  return Audited(store_, ctx, name, [&]() -> absl::StatusOr<v1::LeakageReport> {
    FT_ASSIGN_OR_RETURN(SplitRow split, LoadSplit(req.split(), "split"));
    if (!IsValidResourceId(report_id)) {
      return InvalidField("report_id", "1-63 characters of [a-z0-9-], starting with a letter");
    }
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(request_ids_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) {
      FT_ASSIGN_OR_RETURN(auto child, SplitChild(*earlier, "leakageReports", "request_id"));
      FT_ASSIGN_OR_RETURN(std::optional<LeakageReportRow> row, splits_->GetReport(split.uid, child.second));
      if (row) return ReportProto(*row, *earlier);
    }
    if (req.max_pairs() < 0 || req.max_pairs() > limits_.max_pairs) {
      return InvalidField("max_pairs",
                          absl::StrCat("0 (the default, ", limits_.default_pairs, ") to ", limits_.max_pairs));
    }
    // Groups: the observation unit always; the split's own key and the
    // ones asked for.
    std::vector<std::string> groups = {"observation_unit"};
    v1::Split proto = SplitProto(split);
    auto add_group = [&](const std::string& g) {
      if (!g.empty() && std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    };
    add_group(proto.group_by());
    for (int i = 0; i < req.groups_size(); ++i) {
      FT_RETURN_IF_ERROR(splits::GroupKeys::CheckGroupBy(req.groups(i), absl::StrCat("groups[", i, "]")));
      add_group(req.groups(i));
    }
    FT_ASSIGN_OR_RETURN(DatasetVersionRow version,
                        LoadDatasetVersion(datasets_, DatasetVersionName(split.dataset_id, split.version), "split"));
    FT_ASSIGN_OR_RETURN(std::vector<ItemRow> items, datasets_->ListItems(version.uid, ParsedFilter{}, "",
                                                                         static_cast<int>(version.item_count) + 1));
    FT_ASSIGN_OR_RETURN(std::vector<SplitAssignment> assignments, splits_->Assignments(split.uid));
    absl::flat_hash_map<std::string, const ItemRow*> item_of;
    for (const ItemRow& i : items) item_of.emplace(i.path, &i);
    splits::GroupKeys keys(version, investigations_);
    std::vector<splits::LeakageItem> check;
    check.reserve(assignments.size());
    for (const SplitAssignment& a : assignments) {
      auto it = item_of.find(a.path);
      if (it == item_of.end()) continue;
      splits::LeakageItem li;
      li.path = a.path;
      li.part = a.part;
      li.blob = it->second->blob_digest;
      li.has_acquired =
          !it->second->acquired_at.empty() && splits::AcquiredMicros(it->second->acquired_at, &li.acquired_micros);
      for (const std::string& g : groups) {
        FT_ASSIGN_OR_RETURN(li.groups[g], keys.KeyOf(*it->second, g));
      }
      check.push_back(std::move(li));
    }
    splits::LeakageOptions o;
    for (const v1::SplitPart& p : proto.parts()) o.part_order.push_back(p.part());
    o.group_by = groups;
    o.temporal = split.method == "temporal";
    o.max_pairs = static_cast<size_t>(req.max_pairs() == 0 ? limits_.default_pairs : req.max_pairs());
    std::vector<splits::LeakageFindingOut> found = splits::FindLeakage(check, o);
    json near_doc;
    if (req.near_duplicates()) {
      if (req.max_distance() < 0 || req.max_distance() > 4)
        return InvalidField("max_distance", "0 (the default, 4) to 4");
      FT_ASSIGN_OR_RETURN(splits::LeakageFindingOut near,
                          NearDuplicates(ctx, check, item_of, o.part_order,
                                         req.max_distance() == 0 ? 4 : req.max_distance(), o.max_pairs, &near_doc));
      found.push_back(std::move(near));
    }
    json findings = json::array();
    bool leak = false;
    for (const splits::LeakageFindingOut& f : found) {
      json pairs = json::array();
      for (const splits::LeakagePairOut& p : f.pairs) {
        pairs.push_back({{"a", p.a}, {"a_part", p.a_part}, {"b", p.b}, {"b_part", p.b_part}, {"shared", p.shared}});
      }
      findings.push_back({{"kind", f.kind}, {"count", f.count}, {"pairs", pairs}});
      leak = leak || f.count > 0;
    }
    json doc = {{"format", "fairtrace-leakage-report/1"},
                {"split", req.split()},
                {"split_digest", split.digest},
                {"leakage_found", leak},
                {"findings", findings},
                {"checked", {{"items", check.size()}, {"groups", groups}, {"temporal", o.temporal}}},
                {"not_checked", "near duplicates (perceptual hashes) are not implemented yet"}};
    for (size_t i = 0; i < found.size(); ++i) {
      if (absl::StartsWith(found[i].kind, "group:")) doc["findings"][i]["items_without_key"] = found[i].unkeyed_items;
    }
    if (req.near_duplicates()) {
      doc["near_duplicates"] = near_doc;
      doc.erase("not_checked");
    }
    const std::string bytes = doc.dump() + "\n";
    Sha256 h;
    h.Update(bytes);
    const Digest d{h.FinishHex(), static_cast<int64_t>(bytes.size())};
    FT_ASSIGN_OR_RETURN(std::vector<absl::Status> put, content_->BatchUpdate(ctx, {{d, bytes}}));
    FT_RETURN_IF_ERROR(put[0]);
    LeakageReportRow row;
    row.split_uid = split.uid;
    row.report_id = report_id;
    row.uid = NewUid();
    row.split_name = req.split();
    row.leakage_found = leak;
    row.document_digest = d.sha256;
    row.document_size = d.size_bytes;
    for (json& f : findings) {
      f["count"] = std::to_string(f["count"].get<int64_t>());  // int64 as proto JSON writes it
    }
    row.findings_json = findings.dump();
    row.created_by = ctx.principal;
    row.create_time = now_();
    std::vector<EdgeRow> edges = {{"", "wasDerivedFrom", req.split(), "checked"},
                                  {"", "wasDerivedFrom", BlobResourceName(d), "document"}};
    FT_RETURN_IF_ERROR(splits_->InsertReport(row, name, edges, RequestKeyOf(ctx, req.request_id()),
                                             MakeAuditEntry(ctx, name, absl::OkStatus())));
    return ReportProto(row, name);
  });
}

absl::StatusOr<v1::LeakageReport> SplitRegistry::CheckRun(const CallContext& ctx, const v1::CheckLeakageRequest& req,
                                                          const std::string& report_id) {
  const std::string name = absl::StrCat(req.run(), "/leakageReports/", report_id);
  return Audited(store_, ctx, name, [&]() -> absl::StatusOr<v1::LeakageReport> {
    std::vector<absl::string_view> p = absl::StrSplit(req.run(), '/');
    if (p.size() != 2 || p[0] != "runs" || p[1].empty()) return InvalidField("run", "expected \"runs/{run}\"");
    if (!IsValidResourceId(report_id)) {
      return InvalidField("report_id", "1-63 characters of [a-z0-9-], starting with a letter");
    }
    if (req.near_duplicates()) return InvalidField("near_duplicates", "near duplicates are checked on splits only");
    FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
    FT_ASSIGN_OR_RETURN(std::optional<RunRow> run, runs_->GetRun(std::string(p[1])));
    if (!run) {
      return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(req.run(), " does not exist"))
          .Reason("RUN_NOT_FOUND")
          .Resource("fairtrace.v1.Run", req.run());
    }
    FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                        EarlierRequest(request_ids_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (earlier) {
      FT_ASSIGN_OR_RETURN(auto child, SplitChild(*earlier, "leakageReports", "request_id"));
      FT_ASSIGN_OR_RETURN(std::optional<LeakageReportRow> row, splits_->GetReport(req.run(), child.second));
      if (row) return ReportProto(*row, *earlier);
    }
    FT_ASSIGN_OR_RETURN(std::vector<EdgeRow> edges, runs_->EdgesOf(req.run()));
    splits::RunLeakageCheck check(content_, datasets_, splits_, investigations_, runs_);
    FT_ASSIGN_OR_RETURN(RunEndCheckResult result, check.Check(ctx, req.run(), edges));
    if (!result.checked) {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat(req.run(), " used no inputs on two of the roles train, validation, test"))
          .Reason("NOTHING_TO_CHECK")
          .Build();
    }
    FT_ASSIGN_OR_RETURN(std::string bytes, content_->ReadBlob(result.report, int64_t{16} << 20));
    json doc = json::parse(bytes, nullptr, false);
    json findings = json::array();
    if (doc.is_object() && doc.contains("findings")) {
      for (json f : doc["findings"]) {
        f["count"] = std::to_string(f.value("count", int64_t{0}));
        if (f.contains("pairs")) {
          for (json& pr : f["pairs"]) {
            if (pr.contains("shared") && !pr["shared"].is_string()) pr["shared"] = pr["shared"].dump();
          }
        }
        findings.push_back(f);
      }
    }
    LeakageReportRow row;
    row.split_uid = req.run();  // a run's reports are keyed by its name
    row.report_id = report_id;
    row.uid = NewUid();
    row.split_name = req.run();
    row.leakage_found = result.leakage_found;
    row.document_digest = result.report.sha256;
    row.document_size = result.report.size_bytes;
    row.findings_json = findings.dump();
    row.created_by = ctx.principal;
    row.create_time = now_();
    std::vector<EdgeRow> report_edges = {{"", "wasDerivedFrom", req.run(), "checked"},
                                         {"", "wasDerivedFrom", BlobResourceName(result.report), "document"}};
    FT_RETURN_IF_ERROR(splits_->InsertReport(row, name, report_edges, RequestKeyOf(ctx, req.request_id()),
                                             MakeAuditEntry(ctx, name, absl::OkStatus())));
    return ReportProto(row, name);
  });
}

absl::StatusOr<v1::LeakageReport> SplitRegistry::GetLeakageReport(const v1::GetLeakageReportRequest& req) {
  FT_ASSIGN_OR_RETURN(auto child, SplitChild(req.name(), "leakageReports", "name"));
  if (absl::StartsWith(req.name(), "runs/")) {
    FT_ASSIGN_OR_RETURN(std::optional<LeakageReportRow> row, splits_->GetReport(child.first, child.second));
    if (row) return ReportProto(*row, req.name());
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(req.name(), " does not exist"))
        .Reason("REPORT_NOT_FOUND")
        .Resource("fairtrace.v1.LeakageReport", req.name());
  }
  FT_ASSIGN_OR_RETURN(SplitRow split, LoadSplit(child.first, "name"));
  FT_ASSIGN_OR_RETURN(std::optional<LeakageReportRow> row, splits_->GetReport(split.uid, child.second));
  if (!row) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(req.name(), " does not exist"))
        .Reason("REPORT_NOT_FOUND")
        .Resource("fairtrace.v1.LeakageReport", req.name());
  }
  return ReportProto(*row, req.name());
}

}  // namespace fairtrace
