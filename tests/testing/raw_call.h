// One unary call of any method by name, with raw request bytes: for tests
// that walk every RPC of the descriptor pool (hostile inputs, the access
// table). Returns the call's status; the response is dropped. A
// server-streaming method called this way that is allowed to answer keeps
// streaming until the deadline (nobody reads past the first message): give
// those a short one.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

namespace fairtrace::testing {

inline grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                            const std::string& request_bytes,
                            const std::vector<std::pair<std::string, std::string>>& metadata = {},
                            std::chrono::seconds deadline = std::chrono::seconds(60)) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
  grpc::Slice slice(request_bytes);  // one slice even when empty: the server reads it
  grpc::ByteBuffer req(&slice, 1);
  auto call = stub.PrepareUnaryCall(&ctx, method, req, &cq);
  call->StartCall();
  grpc::ByteBuffer resp;
  grpc::Status status;
  call->Finish(&resp, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

}  // namespace fairtrace::testing
