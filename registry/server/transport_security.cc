#include "registry/server/transport_security.h"

#include <fstream>
#include <sstream>

#include <grpcpp/security/server_credentials.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace fairtrace {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(flag, ": cannot read ", path)).Build();
  }
  std::stringstream s;
  s << in.rdbuf();
  if (s.str().find("-----BEGIN ") == std::string::npos) {
    return InvalidField(flag, absl::StrCat(path, " holds no PEM block"));
  }
  return s.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(const std::string& listen,
                                                                              const TransportOptions& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return InvalidField(o.tls_cert.empty() ? "--tls-cert" : "--tls-key", "--tls-cert and --tls-key go together");
  }
  if (!o.client_ca.empty() && o.tls_cert.empty()) {
    return InvalidField("--client-ca", "mutual TLS needs --tls-cert and --tls-key too");
  }
  const bool tls = !o.tls_cert.empty(), mutual = !o.client_ca.empty();
  if (!IsLoopback(listen) && !tls && !o.insecure) {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("refusing to listen on ", listen,
                                     " without TLS: give --tls-cert and --tls-key (and --client-ca for client "
                                     "certificates), listen on a loopback address, or say --insecure"))
        .Reason("EXPOSED_WITHOUT_TLS")
        .Build();
  }
  if (!tls) return grpc::InsecureServerCredentials();
  FT_ASSIGN_OR_RETURN(std::string cert, ReadPem(o.tls_cert, "--tls-cert"));
  FT_ASSIGN_OR_RETURN(std::string key, ReadPem(o.tls_key, "--tls-key"));
  grpc::SslServerCredentialsOptions ssl(mutual ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                               : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({key, cert});
  if (mutual) {
    FT_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(o.client_ca, "--client-ca"));
  }
  return grpc::SslServerCredentials(ssl);
}

std::string TransportDescription(const std::string& listen, const TransportOptions& o, bool enforced) {
  std::string transport;
  if (!o.client_ca.empty()) {
    transport = "mutual TLS (client certificates or tokens)";
  } else if (!o.tls_cert.empty()) {
    transport = "TLS (tokens)";
  } else if (IsLoopback(listen)) {
    transport = "plaintext, loopback only";
  } else {
    transport = "PLAINTEXT OFF LOOPBACK (--insecure): tokens travel in clear text";
  }
  return absl::StrCat(transport, enforced ? "; grants enforced"
                                          : "; NO GRANTS: every caller may do everything (for one person on this "
                                            "machine; make an admin with fairtrace-server grants add)");
}

absl::Status CheckExposure(const std::string& listen, const TransportOptions& o, bool enforced) {
  if (IsLoopback(listen) || o.insecure || enforced) return absl::OkStatus();
  return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("refusing to listen on ", listen,
                                   " with no grants: anyone could do anything. Make the first admin offline "
                                   "(fairtrace-server grants add PRINCIPAL admin --data-dir ...) or say --insecure"))
      .Reason("EXPOSED_WITHOUT_AUTHORIZATION")
      .Build();
}

}  // namespace fairtrace
