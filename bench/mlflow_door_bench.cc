// The MLflow door's transport and its experiments endpoints, on this
// machine (docs/benchmarks.md, "MLflow door"): a C++ keep-alive load
// generator (cpp-httplib clients, one connection each) against the door
// in process (HTTP over loopback TCP, the real registry and SQLite store).
//   * GET experiments/get p50/p99, one client, sequential
//   * the same with 8 clients at once: calls per second
//   * POST experiments/create (an audited write) p50/p99
// Then the real server binary with its door: runs/log-metric (issue 15's
// target: p50 < 1 ms, >= 3,000/s with 8 clients), each client on its own
// run; runs/log-batch of 1,000 metrics (< 15 ms); runs/search over 1,000
// runs; a 100 MiB artifact up and down (>= 0.3x the SHA-256 rate).
// Run: build/bench/mlflow_door_bench
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "common/content/sha256.h"
#include "registry/mlflow/mlflow_door.h"
#include "registry/store/sqlite/sqlite_backend.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// A port free a moment ago (the server binds it right after).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string NewRun(httplib::Client& c) {
  auto r = c.Post("/api/2.0/mlflow/runs/create", R"({"experiment_id":"0"})", "application/json");
  if (!r || r->status != 200) std::abort();
  return nlohmann::json::parse(r->body)["run"]["info"]["run_id"];
}

