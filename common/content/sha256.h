// SHA-256 over OpenSSL 3 EVP (SHA-NI when the CPU has it).
//
// Sha256 is an incremental hasher; not thread-safe, one per thread of use.
// Errors from OpenSSL are programming/environment errors and abort.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace fairtrace {

class Sha256 {
 public:
  using Bytes = std::array<uint8_t, 32>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }
  // Returns the digest and resets the hasher for reuse.
  Bytes Finish();
  std::string FinishHex();
  void Reset();

 private:
  EVP_MD_CTX* ctx_;
};

std::string ToHex(const uint8_t* data, size_t size);
inline std::string ToHex(const Sha256::Bytes& b) { return ToHex(b.data(), b.size()); }
// Parses lowercase hex of exactly 2*out.size() characters.
bool FromHex(absl::string_view hex, uint8_t* out, size_t out_size);

// One-shot hash as lowercase hex.
std::string Sha256Hex(absl::string_view data);

}  // namespace fairtrace
