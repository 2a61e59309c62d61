#include "common/content/tree_names.h"

#include <cstdlib>
#include <memory>

#include <utf8proc.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

bool IsAscii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Code points above U+FFFF have at most 4 UTF-8 bytes; a full case folding
// has at most 3 code points.
void AppendCodePoint(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buf[4];
  utf8proc_ssize_t n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

std::string NfcName(absl::string_view s) {
  if (IsAscii(s)) return std::string(s);
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()), &out,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return std::string(s);  // not UTF-8: manifests refuse it before
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

std::string FoldedName(absl::string_view s) {
  if (IsAscii(s)) return absl::AsciiStrToLower(s);
  const std::string nfc = NfcName(s);
  std::string out;
  out.reserve(nfc.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(nfc.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(nfc.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) break;
    p += n;
    left -= n;
    utf8proc_int32_t folded[4];
    int last_boundclass = 0;
    utf8proc_ssize_t m = utf8proc_decompose_char(cp, folded, 4, UTF8PROC_CASEFOLD, &last_boundclass);
    AppendCodePoint(out, m == 1 ? folded[0] : cp);
  }
  return out;
}

std::vector<TreeNameProblem> TreeRestoreProblems(const std::vector<TreeEntry>& entries, size_t max_problems) {
  std::vector<TreeNameProblem> out;
  auto add = [&](size_t i, std::string message) {
    if (out.size() < max_problems) out.push_back({i, std::move(message)});
  };
  // Every folder and file path (each prefix that ends a component), by its
  // NFC key and by its folded key -> the first raw spelling seen.
  absl::flat_hash_map<std::string, std::string> by_nfc, by_fold;
  for (size_t i = 0; i < entries.size() && out.size() < max_problems; ++i) {
    const std::string& path = entries[i].path;
    if (path.size() > kMaxRestorablePathBytes) {
      add(i, absl::StrCat("path has ", path.size(), " bytes; at most ", kMaxRestorablePathBytes,
                          " can be written back on every supported system"));
      continue;
    }
    size_t depth = 1;
    for (char c : path) depth += c == '/';
    if (depth > kMaxRestorableDepth) {
      add(i, absl::StrCat("path is ", depth, " folders deep; at most ", kMaxRestorableDepth));
      continue;
    }
    const std::string nfc = NfcName(path), fold = FoldedName(path);
    // NFC and folding keep '/' and never move it, so the prefixes of the
    // keys line up with the prefixes of the path component by component.
    size_t raw_end = 0, nfc_end = 0, fold_end = 0;
    while (raw_end != std::string::npos) {
      raw_end = path.find('/', raw_end + (raw_end == 0 ? 0 : 1));
      nfc_end = nfc.find('/', nfc_end + (nfc_end == 0 ? 0 : 1));
      fold_end = fold.find('/', fold_end + (fold_end == 0 ? 0 : 1));
      std::string raw_prefix = path.substr(0, raw_end);
      auto [n, n_new] = by_nfc.try_emplace(nfc.substr(0, nfc_end), raw_prefix);
      if (!n_new && n->second != raw_prefix) {
        add(i, absl::StrCat("\"", text::ClipText(raw_prefix, 120), "\" and \"", text::ClipText(n->second, 120),
                            "\" are one name after Unicode NFC normalization (macOS keeps only one)"));
        break;
      }
      auto [f, f_new] = by_fold.try_emplace(fold.substr(0, fold_end), raw_prefix);
      if (!f_new && f->second != raw_prefix) {
        add(i, absl::StrCat("\"", text::ClipText(raw_prefix, 120), "\" and \"", text::ClipText(f->second, 120),
                            "\" differ only in case (one name on macOS and Windows)"));
        break;
      }
    }
  }
  return out;
}

}  // namespace fairtrace
