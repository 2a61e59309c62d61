// The conformance suite every store backend passes: every method of Store,
// ModelStore, RunStore and InvestigationStore, its results and its error
// codes (as documented in each interface's header), and the contract they
// share (one audit record per successful write, nothing left by a failed
// one). A backend registers a factory and its capabilities in
// INSTANTIATE_TEST_SUITE_P below (SQLite now, PostgreSQL later); a
// capability it lacks skips that capability's tests (the SQLite backend has
// them all, so nothing is skipped in CI).
#include <cmath>
#include <functional>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "registry/store/investigation_store.h"
#include "registry/store/model_store.h"
#include "registry/store/run_store.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "registry/store/store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;

// What a backend offers the suite.
struct Capabilities {
  bool models = true;          // ModelStore
  bool runs = true;            // RunStore (needs models)
  bool investigations = true;  // InvestigationStore
};

// One store per capability over one database; `owner` keeps it alive.
struct Stores {
  std::shared_ptr<void> owner;
  Store* content = nullptr;
  ModelStore* models = nullptr;
  RunStore* runs = nullptr;
  InvestigationStore* investigations = nullptr;
};

struct Backend {
  std::string name;
  Capabilities capabilities;
  std::function<absl::StatusOr<Stores>(const std::filesystem::path& dir)> open;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

std::string ReasonOf(const absl::Status& s) {
  auto d = ErrorDetailsOf(s);
  return d ? d->reason : "";
}

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    stores_ = {};
    auto s = GetParam().open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    stores_ = *std::move(s);
    store_ = stores_.content;
  }
  const Capabilities& caps() const { return GetParam().capabilities; }
  static std::vector<StoredBlob> Loose(std::vector<Digest> ds) {
    std::vector<StoredBlob> out;
    for (auto& d : ds) out.push_back({d, BlobLocation::Loose()});
    return out;
  }
  AuditEntry Audit(std::string resource = "r") {
    return AuditEntry{"user:t", "/m", std::move(resource), std::string(64, 'b'), "OK"};
  }
  int64_t AuditCount() {
    auto r = store_->ListAudit(0, 100000);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? static_cast<int64_t>(r->size()) : -1;
  }
  // A registered tree of one file (its blob and manifest committed).
  Digest RegisteredTree(const std::string& content) {
    std::vector<TreeEntry> entries = {{"model.bin", DigestOf(content), false}};
    std::string manifest = *EncodeTree(entries);
    EXPECT_TRUE(store_->CommitBlobs(Loose({DigestOf(content), DigestOf(manifest)}), Audit()).ok());
    EXPECT_TRUE(store_->CommitTree(DigestOf(manifest), entries, Audit()).ok());
    return DigestOf(manifest);
  }
  RegisteredModelRow Model(const std::string& id) {
    RegisteredModelRow m;
    m.model_id = id;
    m.uid = id + "-uid";
    m.create_time = m.update_time = 1000;
    return m;
  }
  ModelVersionRow Version(const std::string& model_id, const Digest& tree, const std::string& uid_suffix = "1") {
    ModelVersionRow v;
    v.model_id = model_id;
    v.uid = model_id + "-v-uid-" + uid_suffix;
    v.tree = tree;
    v.mlmodel_json = R"({"flavors":["sklearn"]})";
    v.create_time = v.update_time = 2000;
    return v;
  }
  // Model `id` with versions 1 and 2 of one registered tree (returned).
  Digest ModelWithTwoVersions(const std::string& id) {
    ModelStore* m = stores_.models;
    EXPECT_TRUE(m->InsertRegisteredModel(Model(id), RequestKey(), Audit()).ok());
    Digest tree = RegisteredTree("w");
    EXPECT_TRUE(m->InsertModelVersion(Version(id, tree), RequestKey(), Audit()).ok());
    EXPECT_TRUE(m->InsertModelVersion(Version(id, tree, "2"), RequestKey(), Audit()).ok());
    return tree;
  }
  RunRow Run(const std::string& id, int64_t create_time) {
    RunRow r;
    r.run_id = id;
    r.uid = id + "-uid";
    r.experiment = "exp";
    r.start_time = r.create_time = r.update_time = create_time;
    return r;
  }
  RevisionRow Revision(const std::string& id) {
    RevisionRow r;
    r.investigation_id = id;
    r.digest = std::string(64, 'd');
    r.profile = "1.1";
    r.title = "t";
    r.create_time = 3000;
    return r;
  }

  testing::TempDir dir_;
  Stores stores_;
  Store* store_ = nullptr;
};

#define REQUIRE_CAPABILITY(c) \
  if (!caps().c) GTEST_SKIP() << GetParam().name << " has no " #c

// ---------------------------------------------------------------- content and audit

TEST_P(StoreConformance, EmptyBlobIsAlwaysVisible) {
  ASSERT_OK_AND_ASSIGN(auto has, store_->HasBlobs({EmptyDigest()}));
  EXPECT_TRUE(has[0]);
}

TEST_P(StoreConformance, CommitBlobsMakesThemVisibleWithOneAuditRecord) {
  Digest a = DigestOf("a"), b = DigestOf("b");
  ASSERT_OK_AND_ASSIGN(auto before, store_->HasBlobs({a, b}));
  EXPECT_FALSE(before[0] || before[1]);
  ASSERT_OK(store_->CommitBlobs(Loose({a, b}), Audit("blobs")));
  ASSERT_OK(store_->CommitBlobs(Loose({a}), Audit("blobs")));  // idempotent
  ASSERT_OK_AND_ASSIGN(auto after, store_->HasBlobs({a, b, DigestOf("c")}));
  EXPECT_EQ(after, (std::vector<bool>{true, true, false}));
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 100));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sequence, 1);
  EXPECT_EQ(records[1].previous_hash, records[0].hash);
}

