#include "validators/miappe/dcw_countries.h"

#include <H5Epublic.h>
#include <netcdf.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace fairtrace::miappe {
namespace {

constexpr unsigned short kSeparator = 65535;

// netCDF-4 asks HDF5 for optional attributes that DCW files lack, and HDF5
// prints its error stack for each to stderr (in the server's log). The
// netCDF return codes carry every error we act on, so the printing is
// turned off, for the calling thread's stack (HDF5 may keep one a thread).
void QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

bool Inside(const std::vector<double>& xs, const std::vector<double>& ys, double x, double y) {
  bool in = false;
  for (size_t i = 0, j = xs.size() - 1; i < xs.size(); j = i++) {
    if ((ys[i] > y) != (ys[j] > y) && x < (xs[j] - xs[i]) * (y - ys[i]) / (ys[j] - ys[i]) + xs[i]) in = !in;
  }
  return in;
}

// Distance in degrees (plane approximation, longitude scaled by cos(lat))
// from (x, y) to the segment a-b.
double SegmentDistance(double x, double y, double ax, double ay, double bx, double by, double kx) {
  double px = (x - ax) * kx, py = y - ay, dx = (bx - ax) * kx, dy = by - ay;
  double len = dx * dx + dy * dy;
  double t = len > 0 ? std::clamp((px * dx + py * dy) / len, 0.0, 1.0) : 0.0;
  double ex = px - t * dx, ey = py - t * dy;
  return std::sqrt(ex * ex + ey * ey);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DcwCountries>> DcwCountries::Open(const std::string& path) {
  QuietHdf5();
  int ncid = -1;
  if (int rc = nc_open(path.c_str(), NC_NOWRITE, &ncid); rc != NC_NOERR) {
    return absl::NotFoundError(absl::StrCat("cannot open the country outlines ", path, ": ", nc_strerror(rc)));
  }
  size_t len = 0;
  std::string version;
  if (nc_inq_attlen(ncid, NC_GLOBAL, "version", &len) == NC_NOERR && len < 64) {
    version.resize(len);
    if (nc_get_att_text(ncid, NC_GLOBAL, "version", version.data()) != NC_NOERR) version.clear();
  }
  int probe = 0;
  if (nc_inq_varid(ncid, "FR_lon", &probe) != NC_NOERR) {
    nc_close(ncid);
    return absl::DataLossError(absl::StrCat(path, " is not a DCW-GMT file (no FR_lon)"));
  }
  return std::unique_ptr<DcwCountries>(
      new DcwCountries(ncid, absl::StrCat("DCW-GMT ", version.empty() ? "unknown version" : version)));
}

DcwCountries::~DcwCountries() { nc_close(ncid_); }

DcwCountries::Shape DcwCountries::Read(const std::string& code) const {
  QuietHdf5();
  Shape shape;
  int dim = 0, xv = 0, yv = 0;
  size_t n = 0;
  double west = 0, south = 0, xscale = 1, yscale = 1;
  if (nc_inq_dimid(ncid_, absl::StrCat(code, "_length").c_str(), &dim) != NC_NOERR ||
      nc_inq_dimlen(ncid_, dim, &n) != NC_NOERR || n == 0 ||
      nc_inq_varid(ncid_, absl::StrCat(code, "_lon").c_str(), &xv) != NC_NOERR ||
      nc_inq_varid(ncid_, absl::StrCat(code, "_lat").c_str(), &yv) != NC_NOERR ||
      nc_get_att_double(ncid_, xv, "min", &west) != NC_NOERR ||
      nc_get_att_double(ncid_, xv, "scale", &xscale) != NC_NOERR ||
      nc_get_att_double(ncid_, yv, "min", &south) != NC_NOERR ||
      nc_get_att_double(ncid_, yv, "scale", &yscale) != NC_NOERR || xscale <= 0 || yscale <= 0) {
    return shape;
  }
  std::vector<unsigned short> dx(n), dy(n);
  if (nc_get_var_ushort(ncid_, xv, dx.data()) != NC_NOERR || nc_get_var_ushort(ncid_, yv, dy.data()) != NC_NOERR) {
    return shape;
  }
  Ring ring;
  auto close_ring = [&] {
    if (ring.lon.size() >= 3) {
      auto [w, e] = std::minmax_element(ring.lon.begin(), ring.lon.end());
      auto [s, nn] = std::minmax_element(ring.lat.begin(), ring.lat.end());
      ring.west = *w, ring.east = *e, ring.south = *s, ring.north = *nn;
      shape.push_back(std::move(ring));
    }
    ring = Ring();
  };
  for (size_t k = 0; k < n; ++k) {
    if (dx[k] == kSeparator) {
      close_ring();
      continue;
    }
    ring.lon.push_back(west + dx[k] / xscale);
    ring.lat.push_back(south + dy[k] / yscale);
  }
  close_ring();
  return shape;
}

std::optional<bool> DcwCountries::Near(const std::string& alpha2, double lat, double lon, double tolerance) const {
  std::string code = absl::AsciiStrToUpper(alpha2);
  if (code.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(code[0])) ||
      !absl::ascii_isalpha(static_cast<unsigned char>(code[1]))) {
    return std::nullopt;
  }
  const Shape* loaded;
  {
    absl::MutexLock lock(&mu_);
    auto it = shapes_.find(code);
    if (it == shapes_.end()) it = shapes_.emplace(code, Read(code)).first;
    loaded = &it->second;  // map nodes stay put and shapes are never changed once read
  }
  const Shape& shape = *loaded;
  if (shape.empty()) return std::nullopt;
  // Some outlines use longitudes in [0, 360) (Chile: 284..293): try the
  // point in both conventions.
  const double kx = std::cos(lat * M_PI / 180.0);
  const double slack = tolerance / std::max(kx, 0.01);
  for (double x : {lon, lon + 360.0, lon - 360.0}) {
    int inside = 0;
    for (const Ring& r : shape) {
      if (x >= r.west && x <= r.east && lat >= r.south && lat <= r.north && Inside(r.lon, r.lat, x, lat)) ++inside;
    }
    if (inside % 2 == 1) return true;
  }
  for (double x : {lon, lon + 360.0, lon - 360.0}) {
    for (const Ring& r : shape) {
      if (x < r.west - slack || x > r.east + slack || lat < r.south - tolerance || lat > r.north + tolerance) continue;
      for (size_t i = 0, j = r.lon.size() - 1; i < r.lon.size(); j = i++) {
        if (SegmentDistance(x, lat, r.lon[j], r.lat[j], r.lon[i], r.lat[i], kx) <= tolerance) return true;
      }
    }
  }
  return false;
}

const DcwCountries* LazyDcwCountries::Get() const {
  absl::MutexLock lock(&mu_);
  if (!tried_) {
    tried_ = true;
    auto opened = DcwCountries::Open(path_);
    if (opened.ok()) {
      countries_ = *std::move(opened);
    } else {
      error_ = opened.status();
    }
  }
  return countries_.get();
}

std::optional<bool> LazyDcwCountries::Near(const std::string& alpha2, double lat, double lon,
                                           double tolerance_deg) const {
  const DcwCountries* c = Get();
  if (c == nullptr) return std::nullopt;
  return c->Near(alpha2, lat, lon, tolerance_deg);
}

std::string LazyDcwCountries::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return countries_ ? countries_->Snapshot() : "";
}

bool LazyDcwCountries::opened() const {
  absl::MutexLock lock(&mu_);
  return countries_ != nullptr;
}

absl::Status LazyDcwCountries::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

}  // namespace fairtrace::miappe
