// Issue 14 (Trust) targets, on this machine:
//   * an inclusion proof in a log of 1,000,000 records < 1 ms server-side
//     (Store::AuditInclusionProof, in process, p50/p99 of 2,000 random leaves)
//   * a checkpoint signature < 1 ms (AuditLog::Checkpoint, p50)
//   * `fairtrace audit verify` (the C++ CLI) of 1,000,000 records < 5 s
//   * authorization adds < 20 µs per call: GetModelVersion p50 over gRPC
//     without grants (nothing enforced) and with grants and a token, and
//     AccessControl::Authenticate + Authorize in process, and the project
//     lookup the guard makes per resource a call names
// The log is written straight into SQLite (a valid chain, as 1,000,000
// audited calls would leave it); opening it builds the Merkle tree, which
// is timed too (the one-off cost of migration 0016 on an old log).
// Run: build/bench/trust_bench [records]   (default 1,000,000)
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "bench/bench_util.h"
#include "clients/cpp/fairtrace/cas_client.h"
#include "clients/cpp/fairtrace/model_client.h"
#include "common/audit/audit_record.h"
#include "common/content/tree.h"
#include "fairtrace/v1/access.grpc.pb.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "registry/trust/access_control.h"
#include "registry/trust/audit_log.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;
using fairtrace::bench::Millis;
using fairtrace::bench::Percentiles;
using fairtrace::bench::Time;

