// The MLflow door's transport and its experiments endpoints, on this
// machine (docs/benchmarks.md, "MLflow door"): a C++ keep-alive load
// generator (cpp-httplib clients, one connection each) against the door
// in process (HTTP over loopback TCP, the real registry and SQLite store).
//   * GET experiments/get p50/p99, one client, sequential
//   * the same with 8 clients at once: calls per second
//   * POST experiments/create (an audited write) p50/p99
// Issue 15's targets are for log-metric, log-batch and model versions,
// which the door does not serve yet; these figures are the transport's
// floor under them.
// Run: build/bench/mlflow_door_bench
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "bench/bench_util.h"
#include "registry/mlflow/mlflow_door.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/temp_dir.h"

int main() {
  using fairtrace::bench::Percentiles;
  using fairtrace::bench::Time;
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  fairtrace::testing::TempDir dir;
  auto store = fairtrace::SqliteBackend::Open({.path = (dir.path() / "db").string()});
  if (!store.ok()) return 1;
  auto now = [] { return absl::ToUnixMicros(absl::Now()); };
  auto access = fairtrace::AccessControl::Create((*store)->access(), (*store)->content(), now);
  if (!access.ok()) return 1;
  fairtrace::ExperimentRegistry experiments((*store)->content(), (*store)->experiments(), now);
  fairtrace::mlflow::DoorOptions options;
  options.page_token_key = "bench";
  auto door = fairtrace::mlflow::MlflowDoor::Start(options, {(*store)->content(), access->get(), &experiments, now});
  if (!door.ok()) {
    std::fprintf(stderr, "%s\n", door.status().ToString().c_str());
    return 1;
  }
  const int port = (*door)->port();
  // Clients turn Nagle off as urllib3 (the MLflow client's) does: a POST's
  // body is a second write, which Nagle would hold until the delayed ACK
  // of the headers (~40 ms).
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  auto made = c.Post("/api/2.0/mlflow/experiments/create", R"({"name":"bench"})", "application/json");
  if (!made || made->status != 200) return 1;
  const std::string get = "/api/2.0/mlflow/experiments/get?experiment_id=1";
  for (int i = 0; i < 500; ++i) (void)c.Get(get);
  Percentiles one = Time(5000, [&](int) {
    auto r = c.Get(get);
    if (!r || r->status != 200) std::abort();
  });
  std::printf("GET experiments/get, keep-alive, sequential: p50 %.0f µs  p99 %.0f µs\n", one.p50, one.p99);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      httplib::Client mine("127.0.0.1", port);
      mine.set_keep_alive(true);
      mine.set_tcp_nodelay(true);
      while (!stop) {
        auto r = mine.Get(get);
        if (!r || r->status != 200) std::abort();
        ++calls;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  for (auto& t : clients) t.join();
  std::printf("GET experiments/get, 8 keep-alive clients: %.0f calls/s\n", calls.load() / 3.0);

  int n = 0;
  Percentiles create = Time(2000, [&](int) {
    auto r =
        c.Post("/api/2.0/mlflow/experiments/create", "{\"name\":\"e" + std::to_string(n++) + "\"}", "application/json");
    if (!r || r->status != 200) std::abort();
  });
  std::printf("POST experiments/create (audited write, state digest): p50 %.0f µs  p99 %.0f µs\n", create.p50,
              create.p99);
  (*door)->Stop();
  return 0;
}
