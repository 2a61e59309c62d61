// FindMissingBlobs for 10,000 digests against the real server on loopback
// (target: under 50 ms). Half of the digests are stored, half are not.
// Run: build/bench/find_missing_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include "clients/cpp/fairtrace/cas_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace {

using fairtrace::Digest;
using fairtrace::DigestOf;

struct Env {
  fairtrace::testing::TempDir dir;
  std::unique_ptr<fairtrace::testing::ServerProcess> server;
  std::unique_ptr<fairtrace::client::CasClient> client;
  std::vector<Digest> digests;

  Env() {
    server = std::make_unique<fairtrace::testing::ServerProcess>(dir.path(), std::vector<std::string>{"--quiet"});
    if (!server->Start()) {
      std::fprintf(stderr, "server did not start: %s\n", server->error().c_str());
      std::exit(1);
    }
    fairtrace::client::ClientOptions o;
    o.target = server->target();
    client = std::make_unique<fairtrace::client::CasClient>(o);
    std::vector<std::pair<Digest, std::string>> batch;
    for (int i = 0; i < 10000; ++i) {
      std::string s = "blob-" + std::to_string(i);
      digests.push_back(DigestOf(s));
      if (i % 2 == 0) batch.emplace_back(DigestOf(s), s);
    }
    if (!client->UploadBatch(batch).ok()) std::exit(1);
  }
};

Env& GetEnv() {
  static Env* env = new Env();
  return *env;
}

void BM_FindMissing10k(benchmark::State& state) {
  Env& env = GetEnv();
  for (auto _ : state) {
    auto missing = env.client->FindMissing(env.digests);
    if (!missing.ok() || missing->size() != 5000) {
      state.SkipWithError("FindMissing failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_FindMissing10k)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
