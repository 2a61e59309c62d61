#include "registry/trust/refusal_limiter.h"

#include <algorithm>
#include <utility>

namespace fairtrace {

RefusalLimiter::RefusalLimiter(Options options)
    : options_([&] {
        if (!options.now) options.now = [] { return absl::Now(); };
        return std::move(options);
      }()) {
  total_ = Bucket{options_.total_burst, options_.now()};
}

void RefusalLimiter::Refill(Bucket& b, double burst, double per_second, absl::Time now) const {
  if (now > b.updated) {
    b.tokens = std::min(burst, b.tokens + absl::ToDoubleSeconds(now - b.updated) * per_second);
    b.updated = now;
  }
}

bool RefusalLimiter::Take(Bucket& b, double burst, double per_second, absl::Time now) {
  Refill(b, burst, per_second, now);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void RefusalLimiter::ForgetIdleCallers(absl::Time now) {
  for (auto it = callers_.begin(); it != callers_.end();) {
    Refill(it->second, options_.per_caller_burst, options_.per_caller_per_second, now);
    if (it->second.tokens >= options_.per_caller_burst) {
      callers_.erase(it++);
    } else {
      ++it;
    }
  }
}

RefusalLimiter::Decision RefusalLimiter::Admit(absl::string_view caller) {
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  auto it = callers_.find(caller);
  if (it == callers_.end()) {
    if (callers_.size() >= options_.max_callers) ForgetIdleCallers(now);
    if (callers_.size() < options_.max_callers) {
      it = callers_.emplace(std::string(caller), Bucket{options_.per_caller_burst, now}).first;
    }
  }
  // The caller's own bucket first: a caller over its budget does not use up
  // the server-wide one.
  bool allowed =
      it == callers_.end() || Take(it->second, options_.per_caller_burst, options_.per_caller_per_second, now);
  allowed = allowed && Take(total_, options_.total_burst, options_.total_per_second, now);
  Decision d;
  if (!allowed) {
    ++not_recorded_;
    return d;
  }
  d.record = true;
  d.not_recorded = std::exchange(not_recorded_, 0);
  return d;
}

}  // namespace fairtrace
