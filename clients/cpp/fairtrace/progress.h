// A one-line progress bar on stderr: bytes done / total, rate, ETA.
// Draws only when enabled (the CLI enables it when stderr is a terminal),
// at most 10 times a second. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "absl/time/time.h"

namespace fairtrace::client {

class Progress {
 public:
  Progress(std::string label, int64_t total_bytes, bool enabled);
  ~Progress();
  void Add(int64_t bytes);
  // Draws the final state and ends the line.
  void Finish();

  static std::string HumanBytes(double bytes);

 private:
  void Draw(bool final);

  std::mutex mu_;
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool enabled_;
  bool finished_ = false;
  absl::Time start_;
  absl::Time last_draw_;
};

}  // namespace fairtrace::client
