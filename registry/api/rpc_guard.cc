#include "registry/api/rpc_guard.h"

#include <malloc.h>

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/text/utf8.h"
#include "registry/api/grpc_status.h"
#include "registry/core/audited.h"

namespace fairtrace::api {

namespace {

struct CurrentCall {
  grpc::ServerContext* ctx = nullptr;
  absl::Time deadline = absl::InfiniteFuture();
};
thread_local CurrentCall current_call;

// Restores the previous current call when a guarded call ends.
class CurrentCallScope {
 public:
  CurrentCallScope(grpc::ServerContext* ctx, absl::Time deadline) : saved_(current_call) {
    current_call = {ctx, deadline};
  }
  ~CurrentCallScope() { current_call = saved_; }

 private:
  CurrentCall saved_;
};

constexpr absl::string_view kHeavyMethods[] = {
    "/fairtrace.v1.InvestigationService/ValidateInvestigation",
    "/fairtrace.v1.InvestigationService/ImportInvestigation",
    "/fairtrace.v1.InvestigationService/CreateEntity",
    "/fairtrace.v1.InvestigationService/UpdateEntity",
    "/fairtrace.v1.InvestigationService/DeleteEntity",
    "/fairtrace.v1.InvestigationService/ExportInvestigation",
    "/fairtrace.v1.ExperimentService/ValidateInvestigation",  // deprecated alias
    "/fairtrace.v1.ExperimentService/ImportInvestigation",
    "/fairtrace.v1.ExperimentService/CreateEntity",
    "/fairtrace.v1.ExperimentService/UpdateEntity",
    "/fairtrace.v1.ExperimentService/DeleteEntity",
    "/fairtrace.v1.ExperimentService/ExportInvestigation",
    "/fairtrace.v1.DatasetService/CreateDatasetVersion",
    "/fairtrace.v1.AnnotationService/CreateAnnotationSet",
    "/fairtrace.v1.AnnotationService/ComputeAgreement",
    "/fairtrace.v1.SplitService/CreateSplit",
    "/fairtrace.v1.SplitService/CheckLeakage",
    "/fairtrace.v1.DatasetService/DiffDatasetVersions",
    "/fairtrace.v1.DatasetService/ExportDatasetVersion",
    "/fairtrace.v1.CasService/CreateTree",
    "/fairtrace.v1.AdminService/Fsck",
    "/fairtrace.v1.AuditService/ListResourceStates",
    "/fairtrace.v1.RunService/GetLineage",
};

}  // namespace

std::function<bool()> CurrentCallShouldStop() {
  CurrentCall call = current_call;
  if (call.ctx == nullptr) return {};
  return [call] { return call.ctx->IsCancelled() || absl::Now() > call.deadline; };
}

bool RpcGuard::IsHeavy(absl::string_view method) {
  for (absl::string_view m : kHeavyMethods) {
    if (m == method) return true;
  }
  return false;
}

bool RpcGuard::Admit(grpc::ServerContext* ctx, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  const absl::Time give_up = std::min(deadline, absl::Now() + options_.admission_wait);
  auto free_slot = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return heavy_running_ < options_.max_heavy_calls; };
  // Wake up now and then to notice a client that went away while waiting.
  while (!free_slot()) {
    if (ctx->IsCancelled() || absl::Now() >= give_up) return false;
    mu_.AwaitWithDeadline(absl::Condition(&free_slot), std::min(give_up, absl::Now() + absl::Milliseconds(200)));
  }
  ++heavy_running_;
  return true;
}

void RpcGuard::Release() const {
  bool last;
  {
    absl::MutexLock lock(&mu_);
    last = --heavy_running_ == 0;
  }
  // A burst of heavy calls leaves freed memory in the allocator's arenas
  // (the trim threshold in main.cc is high for the streaming figures):
  // hand it back once the last one ends, so resident size returns to idle.
  if (last) malloc_trim(0);
}

std::string RefusalCaller(absl::string_view peer, const absl::StatusOr<std::string>& principal) {
  if (principal.ok()) return *principal;
  size_t colon = peer.rfind(':');
  // "ipv4:1.2.3.4:5678" and "ipv6:[::1]:5678" end with a port; "unix:/path"
  // has none worth removing.
  if (absl::StartsWith(peer, "ipv") && colon != absl::string_view::npos && colon > 5) peer = peer.substr(0, colon);
  return std::string(peer);
}

