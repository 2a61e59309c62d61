#include "registry/content/fsck.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/content/tree.h"
#include "common/content/tree_names.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace fairtrace {

void FsckReport::Add(FsckProblem p) {
  if (static_cast<int>(problems.size()) < kMaxListedProblems) problems.push_back(std::move(p));
  ++problem_count;
}

absl::Status CheckAuditChain(Store& store, FsckReport& report) {
  AuditChainVerifier verifier;
  // Every stored Merkle node is compared with the one the records give:
  // a node edited behind the server's back would make wrong proofs.
  MerkleFrontier tree;
  const int64_t tree_size = store.GetAuditTreeHead().size;
  int64_t after = 0;
  while (true) {
    FT_ASSIGN_OR_RETURN(std::vector<AuditRecord> page, store.ListAudit(after, 5000));
    if (page.empty()) break;
    for (const AuditRecord& r : page) {
      const std::string canonical = AuditCanonicalBytes(r);
      if (auto problem = verifier.Next(r, canonical)) {
        report.Add({"AUDIT_CHAIN_BROKEN", absl::StrCat("audit/", r.sequence), *problem});
        report.audit_records_checked = verifier.checked();
        return absl::OkStatus();
      }
      if (tree.size() >= tree_size) continue;  // appended after fsck began
      for (const MerkleFrontier::Node& n : tree.Append(MerkleLeafHash(canonical))) {
        absl::StatusOr<MerkleHash> stored = store.AuditMerkleNode(n.level, n.index);
        if (!stored.ok() || *stored != n.hash) {
          report.Add({"AUDIT_MERKLE_MISMATCH", absl::StrCat("audit/merkle/", n.level, "/", n.index),
                      stored.ok() ? "the stored node differs from the records' hash" : "the node is missing"});
        }
      }
    }
    after = page.back().sequence;
  }
  report.audit_records_checked = verifier.checked();
  return absl::OkStatus();
}

void CheckTreeRestorable(const BlobStore& blobs, const BlobRow& row, FsckReport& report) {
  // Trees stored before the restorability rules stay readable; fsck names
  // those that `pull` cannot write back everywhere.
  auto bytes = blobs.ReadAll(row.digest, row.location);
  if (!bytes.ok()) return;
  auto entries = ParseTree(*bytes);
  if (!entries.ok()) return;
  std::vector<TreeNameProblem> problems = TreeRestoreProblems(*entries, 1);
  if (!problems.empty()) {
    report.Add({"TREE_NOT_RESTORABLE", TreeResourceName(row.digest), problems[0].message});
  }
}

absl::StatusOr<FsckReport> RunFsck(Store& store, const BlobStore& blobs, const std::function<bool()>& should_stop) {
  FsckReport report;
  absl::flat_hash_set<Digest> loose;
  absl::flat_hash_set<std::string> packs;
  FT_RETURN_IF_ERROR(store.ForEachBlob([&](const BlobRow& row) -> absl::Status {
    if (should_stop && should_stop()) {
      return ErrorBuilder(absl::StatusCode::kDeadlineExceeded,
                          absl::StrCat("fsck stopped after ", report.blobs_checked,
                                       " blobs: the call was cancelled or reached its deadline (--heavy-call-seconds)"))
          .Reason("FSCK_STOPPED");
    }
    if (row.location.packed()) {
      packs.insert(row.location.pack);
    } else if (!row.location.in_database) {
      loose.insert(row.digest);
    }
    ++report.blobs_checked;
    absl::Status s = blobs.Verify(row.digest, row.location, &report.bytes_hashed);
    if (absl::IsNotFound(s)) {
      report.Add({"BLOB_MISSING", BlobResourceName(row.digest), std::string(s.message())});
    } else if (!s.ok()) {
      report.Add({"BLOB_CORRUPT", BlobResourceName(row.digest), std::string(s.message())});
    } else if (row.is_tree) {
      CheckTreeRestorable(blobs, row, report);
    }
    return absl::OkStatus();
  }));
  FT_ASSIGN_OR_RETURN(report.tree_references_checked, store.CountTreeReferences());
  FT_ASSIGN_OR_RETURN(std::vector<DanglingReference> dangling,
                      store.DanglingTreeReferences(FsckReport::kMaxListedProblems));
  for (const DanglingReference& r : dangling) {
    report.Add(
        {"TREE_REFERENCE_MISSING", BlobResourceName(r.blob), absl::StrCat("referenced by tree ", r.tree.ToString())});
  }
  FT_RETURN_IF_ERROR(blobs.ForEachLooseFile([&](const Digest& d) {
    if (!loose.contains(d)) ++report.unreferenced_files;
    return absl::OkStatus();
  }));
  FT_RETURN_IF_ERROR(blobs.ForEachPack([&](const std::string& pack) {
    if (!packs.contains(pack)) ++report.unreferenced_files;
    return absl::OkStatus();
  }));
  report.partial_uploads = blobs.CountPartialUploads();
  FT_RETURN_IF_ERROR(CheckAuditChain(store, report));
  FT_ASSIGN_OR_RETURN(report.resources_checked, store.CheckResourceStates([&report](Store::StateProblem p) {
    report.Add({std::move(p.kind), std::move(p.resource), std::move(p.detail)});
  }));
  return report;
}

}  // namespace fairtrace
