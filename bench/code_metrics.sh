#!/usr/bin/env bash
# Prints the shape of the source tree, for the architecture issue's
# before/after figures: lines per folder (hand-written C++, Python, proto and
# shell; generated code is not tracked so it does not count), the largest
# file, and the ten largest C++ functions (universal-ctags function spans).
# Run from anywhere; reads the files git tracks.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h' '*.py' '*.proto' '*.sh' | grep -v '^tests/proto/')
echo "== lines per folder"
for f in $files; do echo "$(dirname "$f") $(wc -l < "$f")"; done |
  awk '{n[$1]+=$2; t+=$2} END {for (d in n) printf "%7d %s\n", n[d], d; printf "%7d total\n", t}' | sort -k2
echo "== largest files"
for f in $files; do echo "$(wc -l < "$f") $f"; done | sort -rn | head -5
echo "== largest C++ functions (lines)"
git ls-files '*.cc' '*.h' | xargs ctags --fields=+ne --c++-kinds=f --output-format=u-ctags -f - 2>/dev/null |
  awk -F'\t' '{line=""; end=""; for (i=4;i<=NF;i++) {if ($i ~ /^line:/) line=substr($i,6); if ($i ~ /^end:/) end=substr($i,5)}
              if (line != "" && end != "") printf "%5d %s:%s %s\n", end-line+1, $2, line, $1}' | sort -rn | head -10
