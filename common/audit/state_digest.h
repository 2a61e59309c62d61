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

#include <string>

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

}  // namespace fairtrace
