// libFuzzer target: tree manifests. ParseTree accepts only canonical bytes
// (what EncodeTree gives back byte for byte), never crashes, reports in
// valid UTF-8; the restorability check and the page index of an accepted
// manifest agree with its bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/content/tree.h"
#include "common/content/tree_names.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto entries = fairtrace::ParseTree(bytes);
  if (!entries.ok()) {
    fairtrace::fuzz::CheckStatus(entries.status());
    return 0;
  }
  auto again = fairtrace::EncodeTree(*entries);
  if (!again.ok() || *again != bytes) std::abort();  // canonical: one folder, one digest
  for (const auto& p : fairtrace::TreeRestoreProblems(*entries)) fairtrace::fuzz::CheckText(p.message);
  for (const auto& point : fairtrace::TreeIndexPoints(*entries, 3)) {
    size_t nl = bytes.find('\n', point.byte_offset);
    if (nl == absl::string_view::npos) std::abort();
    auto e = fairtrace::ParseTreeLine(bytes.substr(point.byte_offset, nl - point.byte_offset));
    if (!e.ok() || !(*e == (*entries)[point.entry])) std::abort();
  }
  return 0;
}
