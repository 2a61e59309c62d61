#!/usr/bin/env bash
# Clang's thread-safety analysis (-Wthread-safety) over every translation
# unit of ours that uses the lock annotations (ABSL_GUARDED_BY, ...): GCC
# ignores them, so without this nothing checks them. Syntax-only (no code is
# generated), with the flags of build/compile_commands.json; any
# thread-safety warning fails. CTest `thread_safety_clang` runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
cd "$root"
annotated=$(git grep -lE 'ABSL_(GUARDED_BY|PT_GUARDED_BY|EXCLUSIVE_LOCKS_REQUIRED|LOCKS_EXCLUDED|SHARED_LOCKS_REQUIRED)' \
            -- 'common/*' 'registry/*' 'validators/*' 'clients/*')
# The .cc files that are annotated or include an annotated header.
pattern=$(for f in $annotated; do case $f in *.h) printf '%s|' "$f";; esac; done | sed 's/|$//')
mapfile -t units < <( (for f in $annotated; do case $f in *.cc) echo "$f";; esac; done
                       git grep -lE "#include \"($pattern)\"" -- '*.cc') | grep -v '_test.cc$' | sort -u)
/usr/bin/python3 - "$build/compile_commands.json" "$root" "${units[@]}" <<'PY'
import json, os, shlex, subprocess, sys
db, root, units = sys.argv[1], sys.argv[2], sys.argv[3:]
commands = {os.path.realpath(e["file"]): e for e in json.load(open(db))}
failed = 0
for u in units:
    e = commands.get(os.path.realpath(os.path.join(root, u)))
    if e is None:
        print(f"{u}: not in compile_commands.json (not built?)")
        failed += 1
        continue
    args = shlex.split(e["command"]) if "command" in e else e["arguments"]
    while args and not args[0].startswith("-"):
        args = args[1:]  # the compiler (after a launcher such as ccache)
    args = [a for a in args if a != "-Werror" and not a.startswith("-fdiagnostics-color")]
    out_i = args.index("-o") if "-o" in args else -1
    if out_i >= 0:
        del args[out_i:out_i + 2]
    args = [a for a in args if a != "-c"]
    cmd = ["clang++-14", "-fsyntax-only"] + args + ["-Wno-everything", "-Wthread-safety", "-Werror=thread-safety"]
    r = subprocess.run(cmd, cwd=e["directory"], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
        failed += 1
print(f"{len(units)} translation units analysed, {failed} with thread-safety errors")
sys.exit(1 if failed else 0)
PY