// One HTTP/1.1 request over a fresh loopback connection with large
// writes and reads (cpp-httplib's client reads 4 KiB at a time and would
// measure itself, not the server): returns the response body, or aborts
// unless the status is 200.
std::string RawRequest(int port, const std::string& method, const std::string& path, const std::string& body) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
  std::string head = method + " " + path +
                     " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n";
  auto send_all = [&](const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = send(fd, p, std::min(n, size_t{1} << 20), 0);
      if (w <= 0) std::abort();
      p += w;
      n -= static_cast<size_t>(w);
    }
  };
  send_all(head.data(), head.size());
  send_all(body.data(), body.size());
  std::string got;
  std::vector<char> buf(size_t{1} << 20);
  for (ssize_t r; (r = recv(fd, buf.data(), buf.size(), 0)) > 0;) got.append(buf.data(), static_cast<size_t>(r));
  close(fd);
  const size_t end = got.find("\r\n\r\n");
  if (got.compare(0, 12, "HTTP/1.1 200") != 0 || end == std::string::npos) std::abort();
  return got.substr(end + 4);
}

}  // namespace

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

  const int door_port = FreePort();
  fairtrace::testing::ServerProcess server(dir.path(),
                                           {"--quiet", "--mlflow-listen", "127.0.0.1:" + std::to_string(door_port)});
  if (!server.Start()) {
    std::fprintf(stderr, "server: %s\n", server.error().c_str());
    return 1;
  }
  httplib::Client s("127.0.0.1", door_port);
  s.set_keep_alive(true);
  s.set_tcp_nodelay(true);
  const std::string run = NewRun(s);
  int step = 0;
  auto log_metric = [&](httplib::Client& cl, const std::string& id) {
    std::string body = "{\"run_id\":\"" + id +
                       "\",\"key\":\"loss\",\"value\":0.5,\"timestamp\":1700000000000,"
                       "\"step\":" +
                       std::to_string(step++) + "}";
    auto r = cl.Post("/api/2.0/mlflow/runs/log-metric", body, "application/json");
    if (!r || r->status != 200) std::abort();
  };
  for (int i = 0; i < 200; ++i) log_metric(s, run);
  Percentiles metric = Time(3000, [&](int) { log_metric(s, run); });
  std::printf("runs/log-metric through the door (real server): p50 %.0f µs  p99 %.0f µs  (target p50 < 1 ms)\n",
              metric.p50, metric.p99);
  stop = false;
  calls = 0;
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&] {
      httplib::Client mine("127.0.0.1", door_port);
      mine.set_keep_alive(true);
      mine.set_tcp_nodelay(true);
      const std::string id = NewRun(mine);
      int my_step = 0;
      while (!stop) {
        std::string body =
            "{\"run_id\":\"" + id + "\",\"key\":\"loss\",\"value\":0.5,\"step\":" + std::to_string(my_step++) + "}";
        auto r = mine.Post("/api/2.0/mlflow/runs/log-metric", body, "application/json");
        if (!r || r->status != 200) std::abort();
        ++calls;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));
  stop = true;
  for (auto& t : writers) t.join();
  std::printf("runs/log-metric, 8 keep-alive clients, one run each: %.0f calls/s  (target >= 3,000/s)\n",
              calls.load() / 5.0);

  // runs/log-batch of 1,000 metric points (issue 15: < 15 ms), one audited
  // transaction each.
  const std::string batch_run = NewRun(s);
  int batch_step = 0;
  auto batch_body = [&] {
    std::string body = "{\"run_id\":\"" + batch_run + "\",\"metrics\":[";
    for (int i = 0; i < 1000; ++i) {
      if (i) body += ",";
      body += "{\"key\":\"m" + std::to_string(i % 10) +
              "\",\"value\":0.25,\"timestamp\":1700000000000,\"step\":" + std::to_string(batch_step++) + "}";
    }
    return body + "]}";
  };
  for (int i = 0; i < 5; ++i) (void)s.Post("/api/2.0/mlflow/runs/log-batch", batch_body(), "application/json");
  Percentiles batch = Time(100, [&](int) {
    auto r = s.Post("/api/2.0/mlflow/runs/log-batch", batch_body(), "application/json");
    if (!r || r->status != 200) std::abort();
  });
  std::printf("runs/log-batch, 1,000 metrics: p50 %.2f ms  p99 %.2f ms  (target < 15 ms)\n", batch.p50 / 1000,
              batch.p99 / 1000);

  // runs/search over the experiment's runs (1,000 of them, 3 params and a
  // metric each): a filter and an order.
  auto exp = s.Post("/api/2.0/mlflow/experiments/create", R"({"name":"search bench"})", "application/json");
  if (!exp || exp->status != 200) std::abort();
  const std::string exp_id = nlohmann::json::parse(exp->body)["experiment_id"];
  for (int i = 0; i < 1000; ++i) {
    auto r = s.Post("/api/2.0/mlflow/runs/create", "{\"experiment_id\":\"" + exp_id + "\"}", "application/json");
    if (!r || r->status != 200) std::abort();
    const std::string id = nlohmann::json::parse(r->body)["run"]["info"]["run_id"];
    std::string body = "{\"run_id\":\"" + id + "\",\"params\":[{\"key\":\"lr\",\"value\":\"" + std::to_string(i % 7) +
                       "\"},{\"key\":\"model\",\"value\":\"resnet\"},{\"key\":\"fold\",\"value\":\"" +
                       std::to_string(i % 5) +
                       "\"}],\"metrics\":[{\"key\":\"acc\",\"value\":" + std::to_string((i % 100) / 100.0) +
                       ",\"timestamp\":1,\"step\":0}]}";
    auto b = s.Post("/api/2.0/mlflow/runs/log-batch", body, "application/json");
    if (!b || b->status != 200) std::abort();
  }
  const std::string search = "{\"experiment_ids\":[\"" + exp_id +
                             "\"],\"filter\":\"metrics.acc > 0.5 and params.lr = '3'\",\"order_by\":[\"metrics.acc "
                             "DESC\"],\"max_results\":100}";
  Percentiles searched = Time(50, [&](int) {
    auto r = s.Post("/api/2.0/mlflow/runs/search", search, "application/json");
    if (!r || r->status != 200) std::abort();
  });
  std::printf("runs/search over 1,000 runs (filter + order): p50 %.1f ms  p99 %.1f ms\n", searched.p50 / 1000,
              searched.p99 / 1000);
  // A datasets clause reads every examined run's inputs (its edges).
  const std::string by_dataset =
      "{\"experiment_ids\":[\"" + exp_id + "\"],\"filter\":\"datasets.name = 'leaf areas'\",\"max_results\":100}";
  Percentiles searched_datasets = Time(20, [&](int) {
    auto r = s.Post("/api/2.0/mlflow/runs/search", by_dataset, "application/json");
    if (!r || r->status != 200) std::abort();
  });
  std::printf("runs/search over 1,000 runs, a datasets clause: p50 %.1f ms  p99 %.1f ms\n",
              searched_datasets.p50 / 1000, searched_datasets.p99 / 1000);

  // The artifact proxy: 100 MiB up and down, against SHA-256 of the same
  // bytes in memory (what `openssl dgst -sha256` does: issue 15 asks for
  // at least 0.3x its rate).
  std::string big(size_t{100} << 20, '\0');
  for (size_t i = 0; i < big.size(); i += 8) {
    const uint64_t v = i * 0x9E3779B97F4A7C15ull;
    std::memcpy(&big[i], &v, 8);
  }
  const auto h0 = std::chrono::steady_clock::now();
  fairtrace::Sha256 hasher;
  hasher.Update(big);
  (void)hasher.FinishHex();
  const double hash_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - h0).count();
  // And the command the issue names, on the same bytes in a file (page
  // cache warm): `openssl dgst -sha256`, the process included.
  double dgst_s = 1e9;
  {
    const std::filesystem::path file = dir.path() / "big.bin";
    std::ofstream(file, std::ios::binary).write(big.data(), static_cast<std::streamsize>(big.size()));
    const std::string cmd = "openssl dgst -sha256 " + file.string() + " > /dev/null";
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      if (std::system(cmd.c_str()) != 0) std::abort();
      dgst_s = std::min(dgst_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::filesystem::remove(file);
  }
  const std::string art_run = NewRun(s);
  double best_up = 1e9, best_down = 1e9;
  for (int i = 0; i < 3; ++i) {
    big[0] = static_cast<char>(i);  // new bytes each time: no deduplication
    const std::string path =
        "/api/2.0/mlflow-artifacts/artifacts/0/" + art_run + "/artifacts/weights" + std::to_string(i);
    const auto t0 = std::chrono::steady_clock::now();
    RawRequest(door_port, "PUT", path, big);
    best_up = std::min(best_up, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    const auto t1 = std::chrono::steady_clock::now();
    if (RawRequest(door_port, "GET", path, "").size() != big.size()) std::abort();
    best_down = std::min(best_down, std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
  }
  // model-versions/create (issue 15: p50 < 2 ms): a real MLflow model
  // folder (../shared/mlflow-models) uploaded into a run's artifacts, then
  // versions made from it (each reads the folder, stores its tree manifest,
  // validates the MLmodel and commits the version with its audit record).
  std::filesystem::path model_dir;
  for (const char* c :
       {"../shared/mlflow-models/sklearn-stress-classifier", "../../shared/mlflow-models/sklearn-stress-classifier"}) {
    if (std::filesystem::exists(c)) model_dir = c;
  }
  if (!model_dir.empty()) {
    const std::string model_run = NewRun(s);
    for (const auto& f : std::filesystem::directory_iterator(model_dir)) {
      std::ifstream in(f.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      RawRequest(
          door_port, "PUT",
          "/api/2.0/mlflow-artifacts/artifacts/0/" + model_run + "/artifacts/model/" + f.path().filename().string(),
          bytes);
    }
    auto made = s.Post("/api/2.0/mlflow/registered-models/create", R"({"name":"bench model"})", "application/json");
    if (!made || made->status != 200) std::abort();
    const std::string create = "{\"name\":\"bench model\",\"source\":\"runs:/" + model_run + "/model\"}";
    Percentiles same = Time(300, [&](int) {
      auto r = s.Post("/api/2.0/mlflow/model-versions/create", create, "application/json");
      if (!r || r->status != 200) std::abort();
    });
    // A new folder each time (one file changed, uploaded untimed): its tree
    // manifest is stored too, as on a first registration.
    std::vector<double> fresh;
    for (int i = 0; i < 300; ++i) {
      RawRequest(door_port, "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/" + model_run + "/artifacts/model/stamp",
                 std::to_string(i));
      const auto t0 = std::chrono::steady_clock::now();
      auto r = s.Post("/api/2.0/mlflow/model-versions/create", create, "application/json");
      if (!r || r->status != 200) std::abort();
      fresh.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(fresh.begin(), fresh.end());
    std::printf("model-versions/create, a new folder each: p50 %.2f ms  p99 %.2f ms  (target < 2 ms)\n",
                fresh[150] / 1000, fresh[297] / 1000);
    std::printf("model-versions/create, the same folder again: p50 %.2f ms  p99 %.2f ms\n", same.p50 / 1000,
                same.p99 / 1000);
  } else {
    std::printf("model-versions/create: ../shared/mlflow-models not found, not measured\n");
  }

  const double mib = 100.0;
  std::printf("SHA-256 in memory (OpenSSL's EVP, no I/O): %.0f MiB/s\n", mib / hash_s);
  std::printf("openssl dgst -sha256 of the 100 MiB file (page cache warm, best of 3): %.0f MiB/s\n", mib / dgst_s);
  std::printf(
      "artifact upload 100 MiB through the door (hashed, synced, audited): %.0f MiB/s = %.2fx openssl dgst "
      "(target >= 0.3x), %.2fx SHA-256 in memory\n",
      mib / best_up, dgst_s / best_up, hash_s / best_up);
  std::printf("artifact download 100 MiB through the door: %.0f MiB/s\n", mib / best_down);
  server.Stop();
  return 0;
}
