#include "registry/models/mlmodel_cache.h"

#include "absl/strings/str_cat.h"
#include "common/content/sha256.h"

namespace fairtrace {

std::string MlmodelCache::KeyOf(const Digest& mlmodel, const std::vector<std::string>& paths) {
  Sha256 h;
  h.Update(absl::StrCat(mlmodel.sha256, "/", mlmodel.size_bytes, "\n"));
  for (const std::string& p : paths) {
    h.Update(absl::StrCat(p.size(), ":"));
    h.Update(p);
  }
  return h.FinishHex();
}

std::optional<std::string> MlmodelCache::Find(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void MlmodelCache::Put(std::string key, std::string mlmodel_json) {
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.insert_or_assign(std::move(key), std::move(mlmodel_json));
}

size_t MlmodelCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace fairtrace
