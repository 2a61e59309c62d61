// libFuzzer target: the xlsx reader on arbitrary bytes (seeded with real
// workbooks): never a crash, rows always as wide as the header, cells
// always valid UTF-8 (expat guarantees it for parsed text).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "validators/miappe/xlsx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<fairtrace::miappe::Finding> findings;
  fairtrace::miappe::XlsxLimits limits;
  limits.max_total_bytes = size_t{64} << 20;  // keep the fuzzer's memory bounded
  auto sheets = fairtrace::miappe::ReadXlsx("fuzz.xlsx", absl::string_view(reinterpret_cast<const char*>(data), size),
                                            &findings, limits);
  for (const auto& [name, t] : sheets) {
    if (t.rows.size() != t.lines.size()) std::abort();
    for (const auto& row : t.rows) {
      if (row.size() != t.rows[0].size()) std::abort();
      for (const auto& cell : row) {
        if (!fairtrace::miappe::IsValidUtf8(cell)) std::abort();
      }
    }
  }
  return 0;
}
