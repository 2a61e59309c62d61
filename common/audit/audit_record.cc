#include "common/audit/audit_record.h"

#include "absl/strings/str_cat.h"
#include "common/content/sha256.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

void AppendField(std::string& out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(&out, name, "=", value.size(), ":", value, "\n");
}

}  // namespace

AuditEntry EncodeAuditEntryV2(const AuditEntry& e) {
  auto field = [](const std::string& v, size_t max) { return text::EscapeText(text::TruncateCodePoints(v, max)); };
  return AuditEntry{field(e.principal, kAuditMaxPrincipal), field(e.method, kAuditMaxMethod),
                    field(e.resource, kAuditMaxResource), field(e.request_sha256, 64), field(e.result, 64)};
}

std::string AuditCanonicalBytes(const AuditRecord& r) {
  if (r.version != kAuditVersion1 && r.version != kAuditVersion2) return "";
  std::string out = absl::StrCat("fairtrace-audit/", r.version, "\n");
  absl::StrAppend(&out, "sequence=", r.sequence, "\n");
  absl::StrAppend(&out, "time_micros=", r.time_micros, "\n");
  AppendField(out, "principal", r.entry.principal);
  AppendField(out, "method", r.entry.method);
  AppendField(out, "resource", r.entry.resource);
  AppendField(out, "request_sha256", r.entry.request_sha256);
  AppendField(out, "result", r.entry.result);
  if (r.version >= kAuditVersion2) AppendField(out, "state_digest", r.state_digest);
  AppendField(out, "previous_hash", r.previous_hash);
  return out;
}

std::string AuditRecordHash(const AuditRecord& r) { return Sha256Hex(AuditCanonicalBytes(r)); }

std::optional<std::string> AuditChainVerifier::Next(const AuditRecord& r) { return Next(r, AuditCanonicalBytes(r)); }

std::optional<std::string> AuditChainVerifier::Next(const AuditRecord& r, absl::string_view canonical) {
  int64_t expected = checked_ + 1;
  if (r.sequence != expected) {
    return absl::StrCat("record ", r.sequence, " found where record ", expected,
                        " was expected (missing or reordered records)");
  }
  if (r.previous_hash != head_) {
    return absl::StrCat("record ", r.sequence, " names previous hash ", r.previous_hash, " but record ", checked_,
                        " hashes to ", head_);
  }
  if (r.version != kAuditVersion1 && r.version != kAuditVersion2) {
    return absl::StrCat("record ", r.sequence, " has unknown version ", r.version);
  }
  std::string actual = Sha256Hex(canonical);
  if (actual != r.hash) {
    return absl::StrCat("record ", r.sequence, " was altered: its content hashes to ", actual, ", stored hash is ",
                        r.hash);
  }
  ++checked_;
  head_ = r.hash;
  return std::nullopt;
}

}  // namespace fairtrace
