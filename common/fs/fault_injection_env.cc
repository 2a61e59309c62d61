#include "common/fs/fault_injection_env.h"

#include "absl/strings/str_cat.h"

namespace fairtrace::fs {

void FaultInjectionEnv::Arm(const Plan& plan) {
  absl::MutexLock lock(&mu_);
  armed_ = true;
  plan_ = plan;
  seen_ = 0;
  fired_ = false;
}

void FaultInjectionEnv::Disarm() {
  absl::MutexLock lock(&mu_);
  armed_ = false;
}

bool FaultInjectionEnv::fired() const {
  absl::MutexLock lock(&mu_);
  return fired_;
}

int FaultInjectionEnv::calls() const {
  absl::MutexLock lock(&mu_);
  return seen_;
}

absl::Status FaultInjectionEnv::Before(Op op, const std::filesystem::path& path, size_t* write_len) {
  absl::MutexLock lock(&mu_);
  if (!armed_ || op != plan_.op) return absl::OkStatus();
  if (!plan_.path_part.empty() && path.string().find(plan_.path_part) == std::string::npos) return absl::OkStatus();
  ++seen_;
  if (seen_ < plan_.nth || (seen_ > plan_.nth && !plan_.sticky)) return absl::OkStatus();
  fired_ = true;
  if (plan_.fault == Fault::kNoSpace) {
    if (write_len != nullptr) *write_len /= 2;
    return absl::ResourceExhaustedError(absl::StrCat("injected ENOSPC on ", path.string()));
  }
  return absl::InternalError(absl::StrCat("injected I/O error on ", path.string()));
}

}  // namespace fairtrace::fs