// A tree registered with the write that first uses it: its manifest kept in
// the blob's row, the tree and the version in one transaction, all or none.
TEST_P(StoreConformance, VersionRegistersItsTreeAndKeepsTheManifest) {
  REQUIRE_CAPABILITY(models);
  ModelStore* m = stores_.models;
  ASSERT_OK(m->InsertRegisteredModel(Model("a"), RequestKey(), Audit()));
  ASSERT_OK(store_->CommitBlobs(Loose({DigestOf("w")}), Audit()));
  TreeToRegister t{Digest{}, {{"model.bin", DigestOf("w"), false}}, std::nullopt};
  t.manifest = *EncodeTree(t.entries);
  t.digest = DigestOf(*t.manifest);
  const int64_t before = AuditCount();
  // A version that fails (no such run) leaves neither tree nor manifest.
  ModelVersionRow orphan = Version("a", t.digest);
  orphan.source_run = "runs/" + std::string(32, 'f');
  EXPECT_THAT(m->InsertModelVersion(orphan, RequestKey(), Audit("v"), &t).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto none, store_->HasBlobs({t.digest}));
  EXPECT_FALSE(none[0]);
  EXPECT_EQ(AuditCount(), before);
  ASSERT_OK_AND_ASSIGN(ModelVersionRow v, m->InsertModelVersion(Version("a", t.digest), RequestKey(), Audit("v"), &t));
  EXPECT_EQ(v.version, 1);
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(before, 10));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].entry.resource, "models/a/versions/1");
  EXPECT_EQ(records[1].entry.resource, "trees/" + t.digest.sha256 + "/" + std::to_string(t.digest.size_bytes));
  ASSERT_OK_AND_ASSIGN(auto blob, store_->GetBlob(t.digest));
  ASSERT_TRUE(blob.has_value());
  EXPECT_TRUE(blob->is_tree);
  EXPECT_EQ(blob->location, BlobLocation::InDatabase(*t.manifest));
  ASSERT_OK_AND_ASSIGN(auto tree, store_->GetTree(t.digest));
  ASSERT_TRUE(tree.has_value());
  EXPECT_EQ(tree->entry_count, 1);
  // Registered now: a second version adds its own record only.
  ASSERT_OK(m->InsertModelVersion(Version("a", t.digest, "2"), RequestKey(), Audit("v"), &t).status());
  EXPECT_EQ(AuditCount(), before + 3);
  // CommitTree keeps a manifest the same way, and leaves a stored one where it is.
  TreeToRegister u{Digest{}, {{"other.bin", DigestOf("w"), false}}, std::nullopt};
  u.manifest = *EncodeTree(u.entries);
  u.digest = DigestOf(*u.manifest);
  ASSERT_OK(store_->CommitTree(u.digest, u.entries, Audit(), &*u.manifest));
  ASSERT_OK_AND_ASSIGN(blob, store_->GetBlob(u.digest));
  EXPECT_TRUE(blob->location.in_database);
  Digest loose = RegisteredTree("kept in a file");
  ASSERT_OK_AND_ASSIGN(blob, store_->GetBlob(loose));
  EXPECT_FALSE(blob->location.in_database);
}

TEST_P(StoreConformance, TreeNeedsEveryBlobAndRollsBackWhole) {
  Digest manifest = DigestOf("m"), present = DigestOf("p"), absent = DigestOf("x");
  ASSERT_OK(store_->CommitBlobs(Loose({manifest, present}), Audit()));
  std::vector<TreeEntry> entries = {{"p", present, false}, {"x", absent, false}};
  EXPECT_THAT(store_->CommitTree(manifest, entries, Audit()), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto tree, store_->GetTree(manifest));
  EXPECT_FALSE(tree.has_value());
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 100));
  EXPECT_EQ(records.size(), 1u);  // the failed commit appended nothing
  ASSERT_OK(store_->CommitBlobs(Loose({absent}), Audit()));
  ASSERT_OK(store_->CommitTree(manifest, entries, Audit()));
  ASSERT_OK_AND_ASSIGN(tree, store_->GetTree(manifest));
  ASSERT_TRUE(tree.has_value());
  EXPECT_EQ(tree->entry_count, 2);
  EXPECT_EQ(tree->total_size_bytes, 2);
  ASSERT_OK_AND_ASSIGN(auto blob, store_->GetBlob(manifest));
  EXPECT_TRUE(blob->is_tree);
  ASSERT_OK_AND_ASSIGN(int64_t refs, store_->CountTreeReferences());
  EXPECT_EQ(refs, 2);
  ASSERT_OK_AND_ASSIGN(auto dangling, store_->DanglingTreeReferences(10));
  EXPECT_TRUE(dangling.empty());
}

