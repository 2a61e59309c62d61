#!/usr/bin/env bash
# Installs the Python client package `fairtrace` (with its generated gRPC
# stubs) for Debian's /usr/bin/python3: builds it into build/python, then
# copies it into the user's site-packages (or into $1 when given).
# Needs python3-grpcio and python3-protobuf (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
scripts/build.sh >/dev/null
target=${1:-$(/usr/bin/python3 -m site --user-site)}
mkdir -p "$target"
rm -rf "$target/fairtrace"
cp -r "$BUILD_DIR/python/fairtrace" "$target/"
mkdir -p "$target/google"
rm -rf "$target/google/rpc"
cp -r "$BUILD_DIR/python/google/rpc" "$target/google/"
echo "installed fairtrace into $target"
/usr/bin/python3 -c "import sys; sys.path.insert(0, '$target'); import fairtrace; print('fairtrace', fairtrace.__version__)"
