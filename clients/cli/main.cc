// fairtrace: the command-line client.
//
//   fairtrace [--server ADDR] [--user NAME] [--json] COMMAND ...
//     push PATH             upload a file or folder; prints its digest
//     pull DIGEST DEST      download a blob or tree; DEST must not exist
//     stat DIGEST           what the server knows of a digest
//     fsck                  server re-hashes every blob, checks references
//     audit ...             the verifiable audit log (clients/cli/audit_command.h)
//     access ...            tokens and grants on a running server (clients/cli/access_command.h)
//     models ...            the model registry (clients/cli/models_command.h)
//     runs ...              runs, metric history, lineage (clients/cli/runs_command.h)
//     investigations validate ...   MIAPPE sheets, offline (clients/cli/investigations_command.h)
//     datasets ...          dataset versions and their items (clients/cli/datasets_command.h)
//     annotations ...       annotation sets and agreement (clients/cli/annotations_command.h)
//     splits ...            splits and leakage checks (clients/cli/splits_command.h)
//
// The server comes from --server, else FAIRTRACE_SERVER, else
// 127.0.0.1:50051. Exit codes: 0 ok; 1 a failure the user caused or a check
// that found problems (bad input, not found, exists, fsck problems);
// 2 a server or transport error. Errors go to stderr in one sentence.
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "clients/cli/access_command.h"
#include "clients/cli/annotations_command.h"
#include "clients/cli/audit_command.h"
#include "clients/cli/cli_common.h"
#include "clients/cli/datasets_command.h"
#include "clients/cli/investigations_command.h"
#include "clients/cli/models_command.h"
#include "clients/cli/runs_command.h"
#include "clients/cli/splits_command.h"
#include "clients/cpp/fairtrace/cas_client.h"
#include "clients/cpp/fairtrace/progress.h"
#include "clients/cpp/fairtrace/pull.h"
#include "clients/cpp/fairtrace/push.h"
#include "google/protobuf/util/time_util.h"

using fairtrace::Digest;
using fairtrace::cli::DigestJson;
using fairtrace::cli::Fail;
using fairtrace::client::CasClient;
using json = nlohmann::json;

