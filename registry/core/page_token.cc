#include "registry/core/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace fairtrace {
namespace {

constexpr size_t kMacBytes = 16;

std::string Mac(absl::string_view key, absl::string_view kind, absl::string_view payload) {
  std::string msg = absl::StrCat(kind, absl::string_view("\0", 1), payload);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), kMacBytes);
}

}  // namespace

std::string EncodePageToken(absl::string_view key, absl::string_view kind, absl::string_view payload) {
  return absl::WebSafeBase64Escape(absl::StrCat(payload, Mac(key, kind, payload)));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view key, absl::string_view kind, absl::string_view token) {
  if (token.empty()) return std::string();
  std::string raw;
  if (token.size() > 4096 || !absl::WebSafeBase64Unescape(token, &raw) || raw.size() < kMacBytes) {
    return InvalidField("page_token", "not a page token of this list; start again without one");
  }
  absl::string_view payload(raw.data(), raw.size() - kMacBytes);
  std::string expected = Mac(key, kind, payload);
  if (CRYPTO_memcmp(expected.data(), raw.data() + payload.size(), kMacBytes) != 0) {
    return InvalidField("page_token", "not a page token of this list; start again without one");
  }
  return std::string(payload);
}

}  // namespace fairtrace
