// The one wrapper every RPC handler runs in (issue 8, item 3).
//
// Core and store report failures as absl::Status; a C++ exception that still
// escapes (a library throwing where nobody expected it) must not reach gRPC,
// which would turn it into UNKNOWN with no audit record. Guarded():
//  - runs the handler body;
//  - on any exception, logs the method and the exception's text to stderr
//    (never request bytes), audits the attempt when the method mutates (the
//    record's result is INTERNAL), and returns INTERNAL with reason
//    INTERNAL_EXCEPTION;
//  - never throws.
// Thread-safe; borrows the store used for audit records.
#pragma once

#include <functional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "registry/api/stall_watchdog.h"
#include "registry/store/store.h"
#include "registry/trust/access_control.h"
#include "registry/trust/refusal_audit.h"
#include "registry/trust/refusal_limiter.h"

namespace fairtrace::api {

// Bounds on heavy calls (docs/limits.md): the ones whose work and memory
// grow with the request (MIAPPE validation and imports, entity changes that
// revalidate a whole investigation, exports, CreateTree of a large manifest,
// fsck, the resource states for audit verify --deep, lineage).
struct GuardOptions {
  int max_heavy_calls = 2;                               // at once; others wait
  absl::Duration admission_wait = absl::Seconds(30);     // then RESOURCE_EXHAUSTED
  absl::Duration heavy_call_limit = absl::Seconds(120);  // server-side deadline
  // How many refused calls get an audit record of their own (the rest are
  // counted in a summary record; docs/security.md).
  RefusalLimiter::Options refusal_records;
  // A stream's Write (client not reading) or Read (client not sending)
  // blocked this long cancels the call (StallWatchdog, docs/limits.md).
  absl::Duration stalled_stream_limit = absl::Seconds(30);
};

// The stop condition of the call running on this thread (cancelled by the
// client, or past its deadline: the client's or, for heavy calls, the
// server's limit); an empty function outside a guarded call.
std::function<bool()> CurrentCallShouldStop();
// The projects whose resources the call running on this thread may read
// (lists filter by it, lineage redacts outside it); every project outside
// a guarded call or when access control is off.
ProjectScope CurrentCallProjects();

// What a reply shows of resources in projects the caller cannot see
// (docs/security.md, "Projects"): every string field (nested, repeated and
// map entries included) that names such a resource becomes "redacted",
// and a message whose `name` is one (a source run's details) is cleared to
// just that. Nothing happens outside a guarded call or when the caller
// sees every project. Work: one pass over the reply, one project lookup
// per top-level resource named. Store errors leave the field redacted.
void RedactHiddenReferences(google::protobuf::Message* reply);
inline constexpr char kRedacted[] = "redacted";

// Whether the caller of the current call may see an audit record about
// `resource` (an inclusion proof for a per-project auditor): always with
// every project in scope; otherwise only a record about a resource of a
// project in scope. PERMISSION_DENIED (RECORD_OUTSIDE_PROJECTS) else.
absl::Status CheckRecordInCallerProjects(const std::string& resource);

// The summary record appended when refused calls went unrecorded
// (docs/security.md): its resource says how many.

class RpcGuard {
 public:
  // `access` authenticates and authorizes every call before its body runs
  // (docs/security.md); null: no checks, every caller is anonymous unless
  // mutual TLS names it (unit tests).
  explicit RpcGuard(Store* audit_store, GuardOptions options = {}, const AccessControl* access = nullptr);
  static bool IsHeavy(absl::string_view method);

  // One message of a stream, through the stall watchdog: false when the
  // client went away or stalled past the limit (the call is then
  // cancelled).
  template <typename Writer, typename Message>
  bool Write(grpc::ServerContext* ctx, const std::string& method, Writer* writer, const Message& m) const {
    return stalls_.Write(ctx, method, writer, m);
  }
  template <typename Reader, typename Message>
  bool Read(grpc::ServerContext* ctx, const std::string& method, Reader* reader, Message* m) const {
    return stalls_.Read(ctx, method, reader, m);
  }

  // `method` is the full gRPC name ("/fairtrace.v1.ModelService/CreateModelVersion");
  // `request` may be null (client-streaming calls); `mutating` says whether a
  // failed attempt is audited.
  grpc::Status Run(grpc::ServerContext* ctx, absl::string_view method, const google::protobuf::Message* request,
                   bool mutating, const std::function<grpc::Status()>& body) const noexcept;

 private:
  void OnException(grpc::ServerContext* ctx, absl::string_view method, const google::protobuf::Message* request,
                   bool mutating, const char* what) const noexcept;
  bool Admit(grpc::ServerContext* ctx, absl::Time deadline) const;
  void Release() const;

  struct Admitted {
    std::string principal;
    ProjectScope projects;
  };
  // UNAUTHENTICATED / PERMISSION_DENIED / NOT_FOUND for a resource in
  // another project (audited), or who calls and what it may read.
  absl::StatusOr<Admitted> Admission(grpc::ServerContext* ctx, absl::string_view method,
                                     const google::protobuf::Message* request) const;
  // The projects the request names (rpc_access.tsv's third column),
  // looked up in the store.
  absl::StatusOr<std::vector<ProjectTarget>> TargetsOf(absl::string_view method,
                                                       const google::protobuf::Message* request) const;

  Store* store_;
  GuardOptions options_;
  const AccessControl* access_;
  mutable absl::Mutex mu_;
  mutable int heavy_running_ ABSL_GUARDED_BY(mu_) = 0;
  mutable RefusalLimiter refusals_;
  mutable StallWatchdog stalls_;
};

// Who a refusal is counted against: the authenticated principal, else the
// peer's address without its port ("ipv4:10.0.0.1", "ipv6:[::1]").
std::string RefusalCaller(absl::string_view peer, const absl::StatusOr<std::string>& principal);

// What a request is about, for the audit record of a failed attempt: the
// first non-empty top-level string field among name, parent, run,
// resource_name, investigation_id, model_id (else "").
std::string RequestResource(const google::protobuf::Message& request);

// The strings at `path` ("a.b.c") in `message`, through nested and
// repeated message fields (repeated strings too); INTERNAL when the path
// names no string field of the message's type.
absl::Status CollectFieldStrings(const google::protobuf::Message& message, absl::string_view path,
                                 std::vector<std::string>* out);

}  // namespace fairtrace::api
