// Records a refused call in the audit log within the RefusalLimiter's
// budget (docs/security.md, "Refused calls"): the summary record of the
// refusals that went unrecorded first, when there are some, then this
// refusal's record when the budget allows. Used by the gRPC guard and the
// MLflow door alike. Failures to append are logged, never returned.
// Thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "registry/core/call_context.h"
#include "registry/store/store.h"
#include "registry/trust/refusal_limiter.h"

namespace fairtrace {

inline constexpr absl::string_view kRefusalsNotRecordedPrincipal = "fairtrace-server";
inline constexpr absl::string_view kRefusalsNotRecordedMethod = "fairtrace-server/RefusalsNotRecorded";

// `caller`: whom the budget counts the refusal against; `call`: the
// principal (or "anonymous") and method of the refused call.
void RecordRefusal(RefusalLimiter& limiter, Store* store, absl::string_view caller, const CallContext& call,
                   const std::string& resource, const absl::Status& refusal);

}  // namespace fairtrace
