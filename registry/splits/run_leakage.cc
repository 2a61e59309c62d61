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
  VersionItems versions(datasets_, investigations_);
  std::vector<LeakageItem> items;
  json unchecked = json::array();
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
  json findings = json::array();
  std::vector<std::string> summary;
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
