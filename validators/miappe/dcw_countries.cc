#include "validators/miappe/dcw_countries.h"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace fairtrace::miappe {
namespace {

constexpr unsigned short kSeparator = 65535;

// HDF5 prints its error stack to stderr (in the server's log) for every
// failed call. The return codes carry every error we act on, so the
// printing is turned off, for the calling thread's stack (HDF5 may keep one
// a thread).
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
  // H5Fopen reads the superblock and root group only; each country's
  // datasets are opened by name when first asked for (netCDF's nc_open
  // read the metadata of all 500 variables: ~0.1 s and ~70 MiB).
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return absl::NotFoundError(absl::StrCat("cannot open the country outlines ", path));
  std::string version;
  if (H5Aexists(file, "version") > 0) {
    const hid_t attr = H5Aopen(file, "version", H5P_DEFAULT);
    const hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
    if (type >= 0 && H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0 && H5Tget_size(type) < 64) {
      version.resize(H5Tget_size(type));
      if (H5Aread(attr, type, version.data()) < 0) version.clear();
      version.resize(strnlen(version.c_str(), version.size()));
    }
    if (type >= 0) H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
  }
  if (H5Lexists(file, "FR_lon", H5P_DEFAULT) <= 0) {
    H5Fclose(file);
    return absl::DataLossError(absl::StrCat(path, " is not a DCW-GMT file (no FR_lon)"));
  }
  return std::unique_ptr<DcwCountries>(
      new DcwCountries(file, absl::StrCat("DCW-GMT ", version.empty() ? "unknown version" : version)));
}

DcwCountries::~DcwCountries() { H5Fclose(file_); }

namespace {

// One variable of the file: its unsigned 16-bit values and the "min" and
// "scale" attributes that turn them into degrees. False when any is missing.
bool ReadVariable(hid_t file, const std::string& name, std::vector<unsigned short>* values, double* min,
                  double* scale) {
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) return false;
  const hid_t set = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  if (set < 0) return false;
  bool ok = false;
  const hid_t space = H5Dget_space(set);
  const hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  constexpr hssize_t kMaxPoints = hssize_t{1} << 24;  // the largest country (RU) has under 2^21
  if (n > 0 && n <= kMaxPoints) {
    values->resize(static_cast<size_t>(n));
    ok = H5Dread(set, H5T_NATIVE_USHORT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values->data()) >= 0;
    for (const auto& [attr_name, out] : {std::pair<const char*, double*>{"min", min}, {"scale", scale}}) {
      const hid_t attr = ok && H5Aexists(set, attr_name) > 0 ? H5Aopen(set, attr_name, H5P_DEFAULT) : -1;
      ok = attr >= 0 && H5Aread(attr, H5T_NATIVE_DOUBLE, out) >= 0;
      if (attr >= 0) H5Aclose(attr);
    }
  }
  if (space >= 0) H5Sclose(space);
  H5Dclose(set);
  return ok;
}

}  // namespace

DcwCountries::Shape DcwCountries::Read(const std::string& code) const {
  QuietHdf5();
  Shape shape;
  double west = 0, south = 0, xscale = 1, yscale = 1;
  std::vector<unsigned short> dx, dy;
  if (!ReadVariable(file_, absl::StrCat(code, "_lon"), &dx, &west, &xscale) ||
      !ReadVariable(file_, absl::StrCat(code, "_lat"), &dy, &south, &yscale) || dx.size() != dy.size() || xscale <= 0 ||
      yscale <= 0) {
    return shape;
  }
  const size_t n = dx.size();
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
