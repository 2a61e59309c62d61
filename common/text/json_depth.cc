#include "common/text/json_depth.h"

#include <algorithm>

namespace fairtrace::text {

int JsonDepth(absl::string_view s, int cap) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if (c == ']' || c == '}') --depth;
    if (deepest > cap) return deepest;
  }
  return deepest;
}

}  // namespace fairtrace::text
