// Signed notes and checkpoints (C2SP signed-note and tlog-checkpoint), with
// Ed25519 through OpenSSL 3. docs/audit-log.md § Checkpoints.
//
//   <origin>\n<size>\n<base64 root>\n[extension lines]   (the body)
//   \n
//   — <key name> <base64(key id[4] ‖ signature[64])>\n    (one per signature)
//
// key id = first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key);
// a verifier key is written "<name>+<key id hex>+<base64(0x01 ‖ public key)>"
// (the format of golang.org/x/mod/sumdb/note). The signature covers the
// body: the text up to and including its last newline.
//
// Errors: INVALID_ARGUMENT (reason NOTE_MALFORMED, CHECKPOINT_MALFORMED,
// KEY_MALFORMED) for text that does not parse; UNAUTHENTICATED (reason
// NOTE_SIGNATURE_INVALID) when no valid signature of the expected key is
// present. Everything here is pure or owns its key; NoteSigner and
// NoteVerifier are immutable after creation and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/audit/merkle.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace fairtrace {

struct Checkpoint {
  std::string origin;
  int64_t size = 0;
  MerkleHash root{};
  std::vector<std::string> extensions;  // extra body lines, without "\n"
};

std::string CheckpointBody(const Checkpoint& c);
absl::StatusOr<Checkpoint> ParseCheckpointBody(absl::string_view body);

struct NoteSignature {
  std::string key_name;
  uint32_t key_id = 0;
  std::string signature;  // the bytes after the key id (64 for Ed25519)
};

struct SignedNote {
  std::string body;  // ends with "\n"
  std::vector<NoteSignature> signatures;
};

// Parses a note: at most 1 MiB, valid UTF-8, at most 100 signatures.
absl::StatusOr<SignedNote> ParseSignedNote(absl::string_view text);
std::string FormatSignedNote(const SignedNote& note);
// Key names: non-empty, printable, no spaces and no '+'.
bool ValidNoteKeyName(absl::string_view name);

struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

class NoteSigner {
 public:
  // A new random Ed25519 key named `name`.
  static absl::StatusOr<NoteSigner> Generate(std::string name);
  // The PKCS#8 PEM written by PrivateKeyPem (or `openssl genpkey -algorithm ed25519`).
  static absl::StatusOr<NoteSigner> FromPrivateKeyPem(std::string name, absl::string_view pem);

  std::string PrivateKeyPem() const;
  std::string PublicKeyPem() const;
  // "<name>+<key id hex>+<base64(0x01 ‖ public key)>".
  std::string VerifierKey() const;
  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  NoteSignature Sign(absl::string_view body) const;

 private:
  NoteSigner(std::string name, EvpPkeyPtr key, std::string public_key);
  std::string name_;
  std::shared_ptr<EVP_PKEY> key_;
  std::string public_key_;  // 32 raw bytes
  uint32_t key_id_ = 0;
};

class NoteVerifier {
 public:
  static absl::StatusOr<NoteVerifier> FromVerifierKey(absl::string_view vkey);
  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  bool Verify(absl::string_view body, const NoteSignature& sig) const;
  // True when one of the note's signatures is this key's and valid.
  bool VerifyNote(const SignedNote& note) const;

 private:
  NoteVerifier() = default;
  std::string name_;
  std::shared_ptr<EVP_PKEY> key_;
  uint32_t key_id_ = 0;
};

// Parses `text` as a signed checkpoint, checks `verifier`'s signature on it
// and (when given) its origin. UNAUTHENTICATED NOTE_SIGNATURE_INVALID when
// the signature is missing or wrong, FAILED_PRECONDITION
// CHECKPOINT_ORIGIN_MISMATCH for another log's checkpoint.
absl::StatusOr<Checkpoint> OpenCheckpoint(absl::string_view text, const NoteVerifier& verifier,
                                          std::optional<absl::string_view> origin = std::nullopt);

uint32_t NoteKeyId(absl::string_view name, absl::string_view public_key);

}  // namespace fairtrace
