// libFuzzer target: AIP-160 filters. ParseFilter never crashes, stays within
// its limits (depth, comparisons), accepts only the documented operators,
// and reports errors in valid UTF-8. Issue 8, item 6: "==" gave INTERNAL.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/query/filter.h"
#include "fuzz/fuzz_check.h"

namespace {

using fairtrace::FilterExpr;

int Check(const FilterExpr& e, int depth) {
  if (depth > 64) std::abort();
  int comparisons = 0;
  if (e.kind == FilterExpr::Kind::kCompare) {
    static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">="};
    bool known = false;
    for (const char* op : kOps) known = known || e.op == op;
    if (!known) std::abort();
    fairtrace::fuzz::CheckText(e.field);
    return 1;
  }
  for (const auto& c : e.children) comparisons += Check(c, depth + 1);
  return comparisons;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<fairtrace::FilterField> kFields = {
      {"name", fairtrace::FilterType::kString},
      {"version", fairtrace::FilterType::kInt},
      {"create_time", fairtrace::FilterType::kTimestamp},
      {"stage", fairtrace::FilterType::kEnum, {"NONE", "STAGING", "PRODUCTION", "ARCHIVED"}},
      {"tags.", fairtrace::FilterType::kString},
      {"params.", fairtrace::FilterType::kDynamic},
  };
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  if (!fairtrace::text::IsValidUtf8(text)) return 0;  // proto3 strings: the parser refuses these before us
  auto parsed = fairtrace::ParseFilter(text, kFields);
  if (!parsed.ok()) {
    fairtrace::fuzz::CheckStatus(parsed.status());
    return 0;
  }
  if (parsed->has_filter && Check(parsed->root, 0) > fairtrace::FilterLimits{}.max_comparisons) std::abort();
  return 0;
}
