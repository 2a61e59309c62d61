// libFuzzer target: the dataset item table parser (registry/datasets/
// item_table.h) on arbitrary bytes, in every format: never a crash; a table
// it accepts (no problem) has a path on every row, attributes sorted and
// unique, and only valid ISO 8601 acquisition dates; problems are bounded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "registry/datasets/item_table.h"

using fairtrace::datasets::ItemTable;
using fairtrace::datasets::TableFormat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  fairtrace::datasets::TableLimits limits;
  limits.max_rows = 10'000;  // keep the fuzzer's memory bounded
  for (TableFormat f : {TableFormat::kDetect, TableFormat::kCsv, TableFormat::kTsv, TableFormat::kJsonl}) {
    ItemTable t = fairtrace::datasets::ParseItemTable("fuzz", bytes, f, limits);
    if (t.problems.size() > limits.max_problems || t.problem_count < t.problems.size()) std::abort();
    if (t.problem_count > 0) continue;
    for (const auto& row : t.rows) {
      if (row.path.empty()) std::abort();
      if (!row.acquired_at.empty() && !fairtrace::datasets::IsIso8601(row.acquired_at)) std::abort();
      for (size_t i = 1; i < row.attributes.size(); ++i) {
        if (!(row.attributes[i - 1].first < row.attributes[i].first)) std::abort();
      }
      if (row.links.size() > limits.max_links_per_item) std::abort();
    }
  }
  return 0;
}
