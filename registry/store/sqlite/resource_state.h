// The state documents and digests of stored resources (docs/audit-log.md,
// "State digests"), computed from the SQLite rows themselves so that what is
// digested is what is stored, whatever the code meant to store.
//
// A resource's state document is a JSON object: "kind", "name", the
// resource's own stored fields (named as the columns, JSON texts embedded as
// JSON), and, per child collection, the chain (common/audit/state_digest.h)
// over its rows in a fixed order: a run's params and metrics, a dataset
// version's items, an annotation set's annotations, the lineage edges the
// resource's own calls made (their origin). Fields that other resources'
// calls change (a model's next version number, an investigation's latest
// revision, update times bumped by a child) are left out, so that each
// document changes only with calls on that resource.
//
// Kinds: registered models, model versions, model aliases, runs, MIAPPE
// investigation revisions, datasets, dataset versions, annotation sets,
// agreement reports, splits, leakage reports, access tokens and grants.
// Blobs and trees are content-addressed and checked by fsck from their bytes.
//
// Thread safety: as the Db given (one thread at a time).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "registry/store/sqlite/db.h"

namespace fairtrace {

// How chains kept up to date by writes are read: from their stored column
// (cheap; what a write records) or recomputed from the rows (what fsck
// checks, so that an edited row no longer matches the record).
enum class StateRead { kStoredChains, kRecomputeChains };

// The digest of the resource `name` (StateNameOfRecordResource of a
// record's resource, common/audit/state_digest.h) as stored on `db`
// now: "sha256:<hex>", or the tombstone digest when its kind is known and it
// does not exist. "" when `name` is of no known kind. INTERNAL for database
// errors; INVALID_ARGUMENT for stored text that is not valid UTF-8.
absl::StatusOr<std::string> ResourceStateDigest(sqlite::Db* db, absl::string_view name, StateRead how);

// The state document itself (for tests and docs); nullopt when absent.
absl::StatusOr<std::optional<nlohmann::json>> ResourceStateDoc(sqlite::Db* db, absl::string_view name, StateRead how);

// What ForEachResourceState gives for a resource whose stored text is not
// valid UTF-8 (so it has no document); ForEachResourceDocument gives "".
inline constexpr char kUnreadableState[] = "unreadable";

// Calls `fn(name, digest)` for every stored resource of every kind, kind by
// kind; stops at the first error `fn` returns.
absl::Status ForEachResourceState(sqlite::Db* db, StateRead how,
                                  const std::function<absl::Status(const std::string&, const std::string&)>& fn);
// The same with each resource's document in canonical JSON instead of its
// digest (the digest is "sha256:" + hex SHA-256 of it).
absl::Status ForEachResourceDocument(sqlite::Db* db, StateRead how,
                                     const std::function<absl::Status(const std::string&, const std::string&)>& fn);

// A run's metrics chain extended by one logged metric (the link the chain
// over its stored rows has).
absl::StatusOr<std::string> NextMetricsChain(absl::string_view chain, const std::string& key, int64_t step,
                                             int64_t timestamp, double value);

// A run's metrics chain recomputed from its rows (in the order they were
// logged).
absl::StatusOr<std::string> RecomputeMetricsChain(sqlite::Db* db, const std::string& run_id);

}  // namespace fairtrace
