#include "registry/splits/run_leakage.h"

#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/content/sha256.h"
#include "common/status/status_macros.h"
#include "registry/annotations/annotation_names.h"
#include "registry/splits/group_keys.h"
#include "registry/splits/leakage.h"

namespace fairtrace::splits {
namespace {

using json = nlohmann::json;

constexpr const char* kSides[] = {"model-train", "train", "validation", "test"};

bool IsCheckedRole(const std::string& role) { return role == "train" || role == "validation" || role == "test"; }

// The items of dataset versions, read once per version.
class VersionItems {
 public:
  VersionItems(DatasetStore* datasets, InvestigationStore* investigations)
      : datasets_(datasets), investigations_(investigations) {}

  struct Loaded {
    DatasetVersionRow version;
    std::vector<ItemRow> items;
    absl::flat_hash_map<std::string, size_t> index;
    std::unique_ptr<GroupKeys> keys;
  };

  absl::StatusOr<Loaded*> Get(const std::string& dataset_id, int64_t version) {
    const std::string key = absl::StrCat(dataset_id, "/", version);
    if (auto it = loaded_.find(key); it != loaded_.end()) return it->second.get();
    FT_ASSIGN_OR_RETURN(std::optional<DatasetVersionRow> v, datasets_->GetVersion(dataset_id, version));
    if (!v) return nullptr;
    auto l = std::make_unique<Loaded>();
    l->version = *v;
    FT_ASSIGN_OR_RETURN(l->items,
                        datasets_->ListItems(v->uid, ParsedFilter{}, "", static_cast<int>(v->item_count) + 1));
    for (size_t i = 0; i < l->items.size(); ++i) l->index.emplace(l->items[i].path, i);
    l->keys = std::make_unique<GroupKeys>(*v, investigations_);
    Loaded* out = l.get();
    loaded_.emplace(key, std::move(l));
    return out;
  }

