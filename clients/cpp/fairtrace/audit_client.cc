#include "clients/cpp/fairtrace/audit_client.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "clients/cpp/fairtrace/state_reads.h"
#include "common/audit/audit_proto.h"
#include "common/audit/state_digest.h"
#include "common/content/sha256.h"
#include "common/fs/fs_util.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace fairtrace::client {
namespace {

using nlohmann::json;

constexpr int kPage = 10'000;
constexpr absl::string_view kBundleFormat = "fairtrace-audit-proof/1";

absl::Status Broken(absl::string_view reason, std::string message) {
  return ErrorBuilder(absl::StatusCode::kDataLoss, std::move(message)).Reason(reason);
}

std::vector<MerkleHash> HashesOf(const google::protobuf::RepeatedPtrField<std::string>& in, bool* ok) {
  std::vector<MerkleHash> out;
  *ok = true;
  for (const std::string& b : in) {
    MerkleHash h;
    if (b.size() != h.size()) {
      *ok = false;
      return {};
    }
    std::copy(b.begin(), b.end(), h.begin());
    out.push_back(h);
  }
  return out;
}

std::filesystem::path StateFile(const std::filesystem::path& dir, const std::string& origin) {
  std::string clean;
  for (char c : origin) clean.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ? c : '_');
  return dir / "checkpoints" / absl::StrCat(clean.substr(0, 100), "-", Sha256Hex(origin).substr(0, 8), ".note");
}

std::optional<std::string> ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status SaveState(const std::filesystem::path& dir, const Checkpoint& cp, const std::string& note) {
  std::filesystem::path file = StateFile(dir, cp.origin);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot create ", file.parent_path().string(), ": ", ec.message()));
  std::filesystem::path tmp = file.string() + "." + fs::RandomName();
  {
    std::ofstream out(tmp, std::ios::binary);
    out << note;
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp.string()));
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot write ", file.string(), ": ", ec.message()));
  return absl::OkStatus();
}

// Fetches ListAuditRecords pages on its own thread, at most two ahead, until
// `records` records or the end of the log. Next() returns pages in order,
// nullopt at the end, or the first error.
class PagePrefetcher {
 public:
  PagePrefetcher(v1::AuditService::Stub* stub, const ClientOptions& options, int64_t records)
      : thread_([this, stub, options, records] { Run(stub, options, records); }) {}
  ~PagePrefetcher() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }

  absl::StatusOr<std::optional<v1::ListAuditRecordsResponse>> Next() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](PagePrefetcher* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) { return !p->pages_.empty() || p->done_; }, this));
    if (!pages_.empty()) {
      v1::ListAuditRecordsResponse page = std::move(pages_.front());
      pages_.pop_front();
      return std::optional<v1::ListAuditRecordsResponse>(std::move(page));
    }
    if (!status_.ok()) return status_;
    return std::optional<v1::ListAuditRecordsResponse>();
  }

 private:
  void Run(v1::AuditService::Stub* stub, ClientOptions options, int64_t records) {
    v1::ListAuditRecordsRequest req;
    req.set_page_size(kPage);
    int64_t fetched = 0;
    absl::Status status;
    while (fetched < records) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](PagePrefetcher* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) { return p->pages_.size() < 2 || p->stop_; },
            this));
        if (stop_) break;
      }
      v1::ListAuditRecordsResponse resp;
      auto ctx = NewCallContext(options, options.rpc_timeout);
      status = FromGrpcStatus(stub->ListAuditRecords(ctx.get(), req, &resp));
      if (!status.ok()) break;
      fetched += resp.records_size();
      std::string next = resp.next_page_token();
      {
        absl::MutexLock lock(&mu_);
        pages_.push_back(std::move(resp));
      }
      if (next.empty()) break;
      req.set_page_token(next);
    }
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  }

  absl::Mutex mu_;
  std::deque<v1::ListAuditRecordsResponse> pages_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the fields it uses
};

}  // namespace

std::filesystem::path DefaultAuditStateDir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x != nullptr && x[0] == '/') {
    return std::filesystem::path(x) / "fairtrace";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    return std::filesystem::path(home) / ".local" / "state" / "fairtrace";
  }
  return {};
}

AuditClient::AuditClient(ClientOptions options) : options_(std::move(options)) {
  channel_ = NewChannel(options_);
  audit_ = v1::AuditService::NewStub(channel_);
}