std::string RequestResource(const google::protobuf::Message& request) {
  const auto* desc = request.GetDescriptor();
  const auto* refl = request.GetReflection();
  for (const char* name : {"name", "parent", "run", "resource_name", "investigation_id", "model_id"}) {
    const auto* field = desc->FindFieldByName(name);
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      continue;
    }
    std::string value = refl->GetString(request, field);
    if (!value.empty()) return value;
  }
  return "";
}

void RpcGuard::OnException(grpc::ServerContext* ctx, absl::string_view method, const google::protobuf::Message* request,
                           bool mutating, const char* what) const noexcept {
  try {
    std::cerr << "fairtrace-server: " << method << ": internal error: " << text::ClipText(what, 300) << "\n";
    if (mutating && store_ != nullptr) {
      CallContext call = MakeCallContext(*ctx, std::string(method), request ? RequestSha256(*request) : "");
      AppendStandaloneAudit(store_, call, request ? RequestResource(*request) : "", absl::InternalError("exception"));
    }
  } catch (...) {
    // Logging or auditing failed too; the INTERNAL answer still goes out.
  }
}

absl::StatusOr<std::string> RpcGuard::Admission(grpc::ServerContext* ctx, absl::string_view method,
                                                const google::protobuf::Message* request) const {
  CallerCredentials credentials = CredentialsOf(*ctx);
  if (access_ == nullptr) {
    return credentials.x509_subject.empty() ? std::string(kAnonymous) : CertificatePrincipal(credentials.x509_subject);
  }
  absl::StatusOr<std::string> principal = access_->Authenticate(credentials);
  absl::Status allowed = principal.ok() ? access_->Authorize(*principal, method) : principal.status();
  if (allowed.ok()) return principal;
  // Denied and unauthenticated attempts are audited too, within a budget
  // per caller and per server, so that refusals cannot grow the log without
  // bound; the principal is the one authenticated, or anonymous when
  // authentication failed.
  RefusalLimiter::Decision budget = refusals_.Admit(RefusalCaller(ctx->peer(), principal));
  if (budget.not_recorded > 0) {
    AuditEntry summary{std::string(kRefusalsNotRecordedPrincipal), std::string(kRefusalsNotRecordedMethod),
                       absl::StrCat(budget.not_recorded, " refused calls"), "", "RESOURCE_EXHAUSTED"};
    if (absl::Status s = store_->AppendAudit(summary); !s.ok()) {
      std::cerr << "fairtrace-server: cannot audit a refusal summary: " << s << "\n";
    }
  }
  if (budget.record) {
    CallPrincipalScope scope(principal.ok() ? *principal : std::string(kAnonymous));
    CallContext call = MakeCallContext(*ctx, std::string(method), request ? RequestSha256(*request) : "");
    AppendStandaloneAudit(store_, call, request ? RequestResource(*request) : "", allowed);
  }
  return allowed;
}

grpc::Status RpcGuard::Run(grpc::ServerContext* ctx, absl::string_view method, const google::protobuf::Message* request,
                           bool mutating, const std::function<grpc::Status()>& body) const noexcept {
  const char* what = "unknown exception";
  std::string text;
  const bool heavy = IsHeavy(method);
  std::string who;  // the authenticated principal, for the audit of an exception
  absl::Time deadline = absl::FromChrono(ctx->deadline());
  if (heavy) deadline = std::min(deadline, absl::Now() + options_.heavy_call_limit);
  try {
    absl::StatusOr<std::string> principal = Admission(ctx, method, request);
    if (!principal.ok()) return ToGrpcStatus(principal.status());
    who = *principal;
    CallPrincipalScope principal_scope(*std::move(principal));
    if (heavy && !Admit(ctx, deadline)) {
      return ToGrpcStatus(
          ErrorBuilder(absl::StatusCode::kResourceExhausted,
                       absl::StrCat("the server is busy with ", options_.max_heavy_calls, " heavy calls; retry later"))
              .Reason("SERVER_BUSY"));
    }
    struct Slot {
      const RpcGuard* guard;
      bool held;
      ~Slot() {
        if (held) guard->Release();
      }
    } slot{this, heavy};
    CurrentCallScope scope(ctx, deadline);
    return body();
  } catch (const std::exception& e) {
    text = e.what();
    what = text.c_str();
  } catch (...) {
  }
  {
    CallPrincipalScope principal_scope(who);
    OnException(ctx, method, request, mutating, what);
  }
  try {
    return ToGrpcStatus(ErrorBuilder(absl::StatusCode::kInternal,
                                     "internal error while handling the request; the server log has the cause")
                            .Reason("INTERNAL_EXCEPTION"));
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

}  // namespace fairtrace::api
