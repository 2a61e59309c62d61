// Audit records and their hash chain (docs/audit-log.md).
//
// Every mutating RPC appends one record in the same transaction as its
// change. A record's hash is SHA-256 over its canonical bytes, which include
// the previous record's hash, so editing, dropping or reordering any record
// breaks every later hash. The canonical bytes are also the future Merkle log
// leaf (RFC 6962). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace fairtrace {

// Hash of the record before the first one.
inline constexpr absl::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// What a caller supplies; the store assigns sequence, time and hashes.
struct AuditEntry {
  std::string principal;       // who (unauthenticated claim until auth lands)
  std::string method;          // full gRPC method name
  std::string resource;        // what it touched, e.g. "blobs/<sha>/<size>"
  std::string request_sha256;  // SHA-256 hex of the request
  std::string result;          // status code name, "OK" on success
  // Not recorded itself: other resources a successful call changed besides
  // `resource` (a run created with its model version). The store appends
  // one more record for each, with the same principal, method, request and
  // result, carrying that resource's state digest.
  std::vector<std::string> also_changed;
};

// Record versions (docs/audit-log.md). Version 1 records hold the entry's
// bytes as they came and keep verifying as those stored bytes; version 2
// (every record appended now) holds each field escaped reversibly into
// valid UTF-8 (text::EscapeText) and clipped by code point, and carries a
// state digest: for a successful change of a stateful resource, the digest
// of its state after the change (common/audit/state_digest.h); "" otherwise.
inline constexpr int kAuditVersion1 = 1;
inline constexpr int kAuditVersion2 = 2;
inline constexpr int kAuditCurrentVersion = kAuditVersion2;

// Code-point limits of version-2 fields (before escaping).
inline constexpr size_t kAuditMaxPrincipal = 256;
inline constexpr size_t kAuditMaxMethod = 256;
inline constexpr size_t kAuditMaxResource = 512;

struct AuditRecord {
  int version = kAuditCurrentVersion;
  int64_t sequence = 0;     // 1, 2, 3, ...
  int64_t time_micros = 0;  // Unix time, microseconds
  AuditEntry entry;
  std::string state_digest;  // version 2; "sha256:<hex>" or ""
  std::string previous_hash;
  std::string hash;
};

// The entry as a version-2 record stores it: every field clipped by code
// point (never mid-character) and escaped into valid UTF-8, reversibly.
AuditEntry EncodeAuditEntryV2(const AuditEntry& entry);

// The canonical bytes that `hash` covers (by r.version; an unknown version
// gives "" and never verifies).
std::string AuditCanonicalBytes(const AuditRecord& r);
// SHA-256 hex of AuditCanonicalBytes(r).
std::string AuditRecordHash(const AuditRecord& r);

// Incrementally checks a chain: records must come in sequence order starting
// at 1. Not thread-safe.
class AuditChainVerifier {
 public:
  // Returns the first problem as a sentence, or nullopt when `r` extends the
  // chain correctly.
  std::optional<std::string> Next(const AuditRecord& r);
  // The same with `canonical` = AuditCanonicalBytes(r), computed once by a
  // caller that also needs it (the Merkle leaf).
  std::optional<std::string> Next(const AuditRecord& r, absl::string_view canonical);
  int64_t checked() const { return checked_; }
  const std::string& head_hash() const { return head_; }

 private:
  int64_t checked_ = 0;
  std::string head_ = std::string(kAuditGenesisHash);
};

}  // namespace fairtrace