absl::StatusOr<v1::SignedCheckpoint> AuditClient::GetCheckpoint(int64_t tree_size) {
  v1::GetCheckpointRequest req;
  req.set_tree_size(tree_size);
  v1::SignedCheckpoint resp;
  auto ctx = NewCallContext(options_, options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(audit_->GetCheckpoint(ctx.get(), req, &resp)));
  return resp;
}

absl::StatusOr<v1::SignedCheckpoint> AuditClient::AddCosignatures(const std::string& note) {
  v1::AddCheckpointCosignaturesRequest req;
  req.set_note(note);
  v1::SignedCheckpoint resp;
  auto ctx = NewCallContext(options_, options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(audit_->AddCheckpointCosignatures(ctx.get(), req, &resp)));
  return resp;
}

absl::StatusOr<Checkpoint> AuditClient::OpenWith(const AuditVerifyOptions& options, const std::string& note,
                                                 std::optional<absl::string_view> origin) const {
  if (options.key) return OpenCheckpoint(note, *options.key, origin);
  FT_ASSIGN_OR_RETURN(SignedNote parsed, ParseSignedNote(note));
  FT_ASSIGN_OR_RETURN(Checkpoint c, ParseCheckpointBody(parsed.body));
  if (origin && c.origin != *origin) {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("the checkpoint is of log '", c.origin, "', not of '", *origin, "'"))
        .Reason("CHECKPOINT_ORIGIN_MISMATCH")
        .Build();
  }
  return c;
}

absl::Status AuditClient::CheckConsistent(const Checkpoint& old_cp, const Checkpoint& now) {
  if (old_cp.size > now.size) {
    return Broken("CHECKPOINT_ROLLBACK",
                  absl::StrCat("the log has ", now.size, " records but a checkpoint you hold has ", old_cp.size,
                               ": records were removed or the server shows an older log"));
  }
  v1::GetConsistencyProofRequest req;
  req.set_old_size(old_cp.size);
  req.set_new_size(now.size);
  v1::ConsistencyProof resp;
  auto ctx = NewCallContext(options_, options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(audit_->GetConsistencyProof(ctx.get(), req, &resp)));
  bool ok = false;
  std::vector<MerkleHash> proof = HashesOf(resp.hashes(), &ok);
  if (!ok || !VerifyMerkleConsistency(old_cp.size, now.size, old_cp.root, now.root, proof)) {
    return Broken("CHECKPOINT_INCONSISTENT",
                  absl::StrCat("the log of ", now.size, " records does not extend your checkpoint of ", old_cp.size,
                               " records: its history was rewritten"));
  }
  return absl::OkStatus();
}

namespace {

// A resource state the server sent: its digest, computed here ("" for a
// document that is not canonical JSON naming it), and with `reads` what
// differs from its ordinary read.
struct DrainedState {
  std::string name;
  std::string digest;
  std::vector<std::string> read_differences;
};

// Compares each document of `docs` with its ordinary read, `kReadThreads`
// at a time (each read is a few sequential round trips, so they overlap
// well); each thread has its own StateReads from `make_reads`.
constexpr int kReadThreads = 4;
std::vector<ReadCheck> CheckReads(const std::vector<nlohmann::json>& docs,
                                  const std::function<std::unique_ptr<StateReads>()>& make_reads) {
  std::vector<ReadCheck> out(docs.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < kReadThreads && static_cast<size_t>(t) < docs.size(); ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<StateReads> reads = make_reads();
      for (size_t i = t; i < docs.size(); i += kReadThreads) out[i] = reads->Check(docs[i]);
    });
  }
  for (std::thread& th : threads) th.join();
  return out;
}

