// Where a point lies: the interface the validator's SEM-COORD-COUNTRY
// check asks (is a study's site inside its declared country?). The
// validator stays pure; dcw_countries.h implements it over the country
// outlines of Debian's gmt-dcw package, loaded by the CLI and the server.
#pragma once

#include <optional>
#include <string>

namespace fairtrace::miappe {

class CountryLocator {
 public:
  virtual ~CountryLocator() = default;
  // Whether (lat, lon) lies inside the country `alpha2` (ISO 3166-1) or
  // within `tolerance_deg` degrees of its outline; nullopt when there is no
  // outline for that code. Thread-safe.
  virtual std::optional<bool> Near(const std::string& alpha2, double lat, double lon, double tolerance_deg) const = 0;
  // "DCW-GMT 2.1.1", for the report; "" when no outlines were read.
  virtual std::string Snapshot() const = 0;
};

}  // namespace fairtrace::miappe