TEST_P(StoreConformance, PackLocationsRoundTripAndFirstLocationWins) {
  Digest d = DigestOf("packed");
  std::string pack(32, 'a'), other(32, 'b');
  ASSERT_OK(store_->CommitBlobs({StoredBlob{d, BlobLocation{pack, 77}}}, Audit()));
  ASSERT_OK(store_->CommitBlobs({StoredBlob{d, BlobLocation{other, 5}}}, Audit()));
  ASSERT_OK_AND_ASSIGN(auto row, store_->GetBlob(d));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->location, (BlobLocation{pack, 77}));
  ASSERT_OK_AND_ASSIGN(auto empty, store_->GetBlob(EmptyDigest()));
  EXPECT_FALSE(empty->location.packed());
  int seen = 0;
  ASSERT_OK(store_->ForEachBlob([&](const BlobRow& r) {
    if (r.digest == d) {
      EXPECT_EQ(r.location, (BlobLocation{pack, 77}));
      ++seen;
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(seen, 1);
}

TEST_P(StoreConformance, ManifestBlobMustExist) {
  EXPECT_THAT(store_->CommitTree(DigestOf("nothing"), {}, Audit()), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformance, AuditChainSurvivesReopen) {
  ASSERT_OK(store_->AppendAudit(Audit("one")));
  Reopen();
  ASSERT_OK(store_->AppendAudit(Audit("two")));
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 100));
  AuditChainVerifier v;
  for (const auto& r : records) EXPECT_FALSE(v.Next(r).has_value());
  EXPECT_EQ(v.checked(), 2);
}

TEST_P(StoreConformance, ListAuditPages) {
  for (int i = 0; i < 7; ++i) ASSERT_OK(store_->AppendAudit(Audit()));
  ASSERT_OK_AND_ASSIGN(auto p1, store_->ListAudit(0, 3));
  ASSERT_OK_AND_ASSIGN(auto p2, store_->ListAudit(p1.back().sequence, 3));
  ASSERT_OK_AND_ASSIGN(auto p3, store_->ListAudit(p2.back().sequence, 3));
  EXPECT_EQ(p1.size() + p2.size() + p3.size(), 7u);
  EXPECT_EQ(p3.back().sequence, 7);
}

TEST_P(StoreConformance, ConcurrentWritersKeepTheChainLinear) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        ASSERT_OK(store_->CommitBlobs(Loose({DigestOf(std::to_string(t * 100 + i))}), Audit()));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 1000));
  ASSERT_EQ(records.size(), 100u);
  AuditChainVerifier v;
  for (const auto& r : records) ASSERT_FALSE(v.Next(r).has_value());
}

// The Merkle tree over the log is the tree of the records' canonical bytes,
// whatever way they were appended, and its proofs verify against its roots.
TEST_P(StoreConformance, AuditMerkleTreeCoversEveryRecordAndProves) {
  EXPECT_EQ(store_->GetAuditTreeHead().size, 0);
  EXPECT_EQ(store_->GetAuditTreeHead().root, MerkleEmptyRoot());
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 12; ++i) ASSERT_OK(store_->AppendAudit(Audit(std::to_string(t * 100 + i))));
    });
  }
  for (auto& th : threads) th.join();
  // A failed write appends nothing to the tree either.
  EXPECT_FALSE(store_->CommitTree(DigestOf("no manifest"), {}, Audit()).ok());
  ASSERT_OK_AND_ASSIGN(auto records, store_->ListAudit(0, 1000));
  MerkleFrontier expected;
  std::vector<MerkleHash> leaves;
  std::vector<MerkleHash> roots{MerkleEmptyRoot()};
  for (const auto& r : records) {
    leaves.push_back(MerkleLeafHash(AuditCanonicalBytes(r)));
    expected.Append(leaves.back());
    roots.push_back(expected.Root());
  }
  Store::AuditTreeHead head = store_->GetAuditTreeHead();
  ASSERT_EQ(head.size, static_cast<int64_t>(records.size()));
  EXPECT_EQ(head.root, expected.Root());
  for (int64_t size : {int64_t{1}, int64_t{7}, int64_t{16}, head.size}) {
    ASSERT_OK_AND_ASSIGN(MerkleHash root, store_->AuditTreeRoot(size));
    EXPECT_EQ(root, roots[size]);
    for (int64_t i = 0; i < size; ++i) {
      ASSERT_OK_AND_ASSIGN(auto proof, store_->AuditInclusionProof(i, size));
      EXPECT_TRUE(VerifyMerkleInclusion(leaves[i], i, size, proof, roots[size])) << i << " in " << size;
    }
    for (int64_t old = 0; old <= size; ++old) {
      ASSERT_OK_AND_ASSIGN(auto proof, store_->AuditConsistencyProof(old, size));
      EXPECT_TRUE(VerifyMerkleConsistency(old, size, roots[old], roots[size], proof)) << old << " -> " << size;
    }
  }
  EXPECT_THAT(store_->AuditInclusionProof(head.size, head.size), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AuditInclusionProof(0, head.size + 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AuditConsistencyProof(5, 4), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AuditConsistencyProof(1, head.size + 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AuditTreeRoot(-1), StatusIs(absl::StatusCode::kInvalidArgument));
  Reopen();
  EXPECT_EQ(store_->GetAuditTreeHead().root, expected.Root());
  ASSERT_OK(store_->AppendAudit(Audit("after reopen")));
  ASSERT_OK_AND_ASSIGN(records, store_->ListAudit(head.size, 10));
  expected.Append(MerkleLeafHash(AuditCanonicalBytes(records.at(0))));
  EXPECT_EQ(store_->GetAuditTreeHead().root, expected.Root());
}

TEST_P(StoreConformance, ForEachBlobVisitsAllInPages) {
  std::vector<Digest> many;
  for (int i = 0; i < 2500; ++i) many.push_back(DigestOf(std::to_string(i)));
  ASSERT_OK(store_->CommitBlobs(Loose(many), Audit()));
  int64_t n = 0;
  ASSERT_OK(store_->ForEachBlob([&](const BlobRow&) {
    ++n;
    return absl::OkStatus();
  }));
  EXPECT_EQ(n, 2501);  // plus the empty blob
}

TEST_P(StoreConformance, TreeIndexPointsAreFoundAtOrBefore) {
  Digest tree = RegisteredTree("indexed");
  ASSERT_OK(store_->PutTreeIndex(tree, {{0, 10}, {1024, 5000}, {2048, 9000}}));
  ASSERT_OK(store_->PutTreeIndex(tree, {{0, 10}, {1024, 5000}, {2048, 9000}}));  // a second put is a no-op
  ASSERT_OK_AND_ASSIGN(auto p, store_->TreeIndexPointAtOrBefore(tree, 1500));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->entry, 1024);
  EXPECT_EQ(p->byte_offset, 5000);
  ASSERT_OK_AND_ASSIGN(p, store_->TreeIndexPointAtOrBefore(tree, 2048));
  EXPECT_EQ(p->entry, 2048);
  ASSERT_OK_AND_ASSIGN(p, store_->TreeIndexPointAtOrBefore(DigestOf("no such tree"), 5));
  EXPECT_FALSE(p.has_value());
}

