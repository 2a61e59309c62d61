// libFuzzer target: the ISA-Tab reader and writer. The input is split on
// 0x1E (record separator) into i_investigation.txt, s_study1.txt,
// a_study1.txt, tdf.txt and d_study1.txt (the names the seed's
// investigation file uses). Reading must never crash and always give a
// report; whatever was read is written back as ISA-Tab and read again,
// which must not crash either.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "validators/miappe/isatab_writer.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fairtrace::miappe;
  static const char* kNames[] = {"i_investigation.txt", "s_study1.txt", "a_study1.txt", "tdf.txt", "d_study1.txt"};
  std::vector<InputFile> files;
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  for (const char* name : kNames) {
    size_t sep = in.find('\x1e');
    files.push_back({name, std::string(in.substr(0, sep))});
    if (sep == absl::string_view::npos) break;
    in.remove_prefix(sep + 1);
  }
  std::vector<Finding> pre;
  Submission sub = LoadSheets(files, Schema::Default(), &pre);
  Report r = Validate(sub, Schema::Default(), {}, std::move(pre));
  if (r.ToText().empty() || !r.ToJson().is_object()) std::abort();
  IsaTabExport out = WriteIsaTab(sub.records);
  if (out.files.empty() || out.files[0].name != "i_investigation.txt") std::abort();
  std::vector<Finding> again;
  Submission back = LoadSheets(out.files, Schema::Default(), &again);
  (void)back;
  return 0;
}
