#include "clients/cpp/fairtrace/progress.h"

#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace fairtrace::client {

Progress::Progress(std::string label, int64_t total_bytes, bool enabled)
    : label_(std::move(label)),
      total_(total_bytes),
      enabled_(enabled),
      start_(absl::Now()),
      last_draw_(absl::InfinitePast()) {}

Progress::~Progress() { Finish(); }

std::string Progress::HumanBytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrFormat("%.0f %s", b, units[u]) : absl::StrFormat("%.1f %s", b, units[u]);
}

void Progress::Add(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += bytes;
  if (enabled_ && absl::Now() - last_draw_ > absl::Milliseconds(100)) Draw(false);
}

void Progress::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (enabled_) Draw(true);
}

void Progress::Draw(bool final) {
  last_draw_ = absl::Now();
  double secs = absl::ToDoubleSeconds(last_draw_ - start_);
  double rate = secs > 0 ? done_ / secs : 0;
  std::string eta = "--";
  if (rate > 0 && total_ >= done_) eta = absl::StrFormat("%.0fs", (total_ - done_) / rate);
  std::fprintf(stderr, "\r%s %s / %s  %s/s  ETA %s\033[K%s", label_.c_str(), HumanBytes(done_).c_str(),
               HumanBytes(total_).c_str(), HumanBytes(rate).c_str(), final ? "0s" : eta.c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace fairtrace::client
