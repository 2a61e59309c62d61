#!/usr/bin/env bash
# The README's second command, and what .ci/run calls: installs dependencies,
# builds, and runs every test (unit and integration) through CTest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j 2 --timeout 600
