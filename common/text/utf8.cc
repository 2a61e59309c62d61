#include "common/text/utf8.h"

#include "absl/strings/str_cat.h"

namespace fairtrace::text {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHexByte(std::string& out, unsigned char b) {
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xF];
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const unsigned char c = s[i];
  if (c < 0x80) return 1;
  const size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  const unsigned char c1 = s[i + 1];
  if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
  if (c == 0xED && c1 >= 0xA0) return 0;  // surrogates
  if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
  if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
  return n;
}

std::optional<size_t> FirstInvalidUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    // ASCII fast path: most request text is ASCII.
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

bool IsValidUtf8(absl::string_view s) { return !FirstInvalidUtf8(s).has_value(); }

size_t CodePointCount(absl::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++count) {
    const size_t n = Utf8SequenceLength(s, i);
    i += n == 0 ? 1 : n;
  }
  return count;
}

absl::string_view TruncateCodePoints(absl::string_view s, size_t max_code_points) {
  size_t i = 0;
  for (size_t count = 0; i < s.size() && count < max_code_points; ++count) {
    const size_t n = Utf8SequenceLength(s, i);
    i += n == 0 ? 1 : n;
  }
  return s.substr(0, i);
}

std::string ClipText(absl::string_view s, size_t max_code_points) {
  std::string out;
  out.reserve(std::min(s.size(), max_code_points * 4) + 4);
  size_t i = 0;
  for (size_t count = 0; i < s.size() && count < max_code_points; ++count) {
    const unsigned char c = s[i];
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0 || (n == 1 && IsControl(c))) {
      AppendHexByte(out, c);
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  if (i < s.size()) out += "\u2026";
  return out;
}

std::string BoundText(absl::string_view s, size_t max_code_points) {
  if (s.size() <= max_code_points && IsValidUtf8(s)) return std::string(s);
  return ClipText(s, max_code_points);
}

std::string EscapeText(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    const size_t n = Utf8SequenceLength(s, i);
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (n == 0 || (n == 1 && IsControl(c))) {
      AppendHexByte(out, c);
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

std::optional<std::string> UnescapeText(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '\\') {
      const size_t n = Utf8SequenceLength(s, i);
      if (n == 0 || (n == 1 && IsControl(static_cast<unsigned char>(s[i])))) return std::nullopt;
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      i += 2;
      continue;
    }
    if (i + 4 > s.size() || s[i + 1] != 'x') return std::nullopt;
    const int hi = HexValue(s[i + 2]), lo = HexValue(s[i + 3]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const unsigned char b = static_cast<unsigned char>(hi * 16 + lo);
    out += static_cast<char>(b);
    i += 4;
  }
  // Only the canonical escaping of a string is accepted ("\\x41" for "A" is
  // not), so that decoding is the exact inverse of EscapeText.
  if (EscapeText(out) != s) return std::nullopt;
  return out;
}

}  // namespace fairtrace::text
