#include "common/content/tree.h"

#include <algorithm>
#include <charconv>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

constexpr int kMaxViolations = 100;

class Violations {
 public:
  void Add(std::string field, std::string description) {
    if (count_++ < kMaxViolations) items_.emplace_back(std::move(field), std::move(description));
  }
  bool empty() const { return count_ == 0; }
  absl::Status ToStatus(absl::string_view what) const {
    ErrorBuilder b(absl::StatusCode::kInvalidArgument,
                   absl::StrCat(what, ": ", count_, " problem(s); first: ", items_[0].first, ": ", items_[0].second));
    b.Reason("INVALID_TREE").Meta("problem_count", absl::StrCat(count_));
    for (const auto& [f, d] : items_) b.Field(f, d);
    return b.Build();
  }

 private:
  int count_ = 0;
  std::vector<std::pair<std::string, std::string>> items_;
};

// Checks uniqueness and file/folder conflicts in path-sorted entries.
void CheckSortedUnique(const std::vector<TreeEntry>& entries, Violations& v) {
  absl::flat_hash_set<absl::string_view> files;
  files.reserve(entries.size());
  for (const auto& e : entries) files.insert(e.path);
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& p = entries[i].path;
    if (i > 0) {
      const std::string& prev = entries[i - 1].path;
      if (prev == p) {
        v.Add(absl::StrCat("entries[", i, "].path"), absl::StrCat("duplicate path \"", p, "\""));
      } else if (prev > p) {
        v.Add(absl::StrCat("entries[", i, "].path"), absl::StrCat("not sorted: \"", p, "\" after \"", prev, "\""));
      }
    }
    for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
      absl::string_view folder(p.data(), slash);
      if (files.contains(folder)) {
        v.Add(absl::StrCat("entries[", i, "].path"),
              absl::StrCat("\"", folder, "\" is both a file and the folder of \"", p, "\""));
        break;
      }
    }
  }
}

}  // namespace

std::string TreePathProblem(absl::string_view path) {
  if (path.empty()) return "path is empty";
  if (path.size() > kMaxTreePathBytes) {
    return absl::StrCat("path is longer than ", kMaxTreePathBytes, " bytes");
  }
  if (path.front() == '/') return "absolute paths are not allowed";
  size_t start = 0;
  for (size_t i = 0; i < path.size();) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7f) return "control characters are not allowed";
    if (c == '\\') return "backslashes are not allowed; use '/'";
    size_t n = text::Utf8SequenceLength(path, i);
    if (n == 0) return "path is not valid UTF-8";
    i += n;
  }
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == absl::string_view::npos) end = path.size();
    absl::string_view comp = path.substr(start, end - start);
    if (comp.empty()) return "empty path component ('//' or trailing '/')";
    if (comp == "." || comp == "..") return "'.' and '..' components are not allowed";
    if (comp.size() > kMaxTreeComponentBytes) {
      return absl::StrCat("a path component is longer than ", kMaxTreeComponentBytes, " bytes");
    }
    start = end + 1;
  }
  return "";
}

