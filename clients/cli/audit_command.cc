#include "clients/cli/audit_command.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "clients/cli/cli_common.h"
#include "clients/cpp/fairtrace/audit_client.h"
#include "common/status/errors.h"

namespace fairtrace::cli {
namespace {

using nlohmann::json;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > (8 << 20)) return absl::InvalidArgumentError(absl::StrCat(path, " is larger than 8 MiB"));
  return ss.str();
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// --key (or $FAIRTRACE_LOG_KEY): a verifier key, or a file holding one.
absl::StatusOr<std::optional<NoteVerifier>> KeyFrom(std::string key) {
  if (key.empty()) {
    const char* env = std::getenv("FAIRTRACE_LOG_KEY");
    if (env != nullptr) key = env;
  }
  if (key.empty()) return std::optional<NoteVerifier>();
  if (key.find('+') == std::string::npos) {
    absl::StatusOr<std::string> text = ReadFile(key);
    if (!text.ok()) return text.status();
    key = *text;
  }
  absl::StatusOr<NoteVerifier> v = NoteVerifier::FromVerifierKey(key);
  if (!v.ok()) return v.status();
  return std::optional<NoteVerifier>(*v);
}

// A broken, forged or rolled-back log is the answer the command exists for:
// exit 1 with the sentence, like any failure the data caused.
int Broken(const absl::Status& s, bool as_json, const std::string& server) {
  auto d = ErrorDetailsOf(s);
  if (as_json) {
    std::cout << json{{"ok", false}, {"reason", d ? d->reason : ""}, {"error", std::string(s.message())}}.dump()
              << "\n";
  }
  if (s.code() == absl::StatusCode::kDataLoss || s.code() == absl::StatusCode::kUnauthenticated) {
    std::cerr << "fairtrace: " << s.message() << "\n";
    return 1;
  }
  return Fail(s, server);
}

}  // namespace

AuditCommand::AuditCommand(CLI::App& app) {
  audit_ = app.add_subcommand("audit", "the audit log, verified here (docs/audit-log.md)");
  audit_->require_subcommand(1);
  verify_ = audit_->add_subcommand(
      "verify", "re-walk the hash chain, recompute the Merkle root, check checkpoints' signatures and consistency");
  verify_->add_option("--key", key_, "the log's verifier key or a file holding it (default $FAIRTRACE_LOG_KEY)");
  verify_->add_option("--checkpoint", old_checkpoints_, "a checkpoint saved earlier (repeatable)");
  verify_->add_flag("--no-state", no_state_, "neither read nor keep the last verified checkpoint");
  verify_->add_flag("--deep", deep_,
                    "also compare every stored resource's state with its latest record (exit 1 on a difference)");
  verify_->add_flag("--reads", reads_,
                    "with --deep: also compare each state with the ordinary read of its resource (one read each)");
  checkpoint_ = audit_->add_subcommand("checkpoint", "print the log's latest signed checkpoint");
  checkpoint_->add_option("--tree-size", tree_size_, "an earlier tree size instead of the latest");
  checkpoint_->add_option("--key", key_, "check its signature with this verifier key");
  checkpoint_->add_option("--out", out_, "write it to this file");
  prove_ = audit_->add_subcommand("prove", "check that a record is in the signed log");
  prove_->add_option("SEQUENCE", sequence_, "the record's sequence number")->required();
  prove_->add_option("--key", key_, "the log's verifier key");
  prove_->add_option("--bundle", bundle_, "write record, proof and checkpoint as one offline-verifiable file");
  verify_bundle_ = audit_->add_subcommand("verify-bundle", "check a proof bundle offline");
  verify_bundle_->add_option("FILE", file_)->required();
  verify_bundle_->add_option("--key", key_, "the log's verifier key");
  cosign_ = audit_->add_subcommand("cosign", "give the server a witness-cosigned checkpoint to keep");
  cosign_->add_option("FILE", file_)->required();
}

int AuditCommand::Run(const client::ClientOptions& options, bool json) {
  if (verify_->parsed()) return Verify(options, json);
  if (checkpoint_->parsed()) return Checkpoint(options, json);
  if (prove_->parsed()) return Prove(options, json);
  if (verify_bundle_->parsed()) return VerifyBundle(json);
  return Cosign(options, json);
}

