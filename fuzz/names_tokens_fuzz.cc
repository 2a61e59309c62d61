// libFuzzer target: resource names and page tokens from clients. Digests,
// blob and upload resource names parse or fail cleanly (valid UTF-8 errors,
// canonical round trip when accepted); page tokens are accepted only when
// signed with the server's key for the same listing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/content/digest.h"
#include "fuzz/fuzz_check.h"
#include "registry/core/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto d = fairtrace::ParseDigest(in); d.ok()) {
    if (d->ToString() != in) std::abort();  // one spelling per digest
  } else {
    fairtrace::fuzz::CheckStatus(d.status());
  }
  if (auto d = fairtrace::ParseBlobResourceName(in); d.ok()) {
    if (fairtrace::BlobResourceName(*d) != in) std::abort();
  } else {
    fairtrace::fuzz::CheckStatus(d.status());
  }
  if (auto u = fairtrace::ParseUploadResourceName(in); u.ok()) {
    if (fairtrace::UploadResourceName(u->upload_id, u->digest) != in) std::abort();
  } else {
    fairtrace::fuzz::CheckStatus(u.status());
  }
  auto payload = fairtrace::DecodePageToken("server-key", "runs:filter", in);
  if (payload.ok() && !in.empty()) {  // "" is the first page's token by contract
    // Only a token this key signed decodes: re-encoding gives it back.
    if (fairtrace::EncodePageToken("server-key", "runs:filter", *payload) != in) std::abort();
  } else {
    fairtrace::fuzz::CheckStatus(payload.status());
  }
  // A token of another listing never decodes.
  std::string minted = fairtrace::EncodePageToken("server-key", "versions:m", in);
  if (fairtrace::DecodePageToken("server-key", "runs:filter", minted).ok()) std::abort();
  if (!fairtrace::DecodePageToken("server-key", "versions:m", minted).ok()) std::abort();
  return 0;
}
