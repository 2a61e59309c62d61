#include "registry/server/request_log.h"

#include <cstdio>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status/errors.h"

namespace fairtrace {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RequestLogInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RequestLogInterceptor(grpc::experimental::ServerRpcInfo* info) : info_(info), start_(absl::Now()) {}

  ~RequestLogInterceptor() override {
    if (!logged_) Log("CANCELLED");
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status st = methods->GetSendStatus();
      Log(StatusCodeName(static_cast<absl::StatusCode>(st.error_code())));
    }
    methods->Proceed();
  }

 private:
  void Log(const std::string& code) {
    logged_ = true;
    double ms = absl::ToDoubleMilliseconds(absl::Now() - start_);
    std::string peer = info_->server_context() ? info_->server_context()->peer() : "";
    std::string line = absl::StrFormat("%s rpc %s %s %.3fms peer=%s\n",
                                       absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                                       info_->method(), code, ms, peer);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }

  grpc::experimental::ServerRpcInfo* info_;
  absl::Time start_;
  bool logged_ = false;
};

class RequestLogFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new RequestLogInterceptor(info);
  }
};

}  // namespace

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> RequestLogInterceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<RequestLogFactory>());
  return out;
}

}  // namespace fairtrace
