// libFuzzer target: the MLmodel validator never throws, never crashes, and
// every violation it reports is valid UTF-8 (it goes into google.rpc
// details). Issue 8, item 3: yaml-cpp and nlohmann::json exceptions.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz/fuzz_check.h"
#include "validators/mlmodel/mlmodel_validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> kPaths = {"MLmodel",    "model.pkl",       "python_model.pkl",
                                                  "conda.yaml", "python_env.yaml", "artifacts/weights.bin",
                                                  "code/x.py"};
  absl::string_view yaml(reinterpret_cast<const char*>(data), size);
  fairtrace::mlmodel::Report r;
  try {
    r = fairtrace::mlmodel::Validator::Default().Validate(yaml, kPaths);
  } catch (...) {
    std::abort();  // exceptions must become findings
  }
  for (const auto& v : r.violations) {
    fairtrace::fuzz::CheckText(v.field);
    fairtrace::fuzz::CheckText(v.description);
  }
  if (r.ok()) {
    // What is recorded for an accepted model serialises.
    (void)r.info.flavor_details.dump();
    (void)r.info.extensions.dump();
    (void)r.info.metadata.dump();
  }
  return 0;
}
