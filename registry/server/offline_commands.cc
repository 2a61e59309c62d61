#include "registry/server/offline_commands.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "registry/server/data_folder.h"

namespace fairtrace {
namespace {

using nlohmann::json;

std::string Time(int64_t micros) {
  return micros == 0 ? "" : absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

json TokenJson(const TokenRow& t) {
  return json{{"name", "tokens/" + t.token_id},     {"principal", t.principal},
              {"description", t.description},       {"create_time", Time(t.create_time)},
              {"expire_time", Time(t.expire_time)}, {"revoke_time", Time(t.revoke_time)}};
}

json GrantJson(const GrantRow& g) {
  return json{
      {"principal", g.principal}, {"role", g.role}, {"project", g.project}, {"create_time", Time(g.create_time)}};
}

int Refused(const absl::Status& s) {
  std::cerr << "fairtrace-server: " << s.message() << "\n";
  return 1;
}

}  // namespace

int64_t ParseLifetimeSeconds(const std::string& text) {
  if (text.empty()) return -1;
  int64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'd':
      unit = 86400;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'm':
      unit = 60;
      break;
    case 's':
      break;
    default:
      digits.push_back('s');
  }
  digits.pop_back();
  int64_t n = 0;
  if (digits.empty() || digits.size() > 9 || !absl::SimpleAtoi(digits, &n) || n < 0) return -1;
  return n * unit;
}

int RunOfflineAccessCommand(const std::string& data_dir, const std::string& which, const OfflineAccessCommand& c) {
  auto opened = OfflineAccess::Open(data_dir);
  if (!opened.ok()) return Refused(opened.status());
  AccessControl& access = (*opened)->access();
  CallContext ctx = (*opened)->Context("fairtrace-server " + which);
  if (which == "tokens create") {
    int64_t seconds = ParseLifetimeSeconds(c.expires);
    if (seconds < 0) return Refused(absl::InvalidArgumentError("--expires is like 90d, 12h, 30m, 45s or seconds"));
    auto made = access.CreateToken(ctx, c.principal, seconds, c.description);
    if (!made.ok()) return Refused(made.status());
    if (c.json) {
      json j = TokenJson(made->row);
      j["secret"] = made->secret;
      std::cout << j.dump() << "\n";
    } else {
      std::cout << "token tokens/" << made->row.token_id << " for " << made->row.principal
                << (made->row.expire_time ? ", expires " + Time(made->row.expire_time) : ", never expires") << "\n"
                << "secret (shown once; the server keeps only its hash):\n"
                << made->secret << "\n";
    }
    return 0;
  }
  if (which == "tokens list") {
    json all = json::array();
    for (const TokenRow& t : access.ListTokens(c.principal, true)) {
      if (c.json) {
        all.push_back(TokenJson(t));
        continue;
      }
      std::cout << "tokens/" << t.token_id << "  " << t.principal << "  created " << Time(t.create_time)
                << (t.expire_time ? "  expires " + Time(t.expire_time) : "")
                << (t.revoke_time ? "  REVOKED " + Time(t.revoke_time) : "") << "\n";
    }
    if (c.json) std::cout << all.dump() << "\n";
    return 0;
  }
  if (which == "tokens revoke") {
    std::string name = c.token_name.rfind("tokens/", 0) == 0 ? c.token_name : "tokens/" + c.token_name;
    auto row = access.RevokeToken(ctx, name);
    if (!row.ok()) return Refused(row.status());
    std::cout << (c.json ? TokenJson(*row).dump() : "revoked " + name) << "\n";
    return 0;
  }
  if (which == "grants add" || which == "grants revoke") {
    auto row = which == "grants add" ? access.AddGrant(ctx, c.principal, c.role, c.project)
                                     : access.RevokeGrant(ctx, c.principal, c.role, c.project);
    if (!row.ok()) return Refused(row.status());
    if (c.json) {
      std::cout << GrantJson(*row).dump() << "\n";
    } else {
      std::cout << (which == "grants add" ? "granted " : "revoked ") << row->role << " in " << row->project << " to "
                << row->principal << "\n";
    }
    return 0;
  }
  json all = json::array();
  for (const GrantRow& g : access.ListGrants(c.principal)) {
    if (c.json) {
      all.push_back(GrantJson(g));
    } else {
      std::cout << g.principal << "  " << g.role << "  " << g.project << "\n";
    }
  }
  if (c.json) std::cout << all.dump() << "\n";
  return 0;
}

}  // namespace fairtrace