// Reads every resource state the server sends (before the checkpoint is
// fetched, so that a change an ordinary read sees has its record in the
// log verified next) and, with `make_reads`, compares each with its read.
absl::StatusOr<std::vector<DrainedState>> DrainStates(grpc::ClientReader<v1::ResourceState>& states,
                                                      const std::function<std::unique_ptr<StateReads>()>& make_reads,
                                                      AuditVerifyResult* result) {
  std::vector<DrainedState> out;
  std::vector<nlohmann::json> docs;  // the documents to compare with their reads
  std::vector<size_t> doc_of;        // the index in `out` of each
  v1::ResourceState m;
  while (states.Read(&m)) {
    DrainedState d{m.name(), "", {}};
    nlohmann::json doc = nlohmann::json::parse(m.document(), nullptr, /*allow_exceptions=*/false);
    absl::StatusOr<std::string> canonical =
        doc.is_discarded() ? absl::InvalidArgumentError("not JSON") : CanonicalStateJson(doc);
    if (canonical.ok() && *canonical == m.document() && doc.is_object() && doc.value("name", "") == m.name()) {
      d.digest = absl::StrCat(kStateDigestPrefix, Sha256Hex(m.document()));
      if (make_reads) {
        doc_of.push_back(out.size());
        docs.push_back(std::move(doc));
      }
    }
    out.push_back(std::move(d));
  }
  FT_RETURN_IF_ERROR(FromGrpcStatus(states.Finish()));
  if (!make_reads) return out;
  std::vector<ReadCheck> checks = CheckReads(docs, make_reads);
  for (size_t i = 0; i < checks.size(); ++i) {
    ReadCheck& check = checks[i];
    const std::string kind = docs[i].value("kind", "");
    if (!check.read) {
      ++result->not_read[absl::StrCat(kind, ": ", check.not_read)];
      continue;
    }
    ++result->reads_compared;
    result->read_fields += check.fields;
    for (std::string& diff : check.differences) {
      out[doc_of[i]].read_differences.push_back(absl::StrCat(check.rpc, ": ", diff));
    }
    for (const std::string& why : check.not_compared) ++result->not_compared[absl::StrCat(kind, ": ", why)];
  }
  return out;
}

// Compares each drained state's digest with the latest record `comparison`
// was fed; a read difference counts unless a record after the snapshot
// (in `changed_after`) changed that resource.
void CompareStates(std::vector<DrainedState>& drained, StateComparison& comparison,
                   const absl::flat_hash_set<std::string>& changed_after, AuditVerifyResult* result) {
  for (DrainedState& d : drained) {
    ++result->resources_checked;
    if (d.digest.empty()) {
      result->state_findings.push_back(
          comparison.Unusable("STATE_DOCUMENT_INVALID", d.name, "its state document is not canonical JSON naming it"));
      continue;
    }
    if (std::optional<StateFinding> f = comparison.CheckStored(d.name, d.digest)) {
      result->state_findings.push_back(*std::move(f));
    }
    if (d.read_differences.empty()) continue;
    if (changed_after.contains(d.name)) {
      ++result->reads_changed;
      continue;
    }
    result->state_findings.push_back(
        {"STATE_READ_MISMATCH", d.name,
         absl::StrCat("the ordinary read differs from the state document the log's digest covers: ",
                      absl::StrJoin(d.read_differences, "; "))});
  }
  for (StateFinding& f : comparison.Vanished()) result->state_findings.push_back(std::move(f));
  std::sort(result->state_findings.begin(), result->state_findings.end(),
            [](const StateFinding& a, const StateFinding& b) { return a.resource < b.resource; });
}

}  // namespace

