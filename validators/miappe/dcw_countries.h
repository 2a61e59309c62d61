// Country outlines of the Digital Chart of the World as packaged for GMT
// (Debian gmt-dcw: /usr/share/gmt-dcw/dcw-gmt.nc, netCDF-4, read through
// libhdf5 directly so that only the countries asked for are touched). For each ISO
// 3166-1 alpha-2 code XX the file holds XX_lon and XX_lat, unsigned 16-bit
// values v meaning min + v / scale (attributes of each variable), with
// 65535 separating the polygons (islands, exclaves). A point is inside when
// it is inside an odd number of the country's polygons (so enclaves drawn as
// rings inside it are outside).
//
// Outlines are read from the file the first time a country is asked for and
// kept; Near() is thread-safe. Open() fails (NOT_FOUND / DATA_LOSS) when the
// file is missing or not a DCW file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "validators/miappe/places.h"

namespace fairtrace::miappe {

inline constexpr char kDefaultDcwPath[] = "/usr/share/gmt-dcw/dcw-gmt.nc";

class DcwCountries final : public CountryLocator {
 public:
  static absl::StatusOr<std::unique_ptr<DcwCountries>> Open(const std::string& path = kDefaultDcwPath);
  ~DcwCountries() override;

  std::optional<bool> Near(const std::string& alpha2, double lat, double lon, double tolerance_deg) const override;
  std::string Snapshot() const override { return snapshot_; }

 private:
  struct Ring {
    std::vector<double> lon, lat;
    double west, east, south, north;
  };
  using Shape = std::vector<Ring>;
  DcwCountries(int64_t file, std::string snapshot) : file_(file), snapshot_(std::move(snapshot)) {}
  // Reads XX_lon/XX_lat; an empty shape when the file has none.
  Shape Read(const std::string& alpha2) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int64_t file_;  // HDF5 hid_t
  const std::string snapshot_;
  mutable absl::Mutex mu_;
  mutable std::map<std::string, Shape> shapes_ ABSL_GUARDED_BY(mu_);
};

// The same outlines, opened only when a site is first checked: a
// submission without coordinates never pays for opening the file (about
// 0.2 s and 90 MiB of netCDF/HDF5 state). When opening fails, Near() says
// nullopt (not checked) and error() says why. Thread-safe.
class LazyDcwCountries final : public CountryLocator {
 public:
  explicit LazyDcwCountries(std::string path = kDefaultDcwPath) : path_(std::move(path)) {}

  std::optional<bool> Near(const std::string& alpha2, double lat, double lon, double tolerance_deg) const override;
  // The opened file's snapshot ("DCW-GMT 2.1.1"); "" while not opened
  // (before the first Near(), or when opening failed).
  std::string Snapshot() const override;
  // Whether the file was opened, and why not when it failed (OK before use).
  bool opened() const;
  absl::Status error() const;

 private:
  const DcwCountries* Get() const;

  const std::string path_;
  mutable absl::Mutex mu_;
  mutable bool tried_ ABSL_GUARDED_BY(mu_) = false;
  mutable absl::Status error_ ABSL_GUARDED_BY(mu_);
  mutable std::unique_ptr<DcwCountries> countries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fairtrace::miappe
