// Fsck: re-checks everything the registry promises about stored bytes.
// - every visible blob's file exists and hashes to its digest;
// - every tree reference names a visible blob;
// - the audit chain re-walks from the first record to the last;
// - every stored resource's state matches its latest audit record
//   (Store::CheckResourceStates).
// It reports and never repairs. Safe to run while the server serves (it
// reads a consistent view page by page; blobs added meanwhile may or may not
// be checked).
#pragma once

#include <functional>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/cas/blob_store.h"
#include "registry/store/store.h"

namespace fairtrace {

struct FsckProblem {
  // BLOB_MISSING, BLOB_CORRUPT, TREE_REFERENCE_MISSING, TREE_NOT_RESTORABLE,
  // AUDIT_CHAIN_BROKEN, AUDIT_MERKLE_MISMATCH, STATE_* (store.h).
  std::string kind;
  std::string subject;  // blobs/<sha>/<size>, audit/<sequence>, ...
  std::string detail;
};

struct FsckReport {
  int64_t blobs_checked = 0;
  int64_t bytes_hashed = 0;
  int64_t tree_references_checked = 0;
  int64_t audit_records_checked = 0;
  int64_t resources_checked = 0;
  int64_t unreferenced_files = 0;
  int64_t partial_uploads = 0;
  int64_t problem_count = 0;
  std::vector<FsckProblem> problems;  // at most kMaxListedProblems

  static constexpr int kMaxListedProblems = 1000;
  void Add(FsckProblem p);
  bool clean() const { return problem_count == 0; }
};

// Fails only when the database cannot be read; findings go in the report.
// `should_stop` (may be empty) is polled between blobs: when it returns
// true the walk ends with DEADLINE_EXCEEDED (the call's deadline passed or
// the client went away).
absl::StatusOr<FsckReport> RunFsck(Store& store, const BlobStore& blobs, const std::function<bool()>& should_stop = {});

// Adds TREE_NOT_RESTORABLE when the stored tree `row` breaks the rules of
// core/tree_names.h (trees stored before them stay readable).
void CheckTreeRestorable(const BlobStore& blobs, const BlobRow& row, FsckReport& report);

// Walks the whole audit chain (paged), adding a problem for the first break.
absl::Status CheckAuditChain(Store& store, FsckReport& report);

}  // namespace fairtrace
