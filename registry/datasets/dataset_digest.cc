#include "registry/datasets/dataset_digest.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/content/sha256.h"

namespace fairtrace::datasets {
namespace {

// Backslash, tab, line feed and carriage return escaped: a field never
// holds the separators.
void AppendEscaped(std::string* out, absl::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->push_back(c);
    }
  }
}

void Line(std::string* out, absl::string_view tag, absl::string_view a) {
  out->append(tag.data(), tag.size());
  out->push_back('\t');
  AppendEscaped(out, a);
  out->push_back('\n');
}

}  // namespace

std::string CanonicalItemText(const CanonicalItem& item) {
  std::string out = "fairtrace-item/1\n";
  Line(&out, "path", item.path);
  Line(&out, "blob", absl::StrCat(item.blob_sha256, "/", item.blob_size));
  for (const std::string& l : item.links) Line(&out, "link", l);
  if (!item.acquired_at.empty()) Line(&out, "acquired_at", item.acquired_at);
  if (!item.sensor.empty()) Line(&out, "sensor", item.sensor);
  if (!item.view.empty()) Line(&out, "view", item.view);
  if (!item.station.empty()) Line(&out, "station", item.station);
  for (const auto& [k, v] : item.attributes) {
    out.append("attr\t");
    AppendEscaped(&out, k);
    out.push_back('\t');
    AppendEscaped(&out, v);
    out.push_back('\n');
  }
  return out;
}

std::string ItemDigest(const CanonicalItem& item) { return Sha256Hex(CanonicalItemText(item)); }

std::string VersionDigest(absl::string_view tree_sha256, int64_t tree_size, absl::string_view investigation_digest,
                          std::vector<std::string> item_digests) {
  std::sort(item_digests.begin(), item_digests.end());
  std::string text = absl::StrCat("fairtrace-dataset-version/1\ntree\t", tree_sha256, "/", tree_size,
                                  "\ninvestigation\t", investigation_digest, "\nitems\t", item_digests.size(), "\n");
  text.reserve(text.size() + item_digests.size() * 65);
  for (const std::string& d : item_digests) {
    text.append(d);
    text.push_back('\n');
  }
  return Sha256Hex(text);
}

std::string MediaTypeOf(absl::string_view path) {
  static const std::map<std::string, std::string>* kTypes = new std::map<std::string, std::string>{
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"tif", "image/tiff"},
      {"tiff", "image/tiff"},
      {"bmp", "image/bmp"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"json", "application/json"},
      {"csv", "text/csv"},
      {"tsv", "text/tab-separated-values"},
      {"txt", "text/plain"},
      {"xml", "application/xml"},
      {"npy", "application/x-npy"},
      {"h5", "application/x-hdf5"},
      {"hdf5", "application/x-hdf5"},
      {"nc", "application/x-netcdf"},
      {"las", "application/vnd.las"},
      {"laz", "application/vnd.laszip"},
      {"ply", "model/ply"},
  };
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == absl::string_view::npos || (slash != absl::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  auto it = kTypes->find(absl::AsciiStrToLower(path.substr(dot + 1)));
  return it == kTypes->end() ? "application/octet-stream" : it->second;
}

}  // namespace fairtrace::datasets