absl::StatusOr<AuditVerifyResult> AuditClient::Verify(const AuditVerifyOptions& options) {
  AuditVerifyResult result;
  // With `deep`, the snapshot of resource states is opened first, so that
  // the checkpoint fetched next covers every record the snapshot includes.
  std::unique_ptr<grpc::ClientContext> states_ctx;
  std::unique_ptr<grpc::ClientReader<v1::ResourceState>> states;
  if (options.deep) {
    states_ctx = NewCallContext(options_, std::max(options_.rpc_timeout, absl::Minutes(10)));
    states = audit_->ListResourceStates(states_ctx.get(), v1::ListResourceStatesRequest());
    v1::ResourceState first;
    if (!states->Read(&first)) {
      absl::Status s = FromGrpcStatus(states->Finish());
      return s.ok() ? absl::InternalError("the server sent no resource states") : s;
    }
    result.states_as_of = first.as_of_sequence();
  }
  std::vector<DrainedState> drained;
  if (options.deep) {
    std::function<std::unique_ptr<StateReads>()> make_reads;
    if (options.reads) make_reads = [this] { return std::make_unique<StateReads>(channel_, options_); };
    FT_ASSIGN_OR_RETURN(drained, DrainStates(*states, make_reads, &result));
  }
  // The latest state digest of each resource among the records the
  // snapshot includes.
  StateComparison comparison;
  absl::flat_hash_set<std::string> changed_after;  // named by records after the snapshot
  FT_ASSIGN_OR_RETURN(v1::SignedCheckpoint latest, GetCheckpoint(0));
  FT_ASSIGN_OR_RETURN(result.checkpoint, OpenWith(options, latest.note(), std::nullopt));
  result.checkpoint_note = latest.note();
  result.signature_checked = options.key.has_value();
  const Checkpoint& now = result.checkpoint;

  std::vector<Checkpoint> older;
  for (const std::string& text : options.old_checkpoints) {
    FT_ASSIGN_OR_RETURN(Checkpoint c, OpenWith(options, text, now.origin));
    older.push_back(c);
  }
  if (!options.state_dir.empty()) {
    if (std::optional<std::string> kept = ReadText(StateFile(options.state_dir, now.origin))) {
      absl::StatusOr<Checkpoint> c = OpenWith(options, *kept, now.origin);
      if (!c.ok()) {
        return WithMessage(c.status(), absl::StrCat("the checkpoint kept in ", options.state_dir.string(),
                                                    " does not open: ", c.status().message()));
      }
      older.push_back(*c);
    }
  }
  for (const Checkpoint& c : older) FT_RETURN_IF_ERROR(CheckConsistent(c, now));

  // Every record up to the checkpoint's size, re-hashed here.
  AuditChainVerifier chain;
  MerkleFrontier tree;
  auto check_older_roots = [&] {
    for (const Checkpoint& c : older) {
      if (c.size == tree.size() && c.root != tree.Root()) {
        return Broken("AUDIT_ROOT_MISMATCH",
                      absl::StrCat("the first ", c.size, " records do not hash to your checkpoint's root"));
      }
    }
    return absl::OkStatus();
  };
  FT_RETURN_IF_ERROR(check_older_roots());
  // Pages are fetched by a second thread while this one hashes: the
  // server reads and sends page n + 1 while page n is checked here.
  PagePrefetcher pages(audit_.get(), options_, now.size);
  while (tree.size() < now.size) {
    FT_ASSIGN_OR_RETURN(std::optional<v1::ListAuditRecordsResponse> page, pages.Next());
    if (!page) break;
    for (const auto& p : page->records()) {
      if (tree.size() == now.size) break;
      absl::StatusOr<AuditRecord> r = AuditRecordFromProto(p);
      if (!r.ok()) {
        return ErrorBuilder(absl::StatusCode::kDataLoss,
                            absl::StrCat("audit record ", p.sequence(), " is unreadable: ", r.status().message()))
            .Reason("AUDIT_RECORD_UNREADABLE")
            .Meta("sequence", absl::StrCat(p.sequence()))
            .Build();
      }
      const std::string canonical = AuditCanonicalBytes(*r);
      if (auto problem = chain.Next(*r, canonical)) {
        return ErrorBuilder(absl::StatusCode::kDataLoss, absl::StrCat("audit chain broken: ", *problem))
            .Reason("AUDIT_CHAIN_BROKEN")
            .Meta("sequence", absl::StrCat(r->sequence))
            .Build();
      }
      tree.Append(MerkleLeafHash(canonical));
      FT_RETURN_IF_ERROR(check_older_roots());
      if (options.deep && !r->state_digest.empty()) {
        std::optional<std::string> raw = text::UnescapeText(r->entry.resource);
        std::string resource = raw ? *std::move(raw) : r->entry.resource;
        if (r->sequence <= result.states_as_of) {
          comparison.AddRecord(r->sequence, resource, r->state_digest);
        } else {
          changed_after.insert(std::move(resource));
        }
      }
    }
  }
  if (tree.size() != now.size) {
    return Broken("AUDIT_CHAIN_BROKEN",
                  absl::StrCat("the checkpoint covers ", now.size, " records but the log lists ", tree.size()));
  }
  if (tree.Root() != now.root) {
    return Broken("AUDIT_ROOT_MISMATCH",
                  absl::StrCat("the ", now.size, " records do not hash to the checkpoint's root"));
  }
  result.records = tree.size();
  for (const Checkpoint& c : older) result.older_sizes.push_back(c.size);
  if (options.deep) {
    if (result.states_as_of > now.size) {
      return Broken("AUDIT_CHAIN_BROKEN", absl::StrCat("the server's snapshot includes record ", result.states_as_of,
                                                       " but its latest checkpoint covers ", now.size));
    }
    CompareStates(drained, comparison, changed_after, &result);
  }
  if (!options.state_dir.empty() && options.key) {
    FT_RETURN_IF_ERROR(SaveState(options.state_dir, now, latest.note()));
  }
  return result;
}