int main(int argc, char** argv) {
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
  CLI::App app{"fairtrace: push and pull content-addressed artifacts, check the registry"};
  app.require_subcommand(1);
  // Global options may come after the subcommand too (`fairtrace investigations
  // validate x.xlsx --json`): every subcommand, created below, inherits
  // fallthrough and hands options it does not know to its parent.
  app.fallthrough();
  std::string server = std::getenv("FAIRTRACE_SERVER") ? std::getenv("FAIRTRACE_SERVER") : "127.0.0.1:50051";
  std::string user = std::getenv("USER") ? std::getenv("USER") : "";
  bool as_json = false;
  app.add_option("--server", server, "server ADDR:PORT (default: $FAIRTRACE_SERVER or 127.0.0.1:50051)");
  app.add_option("--user", user, "names your resumable uploads (default: $USER); not who the server says you are");
  auto env = [](const char* name) { return std::getenv(name) ? std::string(std::getenv(name)) : std::string(); };
  std::string token = env("FAIRTRACE_TOKEN"), token_file = env("FAIRTRACE_TOKEN_FILE");
  app.add_option("--token", token, "a fairtrace token (default: $FAIRTRACE_TOKEN); prefer --token-file");
  app.add_option("--token-file", token_file, "a file holding a token (default: $FAIRTRACE_TOKEN_FILE)");
  std::string ca = env("FAIRTRACE_CA"), cert = env("FAIRTRACE_CERT"), key = env("FAIRTRACE_KEY");
  app.add_option("--ca", ca, "PEM CA bundle of the server's certificate: TLS (default: $FAIRTRACE_CA)");
  app.add_option("--cert", cert, "PEM client certificate for mutual TLS (default: $FAIRTRACE_CERT)");
  app.add_option("--key", key, "PEM key of --cert (default: $FAIRTRACE_KEY)");
  app.add_flag("--json", as_json, "machine-readable output on stdout");

  std::string push_path, pull_digest, pull_dest, stat_digest;
  auto* push = app.add_subcommand("push", "upload a file or folder; prints its digest");
  push->add_option("PATH", push_path, "file or folder")->required();
  auto* pull = app.add_subcommand("pull", "download a blob or tree to DEST (must not exist)");
  pull->add_option("DIGEST", pull_digest, "<sha256>/<size>")->required();
  pull->add_option("DEST", pull_dest, "destination path")->required();
  auto* stat = app.add_subcommand("stat", "what the server knows of a digest");
  stat->add_option("DIGEST", stat_digest, "<sha256>/<size>")->required();
  auto* fsck = app.add_subcommand("fsck", "server re-hashes every blob and checks every reference");
  std::string abort_path;
  auto* upload = app.add_subcommand("upload", "unfinished uploads");
  upload->require_subcommand(1);
  auto* abort_upload = upload->add_subcommand(
      "abort", "drop your unfinished upload of FILE on the server (a later push starts from byte 0)");
  abort_upload->add_option("FILE", abort_path, "the file whose push was interrupted")->required();
  fairtrace::cli::AuditCommand audit(app);
  fairtrace::cli::AccessCommand access(app);
  fairtrace::cli::ModelsCommand models(app);
  fairtrace::cli::RunsCommand runs(app);
  fairtrace::cli::InvestigationsCommand investigations(app);
  fairtrace::cli::DatasetsCommand datasets(app);
  fairtrace::cli::AnnotationsCommand annotations(app);
  fairtrace::cli::SplitsCommand splits(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // A usage error: one sentence and exit 1 (CLI11's own codes, such as
    // 109 for an unknown option, mean nothing to a shell script).
    std::cerr << "fairtrace: " << e.what() << " (see fairtrace --help)\n";
    return 1;
  }

  fairtrace::client::ClientOptions options;
  options.target = server;
  options.user = user;
  if (token.empty() && !token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) {
      std::cerr << "fairtrace: cannot read the token file " << token_file << "\n";
      return 1;
    }
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  }
  options.token = token;
  options.ca_file = ca;
  options.cert_file = cert;
  options.key_file = key;
  CasClient client(options);
  bool tty = ::isatty(STDERR_FILENO) && !as_json;
  if (models.selected()) return models.Run(options, as_json, tty);
  if (runs.selected()) return runs.Run(options, as_json);
  if (investigations.selected()) return investigations.Run(options, as_json);
  if (datasets.selected()) return datasets.Run(options, as_json, tty);
  if (annotations.selected()) return annotations.Run(options, as_json);
  if (splits.selected()) return splits.Run(options, as_json);
  if (audit.selected()) return audit.Run(options, as_json);
  if (access.selected()) return access.Run(options, as_json);

  if (*push) {
    auto r = fairtrace::client::Push(client, push_path, {.show_progress = tty});
    if (!r.ok()) return Fail(r.status(), server);
    if (as_json) {
      json j = DigestJson(r->digest);
      j["kind"] = r->is_tree ? "tree" : "blob";
      j["files"] = r->files;
      j["total_bytes"] = r->total_bytes;
      j["uploaded_blobs"] = r->uploaded_blobs;
      j["uploaded_bytes"] = r->uploaded_bytes;
      std::cout << j.dump() << "\n";
    } else {
      std::cout << r->digest.ToString() << "\n";
      std::cerr << (r->is_tree ? "tree" : "blob") << ": " << r->files << " file(s), "
                << fairtrace::client::Progress::HumanBytes(r->total_bytes) << "; uploaded " << r->uploaded_blobs
                << " blob(s), " << fairtrace::client::Progress::HumanBytes(r->uploaded_bytes) << "\n";
    }
    return 0;
  }
  if (*pull) {
    auto d = fairtrace::ParseDigest(pull_digest, "DIGEST");
    if (!d.ok()) return Fail(d.status(), server);
    auto r = fairtrace::client::Pull(client, *d, pull_dest, tty);
    if (!r.ok()) return Fail(r.status(), server);
    if (as_json) {
      json j = DigestJson(*d);
      j["kind"] = r->is_tree ? "tree" : "blob";
      j["files"] = r->files;
      j["bytes"] = r->bytes;
      j["path"] = pull_dest;
      std::cout << j.dump() << "\n";
    } else {
      std::cerr << "pulled " << r->files << " file(s), " << fairtrace::client::Progress::HumanBytes(r->bytes)
                << " into " << pull_dest << "\n";
    }
    return 0;
  }
  if (*stat) {
    auto d = fairtrace::ParseDigest(stat_digest, "DIGEST");
    if (!d.ok()) return Fail(d.status(), server);
    auto b = client.GetBlob(*d);
    if (!b.ok()) return Fail(b.status(), server);
    json j = DigestJson(*d);
    j["kind"] = b->is_tree() ? "tree" : "blob";
    j["create_time"] = google::protobuf::util::TimeUtil::ToString(b->create_time());
    if (b->is_tree()) {
      auto entries = client.GetTreeEntries(*d);
      if (!entries.ok()) return Fail(entries.status(), server);
      int64_t total = 0;
      for (const auto& e : *entries) total += e.digest.size_bytes;
      j["entries"] = entries->size();
      j["total_size_bytes"] = total;
    }
    if (as_json) {
      std::cout << j.dump() << "\n";
    } else {
      for (auto& [k, v] : j.items())
        std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    }
    return 0;
  }
  if (*abort_upload) {
    auto d = fairtrace::client::HashFile(abort_path);
    if (!d.ok()) return Fail(d.status(), server);
    if (absl::Status s = client.AbortUpload(*d); !s.ok()) return Fail(s, server);
    if (as_json) {
      std::cout << DigestJson(*d).dump() << "\n";
    } else {
      std::cerr << "dropped the unfinished upload of " << abort_path << " (" << d->ToString() << ")\n";
    }
    return 0;
  }
  if (*fsck) {
    auto r = client.Fsck();
    if (!r.ok()) return Fail(r.status(), server);
    if (as_json) {
      json j = {{"clean", r->problem_count() == 0},
                {"blobs_checked", r->blobs_checked()},
                {"bytes_hashed", r->bytes_hashed()},
                {"tree_references_checked", r->tree_references_checked()},
                {"audit_records_checked", r->audit_records_checked()},
                {"resources_checked", r->resources_checked()},
                {"unreferenced_files", r->unreferenced_files()},
                {"partial_uploads", r->partial_uploads()},
                {"problem_count", r->problem_count()},
                {"problems", json::array()}};
      for (const auto& p : r->problems()) {
        j["problems"].push_back({{"kind", p.kind()}, {"subject", p.subject()}, {"detail", p.detail()}});
      }
      std::cout << j.dump() << "\n";
    } else {
      std::cout << "blobs checked: " << r->blobs_checked() << " ("
                << fairtrace::client::Progress::HumanBytes(r->bytes_hashed()) << " re-hashed)\n"
                << "tree references checked: " << r->tree_references_checked() << "\n"
                << "audit records checked: " << r->audit_records_checked() << "\n"
                << "resource states checked: " << r->resources_checked() << "\n"
                << "unreferenced files: " << r->unreferenced_files() << "\n"
                << "partial uploads: " << r->partial_uploads() << "\n";
      for (const auto& p : r->problems()) {
        std::cout << "PROBLEM " << p.kind() << " " << p.subject() << ": " << p.detail() << "\n";
      }
      std::cout << (r->problem_count() == 0 ? "clean" : absl::StrCat(r->problem_count(), " problem(s)")) << "\n";
    }
    return r->problem_count() == 0 ? 0 : 1;
  }
  return 0;
}
