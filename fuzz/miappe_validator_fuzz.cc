// libFuzzer target: load and validate arbitrary sheets. The input is split
// on 0x1E (record separator) into the sheets of the sections, in a fixed
// order; the validator must never crash and always produce a report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fairtrace::miappe;
  static const char* kNames[] = {"investigation.tsv",
                                 "study.tsv",
                                 "person.tsv",
                                 "biological_material.tsv",
                                 "observation_unit.tsv",
                                 "observed_variable.tsv",
                                 "experimental_factor.tsv",
                                 "event.tsv",
                                 "sample.tsv",
                                 "environment.tsv",
                                 "data_file.tsv"};
  std::vector<InputFile> files;
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  for (const char* name : kNames) {
    size_t sep = in.find('\x1e');
    files.push_back({name, std::string(in.substr(0, sep))});
    if (sep == absl::string_view::npos) break;
    in.remove_prefix(sep + 1);
  }
  for (Strictness s : {Strictness::kDefault, Strictness::kLenient}) {
    std::vector<Finding> pre;
    Submission sub = LoadSheets(files, Schema::Default(), &pre);
    Report r = Validate(sub, Schema::Default(), {s}, std::move(pre));
    if (r.ToText().empty() || !r.ToJson().is_object()) std::abort();
  }
  return 0;
}
