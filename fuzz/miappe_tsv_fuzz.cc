// libFuzzer target: the TSV sheet reader must never crash, never produce
// invalid UTF-8 cells, and always give rows of the header's width.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "validators/miappe/tsv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<fairtrace::miappe::Finding> findings;
  fairtrace::miappe::Table t =
      fairtrace::miappe::ParseTsv("fuzz.tsv", absl::string_view(reinterpret_cast<const char*>(data), size), &findings);
  if (t.rows.size() != t.lines.size()) std::abort();
  for (const auto& row : t.rows) {
    if (!t.rows.empty() && row.size() != t.rows[0].size()) std::abort();
    for (const auto& cell : row) {
      if (!fairtrace::miappe::IsValidUtf8(cell)) std::abort();
    }
  }
  return 0;
}