 private:
  DatasetStore* datasets_;
  InvestigationStore* investigations_;
  std::map<std::string, std::unique_ptr<Loaded>> loaded_;
};

}  // namespace

absl::StatusOr<RunEndCheckResult> RunLeakageCheck::Check(const CallContext& ctx, const std::string& run_name,
                                                         const std::vector<EdgeRow>& edges) {
  // The inputs to compare: (side, resource).
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const EdgeRow& e : edges) {
    if (e.subject != run_name || e.predicate != "used") continue;
    if (IsCheckedRole(e.role)) inputs.emplace_back(e.role, e.object);
    if (absl::StartsWith(e.object, "models/")) {
      // L1.1: what the model was trained on, through the run that made it.
      FT_ASSIGN_OR_RETURN(std::vector<EdgeRow> model_edges, runs_->EdgesOf(e.object));
      for (const EdgeRow& m : model_edges) {
        if (m.subject != e.object || m.predicate != "wasGeneratedBy") continue;
        FT_ASSIGN_OR_RETURN(std::vector<EdgeRow> source_edges, runs_->EdgesOf(m.object));
        for (const EdgeRow& s : source_edges) {
          if (s.subject == m.object && s.predicate == "used" && (s.role == "train" || s.role == "validation")) {
            inputs.emplace_back("model-train", s.object);
          }
        }
      }
    }
  }
  std::set<std::string> sides;
  for (const auto& [side, resource] : inputs) sides.insert(side);
  RunEndCheckResult result;
  if (sides.size() < 2) return result;  // nothing to compare
  json findings = json::array();
  json unchecked = json::array();
  std::vector<std::string> summary;
  // The common case: parts of one split. What each two parts share was
  // counted when the split was made; no item is read again.
  std::optional<SplitRow> one_split;
  bool all_parts = true;
  std::string split_prefix;
  for (const auto& [side, resource] : inputs) {
    std::vector<absl::string_view> p = absl::StrSplit(resource, '/');
    const bool is_part = p.size() == 8 && p[0] == "datasets" && p[4] == "splits" && p[6] == "parts";
    const std::string prefix = is_part ? absl::StrJoin(p.begin(), p.begin() + 6, "/") : "";
    all_parts = all_parts && is_part && (split_prefix.empty() || prefix == split_prefix);
    if (is_part) split_prefix = prefix;
  }
  if (all_parts) {
    FT_ASSIGN_OR_RETURN(DatasetChildName sn, ParseDatasetChildName(split_prefix, "splits", "input"));
    FT_ASSIGN_OR_RETURN(one_split, splits_->GetSplit(sn.dataset_id, sn.version, sn.id));
  }
  if (one_split) {
    json parts = json::parse(one_split->parts_json, nullptr, false);
    std::map<std::string, json> part_of;
    if (parts.is_array()) {
      for (const json& part : parts) part_of[part.value("part", "")] = part;
    }
    std::map<std::string, int64_t> totals;
    json pairs = json::array();
    for (size_t i = 0; i < inputs.size(); ++i) {
      for (size_t j = i + 1; j < inputs.size(); ++j) {
        if (inputs[i].first == inputs[j].first) continue;  // the same side
        const std::string a = inputs[i].second.substr(inputs[i].second.rfind('/') + 1);
        const std::string b = inputs[j].second.substr(inputs[j].second.rfind('/') + 1);
        if (a == b) {  // one part on two sides: all of it leaks
          const int64_t n = part_of[a].value("item_count", int64_t{0});
          totals["exact_duplicate"] += n;
          totals["group:observation_unit"] += part_of[a].value("group_count", int64_t{0});
          pairs.push_back({{"a", inputs[i].second}, {"b", inputs[j].second}, {"shared", "the whole part"}});
          continue;
        }
        const json& shares = part_of[a].contains("shares_with") ? part_of[a]["shares_with"] : json::object();
        if (!shares.contains(b)) continue;
        for (const auto& [kind, n] : shares[b].items()) totals[kind] += n.get<int64_t>();
        pairs.push_back({{"a", inputs[i].second}, {"b", inputs[j].second}, {"shared", shares[b]}});
      }
    }
    for (const char* kind : {"exact_duplicate", "group:observation_unit"}) totals.try_emplace(kind, 0);
    for (const auto& [kind, n] : totals) {
      findings.push_back({{"kind", kind}, {"count", n}});
      summary.push_back(absl::StrCat(kind, " ", n));
      result.leakage_found = result.leakage_found || n > 0;
    }
    json doc = {{"format", "fairtrace-leakage-report/1"},
                {"run", run_name},
                {"split", split_prefix},
                {"leakage_found", result.leakage_found},
                {"findings", findings},
                {"part_pairs", pairs},
                {"how", "counted per two parts when the split was made; CheckLeakage lists the item pairs"}};
    return Store(ctx, doc, std::move(summary), result);
  }
  VersionItems versions(datasets_, investigations_);
  std::vector<LeakageItem> items;
  for (const auto& [side, resource] : inputs) {
    std::vector<absl::string_view> p = absl::StrSplit(resource, '/');
    const bool is_version = p.size() == 4 && p[0] == "datasets" && p[2] == "versions";
    const bool is_part = p.size() == 8 && p[0] == "datasets" && p[4] == "splits" && p[6] == "parts";
    if (!is_version && !is_part) {
      unchecked.push_back({{"input", resource}, {"role", side}});
      continue;
    }
    const std::string version_name = absl::StrJoin(p.begin(), p.begin() + 4, "/");
    FT_ASSIGN_OR_RETURN(DatasetChildName vn, ParseDatasetChildName(version_name, "", "input"));
    FT_ASSIGN_OR_RETURN(VersionItems::Loaded * loaded, versions.Get(vn.dataset_id, vn.version));
    if (loaded == nullptr) continue;
    std::vector<const ItemRow*> chosen;
    if (is_version) {
      for (const ItemRow& i : loaded->items) chosen.push_back(&i);
    } else {
      FT_ASSIGN_OR_RETURN(std::optional<SplitRow> split,
                          splits_->GetSplit(vn.dataset_id, vn.version, std::string(p[5])));
      if (!split) continue;
      FT_ASSIGN_OR_RETURN(std::vector<SplitAssignment> assigned, splits_->Assignments(split->uid));
      for (const SplitAssignment& a : assigned) {
        if (a.part != p[7]) continue;
        if (auto it = loaded->index.find(a.path); it != loaded->index.end())
          chosen.push_back(&loaded->items[it->second]);
      }
    }
    for (const ItemRow* row : chosen) {
      LeakageItem li;
      li.path = absl::StrCat(version_name, ":", row->path);
      li.part = side;
      li.blob = row->blob_digest;
      FT_ASSIGN_OR_RETURN(li.groups["observation_unit"], loaded->keys->KeyOf(*row, "observation_unit"));
      items.push_back(std::move(li));
    }
  }
  LeakageOptions o;
  o.part_order.assign(std::begin(kSides), std::end(kSides));
  o.group_by = {"observation_unit"};
  // The same item used twice on one side is no leakage; FindLeakage counts
  // sharing across sides only.
  std::vector<LeakageFindingOut> found = FindLeakage(items, o);
  for (const LeakageFindingOut& f : found) {
    json pairs = json::array();
    for (const LeakagePairOut& pr : f.pairs) {
      pairs.push_back({{"a", pr.a}, {"a_part", pr.a_part}, {"b", pr.b}, {"b_part", pr.b_part}, {"shared", pr.shared}});
    }
    findings.push_back({{"kind", f.kind}, {"count", f.count}, {"pairs", pairs}});
    summary.push_back(absl::StrCat(f.kind, " ", f.count));
    result.leakage_found = result.leakage_found || f.count > 0;
  }
  json inputs_json = json::array();
  for (const auto& [side, resource] : inputs) inputs_json.push_back({{"role", side}, {"input", resource}});
  json doc = {{"format", "fairtrace-leakage-report/1"},
              {"run", run_name},
              {"inputs", inputs_json},
              {"unchecked_inputs", unchecked},
              {"leakage_found", result.leakage_found},
              {"findings", findings},
              {"not_checked", "near duplicates run only through CheckLeakage"}};
  return Store(ctx, doc, std::move(summary), result);
}

absl::StatusOr<RunEndCheckResult> RunLeakageCheck::Store(const CallContext& ctx, const nlohmann::json& doc,
                                                         std::vector<std::string> summary, RunEndCheckResult result) {
  const std::string bytes = doc.dump() + "\n";
  Sha256 h;
  h.Update(bytes);
  result.report = Digest{h.FinishHex(), static_cast<int64_t>(bytes.size())};
  FT_ASSIGN_OR_RETURN(std::vector<absl::Status> put, content_->BatchUpdate(ctx, {{result.report, bytes}}));
  FT_RETURN_IF_ERROR(put[0]);
  result.checked = true;
  result.summary = absl::StrJoin(summary, ", ");
  return result;
}

}  // namespace fairtrace::splits