int AuditCommand::Verify(const client::ClientOptions& options, bool as_json) {
  client::AuditVerifyOptions v;
  auto key = KeyFrom(key_);
  if (!key.ok()) return Fail(key.status(), options.target);
  v.key = *key;
  for (const std::string& path : old_checkpoints_) {
    auto text = ReadFile(path);
    if (!text.ok()) return Fail(text.status(), options.target);
    v.old_checkpoints.push_back(*text);
  }
  if (!no_state_) v.state_dir = client::DefaultAuditStateDir();
  if (reads_) deep_ = true;
  v.deep = deep_;
  v.reads = reads_;
  client::AuditClient audit(options);
  auto r = audit.Verify(v);
  if (!r.ok()) return Broken(r.status(), as_json, options.target);
  const bool states_agree = r->state_findings.empty();
  if (as_json) {
    json out{{"ok", states_agree},
             {"records", r->records},
             {"origin", r->checkpoint.origin},
             {"tree_size", r->checkpoint.size},
             {"root", MerkleHex(r->checkpoint.root)},
             {"signature_checked", r->signature_checked},
             {"older_checkpoints", r->older_sizes}};
    if (deep_) {
      json findings = json::array();
      for (const auto& f : r->state_findings) {
        findings.push_back({{"kind", f.kind}, {"resource", f.resource}, {"detail", f.detail}});
      }
      out["resources_checked"] = r->resources_checked;
      out["states_as_of"] = r->states_as_of;
      out["state_findings"] = findings;
    }
    if (reads_) {
      out["reads"] = {{"resources", r->reads_compared},
                      {"fields", r->read_fields},
                      {"changed_since_snapshot", r->reads_changed},
                      {"not_read", r->not_read},
                      {"not_compared", r->not_compared}};
    }
    std::cout << out.dump() << "\n";
    return states_agree ? 0 : 1;
  }
  std::cout << "audit chain verified: " << r->records << " record(s)\n"
            << "merkle root " << MerkleHex(r->checkpoint.root) << " matches the checkpoint of " << r->checkpoint.origin
            << "\n";
  if (r->signature_checked) {
    std::cout << "checkpoint signature verified\n";
  } else {
    std::cout << "checkpoint signature NOT checked (give --key or FAIRTRACE_LOG_KEY)\n";
  }
  for (int64_t size : r->older_sizes) std::cout << "consistent with your checkpoint of " << size << " record(s)\n";
  if (!deep_) return 0;
  if (reads_) {
    std::cout << "ordinary reads compared: " << r->reads_compared << " resource(s), " << r->read_fields
              << " field(s)\n";
    if (r->reads_changed > 0) {
      std::cout << r->reads_changed << " resource(s) changed after the snapshot: their reads were not compared\n";
    }
    for (const auto& [why, n] : r->not_read) std::cout << "not read: " << n << " x " << why << "\n";
    for (const auto& [why, n] : r->not_compared) std::cout << "not compared: " << n << " x " << why << "\n";
  }
  for (const auto& f : r->state_findings) std::cout << f.kind << " " << f.resource << ": " << f.detail << "\n";
  if (!states_agree) {
    std::cout << r->state_findings.size() << " of " << r->resources_checked
              << " resource(s) differ from the verified log (as of record " << r->states_as_of << ")\n";
    return 1;
  }
  std::cout << "resource states verified: " << r->resources_checked << " resource(s) match their latest records (as of "
            << "record " << r->states_as_of << ")\n";
  return 0;
}

int AuditCommand::Checkpoint(const client::ClientOptions& options, bool as_json) {
  auto key = KeyFrom(key_);
  if (!key.ok()) return Fail(key.status(), options.target);
  client::AuditClient audit(options);
  auto cp = audit.GetCheckpoint(tree_size_);
  if (!cp.ok()) return Fail(cp.status(), options.target);
  if (*key) {
    auto opened = OpenCheckpoint(cp->note(), **key);
    if (!opened.ok()) return Broken(opened.status(), as_json, options.target);
  }
  if (!out_.empty()) {
    if (absl::Status s = WriteFile(out_, cp->note()); !s.ok()) return Fail(s, options.target);
  }
  if (as_json) {
    std::cout << json{{"note", cp->note()},
                      {"origin", cp->origin()},
                      {"tree_size", cp->tree_size()},
                      {"signature_checked", key->has_value()}}
                     .dump()
              << "\n";
  } else if (out_.empty()) {
    std::cout << cp->note();
  }
  return 0;
}

int AuditCommand::Prove(const client::ClientOptions& options, bool as_json) {
  client::AuditVerifyOptions v;
  auto key = KeyFrom(key_);
  if (!key.ok()) return Fail(key.status(), options.target);
  v.key = *key;
  v.state_dir = client::DefaultAuditStateDir();
  client::AuditClient audit(options);
  auto bundle = audit.Prove(sequence_, v);
  if (!bundle.ok()) return Broken(bundle.status(), as_json, options.target);
  if (!bundle_.empty()) {
    if (absl::Status s = WriteFile(bundle_, *bundle); !s.ok()) return Fail(s, options.target);
  }
  if (as_json) {
    std::cout << json::parse(*bundle).dump() << "\n";
  } else {
    std::cout << "record " << sequence_ << " is in the log"
              << (v.key ? " (checkpoint signature verified)" : " (checkpoint signature NOT checked)") << "\n";
  }
  return 0;
}

int AuditCommand::VerifyBundle(bool as_json) {
  auto key = KeyFrom(key_);
  if (!key.ok()) return Fail(key.status(), "");
  if (!*key) return Fail(InvalidField("--key", "an offline check needs the log's verifier key"), "");
  auto text = ReadFile(file_);
  if (!text.ok()) return Fail(text.status(), "");
  auto summary = client::AuditClient::VerifyBundle(*text, **key);
  if (!summary.ok()) return Broken(summary.status(), as_json, "");
  if (as_json) {
    std::cout << json{{"ok", true},
                      {"sequence", summary->sequence},
                      {"tree_size", summary->tree_size},
                      {"origin", summary->origin},
                      {"resource", summary->resource},
                      {"method", summary->method},
                      {"principal", summary->principal}}
                     .dump()
              << "\n";
  } else {
    std::cout << "record " << summary->sequence << " (" << summary->method << " on " << summary->resource << " by "
              << summary->principal << ") is in the log " << summary->origin << " of " << summary->tree_size
              << " record(s)\n";
  }
  return 0;
}

int AuditCommand::Cosign(const client::ClientOptions& options, bool as_json) {
  auto text = ReadFile(file_);
  if (!text.ok()) return Fail(text.status(), options.target);
  client::AuditClient audit(options);
  auto cp = audit.AddCosignatures(*text);
  if (!cp.ok()) return Fail(cp.status(), options.target);
  if (as_json) {
    std::cout << json{{"note", cp->note()}, {"tree_size", cp->tree_size()}}.dump() << "\n";
  } else {
    std::cout << cp->note();
  }
  return 0;
}

}  // namespace fairtrace::cli
