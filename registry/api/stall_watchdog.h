// StallWatchdog: cancels a streaming call whose other end stopped moving
// (docs/limits.md, "Stalled streams").
//
// A server-streaming reply blocks in Write once the client stops reading
// and its flow-control window is full; a client-streaming upload blocks in
// Read once the client stops sending. Either holds a server thread (and,
// for heavy calls, a heavy slot and a database snapshot) until the call's
// deadline, which the client chooses. Every Write and Read of a stream goes
// through Write()/Read() here: one that has not completed after `limit` has
// its call cancelled (grpc::ServerContext::TryCancel), which makes it
// return false, so the handler ends the call as it would for a client
// that went away. One background thread, started with the first stream
// operation, checks every `limit` / 4. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace fairtrace::api {

class StallWatchdog {
 public:
  // `on_cancel(method)` is told of each cancellation (the server logs it).
  StallWatchdog(absl::Duration limit, std::function<void(const std::string&)> on_cancel);
  ~StallWatchdog();
  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;

  template <typename Writer, typename Message>
  bool Write(grpc::ServerContext* ctx, const std::string& method, Writer* writer, const Message& m) {
    Begin(ctx, method);
    bool ok = writer->Write(m);
    End(ctx);
    return ok;
  }
  template <typename Reader, typename Message>
  bool Read(grpc::ServerContext* ctx, const std::string& method, Reader* reader, Message* m) {
    Begin(ctx, method);
    bool ok = reader->Read(m);
    End(ctx);
    return ok;
  }

 private:
  struct Pending {
    absl::Time since;
    std::string method;
  };
  void Begin(grpc::ServerContext* ctx, const std::string& method);
  void End(grpc::ServerContext* ctx);
  void Loop();

  const absl::Duration limit_;
  std::function<void(const std::string&)> on_cancel_;
  absl::Mutex mu_;
  std::map<grpc::ServerContext*, Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace fairtrace::api
