// How the gRPC port is exposed (docs/security.md): secure by default, easy
// by default. On a loopback address with no TLS flags the server speaks
// plaintext for one person on this machine (principals are not
// authenticated; the first log line says so). On any other address it
// refuses to start without TLS and client authentication (a client CA:
// mutual TLS) unless `insecure` is set explicitly. With a client CA the
// principal of a call is its certificate's subject (api/grpc_status.h).
// Pure apart from reading the PEM files; thread-safe.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"

namespace fairtrace {

struct TransportOptions {
  std::string tls_cert, tls_key;  // PEM files: the server's certificate chain and key
  std::string client_ca;          // PEM file: CAs whose client certificates are required (mTLS)
  bool insecure = false;          // plaintext off loopback, said loudly
};

// "127.0.0.1:50051", "[::1]:0", "localhost:1": true.
bool IsLoopback(const std::string& listen);

// The credentials for `listen`: FAILED_PRECONDITION (EXPOSED_WITHOUT_TLS)
// off loopback without TLS and a client CA (and not insecure);
// INVALID_ARGUMENT naming the flag for a certificate without its key, or
// the other way round; NOT_FOUND for an unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(const std::string& listen,
                                                                              const TransportOptions& options);

// For the first log line: "plaintext, loopback only: ...", "TLS", "mutual
// TLS: ...", "PLAINTEXT OFF LOOPBACK (--insecure): ...".
std::string TransportDescription(const std::string& listen, const TransportOptions& options);

}  // namespace fairtrace
