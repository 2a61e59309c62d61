// The one way a call's audit record is appended outside the transaction of
// its change: for a call that failed (nothing changed, so the record stands
// alone) or that changed nothing (a blob already stored). A successful
// change appends its record in its own transaction through the store.
//
// A failure to append is logged to stderr and never returned: the caller's
// own result is what the client needs. The resource is recorded as given;
// the store clips and escapes it (audit record version 2). Thread-safe when
// the store is.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "registry/core/call_context.h"
#include "registry/store/store.h"

namespace fairtrace {

void AppendStandaloneAudit(Store* store, const CallContext& ctx, std::string resource, const absl::Status& result);

// Runs a mutating call `fn` (returning absl::StatusOr<T> or absl::Status)
// and audits it when it fails.
template <typename Fn>
auto Audited(Store* store, const CallContext& ctx, const std::string& resource, Fn fn) -> decltype(fn()) {
  auto out = fn();
  if (!out.ok()) {
    if constexpr (std::is_same_v<decltype(out), absl::Status>) {
      AppendStandaloneAudit(store, ctx, resource, out);
    } else {
      AppendStandaloneAudit(store, ctx, resource, out.status());
    }
  }
  return out;
}

}  // namespace fairtrace
