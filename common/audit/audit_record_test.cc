#include "common/audit/audit_record.h"

#include <gtest/gtest.h>

#include "common/text/utf8.h"

namespace fairtrace {
namespace {

std::vector<AuditRecord> Chain(int n) {
  std::vector<AuditRecord> out;
  std::string prev(kAuditGenesisHash);
  for (int i = 1; i <= n; ++i) {
    AuditRecord r;
    r.sequence = i;
    r.time_micros = 1000 * i;
    r.entry = {"user:ana", "/fairtrace.v1.CasService/Write", "blobs/x/1", std::string(64, 'a'), "OK"};
    r.previous_hash = prev;
    r.hash = AuditRecordHash(r);
    prev = r.hash;
    out.push_back(r);
  }
  return out;
}

TEST(AuditRecord, Version1CanonicalBytesAreLengthPrefixed) {
  AuditRecord r = Chain(1)[0];
  r.version = kAuditVersion1;
  EXPECT_EQ(AuditCanonicalBytes(r),
            "fairtrace-audit/1\nsequence=1\ntime_micros=1000\nprincipal=8:user:ana\n"
            "method=30:/fairtrace.v1.CasService/Write\nresource=9:blobs/x/1\n"
            "request_sha256=64:" +
                std::string(64, 'a') +
                "\nresult=2:OK\n"
                "previous_hash=64:" +
                std::string(kAuditGenesisHash) + "\n");
}

TEST(AuditRecord, Version2AddsStateDigestAndHoldsEscapedText) {
  AuditRecord r = Chain(1)[0];
  r.entry = EncodeAuditEntryV2({"user:ana", "/m", std::string(79, 'a') + "\xC3\xA9\xFF\\", "h", "OK"});
  EXPECT_EQ(r.entry.resource, std::string(79, 'a') + "\xC3\xA9\\xff\\\\");
  EXPECT_EQ(AuditCanonicalBytes(r),
            "fairtrace-audit/2\nsequence=1\ntime_micros=1000\nprincipal=8:user:ana\nmethod=2:/m\n"
            "resource=87:" +
                std::string(79, 'a') +
                "\xC3\xA9\\xff\\\\\nrequest_sha256=1:h\nresult=2:OK\n"
                "state_digest=0:\nprevious_hash=64:" +
                std::string(kAuditGenesisHash) + "\n");
}

TEST(AuditRecord, Version2ClipsByCodePointNeverMidCharacter) {
  std::string resource;
  for (int i = 0; i < 600; ++i) resource += "\xC3\xA9";
  AuditEntry e = EncodeAuditEntryV2({"p", "m", resource, "h", "OK"});
  EXPECT_EQ(e.resource.size(), kAuditMaxResource * 2);
  EXPECT_TRUE(text::IsValidUtf8(e.resource));
}

TEST(AuditRecord, Version2EncodingIsInjective) {
  // A literal backslash-x and the byte it spells must give different records.
  EXPECT_NE(EncodeAuditEntryV2({"p", "m", "\\xff", "h", "OK"}).resource,
            EncodeAuditEntryV2({"p", "m", "\xff", "h", "OK"}).resource);
}

TEST(AuditChain, RefusesUnknownVersions) {
  auto c = Chain(1);
  c[0].version = 3;
  AuditChainVerifier v;
  EXPECT_TRUE(v.Next(c[0]).has_value());
}

TEST(AuditChain, VerifiesMixedVersions) {
  // A log that began before version 2 keeps verifying as its stored bytes.
  std::vector<AuditRecord> out;
  std::string prev(kAuditGenesisHash);
  for (int i = 1; i <= 4; ++i) {
    AuditRecord r;
    r.version = i <= 2 ? kAuditVersion1 : kAuditVersion2;
    r.sequence = i;
    r.entry = {"anonymous", "/m", i == 2 ? std::string(79, 'a') + "\xC3" : "x", "h", "INVALID_ARGUMENT"};
    r.previous_hash = prev;
    r.hash = AuditRecordHash(r);
    prev = r.hash;
    out.push_back(r);
  }
  AuditChainVerifier v;
  for (const auto& r : out) EXPECT_FALSE(v.Next(r).has_value());
}

TEST(AuditChain, VerifiesIntactChain) {
  AuditChainVerifier v;
  for (const auto& r : Chain(5)) EXPECT_FALSE(v.Next(r).has_value());
  EXPECT_EQ(v.checked(), 5);
}

TEST(AuditChain, DetectsAlteredField) {
  auto c = Chain(3);
  c[1].entry.principal = "user:mallory";
  AuditChainVerifier v;
  EXPECT_FALSE(v.Next(c[0]).has_value());
  auto p = v.Next(c[1]);
  ASSERT_TRUE(p.has_value());
  EXPECT_NE(p->find("altered"), std::string::npos);
}

TEST(AuditChain, DetectsDroppedRecord) {
  auto c = Chain(3);
  AuditChainVerifier v;
  EXPECT_FALSE(v.Next(c[0]).has_value());
  EXPECT_TRUE(v.Next(c[2]).has_value());
}

TEST(AuditChain, DetectsRehashedRecordWithoutFixingSuccessor) {
  auto c = Chain(3);
  c[1].entry.result = "INVALID_ARGUMENT";
  c[1].hash = AuditRecordHash(c[1]);  // attacker recomputes this hash only
  AuditChainVerifier v;
  EXPECT_FALSE(v.Next(c[0]).has_value());
  EXPECT_FALSE(v.Next(c[1]).has_value());
  EXPECT_TRUE(v.Next(c[2]).has_value());
}

TEST(AuditRecord, FieldBoundariesCannotBeShifted) {
  AuditRecord a = Chain(1)[0], b = a;
  a.entry.principal = "x\nmethod=1:y";
  b.entry.principal = "x";
  b.entry.method = "y";
  EXPECT_NE(AuditCanonicalBytes(a), AuditCanonicalBytes(b));
}

}  // namespace
}  // namespace fairtrace