// ---------------------------------------------------------------- models

TEST_P(StoreConformance, RegisteredModelsInsertGetListAndRefuseDuplicates) {
  REQUIRE_CAPABILITY(models);
  ModelStore* m = stores_.models;
  const int64_t audits = AuditCount();
  ASSERT_OK(m->InsertRegisteredModel(Model("b"), RequestKey("req-1"), Audit("models/b")));
  ASSERT_OK(m->InsertRegisteredModel(Model("a"), RequestKey(), Audit("models/a")));
  EXPECT_EQ(AuditCount(), audits + 2);
  absl::Status dup = m->InsertRegisteredModel(Model("a"), RequestKey(), Audit());
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ReasonOf(dup), "MODEL_EXISTS");
  absl::Status reused = m->InsertRegisteredModel(Model("c"), RequestKey("req-1"), Audit());
  EXPECT_THAT(reused, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ReasonOf(reused), "REQUEST_ID_USED");
  EXPECT_EQ(AuditCount(), audits + 2);  // failed writes leave no record
  ASSERT_OK_AND_ASSIGN(auto c, m->GetRegisteredModel("c"));
  EXPECT_FALSE(c.has_value());  // nothing of the refused write

  ASSERT_OK_AND_ASSIGN(auto got, m->GetRegisteredModel("a"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->uid, "a-uid");
  EXPECT_EQ(got->revision, 1);
  ASSERT_OK_AND_ASSIGN(auto page1, m->ListRegisteredModels("", 1, false, ProjectScope::All()));
  ASSERT_EQ(page1.size(), 1u);
  EXPECT_EQ(page1[0].model_id, "a");
  ASSERT_OK_AND_ASSIGN(auto page2, m->ListRegisteredModels("a", 10, false, ProjectScope::All()));
  ASSERT_EQ(page2.size(), 1u);
  EXPECT_EQ(page2[0].model_id, "b");
  // Projects: kept, listed by scope, looked up by name.
  RegisteredModelRow maize = Model("m-maize");
  maize.project = "maize";
  ASSERT_OK(m->InsertRegisteredModel(maize, RequestKey(), Audit("models/m-maize")));
  ASSERT_OK_AND_ASSIGN(auto only_maize, m->ListRegisteredModels("", 10, false, ProjectScope::Only({"maize"})));
  ASSERT_EQ(only_maize.size(), 1u);
  EXPECT_EQ(only_maize[0].project, "maize");
  ASSERT_OK_AND_ASSIGN(auto only_default, m->ListRegisteredModels("", 10, false, ProjectScope::Only({"default"})));
  EXPECT_EQ(only_default.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto none_listed, m->ListRegisteredModels("", 10, false, ProjectScope::Only({})));
  EXPECT_TRUE(none_listed.empty());
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> project, store_->ResourceProject("models", "m-maize"));
  EXPECT_EQ(project, "maize");

  ASSERT_OK_AND_ASSIGN(auto req, m->LookupRequestId(RequestKey("req-1")));
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->resource, "models/b");
  ASSERT_OK_AND_ASSIGN(auto none, m->LookupRequestId(RequestKey("never")));
  EXPECT_FALSE(none.has_value());
}

