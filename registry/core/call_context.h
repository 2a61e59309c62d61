// Who is calling and with what, as the core needs it for audit records.
// Filled by the api layer from the gRPC call; plain data.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/audit/audit_record.h"
#include "common/status/errors.h"

namespace fairtrace {

struct CallContext {
  std::string principal = "anonymous";
  std::string method;          // full gRPC method name
  std::string request_sha256;  // SHA-256 hex of the request
  // SHA-256 hex of the request with request_id and etag cleared: what a
  // retry must repeat to be a retry ("" when the call has no request body).
  std::string request_body_sha256;
  // True once the call should stop working: the client cancelled or went
  // away, or the call's deadline (the client's, or the server's limit for
  // heavy calls, docs/limits.md) passed. Long loops poll it. May be empty
  // (never stops).
  std::function<bool()> should_stop;
};

inline AuditEntry MakeAuditEntry(const CallContext& ctx, std::string resource, const absl::Status& result) {
  return AuditEntry{ctx.principal, ctx.method, std::move(resource), ctx.request_sha256, StatusCodeName(result.code())};
}

}  // namespace fairtrace
