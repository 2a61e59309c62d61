// A gRPC server interceptor that writes one line per request to stderr:
//   <UTC time> rpc <method> <status code> <duration ms> peer=<peer>
// Calls whose client vanished before a status was sent are logged as
// CANCELLED. No request content is logged (no secrets in logs).
#pragma once

#include <memory>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

namespace fairtrace {

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> RequestLogInterceptors();

}  // namespace fairtrace
