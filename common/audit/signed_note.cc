#include "common/audit/signed_note.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

constexpr size_t kMaxNoteBytes = 1 << 20;
constexpr size_t kMaxSignatures = 100;
constexpr uint8_t kEd25519Algorithm = 0x01;
constexpr absl::string_view kSignaturePrefix = "\xe2\x80\x94 ";  // em dash, space

absl::Status Malformed(absl::string_view reason, std::string message) {
  return ErrorBuilder(absl::StatusCode::kInvalidArgument, std::move(message)).Reason(reason);
}

std::string BigEndian32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

uint32_t ReadBigEndian32(absl::string_view b) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

// Strict standard base64 (with padding), as signed notes use it.
std::optional<std::string> Base64Decode(absl::string_view in) {
  std::string out;
  if (!absl::Base64Unescape(in, &out)) return std::nullopt;
  if (absl::Base64Escape(out) != in) return std::nullopt;  // no non-canonical spellings
  return out;
}

std::string RawPublicKey(EVP_PKEY* key) {
  std::string out(32, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 || len != 32) {
    return "";
  }
  return out;
}

std::string PemOf(EVP_PKEY* key, bool private_key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  int ok = private_key ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
                       : PEM_write_bio_PUBKEY(bio, key);
  std::string out;
  if (ok == 1) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len > 0) out.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  return out;
}

}  // namespace

void EvpPkeyFree::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

uint32_t NoteKeyId(absl::string_view name, absl::string_view public_key) {
  std::string input = absl::StrCat(name, "\n");
  input.push_back(static_cast<char>(kEd25519Algorithm));
  input.append(public_key.data(), public_key.size());
  Sha256 h;
  h.Update(input);
  Sha256::Bytes d = h.Finish();
  return ReadBigEndian32(absl::string_view(reinterpret_cast<const char*>(d.data()), 4));
}

bool ValidNoteKeyName(absl::string_view name) {
  if (name.empty() || name.size() > 256 || !text::IsValidUtf8(name)) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == 0x7f || c == '+') return false;
  }
  return true;
}

std::string CheckpointBody(const Checkpoint& c) {
  std::string out = absl::StrCat(
      c.origin, "\n", c.size, "\n",
      absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(c.root.data()), c.root.size())), "\n");
  for (const std::string& e : c.extensions) absl::StrAppend(&out, e, "\n");
  return out;
}

absl::StatusOr<Checkpoint> ParseCheckpointBody(absl::string_view body) {
  if (body.empty() || body.back() != '\n') return Malformed("CHECKPOINT_MALFORMED", "a checkpoint ends with a newline");
  std::vector<absl::string_view> lines = absl::StrSplit(body.substr(0, body.size() - 1), '\n');
  if (lines.size() < 3) return Malformed("CHECKPOINT_MALFORMED", "a checkpoint has an origin, a size and a root");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return Malformed("CHECKPOINT_MALFORMED", "the checkpoint's origin line is empty");
  if (lines[1].empty() || lines[1].size() > 19 || (lines[1].size() > 1 && lines[1][0] == '0') ||
      lines[1].find_first_not_of("0123456789") != absl::string_view::npos || !absl::SimpleAtoi(lines[1], &c.size)) {
    return Malformed("CHECKPOINT_MALFORMED", "the checkpoint's size is not a decimal number");
  }
  std::optional<std::string> root = Base64Decode(lines[2]);
  if (!root || root->size() != c.root.size()) {
    return Malformed("CHECKPOINT_MALFORMED", "the checkpoint's root is not a base64 SHA-256 hash");
  }
  std::copy(root->begin(), root->end(), c.root.begin());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return Malformed("CHECKPOINT_MALFORMED", "a checkpoint extension line is empty");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

absl::StatusOr<SignedNote> ParseSignedNote(absl::string_view text) {
  if (text.size() > kMaxNoteBytes) return Malformed("NOTE_MALFORMED", "the note is larger than 1 MiB");
  if (!text::IsValidUtf8(text)) return Malformed("NOTE_MALFORMED", "the note is not valid UTF-8");
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7f) return Malformed("NOTE_MALFORMED", "the note holds a control character");
  }
  size_t split = text.rfind("\n\n");
  if (split == absl::string_view::npos || text.back() != '\n') {
    return Malformed("NOTE_MALFORMED", "a note is a body, an empty line and signature lines");
  }
  SignedNote note;
  note.body = std::string(text.substr(0, split + 1));
  absl::string_view sigs = text.substr(split + 2);
  std::vector<absl::string_view> lines = absl::StrSplit(sigs.substr(0, sigs.size() - 1), '\n');
  if (sigs.empty() || lines.empty()) return Malformed("NOTE_MALFORMED", "the note has no signature");
  if (lines.size() > kMaxSignatures) return Malformed("NOTE_MALFORMED", "the note has more than 100 signatures");
  for (absl::string_view line : lines) {
    if (!absl::ConsumePrefix(&line, kSignaturePrefix)) {
      return Malformed("NOTE_MALFORMED", "a signature line starts with an em dash and a space");
    }
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2 || !ValidNoteKeyName(parts[0])) {
      return Malformed("NOTE_MALFORMED", "a signature line is '— <key name> <base64 signature>'");
    }
    std::optional<std::string> raw = Base64Decode(parts[1]);
    if (!raw || raw->size() < 5) return Malformed("NOTE_MALFORMED", "a signature is not base64 of key id and bytes");
    note.signatures.push_back({std::string(parts[0]), ReadBigEndian32(*raw), raw->substr(4)});
  }
  return note;
}

