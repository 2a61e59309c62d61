// Resource state digests (docs/audit-log.md, "State digests").
//
// Every audit record of a successful change carries the digest of the
// resource's state after the change, so that an edit of the stored state
// behind the server's back (a model version pointed at another tree, an
// edited metric, a deleted row) no longer matches the latest record for that
// resource. A state is a JSON object (a "state document"); its digest is
// "sha256:" + hex SHA-256 of its canonical JSON:
//   - objects with keys sorted by byte (= code point) order, no whitespace;
//   - strings as UTF-8, escaping only '"', '\\' and control characters
//     (\b \f \n \r \t, others as \u00xx);
//   - integers in decimal; finite doubles in the shortest form that reads
//     back to the same double; NaN and infinities as the strings "NaN",
//     "Infinity", "-Infinity" (JSON has no such numbers).
// Python's json.dumps(doc, sort_keys=True, separators=(",", ":"),
// ensure_ascii=False) produces the same bytes for such documents.
//
// Large child collections (a run's metrics, a dataset version's items)
// enter a document as a chain over their rows in a stated order:
//   chain("") = "", chain(rows + [r]) = hex SHA-256(chain(rows) || canonical(r))
// so that appending a row updates the chain without re-reading the others.
//
// Pure functions; thread-safe. Errors: INVALID_ARGUMENT for a document that
// holds invalid UTF-8 (stored text is validated at the API boundary, so this
// means the store was edited).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace fairtrace {

inline constexpr absl::string_view kStateDigestPrefix = "sha256:";

absl::StatusOr<std::string> CanonicalStateJson(const nlohmann::json& doc);
absl::StatusOr<std::string> StateDigestOf(const nlohmann::json& doc);
// The state digest of a resource that no longer exists (a revoked grant, a
// deleted alias): the digest of {"deleted": true, "name": name}.
std::string DeletedStateDocDigest(absl::string_view name);

// The resource whose state a record's digest describes, from the record's
// (unescaped) `resource`: the resource itself, except that a token's
// records name it "tokens/<id> for <principal>" on creation and
// "tokens/<id>" on revocation, both meaning "tokens/<id>".
std::string StateNameOfRecordResource(absl::string_view resource);

// A double as a state document holds it (see above).
nlohmann::json StateDouble(double v);

// The next link of a chain (see above).
absl::StatusOr<std::string> StateChainNext(absl::string_view chain, const nlohmann::json& row);

// One resource whose stored state disagrees with the log.
struct StateFinding {
  std::string kind;  // STATE_MISMATCH, STATE_UNRECORDED, STATE_VANISHED, or the caller's
  std::string resource;
  std::string detail;
};

// The comparison fsck (on the rows) and `fairtrace audit verify --deep` (on
// the documents the server sends) both make: the latest state digest each
// resource's records carry against the resources stored now. Feed every
// record first, then every stored resource, then ask what vanished.
// Not thread-safe.
class StateComparison {
 public:
  // One record, in log order, with its unescaped `resource`; a record
  // without a state digest changes nothing.
  void AddRecord(int64_t sequence, absl::string_view resource, absl::string_view state_digest);
  // A stored resource with its digest: the finding when the log disagrees
  // (STATE_UNRECORDED, STATE_MISMATCH), else nullopt.
  std::optional<StateFinding> CheckStored(const std::string& name, const std::string& digest);
  // A stored resource whose state cannot be computed or read: the finding
  // of `kind`; its records count as compared.
  StateFinding Unusable(std::string kind, const std::string& name, std::string detail);
  // After every stored resource: those whose latest record says they exist
  // but were not stored (STATE_VANISHED), by name.
  std::vector<StateFinding> Vanished() const;

 private:
  absl::flat_hash_map<std::string, std::pair<int64_t, std::string>> latest_;  // name -> (sequence, digest)
};

}  // namespace fairtrace
