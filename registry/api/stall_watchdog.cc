#include "registry/api/stall_watchdog.h"

#include <vector>

namespace fairtrace::api {

StallWatchdog::StallWatchdog(absl::Duration limit, std::function<void(const std::string&)> on_cancel)
    : limit_(limit), on_cancel_(std::move(on_cancel)) {}

StallWatchdog::~StallWatchdog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void StallWatchdog::Begin(grpc::ServerContext* ctx, const std::string& method) {
  absl::MutexLock lock(&mu_);
  pending_[ctx] = Pending{absl::Now(), method};
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { Loop(); });
  }
}

void StallWatchdog::End(grpc::ServerContext* ctx) {
  absl::MutexLock lock(&mu_);
  pending_.erase(ctx);
}

void StallWatchdog::Loop() {
  const absl::Duration tick = std::max(limit_ / 4, absl::Milliseconds(10));
  absl::MutexLock lock(&mu_);
  while (true) {
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), tick);
    if (stopping_) return;
    const absl::Time now = absl::Now();
    std::vector<std::string> cancelled;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now - it->second.since < limit_) {
        ++it;
        continue;
      }
      // The operation is still blocked inside gRPC with `ctx` alive (End
      // has not run), so cancelling it here is safe; it then returns false.
      it->first->TryCancel();
      cancelled.push_back(it->second.method);
      it = pending_.erase(it);
    }
    if (!cancelled.empty() && on_cancel_) {
      mu_.Unlock();
      for (const std::string& m : cancelled) on_cancel_(m);
      mu_.Lock();
    }
  }
}

}  // namespace fairtrace::api