TEST_P(StoreConformance, RegisteredModelsUpdateAndSoftDeleteWithRevisions) {
  REQUIRE_CAPABILITY(models);
  ModelStore* m = stores_.models;
  ASSERT_OK(m->InsertRegisteredModel(Model("a"), RequestKey(), Audit()));
  RegisteredModelRow change = Model("a");
  change.description = "new";
  ASSERT_OK_AND_ASSIGN(auto updated, m->UpdateRegisteredModel(change, 1, 5000, Audit()));
  EXPECT_EQ(updated.description, "new");
  EXPECT_EQ(updated.revision, 2);
  EXPECT_THAT(m->UpdateRegisteredModel(change, 1, 5000, Audit()), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(m->UpdateRegisteredModel(Model("zz"), 0, 5000, Audit()), StatusIs(absl::StatusCode::kNotFound));

  EXPECT_THAT(m->SoftDeleteRegisteredModel("a", 1, false, 6000, Audit()), StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK(m->InsertModelVersion(Version("a", RegisteredTree("x")), RequestKey(), Audit()).status());
  absl::Status has_versions = m->SoftDeleteRegisteredModel("a", 0, false, 6000, Audit()).status();
  EXPECT_THAT(has_versions, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReasonOf(has_versions), "MODEL_HAS_VERSIONS");
  ASSERT_OK_AND_ASSIGN(auto deleted, m->SoftDeleteRegisteredModel("a", 0, true, 6000, Audit()));
  EXPECT_EQ(deleted.delete_time, 6000);
  EXPECT_THAT(m->SoftDeleteRegisteredModel("a", 0, true, 6000, Audit()), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto live, m->ListRegisteredModels("", 10, false, ProjectScope::All()));
  EXPECT_TRUE(live.empty());
  ASSERT_OK_AND_ASSIGN(auto all, m->ListRegisteredModels("", 10, true, ProjectScope::All()));
  EXPECT_EQ(all.size(), 1u);
}

TEST_P(StoreConformance, ModelVersionsAreNumberedCheckedAndListed) {
  REQUIRE_CAPABILITY(models);
  ModelStore* m = stores_.models;
  Digest tree = RegisteredTree("weights");
  EXPECT_THAT(m->InsertModelVersion(Version("absent", tree), RequestKey(), Audit()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(m->InsertRegisteredModel(Model("a"), RequestKey(), Audit()));
  absl::Status no_tree = m->InsertModelVersion(Version("a", DigestOf("unregistered")), RequestKey(), Audit()).status();
  EXPECT_THAT(no_tree, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReasonOf(no_tree), "TREE_NOT_REGISTERED");
  ModelVersionRow orphan = Version("a", tree);
  orphan.source_run = "runs/" + std::string(32, 'f');
  absl::Status no_run = m->InsertModelVersion(orphan, RequestKey(), Audit()).status();
  EXPECT_THAT(no_run, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReasonOf(no_run), "RUN_NOT_FOUND");

  ASSERT_OK_AND_ASSIGN(auto v1, m->InsertModelVersion(Version("a", tree), RequestKey(), Audit()));
  ASSERT_OK_AND_ASSIGN(auto v2, m->InsertModelVersion(Version("a", tree, "2"), RequestKey(), Audit()));
  // A uid clash (uids are random; this only shows the store does not call
  // it a missing tree).
  absl::Status clash = m->InsertModelVersion(Version("a", tree, "2"), RequestKey(), Audit()).status();
  EXPECT_THAT(clash, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(ReasonOf(clash), "TREE_NOT_REGISTERED");
  EXPECT_EQ(v1.version, 1);  // failed inserts used no number
  EXPECT_EQ(v2.version, 2);
  ASSERT_OK_AND_ASSIGN(auto got, m->GetModelVersion("a", 2));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->tree, tree);
  ASSERT_OK_AND_ASSIGN(auto none, m->GetModelVersion("a", 3));
  EXPECT_FALSE(none.has_value());

  ModelVersionRow staged = *got;
  staged.stage = "PRODUCTION";
  ASSERT_OK_AND_ASSIGN(auto updated, m->UpdateModelVersion(staged, 1, 7000, Audit()));
  EXPECT_EQ(updated.stage, "PRODUCTION");
  EXPECT_EQ(updated.revision, 2);
  EXPECT_THAT(m->UpdateModelVersion(staged, 1, 7000, Audit()), StatusIs(absl::StatusCode::kAborted));

  ASSERT_OK_AND_ASSIGN(auto after1, m->ListModelVersions("a", ParsedFilter{}, 1, 10, false));
  ASSERT_EQ(after1.size(), 1u);
  EXPECT_EQ(after1[0].version, 2);
  ASSERT_OK_AND_ASSIGN(ParsedFilter production,
                       ParseFilter("stage = PRODUCTION", {FilterField("stage", FilterType::kEnum,
                                                                      {"NONE", "STAGING", "PRODUCTION", "ARCHIVED"})}));
  ASSERT_OK_AND_ASSIGN(auto filtered, m->ListModelVersions("a", production, 0, 10, false));
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].version, 2);
}

TEST_P(StoreConformance, AliasesPointAtVersionsAndMove) {
  REQUIRE_CAPABILITY(models);
  ModelStore* m = stores_.models;
  ModelWithTwoVersions("a");
  EXPECT_THAT(m->SetAlias("a", "champion", 9, 8000, Audit()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(m->SetAlias("absent", "champion", 1, 8000, Audit()), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto model, m->SetAlias("a", "champion", 1, 8000, Audit()));
  EXPECT_EQ(model.revision, 2);
  ASSERT_OK(m->SetAlias("a", "champion", 2, 8000, Audit()).status());  // moves
  ASSERT_OK(m->SetAlias("a", "baseline", 1, 8000, Audit()).status());
  ASSERT_OK_AND_ASSIGN(auto aliases, m->ListAliases("a"));
  EXPECT_EQ(aliases, (std::vector<std::pair<std::string, int64_t>>{{"baseline", 1}, {"champion", 2}}));
  ASSERT_OK(m->DeleteAlias("a", "baseline", 8000, Audit()).status());
  absl::Status gone = m->DeleteAlias("a", "baseline", 8000, Audit()).status();
  EXPECT_THAT(gone, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ReasonOf(gone), "ALIAS_NOT_FOUND");
  ASSERT_OK_AND_ASSIGN(aliases, m->ListAliases("a"));
  EXPECT_EQ(aliases.size(), 1u);
}

// A soft-deleted version keeps its row and number, drops out of lists and
// writes, takes its aliases with it (each named in the audit log), and
// no longer holds the model back from a plain delete.
TEST_P(StoreConformance, VersionsSoftDeleteWithTheirAliases) {
  REQUIRE_CAPABILITY(models);
  ModelStore* m = stores_.models;
  Digest tree = ModelWithTwoVersions("a");
  ASSERT_OK(m->SetAlias("a", "champion", 1, 8000, Audit()).status());
  ASSERT_OK(m->SetAlias("a", "baseline", 1, 8000, Audit()).status());
  ASSERT_OK(m->SetAlias("a", "next", 2, 8000, Audit()).status());
  ASSERT_OK_AND_ASSIGN(std::optional<RegisteredModelRow> before, m->GetRegisteredModel("a"));

  EXPECT_THAT(m->SoftDeleteModelVersion("a", 1, 7, 9000, Audit()), StatusIs(absl::StatusCode::kAborted));
  const int64_t records = AuditCount();
  ASSERT_OK_AND_ASSIGN(ModelVersionRow deleted, m->SoftDeleteModelVersion("a", 1, 1, 9000, Audit("models/a/v/1")));
  ASSERT_TRUE(deleted.delete_time.has_value());
  EXPECT_EQ(*deleted.delete_time, 9000);
  EXPECT_EQ(deleted.update_time, 9000);
  EXPECT_EQ(deleted.revision, 2);
  EXPECT_EQ(deleted.tree, tree);
  // One record for the version, one per alias that went with it, by name.
  ASSERT_OK_AND_ASSIGN(std::vector<AuditRecord> log, store_->ListAudit(0, 100000));
  ASSERT_EQ(static_cast<int64_t>(log.size()), records + 3);
  EXPECT_EQ(log[records].entry.resource, "models/a/v/1");
  EXPECT_EQ(log[records + 1].entry.resource, "models/a/aliases/baseline");
  EXPECT_EQ(log[records + 2].entry.resource, "models/a/aliases/champion");
  ASSERT_OK_AND_ASSIGN(auto aliases, m->ListAliases("a"));
  EXPECT_EQ(aliases, (std::vector<std::pair<std::string, int64_t>>{{"next", 2}}));
  ASSERT_OK_AND_ASSIGN(std::optional<RegisteredModelRow> after, m->GetRegisteredModel("a"));
  EXPECT_GT(after->revision, before->revision);

  // The row stays, readable as deleted; lists hide it unless asked.
  ASSERT_OK_AND_ASSIGN(std::optional<ModelVersionRow> got, m->GetModelVersion("a", 1));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->delete_time, deleted.delete_time);
  ASSERT_OK_AND_ASSIGN(auto live, m->ListModelVersions("a", ParsedFilter{}, 0, 10, false));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].version, 2);
  EXPECT_FALSE(live[0].delete_time.has_value());
  ASSERT_OK_AND_ASSIGN(auto all, m->ListModelVersions("a", ParsedFilter{}, 0, 10, true));
  EXPECT_EQ(all.size(), 2u);

  // Gone for writes: a second delete, an update, an alias.
  absl::Status again = m->SoftDeleteModelVersion("a", 1, 0, 9100, Audit()).status();
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ReasonOf(again), "MODEL_VERSION_NOT_FOUND");
  EXPECT_THAT(m->UpdateModelVersion(*got, 0, 9100, Audit()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(m->SetAlias("a", "champion", 1, 9100, Audit()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(m->SoftDeleteModelVersion("a", 9, 0, 9100, Audit()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(m->SoftDeleteModelVersion("absent", 1, 0, 9100, Audit()), StatusIs(absl::StatusCode::kNotFound));

  // Numbers are never given again.
  ASSERT_OK_AND_ASSIGN(ModelVersionRow v3, m->InsertModelVersion(Version("a", tree, "3"), RequestKey(), Audit()));
  EXPECT_EQ(v3.version, 3);

  // Only versions not deleted hold the model back from a plain delete.
  absl::Status held = m->SoftDeleteRegisteredModel("a", 0, false, 9200, Audit()).status();
  EXPECT_EQ(ReasonOf(held), "MODEL_HAS_VERSIONS");
  ASSERT_OK(m->SoftDeleteModelVersion("a", 2, 0, 9300, Audit()).status());
  ASSERT_OK(m->SoftDeleteModelVersion("a", 3, 0, 9300, Audit()).status());
  ASSERT_OK(m->SoftDeleteRegisteredModel("a", 0, false, 9400, Audit()).status());
  // A deleted model's versions are frozen.
  ASSERT_OK(m->InsertRegisteredModel(Model("b"), RequestKey(), Audit()));
  ASSERT_OK(m->InsertModelVersion(Version("b", tree, "b1"), RequestKey(), Audit()).status());
  ASSERT_OK(m->SoftDeleteRegisteredModel("b", 0, true, 9500, Audit()).status());
  absl::Status frozen = m->SoftDeleteModelVersion("b", 1, 0, 9600, Audit()).status();
  EXPECT_EQ(ReasonOf(frozen), "MODEL_NOT_FOUND");
}

TEST_P(StoreConformance, SecretsAreCreatedOnceAndSurviveReopen) {
  REQUIRE_CAPABILITY(models);
  int made = 0;
  auto make = [&] { return "secret-" + std::to_string(++made); };
  ASSERT_OK_AND_ASSIGN(std::string first, stores_.models->GetOrCreateSecret("k", make));
  ASSERT_OK_AND_ASSIGN(std::string again, stores_.models->GetOrCreateSecret("k", make));
  EXPECT_EQ(first, again);
  EXPECT_EQ(made, 1);
  Reopen();
  ASSERT_OK_AND_ASSIGN(std::string reopened, stores_.models->GetOrCreateSecret("k", make));
  EXPECT_EQ(reopened, first);
}

// ---------------------------------------------------------------- runs

TEST_P(StoreConformance, RunsInsertWithEverythingOrNothing) {
  REQUIRE_CAPABILITY(runs);
  RunStore* r = stores_.runs;
  ASSERT_OK(stores_.models->InsertRegisteredModel(Model("m"), RequestKey(), Audit()));
  Digest tree = RegisteredTree("out");
  RunWrite w;
  w.run = Run(std::string(32, 'a'), 100);
  w.params = {{"lr", "0.1"}};
  w.metrics = {{"loss", 0.5, 1, 10}, {"loss", NAN, 2, 11}};
  w.edges = {{"runs/" + w.run.run_id, "used", TreeResourceName(tree), "train"}};
  w.model_version = Version("m", tree);
  w.model_version->source_run = "runs/" + w.run.run_id;
  const int64_t audits = AuditCount();
  ASSERT_OK_AND_ASSIGN(auto version, r->InsertRun(w, RequestKey("run-req"), Audit()));
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(version->version, 1);
  // One record for the run and one carrying the new version's state.
  EXPECT_EQ(AuditCount(), audits + 2);
  ASSERT_OK_AND_ASSIGN(auto run, r->GetRun(w.run.run_id));
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->status, "RUNNING");
  ASSERT_OK_AND_ASSIGN(auto params, r->GetParams(w.run.run_id));
  EXPECT_EQ(params, w.params);
  ASSERT_OK_AND_ASSIGN(auto latest, r->LatestMetrics(w.run.run_id));
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].step, 2);
  EXPECT_TRUE(std::isnan(latest[0].value));  // NaN kept

  // The same request id, or a model version that cannot be made: nothing.
  RunWrite again = w;
  again.run.run_id = std::string(32, 'b');
  again.run.uid = "other-run-uid";
  again.model_version.reset();
  EXPECT_THAT(r->InsertRun(again, RequestKey("run-req"), Audit()), StatusIs(absl::StatusCode::kAlreadyExists));
  again.model_version = Version("absent-model", tree);
  EXPECT_THAT(r->InsertRun(again, RequestKey(), Audit()), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto none, r->GetRun(again.run.run_id));
  EXPECT_FALSE(none.has_value());
  EXPECT_EQ(AuditCount(), audits + 2);
}

TEST_P(StoreConformance, RunsListNewestFirstAndUpdateWithRevisions) {
  REQUIRE_CAPABILITY(runs);
  RunStore* r = stores_.runs;
  for (int i = 0; i < 3; ++i) {
    RunWrite w;
    w.run = Run(std::string(31, 'a') + std::to_string(i), 100 + i);
    ASSERT_OK(r->InsertRun(w, RequestKey(), Audit()).status());
  }
  ASSERT_OK_AND_ASSIGN(auto page1, r->ListRuns(ParsedFilter{}, RunCursor{}, 2, ProjectScope::All()));
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].create_time, 102);
  ASSERT_OK_AND_ASSIGN(auto page2, r->ListRuns(ParsedFilter{}, RunCursor{page1[1].create_time, page1[1].run_id}, 2,
                                               ProjectScope::All()));
  ASSERT_EQ(page2.size(), 1u);
  EXPECT_EQ(page2[0].create_time, 100);

  RunRow done = page1[0];
  done.status = "FINISHED";
  done.end_time = 200;
  ASSERT_OK_AND_ASSIGN(auto updated, r->UpdateRun(done, 1, 200, Audit()));
  EXPECT_EQ(updated.status, "FINISHED");
  EXPECT_EQ(updated.revision, 2);
  EXPECT_THAT(r->UpdateRun(done, 1, 200, Audit()), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(r->UpdateRun(Run(std::string(32, 'e'), 1), 0, 200, Audit()), StatusIs(absl::StatusCode::kNotFound));
  // A finished run's contents are closed.
  absl::Status closed = r->LogParams(done.run_id, {{"k", "v"}}, Audit());
  EXPECT_THAT(closed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReasonOf(closed), "RUN_NOT_RUNNING");
}

TEST_P(StoreConformance, RunParamsAreWriteOnceMetricsKeepHistory) {
  REQUIRE_CAPABILITY(runs);
  RunStore* r = stores_.runs;
  RunWrite w;
  w.run = Run(std::string(32, 'c'), 100);
  ASSERT_OK(r->InsertRun(w, RequestKey(), Audit()).status());
  const std::string id = w.run.run_id;
  ASSERT_OK(r->LogParams(id, {{"lr", "0.1"}, {"bs", "8"}}, Audit()));
  ASSERT_OK(r->LogParams(id, {{"lr", "0.1"}}, Audit()));  // same value: no-op
  absl::Status changed = r->LogParams(id, {{"lr", "0.2"}}, Audit());
  EXPECT_THAT(changed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReasonOf(changed), "PARAM_CHANGED");
  EXPECT_THAT(r->LogParams(std::string(32, 'e'), {{"a", "b"}}, Audit()), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto params, r->GetParams(id));
  EXPECT_EQ(params.size(), 2u);

  std::vector<MetricRow> points;
  for (int i = 0; i < 5; ++i) points.push_back({"acc", 0.1 * i, i, 1000 + i});
  ASSERT_OK(r->LogMetrics(id, points, Audit()));
  ASSERT_OK(r->LogMetrics(id, {{"acc", 0.9, 1, 2000}}, Audit()));  // same step again: kept
  ASSERT_OK_AND_ASSIGN(auto first, r->MetricHistory(id, "acc", MetricCursor{-1, -1, -1}, 3));
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].step, 0);
  ASSERT_OK_AND_ASSIGN(auto rest,
                       r->MetricHistory(id, "acc", MetricCursor{first[2].step, first[2].timestamp, first[2].seq}, 10));
  EXPECT_EQ(first.size() + rest.size(), 6u);
  ASSERT_OK_AND_ASSIGN(auto latest, r->LatestMetrics(id));
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].step, 4);
}