absl::StatusOr<std::string> AuditClient::Prove(int64_t sequence, const AuditVerifyOptions& options) {
  v1::GetInclusionProofRequest req;
  req.set_sequence(sequence);
  v1::InclusionProof resp;
  auto ctx = NewCallContext(options_, options_.rpc_timeout);
  FT_RETURN_IF_ERROR(FromGrpcStatus(audit_->GetInclusionProof(ctx.get(), req, &resp)));
  FT_ASSIGN_OR_RETURN(Checkpoint cp, OpenWith(options, resp.checkpoint().note(), std::nullopt));
  std::string record_json;
  if (!google::protobuf::util::MessageToJsonString(resp.record(), &record_json).ok()) {
    return absl::InternalError("cannot write the record as JSON");
  }
  std::vector<std::string> hex;
  bool ok = false;
  for (const MerkleHash& h : HashesOf(resp.hashes(), &ok)) hex.push_back(MerkleHex(h));
  json bundle = {{"format", kBundleFormat},         {"record", json::parse(record_json)},
                 {"leaf_index", resp.leaf_index()}, {"tree_size", resp.tree_size()},
                 {"inclusion_proof", hex},          {"checkpoint", resp.checkpoint().note()}};
  std::string text = bundle.dump(2) + "\n";
  // Checked here exactly as an auditor would check it later.
  if (options.key) {
    FT_RETURN_IF_ERROR(VerifyBundle(text, *options.key).status());
  }
  if (!ok || resp.tree_size() != cp.size) return Broken("AUDIT_PROOF_INVALID", "the server's proof is malformed");
  if (!options.state_dir.empty() && options.key) {
    if (std::optional<std::string> kept = ReadText(StateFile(options.state_dir, cp.origin))) {
      FT_ASSIGN_OR_RETURN(Checkpoint old_cp, OpenWith(options, *kept, cp.origin));
      FT_RETURN_IF_ERROR(CheckConsistent(old_cp, cp));
    }
    FT_RETURN_IF_ERROR(SaveState(options.state_dir, cp, resp.checkpoint().note()));
  }
  return text;
}

absl::StatusOr<ProofBundleSummary> AuditClient::VerifyBundle(const std::string& text, const NoteVerifier& key) {
  auto malformed = [](const std::string& why) {
    return ErrorBuilder(absl::StatusCode::kInvalidArgument, absl::StrCat("not a proof bundle: ", why))
        .Reason("BUNDLE_MALFORMED")
        .Build();
  };
  json b;
  try {
    b = json::parse(text);
  } catch (const json::exception& e) {
    return malformed(e.what());
  }
  try {
    if (!b.is_object() || b.value("format", "") != kBundleFormat)
      return malformed("format is not fairtrace-audit-proof/1");
    FT_ASSIGN_OR_RETURN(Checkpoint cp, OpenCheckpoint(b.at("checkpoint").get<std::string>(), key));
    v1::AuditRecord p;
    if (!google::protobuf::util::JsonStringToMessage(b.at("record").dump(), &p).ok()) return malformed("record");
    absl::StatusOr<AuditRecord> r = AuditRecordFromProto(p);
    if (!r.ok()) return malformed(std::string(r.status().message()));
    int64_t index = b.at("leaf_index").get<int64_t>();
    int64_t size = b.at("tree_size").get<int64_t>();
    std::vector<MerkleHash> proof;
    for (const auto& h : b.at("inclusion_proof")) {
      std::optional<MerkleHash> parsed = MerkleFromHex(h.get<std::string>());
      if (!parsed) return malformed("a proof hash is not 64 hex digits");
      proof.push_back(*parsed);
    }
    if (size != cp.size || index != r->sequence - 1 ||
        !VerifyMerkleInclusion(MerkleLeafHash(AuditCanonicalBytes(*r)), index, size, proof, cp.root)) {
      return Broken(
          "AUDIT_PROOF_INVALID",
          absl::StrCat("record ", r->sequence, " is not proven to be in the signed log of ", cp.size, " records"));
    }
    return ProofBundleSummary{r->sequence, size, cp.origin, r->entry.resource, r->entry.method, r->entry.principal};
  } catch (const json::exception& e) {
    return malformed(e.what());
  }
}

}  // namespace fairtrace::client
