#include "common/audit/audit_proto.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/time_util.h"

namespace fairtrace {

void AuditRecordToProto(const AuditRecord& r, v1::AuditRecord* out) {
  out->set_sequence(r.sequence);
  *out->mutable_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(r.time_micros);
  out->set_version(r.version);
  out->set_state_digest(r.state_digest);
  AuditEntry e = r.entry;
  // A version-1 record may hold bytes that are not UTF-8 (records made
  // before version 2 cut request strings by byte). Sent as they are they
  // would make the whole page unparseable, so they travel escaped, marked.
  const bool escape =
      r.version == kAuditVersion1 &&
      !(text::IsValidUtf8(e.principal) && text::IsValidUtf8(e.method) && text::IsValidUtf8(e.resource) &&
        text::IsValidUtf8(e.request_sha256) && text::IsValidUtf8(e.result));
  if (escape) {
    for (std::string* f : {&e.principal, &e.method, &e.resource, &e.request_sha256, &e.result}) {
      *f = text::EscapeText(*f);
    }
  }
  out->set_escaped(escape);
  out->set_principal(e.principal);
  out->set_method(e.method);
  out->set_resource(e.resource);
  out->set_request_sha256(e.request_sha256);
  out->set_result(e.result);
  out->set_previous_hash(text::IsValidUtf8(r.previous_hash) ? r.previous_hash : text::EscapeText(r.previous_hash));
  out->set_hash(text::IsValidUtf8(r.hash) ? r.hash : text::EscapeText(r.hash));
}

absl::StatusOr<AuditRecord> AuditRecordFromProto(const v1::AuditRecord& p) {
  AuditRecord r;
  r.version = p.version() == 0 ? kAuditVersion1 : p.version();
  r.sequence = p.sequence();
  r.time_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(p.time());
  r.entry = {p.principal(), p.method(), p.resource(), p.request_sha256(), p.result()};
  r.state_digest = p.state_digest();
  r.previous_hash = p.previous_hash();
  r.hash = p.hash();
  if (p.escaped()) {
    const char* names[] = {"principal", "method", "resource", "request_sha256", "result"};
    std::string* fields[] = {&r.entry.principal, &r.entry.method, &r.entry.resource, &r.entry.request_sha256,
                             &r.entry.result};
    for (int i = 0; i < 5; ++i) {
      std::optional<std::string> raw = text::UnescapeText(*fields[i]);
      if (!raw) {
        return InvalidField(absl::StrCat("records[", p.sequence(), "].", names[i]), "not a canonical escaping");
      }
      *fields[i] = *std::move(raw);
    }
  }
  return r;
}

}  // namespace fairtrace
