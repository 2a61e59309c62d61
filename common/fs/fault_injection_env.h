// FaultInjectionEnv: an Env (env.h) that fails chosen operations, for tests
// of what the registry promises when the disk misbehaves.
//
// A plan fails the `nth` call (1-based) of one operation kind whose path
// contains `path_part` (empty: any path), with one fault:
//   kError       the call fails (EIO: INTERNAL) and does nothing;
//   kNoSpace     ENOSPC (RESOURCE_EXHAUSTED); for writes, after half the
//                bytes were written (a short write, as a full disk gives);
// and, when `sticky`, every later call of that kind fails too (a disk that
// stays broken). Calls are counted per plan. Thread-safe.
#pragma once

#include <string>

#include "absl/synchronization/mutex.h"
#include "common/fs/env.h"

namespace fairtrace::fs {

class FaultInjectionEnv : public Env {
 public:
  enum class Fault { kError, kNoSpace };
  struct Plan {
    Op op = Op::kSync;
    int nth = 1;
    Fault fault = Fault::kError;
    std::string path_part;
    bool sticky = false;
  };

  // No plan: behaves as the default Env.
  void Arm(const Plan& plan);
  void Disarm();
  // Whether the armed plan has failed a call yet.
  bool fired() const;
  // Calls of `op` seen since the last Arm (matching the plan's path_part).
  int calls() const;

  absl::Status Before(Op op, const std::filesystem::path& path, size_t* write_len) override;

 private:
  mutable absl::Mutex mu_;
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  Plan plan_ ABSL_GUARDED_BY(mu_);
  int seen_ ABSL_GUARDED_BY(mu_) = 0;
  bool fired_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace fairtrace::fs