std::string FormatSignedNote(const SignedNote& note) {
  std::string out = absl::StrCat(note.body, "\n");
  for (const NoteSignature& s : note.signatures) {
    absl::StrAppend(&out, kSignaturePrefix, s.key_name, " ",
                    absl::Base64Escape(absl::StrCat(BigEndian32(s.key_id), s.signature)), "\n");
  }
  return out;
}

NoteSigner::NoteSigner(std::string name, EvpPkeyPtr key, std::string public_key)
    : name_(std::move(name)), key_(key.release(), EvpPkeyFree()), public_key_(std::move(public_key)) {
  key_id_ = NoteKeyId(name_, public_key_);
}

absl::StatusOr<NoteSigner> NoteSigner::Generate(std::string name) {
  if (!ValidNoteKeyName(name)) return Malformed("KEY_MALFORMED", "a key name is printable, without spaces or '+'");
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (raw == nullptr) return absl::InternalError("OpenSSL cannot generate an Ed25519 key");
  EvpPkeyPtr key(raw);
  std::string pub = RawPublicKey(key.get());
  if (pub.empty()) return absl::InternalError("OpenSSL gives no raw Ed25519 public key");
  return NoteSigner(std::move(name), std::move(key), std::move(pub));
}

absl::StatusOr<NoteSigner> NoteSigner::FromPrivateKeyPem(std::string name, absl::string_view pem) {
  if (!ValidNoteKeyName(name)) return Malformed("KEY_MALFORMED", "a key name is printable, without spaces or '+'");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return absl::InternalError("OpenSSL cannot allocate a buffer");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return Malformed("KEY_MALFORMED", "not a PEM Ed25519 private key");
  }
  std::string pub = RawPublicKey(key.get());
  if (pub.empty()) return Malformed("KEY_MALFORMED", "the key has no raw Ed25519 public key");
  return NoteSigner(std::move(name), std::move(key), std::move(pub));
}

std::string NoteSigner::PrivateKeyPem() const { return PemOf(key_.get(), true); }
std::string NoteSigner::PublicKeyPem() const { return PemOf(key_.get(), false); }

std::string NoteSigner::VerifierKey() const {
  std::string blob(1, static_cast<char>(kEd25519Algorithm));
  blob += public_key_;
  return absl::StrCat(name_, "+", absl::BytesToHexString(BigEndian32(key_id_)), "+", absl::Base64Escape(blob));
}

NoteSignature NoteSigner::Sign(absl::string_view body) const {
  std::string sig(64, '\0');
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1;
  EVP_MD_CTX_free(ctx);
  // Ed25519 signing fails only when OpenSSL itself is broken; an empty
  // signature never verifies, so the failure cannot pass unnoticed.
  if (!ok || len != 64) sig.clear();
  return NoteSignature{name_, key_id_, sig};
}

absl::StatusOr<NoteVerifier> NoteVerifier::FromVerifierKey(absl::string_view vkey) {
  while (!vkey.empty() && (vkey.back() == '\n' || vkey.back() == '\r' || vkey.back() == ' ')) vkey.remove_suffix(1);
  std::vector<absl::string_view> parts = absl::StrSplit(vkey, absl::MaxSplits('+', 2));
  auto bad = [] {
    return Malformed("KEY_MALFORMED", "a verifier key is '<name>+<8 hex digits>+<base64(0x01 ‖ 32-byte key)>'");
  };
  if (parts.size() != 3 || !ValidNoteKeyName(parts[0]) || parts[1].size() != 8) return bad();
  std::string id_bytes = absl::HexStringToBytes(parts[1]);
  if (absl::BytesToHexString(id_bytes) != parts[1]) return bad();
  std::optional<std::string> blob = Base64Decode(parts[2]);
  if (!blob || blob->size() != 33 || static_cast<uint8_t>((*blob)[0]) != kEd25519Algorithm) return bad();
  std::string pub = blob->substr(1);
  NoteVerifier v;
  v.name_ = std::string(parts[0]);
  v.key_id_ = NoteKeyId(v.name_, pub);
  if (v.key_id_ != ReadBigEndian32(id_bytes)) {
    return Malformed("KEY_MALFORMED", "the verifier key's id does not match its name and public key");
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(pub.data()), pub.size());
  if (key == nullptr) return bad();
  v.key_ = std::shared_ptr<EVP_PKEY>(key, EvpPkeyFree());
  return v;
}

bool NoteVerifier::Verify(absl::string_view body, const NoteSignature& sig) const {
  if (sig.key_name != name_ || sig.key_id != key_id_ || sig.signature.size() != 64) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.signature.data()), sig.signature.size(),
                             reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

bool NoteVerifier::VerifyNote(const SignedNote& note) const {
  for (const NoteSignature& s : note.signatures) {
    if (Verify(note.body, s)) return true;
  }
  return false;
}

absl::StatusOr<Checkpoint> OpenCheckpoint(absl::string_view text, const NoteVerifier& verifier,
                                          std::optional<absl::string_view> origin) {
  absl::StatusOr<SignedNote> note = ParseSignedNote(text);
  if (!note.ok()) return note.status();
  if (!verifier.VerifyNote(*note)) {
    return ErrorBuilder(absl::StatusCode::kUnauthenticated,
                        absl::StrCat("the checkpoint carries no valid signature of key ", verifier.name()))
        .Reason("NOTE_SIGNATURE_INVALID")
        .Build();
  }
  absl::StatusOr<Checkpoint> c = ParseCheckpointBody(note->body);
  if (!c.ok()) return c.status();
  if (origin && c->origin != *origin) {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("the checkpoint is of log '", c->origin, "', not of '", *origin, "'"))
        .Reason("CHECKPOINT_ORIGIN_MISMATCH")
        .Build();
  }
  return c;
}

}  // namespace fairtrace
