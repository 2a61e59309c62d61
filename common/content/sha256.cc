#include "common/content/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace fairtrace {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();
  Reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

namespace {

// Fetched once: OpenSSL 3 would look the implementation up by name on every
// init of the legacy EVP_sha256() handle (an "implicit fetch").
const EVP_MD* FetchedSha256() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) std::abort();
    return m;
  }();
  return md;
}

}  // namespace

void Sha256::Reset() {
  if (EVP_DigestInit_ex(ctx_, FetchedSha256(), nullptr) != 1) std::abort();
}

void Sha256::Update(const void* data, size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(ctx_, data, size) != 1) std::abort();
}

Sha256::Bytes Sha256::Finish() {
  Bytes out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) std::abort();
  Reset();
  return out;
}

std::string Sha256::FinishHex() { return ToHex(Finish()); }

std::string ToHex(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

bool FromHex(absl::string_view hex, uint8_t* out, size_t out_size) {
  if (hex.size() != out_size * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < out_size; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::string Sha256Hex(absl::string_view data) {
  // One hasher per thread: OpenSSL 3 looks the algorithm up on every new
  // context, which costs more than hashing a short input.
  thread_local Sha256 h;
  h.Update(data);
  return h.FinishHex();
}

}  // namespace fairtrace