TEST_P(StoreConformance, LineageEdgesAndTraversal) {
  REQUIRE_CAPABILITY(runs);
  RunStore* r = stores_.runs;
  RunWrite w;
  w.run = Run(std::string(32, 'd'), 100);
  ASSERT_OK(r->InsertRun(w, RequestKey(), Audit()).status());
  const std::string run = "runs/" + w.run.run_id;
  // data -> run -> model, as edges subject --predicate--> object.
  ASSERT_OK(r->AddEdges(
      w.run.run_id, {{run, "used", "trees/data/1", "train"}, {"models/m/versions/1", "wasGeneratedBy", run, "model"}},
      Audit()));
  ASSERT_OK(r->AddEdges(w.run.run_id, {{run, "used", "trees/data/1", "train"}}, Audit()));  // duplicate ignored
  ASSERT_OK_AND_ASSIGN(auto touching, r->EdgesOf(run));
  EXPECT_EQ(touching.size(), 2u);
  bool truncated = true;
  ASSERT_OK_AND_ASSIGN(auto up, r->Lineage("models/m/versions/1", /*upstream=*/true, 10, 100, &truncated));
  EXPECT_FALSE(truncated);
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up.back().object, "trees/data/1");
  EXPECT_EQ(up.back().depth, 2);
  ASSERT_OK_AND_ASSIGN(auto down, r->Lineage("trees/data/1", /*upstream=*/false, 1, 100, &truncated));
  EXPECT_EQ(down.size(), 1u);  // depth-capped
  ASSERT_OK_AND_ASSIGN(auto capped, r->Lineage("models/m/versions/1", true, 10, 1, &truncated));
  EXPECT_TRUE(truncated);
  EXPECT_THAT(r->AddEdges(std::string(32, 'e'), {{"a", "used", "b", ""}}, Audit()),
              StatusIs(absl::StatusCode::kNotFound));
}

