#include "registry/trust/refusal_audit.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "registry/core/audited.h"

namespace fairtrace {

void RecordRefusal(RefusalLimiter& limiter, Store* store, absl::string_view caller, const CallContext& call,
                   const std::string& resource, const absl::Status& refusal) {
  RefusalLimiter::Decision budget = limiter.Admit(caller);
  if (budget.not_recorded > 0) {
    AuditEntry summary{std::string(kRefusalsNotRecordedPrincipal), std::string(kRefusalsNotRecordedMethod),
                       absl::StrCat(budget.not_recorded, " refused calls"), "", "RESOURCE_EXHAUSTED"};
    if (absl::Status s = store->AppendAudit(summary); !s.ok()) {
      std::cerr << "fairtrace-server: cannot audit a refusal summary: " << s << "\n";
    }
  }
  if (budget.record) AppendStandaloneAudit(store, call, resource, refusal);
}

}  // namespace fairtrace
