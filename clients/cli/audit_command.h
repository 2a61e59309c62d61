// `fairtrace audit ...`: the audit log, verified on this machine with
// nothing trusted from the server (docs/audit-log.md § Verifying).
//
//   audit verify [--key PUB] [--checkpoint OLD.txt]... [--no-state]
//       re-walks the hash chain, recomputes the Merkle root, checks the
//       latest checkpoint's signature (with --key) and its consistency with
//       every older checkpoint given and with the last one verified from
//       this log (kept under $XDG_STATE_HOME/fairtrace/checkpoints/).
//       Exit 0 intact, 1 broken, rolled back, forged or malformed.
//   audit checkpoint [--tree-size N] [--key PUB] [--out FILE]
//       the latest (or an earlier) signed checkpoint, checked with --key.
//   audit prove SEQUENCE [--key PUB] [--bundle FILE]
//       record SEQUENCE's inclusion proof, checked; --bundle writes it with
//       its checkpoint as one offline-verifiable file.
//   audit verify-bundle FILE --key PUB      offline, no server needed.
//   audit cosign FILE     hands a witness-cosigned checkpoint to the server.
//
// PUB is a verifier key ("<name>+<id>+<base64>", as `fairtrace-server
// log-key show` prints it) or a file holding one; default $FAIRTRACE_LOG_KEY.
// --json prints one JSON object. Exit codes otherwise as cli_common.h.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::cli {

class AuditCommand {
 public:
  explicit AuditCommand(CLI::App& app);
  bool selected() const { return audit_->parsed(); }
  int Run(const client::ClientOptions& options, bool json);

 private:
  int Verify(const client::ClientOptions& options, bool json);
  int Checkpoint(const client::ClientOptions& options, bool json);
  int Prove(const client::ClientOptions& options, bool json);
  int VerifyBundle(bool json);
  int Cosign(const client::ClientOptions& options, bool json);

  CLI::App *audit_, *verify_, *checkpoint_, *prove_, *verify_bundle_, *cosign_;
  std::string key_, out_, bundle_, file_;
  std::vector<std::string> old_checkpoints_;
  bool no_state_ = false;
  bool deep_ = false;
  bool reads_ = false;  // implies deep_
  int64_t tree_size_ = 0, sequence_ = 0;
};

}  // namespace fairtrace::cli
