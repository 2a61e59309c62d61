#include "common/audit/state_digest.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/content/sha256.h"

namespace fairtrace {

absl::StatusOr<std::string> CanonicalStateJson(const nlohmann::json& doc) {
  try {
    // nlohmann's objects are std::maps: keys come out in byte order.
    return doc.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("a state document cannot be written: ", e.what()));
  }
}

absl::StatusOr<std::string> StateDigestOf(const nlohmann::json& doc) {
  absl::StatusOr<std::string> bytes = CanonicalStateJson(doc);
  if (!bytes.ok()) return bytes.status();
  return absl::StrCat(kStateDigestPrefix, Sha256Hex(*bytes));
}

std::string DeletedStateDocDigest(absl::string_view name) {
  nlohmann::json doc = {{"deleted", true}, {"name", std::string(name)}};
  absl::StatusOr<std::string> d = StateDigestOf(doc);
  // A name that is not valid UTF-8 cannot be a stored resource's; its
  // tombstone is the digest of the name's bytes, which nothing matches.
  return d.ok() ? *d : absl::StrCat(kStateDigestPrefix, Sha256Hex(name));
}

std::string StateNameOfRecordResource(absl::string_view resource) {
  if (absl::StartsWith(resource, "tokens/")) {
    size_t space = resource.find(" for ");
    if (space != absl::string_view::npos) resource = resource.substr(0, space);
  }
  return std::string(resource);
}

void StateComparison::AddRecord(int64_t sequence, absl::string_view resource, absl::string_view state_digest) {
  if (state_digest.empty()) return;
  latest_[StateNameOfRecordResource(resource)] = {sequence, std::string(state_digest)};
}

std::optional<StateFinding> StateComparison::CheckStored(const std::string& name, const std::string& digest) {
  auto it = latest_.find(name);
  if (it == latest_.end()) {
    return StateFinding{"STATE_UNRECORDED", name,
                        "stored, but no audit record carries its state: it was written behind the server's back"};
  }
  std::optional<StateFinding> out;
  if (it->second.second != digest) {
    out = StateFinding{"STATE_MISMATCH", name,
                       absl::StrCat("its stored state is ", digest, " but audit record ", it->second.first,
                                    " recorded ", it->second.second, ": it was changed behind the server's back")};
  }
  latest_.erase(it);
  return out;
}

StateFinding StateComparison::Unusable(std::string kind, const std::string& name, std::string detail) {
  latest_.erase(name);
  return StateFinding{std::move(kind), name, std::move(detail)};
}

std::vector<StateFinding> StateComparison::Vanished() const {
  std::vector<StateFinding> out;
  for (const auto& [name, recorded] : latest_) {
    if (recorded.second == DeletedStateDocDigest(name)) continue;
    out.push_back({"STATE_VANISHED", name,
                   absl::StrCat("audit record ", recorded.first,
                                " says it exists, but it is not stored: it was deleted behind the server's back")});
  }
  std::sort(out.begin(), out.end(),
            [](const StateFinding& a, const StateFinding& b) { return a.resource < b.resource; });
  return out;
}

nlohmann::json StateDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

absl::StatusOr<std::string> StateChainNext(absl::string_view chain, const nlohmann::json& row) {
  absl::StatusOr<std::string> bytes = CanonicalStateJson(row);
  if (!bytes.ok()) return bytes.status();
  return Sha256Hex(absl::StrCat(chain, *bytes));
}

}  // namespace fairtrace
