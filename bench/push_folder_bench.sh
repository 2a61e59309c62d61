#!/usr/bin/env bash
# Issue 11 target: `fairtrace push` of a folder of image-sized files (2-20 MB,
# GIB gibibytes in total, default 4) reaches >= 0.45x the throughput of
# `openssl dgst -sha256` over the same files, measured in the same run (the
# page cache warm for both). Prints both and the ratio; a second push of the
# unchanged folder shows what only hashing costs.
# Usage: bench/push_folder_bench.sh [GIB]   (needs a built tree: scripts/build.sh)
# FAIRTRACE_CLIS="a b": compare several CLI binaries on the same files (each
# pushes to a fresh server data folder); default build/clients/fairtrace.
# Uses BENCH_DIR (default: a fresh folder under build/), removed afterwards.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build"
gib="${1:-4}"
work="${BENCH_DIR:-$(mktemp -d "$build/push-bench-XXXXXX")}"
mkdir -p "$work"
cleanup() { [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }

start_server() {
  rm -rf "$work/data" "$work/server.out"
  "$build/registry/server/fairtrace-server" --listen 127.0.0.1:0 --data-dir "$work/data" --quiet > "$work/server.out" &
  server_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
  export FAIRTRACE_SERVER="127.0.0.1:$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.out")"
}

# Files of 2-20 MB (a fixed sequence of sizes), random bytes, GIB in total.
/usr/bin/python3 - "$work/images" "$gib" <<'PY'
import os, sys
root, total = sys.argv[1], int(float(sys.argv[2]) * (1 << 30))
os.makedirs(root)
sizes = [2, 5, 11, 20, 7, 3, 16, 9, 13, 4]
i = done = 0
with open("/dev/urandom", "rb") as rnd:
    while done < total:
        n = min(sizes[i % len(sizes)] << 20, total - done)
        with open(os.path.join(root, f"plant-{i:05d}.png"), "wb") as f:
            f.write(rnd.read(n))
        done += n
        i += 1
print(f"{i} files, {done / 2**30:.2f} GiB")
PY
sync; cat "$work"/images/* > /dev/null  # warm the page cache for both

t0=$(now); openssl dgst -sha256 "$work"/images/* > /dev/null; t1=$(now)
ossl=$(echo "$t1 - $t0" | bc -l)
mb=$(echo "$gib * 1073.741824" | bc -l)
printf "openssl dgst -sha256: %6.2f s  %6.1f MB/s\n" "$ossl" "$(echo "$mb / $ossl" | bc -l)"
for cli in ${FAIRTRACE_CLIS:-$build/clients/fairtrace}; do
  start_server
  t0=$(now); "$cli" --json push "$work/images" > "$work/push1.json"; t1=$(now)
  push=$(echo "$t1 - $t0" | bc -l)
  t0=$(now); "$cli" --json push "$work/images" > "$work/push2.json"; t1=$(now)
  again=$(echo "$t1 - $t0" | bc -l)
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  echo "$cli:"
  printf "  fairtrace push:     %6.2f s  %6.1f MB/s  = %.2fx openssl (target >= 0.45x)\n" "$push" \
    "$(echo "$mb / $push" | bc -l)" "$(echo "$ossl / $push" | bc -l)"
  printf "  second push:        %6.2f s  (nothing sent: hashing and FindMissingBlobs only)\n" "$again"
done
