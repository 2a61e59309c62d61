// Audit records on the wire (fairtrace.v1.AuditRecord) and back, shared by
// the server (ListAuditRecords) and every verifier (CLI, C++ client).
// Version-1 records whose stored bytes are not UTF-8 travel escaped and
// marked (`escaped`); FromProto undoes it so the canonical bytes, and so the
// hash, are those of the stored record. Pure; thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"
#include "fairtrace/v1/admin.pb.h"

namespace fairtrace {

void AuditRecordToProto(const AuditRecord& r, v1::AuditRecord* out);

// INVALID_ARGUMENT (naming the field) when an escaped field is not a
// canonical escaping; version 0 (a server older than version 2) reads as 1.
absl::StatusOr<AuditRecord> AuditRecordFromProto(const v1::AuditRecord& p);

}  // namespace fairtrace
