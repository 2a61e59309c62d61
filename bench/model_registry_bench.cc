// CreateModelVersion against the real server on loopback, tree already
// uploaded (issue #4 targets: p50 < 1 ms; >= 5,000 calls/s with 8 concurrent
// clients, commits durable). Prints p50/p99 of 2,000 sequential calls and
// the rate of 8 clients for 5 s. Run: build/bench/model_registry_bench
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "clients/cpp/fairtrace/cas_client.h"
#include "clients/cpp/fairtrace/model_client.h"
#include "common/content/tree.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

using fairtrace::Digest;
using fairtrace::DigestOf;
using Clock = std::chrono::steady_clock;

int main() {
  fairtrace::testing::TempDir dir;
  fairtrace::testing::ServerProcess server(dir.path(), {"--quiet"});
  if (!server.Start()) {
    std::fprintf(stderr, "server: %s\n", server.error().c_str());
    return 1;
  }
  fairtrace::client::ClientOptions o;
  o.target = server.target();
  fairtrace::client::CasClient cas(o);
  fairtrace::client::ModelClient models(o);

  const std::string mlmodel =
      "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
      "    env:\n      conda: conda.yaml\n  sklearn:\n    pickled_model: model.pkl\n    code: null\n"
      "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n  outputs: null\n";
  std::vector<std::pair<Digest, std::string>> blobs = {
      {DigestOf(mlmodel), mlmodel}, {DigestOf("pickle"), "pickle"}, {DigestOf("conda"), "conda"}};
  std::string manifest = *fairtrace::EncodeTree({{"MLmodel", DigestOf(mlmodel), false},
                                                 {"model.pkl", DigestOf("pickle"), false},
                                                 {"conda.yaml", DigestOf("conda"), false}});
  blobs.emplace_back(DigestOf(manifest), manifest);
  if (!cas.UploadBatch(blobs).ok() || !cas.CreateTree(DigestOf(manifest)).ok()) return 1;
  fairtrace::v1::CreateRegisteredModelRequest create;
  create.set_model_id("bench");
  if (!models.CreateModel(create).ok()) return 1;
  fairtrace::v1::CreateModelVersionRequest req;
  req.set_parent("models/bench");
  *req.mutable_model_version()->mutable_tree_digest() = fairtrace::DigestToProto(DigestOf(manifest));

  std::vector<double> ms;
  for (int i = 0; i < 2000; ++i) {
    auto t0 = Clock::now();
    if (!models.CreateVersion(req).ok()) return 1;
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("CreateModelVersion sequential: p50 %.3f ms  p99 %.3f ms  (target p50 < 1 ms)\n", ms[ms.size() / 2],
              ms[ms.size() * 99 / 100]);

  std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  auto t0 = Clock::now();
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      fairtrace::client::ModelClient mine(o);
      while (!stop) {
        if (mine.CreateVersion(req).ok()) ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));
  stop = true;
  for (auto& t : clients) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("CreateModelVersion 8 clients: %.0f calls/s  (target >= 5000)\n", done / secs);
  return 0;
}
