#include "registry/server/transport_security.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fairtrace {
namespace {

TEST(IsLoopback, Addresses) {
  EXPECT_TRUE(IsLoopback("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopback("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopback("localhost:1"));
  EXPECT_TRUE(IsLoopback("[::1]:5"));
  EXPECT_FALSE(IsLoopback("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopback("10.0.0.7:50051"));
  EXPECT_FALSE(IsLoopback("[::]:50051"));
  EXPECT_FALSE(IsLoopback("127example.org:1"));
}

TEST(ServerCredentialsFor, PlaintextOnlyOnLoopbackUnlessInsecure) {
  EXPECT_TRUE(ServerCredentialsFor("127.0.0.1:0", {}).ok());
  auto refused = ServerCredentialsFor("0.0.0.0:0", {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("refusing to listen on 0.0.0.0:0 without TLS"), std::string::npos);
  TransportOptions insecure;
  insecure.insecure = true;
  EXPECT_TRUE(ServerCredentialsFor("0.0.0.0:0", insecure).ok());
  EXPECT_NE(TransportDescription("0.0.0.0:0", insecure, false).find("PLAINTEXT OFF LOOPBACK"), std::string::npos);
  EXPECT_NE(TransportDescription("127.0.0.1:1", {}, false).find("plaintext, loopback only; NO GRANTS"),
            std::string::npos);
  EXPECT_NE(TransportDescription("127.0.0.1:1", {}, true).find("grants enforced"), std::string::npos);
}

TEST(CheckExposure, OffLoopbackNeedsGrantsUnlessInsecure) {
  TransportOptions tls;
  tls.tls_cert = tls.tls_key = "/x.pem";
  EXPECT_TRUE(CheckExposure("127.0.0.1:0", {}, false).ok());
  EXPECT_EQ(CheckExposure("0.0.0.0:0", tls, false).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckExposure("0.0.0.0:0", tls, true).ok());
  TransportOptions insecure;
  insecure.insecure = true;
  EXPECT_TRUE(CheckExposure("0.0.0.0:0", insecure, false).ok());
}

TEST(ServerCredentialsFor, FlagsGoTogetherAndFilesMustBePem) {
  TransportOptions half;
  half.tls_cert = "/nonexistent/cert.pem";
  EXPECT_EQ(ServerCredentialsFor("127.0.0.1:0", half).status().code(), absl::StatusCode::kInvalidArgument);
  TransportOptions ca_only;
  ca_only.client_ca = "/nonexistent/ca.pem";
  EXPECT_EQ(ServerCredentialsFor("127.0.0.1:0", ca_only).status().code(), absl::StatusCode::kInvalidArgument);
  TransportOptions missing;
  missing.tls_cert = "/nonexistent/cert.pem";
  missing.tls_key = "/nonexistent/key.pem";
  EXPECT_EQ(ServerCredentialsFor("127.0.0.1:0", missing).status().code(), absl::StatusCode::kNotFound);
  const std::filesystem::path junk = std::filesystem::temp_directory_path() / "fairtrace_not_pem.txt";
  std::ofstream(junk) << "not a certificate";
  TransportOptions not_pem;
  not_pem.tls_cert = not_pem.tls_key = junk.string();
  auto s = ServerCredentialsFor("127.0.0.1:0", not_pem);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(junk);
  // TLS off loopback (tokens; mutual TLS optional) passes this check.
  TransportOptions mutual;
  mutual.tls_cert = mutual.tls_key = mutual.client_ca = "/nonexistent/x.pem";
  EXPECT_EQ(ServerCredentialsFor("0.0.0.0:0", mutual).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fairtrace