absl::StatusOr<std::string> EncodeTree(std::vector<TreeEntry> entries) {
  Violations v;
  if (entries.size() > kMaxTreeEntries) {
    v.Add("entries", absl::StrCat("more than ", kMaxTreeEntries, " entries"));
    return v.ToStatus("invalid tree");
  }
  std::sort(entries.begin(), entries.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  for (size_t i = 0; i < entries.size(); ++i) {
    if (std::string p = TreePathProblem(entries[i].path); !p.empty()) {
      v.Add(absl::StrCat("entries[", i, "].path"), absl::StrCat(p, ": \"", entries[i].path, "\""));
    }
    if (absl::Status s = ValidateDigest(entries[i].digest, absl::StrCat("entries[", i, "].digest")); !s.ok()) {
      v.Add(absl::StrCat("entries[", i, "].digest"), std::string(s.message()));
    }
  }
  CheckSortedUnique(entries, v);
  if (!v.empty()) return v.ToStatus("invalid tree");

  std::string out(kTreeHeader);
  out.reserve(entries.size() * 100);
  for (const auto& e : entries) {
    absl::StrAppend(&out, e.executable ? "x " : "f ", e.digest.sha256, " ", e.digest.size_bytes, " ", e.path, "\n");
  }
  return out;
}

absl::StatusOr<std::vector<TreeEntry>> ParseTree(absl::string_view bytes) {
  Violations v;
  if (bytes.substr(0, kTreeHeader.size()) != kTreeHeader) {
    v.Add("manifest", "does not start with \"fairtrace-tree/1\\n\"");
    return v.ToStatus("not a tree manifest");
  }
  std::vector<TreeEntry> entries;
  size_t pos = kTreeHeader.size();
  while (pos < bytes.size()) {
    size_t i = entries.size();
    std::string field = absl::StrCat("entries[", i, "]");
    if (i >= kMaxTreeEntries) {
      v.Add("manifest", absl::StrCat("more than ", kMaxTreeEntries, " entries"));
      break;
    }
    size_t nl = bytes.find('\n', pos);
    if (nl == absl::string_view::npos) {
      v.Add(field, "last line does not end with '\\n'");
      break;
    }
    absl::string_view line = bytes.substr(pos, nl - pos);
    pos = nl + 1;
    // "<k> <64 hex> <size> <path>"
    if (line.size() < 2 + 64 + 1 + 1 + 1 + 1 || (line[0] != 'f' && line[0] != 'x') || line[1] != ' ' ||
        line[66] != ' ') {
      v.Add(field, "line is not \"<f|x> <sha256> <size> <path>\"");
      continue;
    }
    size_t size_end = line.find(' ', 67);
    if (size_end == absl::string_view::npos) {
      v.Add(field, "line has no path");
      continue;
    }
    auto digest = ParseDigest(absl::StrCat(line.substr(2, 64), "/", line.substr(67, size_end - 67)),
                              absl::StrCat(field, ".digest"));
    if (!digest.ok()) {
      v.Add(absl::StrCat(field, ".digest"), std::string(digest.status().message()));
      continue;
    }
    if (absl::Status s = ValidateDigest(*digest, absl::StrCat(field, ".digest")); !s.ok()) {
      v.Add(absl::StrCat(field, ".digest"), std::string(s.message()));
      continue;
    }
    TreeEntry e{std::string(line.substr(size_end + 1)), *std::move(digest), line[0] == 'x'};
    if (std::string p = TreePathProblem(e.path); !p.empty()) {
      v.Add(absl::StrCat(field, ".path"), absl::StrCat(p, ": \"", text::ClipText(e.path, 200), "\""));
    }
    entries.push_back(std::move(e));
  }
  if (v.empty()) CheckSortedUnique(entries, v);
  if (!v.empty()) return v.ToStatus("invalid tree manifest");
  return entries;
}

std::vector<TreeIndexPoint> TreeIndexPoints(absl::Span<const TreeEntry> entries, int64_t stride) {
  std::vector<TreeIndexPoint> out;
  int64_t offset = static_cast<int64_t>(kTreeHeader.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (static_cast<int64_t>(i) % stride == 0) out.push_back({static_cast<int64_t>(i), offset});
    const TreeEntry& e = entries[i];
    // "<k> <64 hex> <size> <path>\n"
    offset += 2 + 64 + 1 + static_cast<int64_t>(absl::StrCat(e.digest.size_bytes).size()) + 1 +
              static_cast<int64_t>(e.path.size()) + 1;
  }
  return out;
}

absl::StatusOr<TreeEntry> ParseTreeLine(absl::string_view line) {
  if (line.size() < 2 + 64 + 1 + 1 + 1 + 1 || (line[0] != 'f' && line[0] != 'x') || line[1] != ' ' || line[66] != ' ') {
    return InvalidField("manifest", "not a manifest line");
  }
  size_t size_end = line.find(' ', 67);
  if (size_end == absl::string_view::npos) return InvalidField("manifest", "manifest line has no path");
  FT_ASSIGN_OR_RETURN(Digest d,
                      ParseDigest(absl::StrCat(line.substr(2, 64), "/", line.substr(67, size_end - 67)), "manifest"));
  return TreeEntry{std::string(line.substr(size_end + 1)), std::move(d), line[0] == 'x'};
}

}  // namespace fairtrace
