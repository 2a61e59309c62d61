#!/usr/bin/env bash
# The README's first command: installs dependencies, builds, and runs
# fairtrace-server with its embedded defaults (SQLite + blob folder under
# ./fairtrace-data, listening on 127.0.0.1:50051, the MLflow door on
# http://127.0.0.1:5000). Extra arguments are passed to the server, e.g.
# scripts/run.sh --listen 127.0.0.1:0 --mlflow-listen 127.0.0.1:0
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
door=(--mlflow-listen 127.0.0.1:5000)
for a in "$@"; do
  case "$a" in --mlflow-listen|--mlflow-listen=*) door=() ;; esac
done
exec "$root/build/registry/server/fairtrace-server" "${door[@]}" "$@"
