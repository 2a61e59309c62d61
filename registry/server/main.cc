// fairtrace-server: the registry's gRPC server.
//
// Prints "fairtrace-server listening on HOST:PORT" on stdout once it serves
// (with --listen HOST:0 the port is the one the OS picked). SIGTERM/SIGINT
// stop it gracefully: no new calls, in-flight calls finish within
// --shutdown-grace, then the database is closed cleanly.
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "registry/server/log_keys.h"
#include "registry/server/offline_commands.h"
#include "registry/server/registry_server.h"

int main(int argc, char** argv) {
  // Everything the server creates (folders, database, blobs, uploads) is
  // its user's alone: 0700 folders, 0600 files (docs/limits.md).
  ::umask(077);
  // Streams move 1 MiB messages; glibc would mmap and unmap each one, and
  // the page faults of fresh mappings cost more than the copies (measured:
  // 200k faults and 5.6 s of CPU per GiB received). Keep them in the heap.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // Debian's absl is built without NDEBUG, so every absl::Mutex operation
  // (gRPC's included) updated a lock-order graph to detect deadlocks: 11 %
  // of the CLI's CPU in `audit verify`. Lock order is checked statically
  // (thread_safety_clang) and by the unit tests, which keep the detection.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  fairtrace::ServerOptions opt;
  double upload_age_hours = 24, grace_seconds = 30;
  CLI::App app{"fairtrace-server: provenance registry for ML in plant phenotyping"};
  app.add_option("--listen", opt.listen, "ADDR:PORT to listen on; port 0 picks a free one")->capture_default_str();
  app.add_option("--data-dir", opt.data_dir, "folder for the SQLite database and blobs")->capture_default_str();
  app.add_option("--max-message-bytes", opt.max_message_bytes, "largest gRPC message")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1} << 20, int64_t{1} << 30));
  app.add_option("--max-blob-bytes", opt.max_blob_bytes, "largest blob accepted")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--abandoned-upload-hours", upload_age_hours, "partial uploads untouched this long are removed")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--shutdown-grace-seconds", grace_seconds, "how long in-flight calls may run after SIGTERM")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ontology", opt.ontology_files, "OBO file for MIAPPE term checks (repeatable)")
      ->check(CLI::ExistingFile);
  app.add_option("--country-outlines", opt.country_outlines,
                 "DCW-GMT netCDF file for the site-in-country check (\"\" to skip)")
      ->capture_default_str();
  double heavy_seconds = 120;
  app.add_flag("--refuse-leakage", opt.refuse_leakage,
               "refuse to end FINISHED a run whose train/validation/test inputs leak (default: a warning recorded "
               "with the run)");
  app.add_option("--max-heavy-calls", opt.guard.max_heavy_calls,
                 "heavy calls (MIAPPE validation/import, exports, CreateTree, fsck, lineage) run at once; "
                 "others wait up to 30 s, then RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--heavy-call-seconds", heavy_seconds, "server-side deadline of one heavy call")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--mlflow-listen", opt.mlflow_listen,
                 "ADDR:PORT of the MLflow REST door (docs/mlflow-door.md; TLS with the gRPC port's --tls-cert, "
                 "--tls-key and --client-ca; port 0 picks one); off unless given");
  app.add_option("--mlflow-max-artifact-bytes", opt.mlflow_max_artifact_bytes,
                 "the largest artifact one upload through the MLflow door may carry")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{16} << 30));
  double stalled_seconds = 30;
  app.add_option("--stalled-stream-seconds", stalled_seconds,
                 "cancel a stream whose client stops reading (or, uploading, sending) for this long")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--max-partial-upload-bytes", opt.upload_quota.per_principal_bytes,
                 "bytes of unfinished uploads one principal may hold")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-partial-upload-total-bytes", opt.upload_quota.total_bytes,
                 "bytes of unfinished uploads all principals together may hold")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--tls-cert", opt.transport.tls_cert, "PEM certificate chain: serve gRPC over TLS");
  app.add_option("--tls-key", opt.transport.tls_key, "PEM private key of --tls-cert");
  app.add_option("--client-ca", opt.transport.client_ca,
                 "PEM CA bundle: require client certificates it signed (mutual TLS); the principal of a call is "
                 "its certificate's subject");
  app.add_flag("--insecure", opt.transport.insecure,
               "allow plaintext without client authentication on a non-loopback address");
  app.add_option("--log-origin", opt.log_origin,
                 "name of the audit log (its checkpoints' origin and key name), used when the key is created on "
                 "first start; default fairtrace/<host>/<random>");
  bool quiet = false;
  app.add_flag("--quiet", quiet, "no per-request log lines");
  // Offline commands on the data folder (the server must not be running
  // for rotate/finish; show may run any time).
  app.fallthrough();
  auto* log_key = app.add_subcommand("log-key", "the audit log's checkpoint signing key (docs/audit-log.md)");
  log_key->require_subcommand(1);
  auto* key_show = log_key->add_subcommand("show", "print the verifier key(s) to pin in auditors' tools");
  std::string next_name;
  auto* key_rotate = log_key->add_subcommand("rotate", "make a new key that co-signs every checkpoint from now on");
  key_rotate->add_option("--name", next_name, "the new key's name (default: the current name)");
  auto* key_finish =
      log_key->add_subcommand("finish-rotation", "make the new key the log's only key; the old one is retired");
  // Tokens and grants, offline (the first admin is made this way).
  std::string principal, role, project, expires = "0", description, token_name;
  bool as_json = false;
  auto* tokens = app.add_subcommand("tokens", "tokens for scripts and services (offline; docs/security.md)");
  tokens->require_subcommand(1);
  auto* token_create = tokens->add_subcommand("create", "make a token; its secret is printed once");
  token_create->add_option("--principal", principal, "who the token authenticates, e.g. user:ana")->required();
  token_create->add_option("--expires", expires, "lifetime: 90d, 12h, 30m or seconds; 0 never (default)");
  token_create->add_option("--description", description);
  auto* token_list = tokens->add_subcommand("list", "list tokens (never their secrets)");
  token_list->add_option("--principal", principal);
  auto* token_revoke = tokens->add_subcommand("revoke", "revoke a token at once");
  token_revoke->add_option("TOKEN", token_name, "tokens/<id> or <id>")->required();
  auto* grants = app.add_subcommand("grants", "roles of principals per project (offline; docs/security.md)");
  grants->require_subcommand(1);
  auto* grant_add = grants->add_subcommand("add", "give PRINCIPAL the role ROLE");
  auto* grant_revoke = grants->add_subcommand("revoke", "take the role ROLE from PRINCIPAL");
  for (CLI::App* c : {grant_add, grant_revoke}) {
    c->add_option("PRINCIPAL", principal)->required();
    c->add_option("ROLE", role, "admin, data-engineer, data-manager, annotator, data-scientist, auditor, viewer")
        ->required();
    c->add_option("--project", project, "a project; default every project (*)");
  }
  auto* grant_list = grants->add_subcommand("list", "list grants");
  grant_list->add_option("--principal", principal);
  for (CLI::App* c : {token_create, token_list, token_revoke, grant_add, grant_revoke, grant_list}) {
    c->add_flag("--json", as_json, "print JSON");
  }
  CLI11_PARSE(app, argc, argv);
  if (*tokens || *grants) {
    fairtrace::OfflineAccessCommand command{principal, role, project, expires, description, token_name, as_json};
    const char* which = *token_create   ? "tokens create"
                        : *token_list   ? "tokens list"
                        : *token_revoke ? "tokens revoke"
                        : *grant_add    ? "grants add"
                        : *grant_revoke ? "grants revoke"
                                        : "grants list";
    return fairtrace::RunOfflineAccessCommand(opt.data_dir, which, command);
  }
  if (*log_key) {
    std::filesystem::path data(opt.data_dir);
    absl::StatusOr<std::vector<fairtrace::NoteSigner>> keys;
    if (*key_show) {
      if (!std::filesystem::exists(data / "keys" / "checkpoint.key")) {
        std::cerr << "fairtrace-server: " << opt.data_dir << " has no checkpoint key yet: start the server once\n";
        return 1;
      }
      keys = fairtrace::LoadOrCreateLogKeys(data, "");
    } else if (*key_rotate) {
      auto next = fairtrace::StartKeyRotation(data, next_name);
      if (next.ok())
        keys = std::vector<fairtrace::NoteSigner>{*next};
      else
        keys = next.status();
    } else if (*key_finish) {
      auto now = fairtrace::FinishKeyRotation(data);
      if (now.ok())
        keys = std::vector<fairtrace::NoteSigner>{*now};
      else
        keys = now.status();
    }
    if (!keys.ok()) {
      std::cerr << "fairtrace-server: " << keys.status().message() << "\n";
      return 1;
    }
    for (const auto& k : *keys) std::cout << k.VerifierKey() << "\n";
    return 0;
  }
  opt.guard.heavy_call_limit = absl::Seconds(heavy_seconds);
  opt.guard.stalled_stream_limit = absl::Seconds(stalled_seconds);
  opt.abandoned_upload_age = absl::Seconds(upload_age_hours * 3600);
  opt.log_requests = !quiet;

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = fairtrace::RegistryServer::Start(opt);
  if (!server.ok()) {
    std::cerr << "fairtrace-server: " << server.status().message() << "\n";
    return 1;
  }
  std::string host = opt.listen.substr(0, opt.listen.rfind(':'));
  std::printf("fairtrace-server listening on %s:%d (data in %s; %s)\n", host.c_str(), (*server)->port(),
              opt.data_dir.c_str(),
              fairtrace::TransportDescription(opt.listen, opt.transport, (*server)->authorization_enforced()).c_str());
  for (const std::string& key : (*server)->checkpoint_keys()) {
    std::printf("fairtrace-server audit log checkpoint key: %s\n", key.c_str());
  }
  if ((*server)->mlflow_port() != 0) {
    std::printf("fairtrace-server MLflow door on %s://%s:%d\n", (*server)->mlflow_tls() ? "https" : "http",
                opt.mlflow_listen.substr(0, opt.mlflow_listen.rfind(':')).c_str(), (*server)->mlflow_port());
  }
  std::fflush(stdout);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cerr << "fairtrace-server: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", shutting down\n";
    (*server)->Shutdown(absl::Seconds(grace_seconds));
  });
  (*server)->Wait();
  waiter.join();
  std::cerr << "fairtrace-server: stopped cleanly\n";
  return 0;
}
