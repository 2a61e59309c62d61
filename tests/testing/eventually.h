// Waiting in tests without sleeping for ordering: polls `done` every 10 ms
// and returns as soon as it holds (true), or false after `timeout`.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace fairtrace::testing {

inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  for (auto until = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < until;) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace fairtrace::testing
