#include "registry/core/audited.h"

#include <iostream>

namespace fairtrace {

void AppendStandaloneAudit(Store* store, const CallContext& ctx, std::string resource, const absl::Status& result) {
  absl::Status s = store->AppendAudit(MakeAuditEntry(ctx, std::move(resource), result));
  if (!s.ok()) std::cerr << "fairtrace: cannot append audit record: " << s << "\n";
}

}  // namespace fairtrace
