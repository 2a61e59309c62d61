// TLS and mutual TLS end to end (docs/security.md): certificates made with
// the openssl command, the real server binary, the CLI and raw stubs.
#include <nlohmann/json.hpp>

#include "fairtrace/v1/admin.grpc.pb.h"
#include "tests/testing/server_fixture.h"

namespace fairtrace::testing {
namespace {

using ::testing::HasSubstr;

// A CA, a server certificate for 127.0.0.1 and a client certificate for
// "ada" of "Plant Lab", made for each test in its own folder (tests run in
// parallel processes) before its server starts.
class TlsTest : public ServerFixture {
 protected:
  bool MakeTesterToken() override { return false; }  // the fixture's plaintext channel cannot reach a TLS port
  std::filesystem::path Certs() { return dir_.path() / "certs"; }
  std::vector<std::string> ServerFlags() override {
    std::filesystem::create_directories(Certs());
    const std::string script = R"(set -e
cd ")" + Certs().string() + R"("
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr -subj "/O=Plant Lab/CN=ada" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null
)";
    CommandResult r = RunCommand({"/bin/sh", "-c", script});
    EXPECT_EQ(r.exit_code, 0) << "making test certificates: " << r.err;
    return {"--quiet",
            "--tls-cert",
            (Certs() / "server.pem").string(),
            "--tls-key",
            (Certs() / "server.key").string(),
            "--client-ca",
            (Certs() / "ca.pem").string()};
  }
  std::vector<std::string> Tls(std::vector<std::string> args, bool client_cert = true) {
    std::vector<std::string> out = {"--ca", (Certs() / "ca.pem").string()};
    if (client_cert) {
      out.insert(out.end(), {"--cert", (Certs() / "client.pem").string(), "--key", (Certs() / "client.key").string()});
    }
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }
};

TEST_F(TlsTest, MutualTlsCallsCarryTheCertificateSubject) {
  WriteFile(work() / "a.txt", "hello over TLS");
  auto push = Cli(Tls({"--user", "mallory", "--json", "push", (work() / "a.txt").string()}));
  ASSERT_EQ(push.exit_code, 0) << push.err;
  // The model and run clients use the same TLS channel as the others.
  auto models = Cli(Tls({"models", "create", "over-tls"}));
  EXPECT_EQ(models.exit_code, 0) << models.err;
  auto runs = Cli(Tls({"runs", "list"}));
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  // The principal is the certificate's subject, not the header.
  grpc::SslCredentialsOptions ssl;
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  ssl.pem_root_certs = read(Certs() / "ca.pem");
  ssl.pem_cert_chain = read(Certs() / "client.pem");
  ssl.pem_private_key = read(Certs() / "client.key");
  auto audit = v1::AuditService::NewStub(grpc::CreateChannel(server_->target(), grpc::SslCredentials(ssl)));
  grpc::ClientContext ctx;
  v1::ListAuditRecordsRequest req;
  v1::ListAuditRecordsResponse resp;
  ASSERT_TRUE(audit->ListAuditRecords(&ctx, req, &resp).ok());
  bool seen = false;
  for (const auto& r : resp.records()) {
    if (r.method() != "/fairtrace.v1.CasService/BatchUpdateBlobs") continue;
    EXPECT_THAT(r.principal(), HasSubstr("CN=ada"));
    EXPECT_THAT(r.principal(), ::testing::StartsWith("x509:"));
    EXPECT_THAT(r.principal(), Not(HasSubstr("mallory")));
    seen = true;
  }
  EXPECT_TRUE(seen);
}

TEST_F(TlsTest, PlaintextAndCertificateLessClientsAreRefused) {
  WriteFile(work() / "a.txt", "x");
  auto plaintext = Cli({"--json", "push", (work() / "a.txt").string()});
  EXPECT_EQ(plaintext.exit_code, 2);
  auto no_client_cert = Cli(Tls({"--json", "push", (work() / "a.txt").string()}, /*client_cert=*/false));
  EXPECT_EQ(no_client_cert.exit_code, 2);
  auto unreadable = Cli({"--ca", "/nonexistent/ca.pem", "--json", "push", (work() / "a.txt").string()});
  EXPECT_EQ(unreadable.exit_code, 2);
}

TEST_F(TlsTest, AClientCertificateFromAnotherCaIsRefused) {
  const std::string script = R"(set -e
cd ")" + Certs().string() + R"("
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue-ca.key -out rogue-ca.pem -days 2 -subj "/CN=Rogue CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key -out rogue.csr -subj "/O=Plant Lab/CN=ada" 2>/dev/null
openssl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca.key -CAcreateserial -out rogue.pem -days 2 2>/dev/null
)";
  ASSERT_EQ(RunCommand({"/bin/sh", "-c", script}).exit_code, 0);
  WriteFile(work() / "a.txt", "x");
  // The same subject as the real client's, signed by a CA the server does
  // not trust: the handshake fails, nothing is stored or audited as ada.
  auto rogue = Cli({"--ca", (Certs() / "ca.pem").string(), "--cert", (Certs() / "rogue.pem").string(), "--key",
                    (Certs() / "rogue.key").string(), "--json", "push", (work() / "a.txt").string()});
  EXPECT_EQ(rogue.exit_code, 2) << rogue.out;
  auto good = Cli(Tls({"--json", "push", (work() / "a.txt").string()}));
  EXPECT_EQ(good.exit_code, 0) << good.err;
}

TEST(ServerExposure, RefusesAPublicAddressWithoutTls) {
  TempDir dir;
  auto r = RunCommand(
      {ServerProcess::ServerBinary(), "--listen", "0.0.0.0:0", "--data-dir", (dir.path() / "data").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("refusing to listen on 0.0.0.0:0 without TLS"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data"));  // refused before touching the disk
}

}  // namespace
}  // namespace fairtrace::testing
