#include "common/audit/signed_note.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "gtest/gtest.h"

namespace fairtrace {
namespace {

std::string Reason(const absl::Status& s) {
  auto d = ErrorDetailsOf(s);
  return d ? d->reason : "";
}

Checkpoint Sample() {
  Checkpoint c;
  c.origin = "example.org/fairtrace/log";
  c.size = 8;
  c.root = *MerkleFromHex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  return c;
}

TEST(SignedNoteTest, CheckpointBodyIsTheC2spFormat) {
  EXPECT_EQ(CheckpointBody(Sample()), "example.org/fairtrace/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
  Checkpoint c = Sample();
  c.extensions = {"state 1"};
  auto parsed = ParseCheckpointBody(CheckpointBody(c));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->origin, c.origin);
  EXPECT_EQ(parsed->size, 8);
  EXPECT_EQ(parsed->root, c.root);
  EXPECT_EQ(parsed->extensions, c.extensions);
}

TEST(SignedNoteTest, SignedCheckpointOpensWithItsKeyOnly) {
  auto signer = NoteSigner::Generate("example.org/fairtrace/log");
  ASSERT_TRUE(signer.ok()) << signer.status();
  std::string body = CheckpointBody(Sample());
  std::string note = FormatSignedNote({body, {signer->Sign(body)}});
  auto verifier = NoteVerifier::FromVerifierKey(signer->VerifierKey());
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  auto opened = OpenCheckpoint(note, *verifier, "example.org/fairtrace/log");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->size, 8);

  // Another key of the same name: refused.
  auto other = NoteSigner::Generate("example.org/fairtrace/log");
  auto other_verifier = NoteVerifier::FromVerifierKey(other->VerifierKey());
  EXPECT_EQ(Reason(OpenCheckpoint(note, *other_verifier).status()), "NOTE_SIGNATURE_INVALID");
  // A changed size or root: the signature no longer covers it.
  std::string forged = note;
  forged.replace(forged.find("\n8\n"), 3, "\n9\n");
  EXPECT_EQ(Reason(OpenCheckpoint(forged, *verifier).status()), "NOTE_SIGNATURE_INVALID");
  // Another origin: refused even when the signature is good.
  EXPECT_EQ(Reason(OpenCheckpoint(note, *verifier, "other.org/log").status()), "CHECKPOINT_ORIGIN_MISMATCH");
  // Extra (witness) signatures are kept and do not disturb verification.
  auto witness = NoteSigner::Generate("witness.example");
  std::string cosigned = FormatSignedNote({body, {witness->Sign(body), signer->Sign(body)}});
  auto parsed = ParseSignedNote(cosigned);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->signatures.size(), 2u);
  EXPECT_EQ(FormatSignedNote(*parsed), cosigned);
  EXPECT_TRUE(OpenCheckpoint(cosigned, *verifier).ok());
}

TEST(SignedNoteTest, KeysSurviveTheirPemForm) {
  auto signer = NoteSigner::Generate("log");
  auto again = NoteSigner::FromPrivateKeyPem("log", signer->PrivateKeyPem());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->VerifierKey(), signer->VerifierKey());
  EXPECT_EQ(Reason(NoteSigner::FromPrivateKeyPem("log", "not a key").status()), "KEY_MALFORMED");
  EXPECT_EQ(Reason(NoteSigner::Generate("two words").status()), "KEY_MALFORMED");
}

// The signature is plain Ed25519 over the body: OpenSSL's own command line
// accepts it, and the key id follows the C2SP definition.
TEST(SignedNoteTest, OpensslCommandLineVerifiesTheSignature) {
  auto signer = NoteSigner::Generate("example.org/log");
  ASSERT_TRUE(signer.ok());
  std::string body = CheckpointBody(Sample());
  NoteSignature sig = signer->Sign(body);
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "signed_note_openssl";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
  };
  write("pub.pem", signer->PublicKeyPem());
  write("body", body);
  write("sig", sig.signature);
  write("bad", body + "x");
  std::string base = absl::StrCat("openssl pkeyutl -verify -pubin -inkey ", (dir / "pub.pem").string(),
                                  " -rawin -sigfile ", (dir / "sig").string(), " -in ");
  EXPECT_EQ(std::system((base + (dir / "body").string() + " >/dev/null 2>&1").c_str()), 0);
  EXPECT_NE(std::system((base + (dir / "bad").string() + " >/dev/null 2>&1").c_str()), 0);

  // key id = SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[0:4], from the vkey.
  std::string vkey = signer->VerifierKey();
  std::string blob;
  size_t id_at = vkey.find('+') + 1;
  ASSERT_TRUE(absl::Base64Unescape(vkey.substr(id_at + 9), &blob));
  std::string input = "example.org/log\n" + blob;
  write("kid", input);
  std::string cmd = absl::StrCat("openssl dgst -sha256 -r ", (dir / "kid").string(), " > ", (dir / "kid.out").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir / "kid.out");
  std::string hex;
  in >> hex;
  EXPECT_EQ(vkey.substr(id_at, 8), hex.substr(0, 8));
}

TEST(SignedNoteTest, MalformedNotesAndKeysAreRefused) {
  auto signer = NoteSigner::Generate("log");
  std::string body = CheckpointBody(Sample());
  std::string good = FormatSignedNote({body, {signer->Sign(body)}});
  for (const std::string& bad : std::vector<std::string>{
           "", "no signature block\n", body,                                  // no empty line
           body + "\n",                                                       // no signature line
           body + "\n- log AAAA\n",                                           // ASCII dash
           body + "\n\xe2\x80\x94 log !!!\n",                                 // not base64
           body + "\n\xe2\x80\x94 log AAE=\n",                                // too short
           body + "\n\xe2\x80\x94 two words AAAAAAAA\n",                      // name with space
           good.substr(0, good.size() - 1),                                   // no final newline
           std::string("a\x01\n1\nAA==\n\n") + good.substr(body.size() + 1),  // control byte
           std::string("\xff\n") + good,                                      // not UTF-8
       }) {
    auto n = ParseSignedNote(bad);
    EXPECT_FALSE(n.ok()) << absl::CEscape(bad);
    if (!n.ok()) {
      EXPECT_EQ(Reason(n.status()), "NOTE_MALFORMED") << absl::CEscape(bad);
    }
  }
  EXPECT_EQ(Reason(ParseSignedNote(std::string(2 << 20, 'a')).status()), "NOTE_MALFORMED");
  for (const std::string& bad_body :
       std::vector<std::string>{"origin\n1\n", "origin\n-1\nAA==\n",
                                "origin\n01\n" + std::string("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"),
                                "origin\n1\nAAAA\n", "\n1\nAA==\n", "o\n1\nroot\n\n"}) {
    EXPECT_EQ(Reason(ParseCheckpointBody(bad_body).status()), "CHECKPOINT_MALFORMED") << absl::CEscape(bad_body);
  }
  std::string vkey = signer->VerifierKey();
  for (const std::string& bad : std::vector<std::string>{"", "log", "log+0000+AA==", "log+zzzzzzzz+" + vkey.substr(13),
                                                         "other" + vkey.substr(3)}) {
    EXPECT_EQ(Reason(NoteVerifier::FromVerifierKey(bad).status()), "KEY_MALFORMED") << bad;
  }
  EXPECT_TRUE(NoteVerifier::FromVerifierKey(vkey + "\n").ok());
}

}  // namespace
}  // namespace fairtrace
