// `fairtrace access ...`: tokens and grants through the admin RPCs of a
// running server (AccessService; docs/security.md). The offline
// equivalents are `fairtrace-server tokens|grants ...` on a stopped server.
//
//   access whoami                                   who the server says you are
//   access tokens create --principal P [--expires-seconds N] [--description D]
//   access tokens list [--principal P] [--all]
//   access tokens revoke tokens/<id>
//   access grants add PRINCIPAL ROLE [--project P]
//   access grants list [--principal P]
//   access grants revoke PRINCIPAL ROLE [--project P]
//
// --json prints proto JSON. Exit codes: cli_common.h.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::cli {

class AccessCommand {
 public:
  explicit AccessCommand(CLI::App& app);
  bool selected() const { return access_->parsed(); }
  int Run(const client::ClientOptions& options, bool json);

 private:
  CLI::App *access_, *whoami_, *token_create_, *token_list_, *token_revoke_, *grant_add_, *grant_list_, *grant_revoke_;
  std::string principal_, role_, project_, description_, token_;
  int64_t expires_seconds_ = 0;
  bool all_ = false;
};

}  // namespace fairtrace::cli
