// MlmodelCache: the parsed MLmodel (ModelVersionRow::mlmodel_json) of trees
// whose MLmodel validated, keyed by what mlmodel::Validator::Validate reads:
// the MLmodel file's digest and the tree's paths. Validation is a function
// of those alone, so a folder registered again, or one with only a data
// file changed (a retrained model's weights), skips reading and parsing its
// MLmodel. Refusals are not kept (each rebuilds its full report).
//
// Bounded: at most `capacity` entries; when full, every entry is dropped
// (memory stays under capacity × (64 + one MLmodel's JSON) bytes).
// Thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/content/digest.h"

namespace fairtrace {

class MlmodelCache {
 public:
  explicit MlmodelCache(size_t capacity = 1024) : capacity_(capacity) {}

  // SHA-256 over the MLmodel digest and each path, length-prefixed.
  static std::string KeyOf(const Digest& mlmodel, const std::vector<std::string>& paths);
  std::optional<std::string> Find(const std::string& key) const;
  void Put(std::string key, std::string mlmodel_json);
  size_t size() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fairtrace
