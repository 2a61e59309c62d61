// Bounds the audit records that refused calls append (docs/security.md,
// "Refused calls"). Every unauthenticated or denied call is audited, so
// without a bound an anonymous caller could grow the log (and its Merkle
// tree) as fast as it can send requests.
//
// Two token buckets decide whether a refusal gets a record of its own: one
// per caller (its peer address; `per_caller_burst` records at once, then
// `per_caller_per_second`) and one for the whole server (`total_burst`,
// `total_per_second`), so many callers together are bounded too and one
// flooding caller does not silence the records of others. A refusal over
// budget is still refused; it is counted instead, and the next refusal that
// is recorded first gets a summary record saying how many were not
// (Admit returns that count). At most `max_callers` callers are tracked;
// when more arrive, idle ones (full buckets) are forgotten, else the newcomer
// shares the server-wide bucket only.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace fairtrace {

class RefusalLimiter {
 public:
  struct Options {
    double per_caller_burst = 20;
    double per_caller_per_second = 2;
    double total_burst = 200;
    double total_per_second = 50;
    size_t max_callers = 4096;
    std::function<absl::Time()> now;  // default absl::Now
  };
  RefusalLimiter() : RefusalLimiter(Options()) {}
  explicit RefusalLimiter(Options options);

  struct Decision {
    bool record = false;       // append this refusal's record
    int64_t not_recorded = 0;  // refusals suppressed since the last summary: append a summary first
  };
  Decision Admit(absl::string_view caller);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  bool Take(Bucket& b, double burst, double per_second, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Refill(Bucket& b, double burst, double per_second, absl::Time now) const;
  void ForgetIdleCallers(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  absl::Mutex mu_;
  Bucket total_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Bucket> callers_ ABSL_GUARDED_BY(mu_);
  int64_t not_recorded_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fairtrace
