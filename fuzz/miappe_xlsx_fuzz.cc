// libFuzzer target: the xlsx reader on arbitrary bytes (seeded with real
// workbooks and the official MIAPPE templates): never a crash, rows always
// as wide as the header, cells always valid UTF-8 (expat guarantees it for
// parsed text); then the loader (layout detection, template recognition,
// locations) and the validator on the same bytes: never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"
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
  std::vector<fairtrace::miappe::Finding> pre;
  const auto& schema = fairtrace::miappe::Schema::Default();
  fairtrace::miappe::Submission sub = fairtrace::miappe::LoadSheets(
      {{"fuzz.xlsx", std::string(reinterpret_cast<const char*>(data), size)}}, schema, &pre);
  fairtrace::miappe::Report report = fairtrace::miappe::Validate(sub, schema, {}, std::move(pre));
  if (report.findings.size() > fairtrace::miappe::Report::kMaxFindings) std::abort();
  return 0;
}
