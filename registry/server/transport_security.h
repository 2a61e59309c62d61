// How the gRPC port is exposed (docs/security.md): secure by default, easy
// by default. On a loopback address with no TLS flags the server speaks
// plaintext for one person on this machine (the first log line says so).
// On any other address it refuses to start without TLS, and without
// grants (authorization enforced, CheckExposure), unless `insecure` is set
// explicitly. With a client CA the principal of a call may be its
// certificate's subject; tokens work over TLS either way
// (trust/access_control.h).
// Pure apart from reading the PEM files; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "registry/core/listen_address.h"

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"

namespace fairtrace {

struct TransportOptions {
  std::string tls_cert, tls_key;  // PEM files: the server's certificate chain and key
  std::string client_ca;          // PEM file: CAs whose client certificates are required (mTLS)
  bool insecure = false;          // plaintext off loopback, said loudly
};

// The credentials for `listen`: FAILED_PRECONDITION (EXPOSED_WITHOUT_TLS)
// off loopback without TLS (and not insecure);
// INVALID_ARGUMENT naming the flag for a certificate without its key, or
// the other way round; NOT_FOUND for an unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(const std::string& listen,
                                                                              const TransportOptions& options);

// FAILED_PRECONDITION (EXPOSED_WITHOUT_AUTHORIZATION) off loopback when no
// grant exists (authorization not enforced), unless insecure.
absl::Status CheckExposure(const std::string& listen, const TransportOptions& options, bool enforced);

// For the first log line: how the port is exposed and whether grants are
// enforced ("plaintext, loopback only; NO GRANTS: ...", "TLS (tokens);
// grants enforced", ...).
std::string TransportDescription(const std::string& listen, const TransportOptions& options, bool enforced);

}  // namespace fairtrace