bool WriteLog(const std::string& path, int64_t n) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO audit_log (sequence, time_micros, principal, method, resource, request_sha256, "
                     "result, previous_hash, hash, version, state_digest) VALUES (?,?,?,?,?,?,?,?,?,2,'')",
                     -1, &q, nullptr);
  std::string previous(fairtrace::kAuditGenesisHash);
  for (int64_t i = 1; i <= n; ++i) {
    fairtrace::AuditRecord r;
    r.version = 2;
    r.sequence = i;
    r.time_micros = 1'760'000'000'000'000 + i;
    r.entry = {"user:trainer", "/fairtrace.v1.RunService/LogMetrics", "runs/" + std::to_string(i % 5000),
               std::string(64, 'a'), "OK"};
    r.previous_hash = previous;
    r.hash = fairtrace::AuditRecordHash(r);
    previous = r.hash;
    sqlite3_bind_int64(q, 1, r.sequence);
    sqlite3_bind_int64(q, 2, r.time_micros);
    const std::string* t[] = {
        &r.entry.principal, &r.entry.method, &r.entry.resource, &r.entry.request_sha256, &r.entry.result,
        &r.previous_hash,   &r.hash};
    for (int k = 0; k < 7; ++k) sqlite3_bind_text(q, 3 + k, t[k]->data(), t[k]->size(), SQLITE_TRANSIENT);
    if (sqlite3_step(q) != SQLITE_DONE) return false;
    sqlite3_reset(q);
  }
  sqlite3_finalize(q);
  bool ok = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  const int64_t records = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  fairtrace::testing::TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  std::filesystem::create_directories(data);
  const std::string db_path = (data / "fairtrace.db").string();
  {
    auto fresh = fairtrace::SqliteBackend::Open({.path = db_path});  // the schema
    if (!fresh.ok()) return 1;
  }
  auto t0 = Clock::now();
  if (!WriteLog(db_path, records)) return 1;
  std::printf("wrote %lld audit records straight into SQLite: %.0f ms\n", static_cast<long long>(records), Millis(t0));
  {
    sqlite3* db = nullptr;
    sqlite3_open(db_path.c_str(), &db);
    sqlite3_exec(db, "DELETE FROM audit_merkle", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  t0 = Clock::now();
  auto backend = fairtrace::SqliteBackend::Open({.path = db_path});
  if (!backend.ok()) return 1;
  std::printf("Merkle tree built on open (once, for a log older than it): %.0f ms\n", Millis(t0));
  fairtrace::Store* store = (*backend)->content();
  const int64_t size = store->GetAuditTreeHead().size;

  std::mt19937_64 rng(42);
  Percentiles proof = Time(2000, [&](int) {
    int64_t leaf = static_cast<int64_t>(rng() % static_cast<uint64_t>(size));
    if (!store->AuditInclusionProof(leaf, size).ok()) std::abort();
  });
  std::printf("inclusion proof in %lld records: p50 %.1f µs  p99 %.1f µs  (target < 1 ms)\n",
              static_cast<long long>(size), proof.p50, proof.p99);
  Percentiles consistency = Time(2000, [&](int) {
    int64_t old = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(size - 1));
    if (!store->AuditConsistencyProof(old, size).ok()) std::abort();
  });
  std::printf("consistency proof to %lld records: p50 %.1f µs  p99 %.1f µs\n", static_cast<long long>(size),
              consistency.p50, consistency.p99);
  auto signer = fairtrace::NoteSigner::Generate("bench.example/log");
  fairtrace::AuditLog log(store, {*signer});
  Percentiles sign = Time(2000, [&](int) {
    if (!log.Checkpoint(0).ok()) std::abort();
  });
  std::printf(
      "checkpoint (tree head, Ed25519 signature, cosignature lookup): p50 %.1f µs  p99 %.1f µs  "
      "(target < 1 ms)\n",
      sign.p50, sign.p99);

  // Authorization in process: 1,000 tokens, 50 grants.
  auto access = fairtrace::AccessControl::Create((*backend)->access(), store, [] { return int64_t{1}; });
  fairtrace::CallContext ctx{"local:bench", "bench", std::string(64, 'b')};
  std::string secret;
  for (int i = 0; i < 1000; ++i) {
    auto t = (*access)->CreateToken(ctx, "user:" + std::to_string(i), 0, "");
    if (i == 250) secret = t->secret;  // user:250 holds a grant below
  }
  for (int i = 0; i < 50; ++i) (void)(*access)->AddGrant(ctx, "user:" + std::to_string(i * 10), "viewer", "");
  auto admin = (*access)->CreateToken(ctx, "user:admin", 0, "");
  (void)(*access)->AddGrant(ctx, "user:admin", "admin", "");
  const std::string admin_secret = admin->secret;
  // A member of one project: its calls are checked against the project of
  // what they name, and its replies go through the redaction pass.
  auto member = (*access)->CreateToken(ctx, "user:member", 0, "");
  (void)(*access)->AddGrant(ctx, "user:member", "data-scientist", "default");
  const std::string member_secret = member->secret;
  Percentiles authz = Time(20000, [&](int) {
    auto p = (*access)->Authenticate({"", secret});
    if (!p.ok() || !(*access)->Authorize(*p, "/fairtrace.v1.ModelService/GetModelVersion").ok()) std::abort();
  });
  std::printf("Authenticate + Authorize in process (token, 50 grants): p50 %.2f µs  p99 %.2f µs\n", authz.p50,
              authz.p99);
  // What the guard adds per resource a call names: its project's lookup.
  Percentiles lookup = Time(20000, [&](int) {
    if (!store->ResourceProject("models", "leaf-segmenter").ok()) std::abort();
  });
  std::printf("a resource's project looked up (Store::ResourceProject): p50 %.2f µs  p99 %.2f µs\n", lookup.p50,
              lookup.p99);
  backend->reset();

  // The real server on this log.
  fairtrace::testing::ServerProcess server(dir.path(), {"--quiet"});
  if (!server.Start()) {
    std::fprintf(stderr, "server: %s\n", server.error().c_str());
    return 1;
  }
  t0 = Clock::now();
  auto verify = fairtrace::testing::RunCommand(
      {"/usr/bin/time", "-f", "%U s user, %S s sys, %M KiB peak", fairtrace::testing::ServerProcess::CliBinary(),
       "--server", server.target(), "--token", admin_secret, "audit", "verify", "--no-state", "--json"});
  std::printf(
      "fairtrace audit verify of %lld records (chain, Merkle root, checkpoint): %.0f ms, exit %d  "
      "(target < 5 s); the CLI itself: %s",
      static_cast<long long>(size), Millis(t0), verify.exit_code,
      verify.err.substr(verify.err.rfind('\n', verify.err.size() - 2) + 1).c_str());
  if (verify.exit_code != 0) std::fprintf(stderr, "%s\n", verify.err.c_str());

  // GetModelVersion p50: grants exist here (authorization enforced) with the
  // admin's token; then the same on a fresh server with none.
  auto get_p50 = [&](const std::string& target, const std::string& token) {
    fairtrace::client::ClientOptions o;
    o.target = target;
    o.token = token;
    fairtrace::client::CasClient cas(o);
    fairtrace::client::ModelClient models(o);
    std::string mlmodel = "flavors:\n  sklearn:\n    pickled_model: model.pkl\n";
    std::string manifest = *fairtrace::EncodeTree(
        {{"MLmodel", fairtrace::DigestOf(mlmodel), false}, {"model.pkl", fairtrace::DigestOf("pickle"), false}});
    std::vector<std::pair<fairtrace::Digest, std::string>> blobs = {{fairtrace::DigestOf(mlmodel), mlmodel},
                                                                    {fairtrace::DigestOf("pickle"), "pickle"},
                                                                    {fairtrace::DigestOf(manifest), manifest}};
    fairtrace::v1::CreateRegisteredModelRequest create;
    create.set_model_id("bench");
    fairtrace::v1::CreateModelVersionRequest req;
    req.set_parent("models/bench");
    *req.mutable_model_version()->mutable_tree_digest() = fairtrace::DigestToProto(fairtrace::DigestOf(manifest));
    for (absl::Status s : {cas.UploadBatch(blobs), cas.CreateTree(fairtrace::DigestOf(manifest)).status(),
                           models.CreateModel(create).status(), models.CreateVersion(req).status()}) {
      if (!s.ok()) {
        std::fprintf(stderr, "cannot set up GetModelVersion: %s\n", s.ToString().c_str());
        std::exit(1);
      }
    }
    for (int i = 0; i < 500; ++i) (void)models.GetVersion("models/bench/versions/1");  // warm up
    return Time(5000, [&](int) {
      if (!models.GetVersion("models/bench/versions/1").ok()) std::abort();
    });
  };
  // The admin's grant is the 51st the server scans.
  Percentiles with = get_p50(server.target(), admin_secret);
  Percentiles as_member = [&] {
    fairtrace::client::ClientOptions o;
    o.target = server.target();
    o.token = member_secret;
    fairtrace::client::ModelClient models(o);
    for (int i = 0; i < 500; ++i) (void)models.GetVersion("models/bench/versions/1");
    return Time(5000, [&](int) {
      if (!models.GetVersion("models/bench/versions/1").ok()) std::abort();
    });
  }();
  fairtrace::testing::TempDir open_dir;
  fairtrace::testing::ServerProcess open_server(open_dir.path(), {"--quiet"});
  if (!open_server.Start()) return 1;
  Percentiles without = get_p50(open_server.target(), "");
  std::printf(
      "GetModelVersion over gRPC: p50 %.1f µs with grants + an admin token (every project), %.1f µs with no "
      "grants; difference %.1f µs  (target < 20 µs)\n",
      with.p50, without.p50, with.p50 - without.p50);
  std::printf(
      "GetModelVersion over gRPC as a member of one project (project lookup + reply redaction): p50 %.1f µs; "
      "difference with no grants %.1f µs\n",
      as_member.p50, as_member.p50 - without.p50);
  return 0;
}