// ---------------------------------------------------------------- investigations

TEST_P(StoreConformance, InvestigationRevisionsAppendWithEntities) {
  REQUIRE_CAPABILITY(investigations);
  InvestigationStore* s = stores_.investigations;
  std::vector<EntityRow> entities = {{1, "study", "S1", R"({"values":{}})", "study.tsv:2"},
                                     {2, "study", "S2", R"({"values":{}})", "study.tsv:3"},
                                     {3, "biological_material", "Col-0", R"({"values":{}})", "bm.tsv:2"}};
  const int64_t audits = AuditCount();
  ASSERT_OK_AND_ASSIGN(
      auto r1, s->InsertRevision(Revision("inv"), "inv-uid", "wheat", 0, entities, RequestKey("imp-1"), Audit()));
  EXPECT_EQ(r1.revision, 1);
  ASSERT_OK_AND_ASSIGN(auto r2,
                       s->InsertRevision(Revision("inv"), "ignored", "wheat", 1, entities, RequestKey(), Audit()));
  EXPECT_EQ(r2.revision, 2);
  absl::Status stale = s->InsertRevision(Revision("inv"), "x", "wheat", 1, entities, RequestKey(), Audit()).status();
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(ReasonOf(stale), "ETAG_MISMATCH");
  EXPECT_THAT(s->InsertRevision(Revision("other"), "x", "wheat", 0, entities, RequestKey("imp-1"), Audit()),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // A revision of an investigation must name its project.
  absl::Status moved = s->InsertRevision(Revision("inv"), "x", "default", 0, entities, RequestKey(), Audit()).status();
  EXPECT_THAT(moved, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReasonOf(moved), "PROJECT_MISMATCH");
  EXPECT_EQ(AuditCount(), audits + 2);

  ASSERT_OK_AND_ASSIGN(auto inv, s->GetInvestigation("inv"));
  ASSERT_TRUE(inv.has_value());
  EXPECT_EQ(inv->latest_revision, 2);
  EXPECT_EQ(inv->uid, "inv-uid");
  EXPECT_EQ(inv->project, "wheat");
  ASSERT_OK_AND_ASSIGN(auto in_wheat, s->ListInvestigations("", 10, ProjectScope::Only({"maize", "wheat"})));
  EXPECT_EQ(in_wheat.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto in_maize, s->ListInvestigations("", 10, ProjectScope::Only({"maize"})));
  EXPECT_TRUE(in_maize.empty());
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> project, store_->ResourceProject("investigations", "inv"));
  EXPECT_EQ(project, "wheat");
  ASSERT_OK_AND_ASSIGN(project, store_->ResourceProject("investigations", "nope"));
  EXPECT_FALSE(project.has_value());
  EXPECT_THAT(store_->ResourceProject("blobs", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto other, s->GetInvestigation("other"));
  EXPECT_FALSE(other.has_value());
  ASSERT_OK_AND_ASSIGN(auto list, s->ListInvestigations("", 10, ProjectScope::All()));
  EXPECT_EQ(list.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto after, s->ListInvestigations("inv", 10, ProjectScope::All()));
  EXPECT_TRUE(after.empty());
  ASSERT_OK_AND_ASSIGN(auto rev, s->GetRevision("inv", 1));
  ASSERT_TRUE(rev.has_value());
  EXPECT_EQ(rev->digest, std::string(64, 'd'));
  ASSERT_OK_AND_ASSIGN(auto no_rev, s->GetRevision("inv", 3));
  EXPECT_FALSE(no_rev.has_value());

  ASSERT_OK_AND_ASSIGN(auto e, s->GetEntity("inv", 2, "study", "S2"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->location, "study.tsv:3");
  ASSERT_OK_AND_ASSIGN(auto no_e, s->GetEntity("inv", 2, "study", "S9"));
  EXPECT_FALSE(no_e.has_value());
  ASSERT_OK_AND_ASSIGN(auto studies, s->ListEntities("inv", 1, "study", 0, 1));
  ASSERT_EQ(studies.size(), 1u);
  EXPECT_EQ(studies[0].entity_id, "S1");
  ASSERT_OK_AND_ASSIGN(auto next, s->ListEntities("inv", 1, "study", studies[0].seq, 10));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].entity_id, "S2");
}

INSTANTIATE_TEST_SUITE_P(
    Backends, StoreConformance,
    ::testing::Values(Backend{
        "sqlite", Capabilities{},
        [](const std::filesystem::path& dir) -> absl::StatusOr<Stores> {
          auto b = SqliteBackend::Open({.path = (dir / "t.db").string()});
          if (!b.ok()) return b.status();
          std::shared_ptr<SqliteBackend> owner = *std::move(b);
          return Stores{owner, owner->content(), owner->models(), owner->runs(), owner->investigations()};
        }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace fairtrace
