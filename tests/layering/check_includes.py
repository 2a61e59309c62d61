#!/usr/bin/env python3
"""Fails when a lower layer includes a higher one (docs/architecture.md).

Reads every tracked C++ file under the source root given as argv[1] and
checks each `#include "..."` against the rules below: a folder may include
only the folders its layer lists, and some may include no gRPC at all.
Prints every violation as `file:line: includes X (rule)` and exits 1 when
there is any; exits 0 otherwise. `--self-test` checks the rules themselves
on made-up includes (a rule that lets everything through is caught).
"""
import os
import re
import subprocess
import sys

# Folder prefix -> the first-party prefixes it may include. Checked in
# order; the first matching prefix applies. Generated proto headers
# ("fairtrace/v1/x.pb.h", "google/rpc/...") are governed by GRPC_FREE.
COMMON = ("common/",)
VALIDATORS = COMMON + ("validators/",)
STORAGE = COMMON + ("registry/cas/", "registry/store/")
CAPABILITY = VALIDATORS + STORAGE + ("registry/core/", "registry/content/", "registry/models/",
                                     "registry/runs/", "registry/investigations/", "registry/datasets/",
                                     "registry/annotations/", "registry/splits/", "registry/trust/",
                                     "registry/experiments/")
RULES = [
    ("common/text/", ("common/text/",)),
    ("common/status/", ("common/text/", "common/status/")),
    ("common/", COMMON),
    ("validators/", ("common/text/", "validators/")),
    ("registry/cas/", STORAGE),
    ("registry/store/", STORAGE),
    ("registry/core/", CAPABILITY),
    ("registry/content/", CAPABILITY),
    ("registry/models/", CAPABILITY),
    ("registry/runs/", CAPABILITY),
    ("registry/investigations/", CAPABILITY),
    ("registry/datasets/", CAPABILITY),
    ("registry/annotations/", CAPABILITY),
    ("registry/splits/", CAPABILITY),
    ("registry/trust/", CAPABILITY),
    ("registry/experiments/", CAPABILITY),
    ("registry/api/", CAPABILITY + ("registry/api/",)),
    # The MLflow door adapts HTTP as registry/api adapts gRPC.
    ("registry/mlflow/", CAPABILITY + ("registry/mlflow/",)),
    ("registry/server/", CAPABILITY + ("registry/api/", "registry/mlflow/", "registry/server/")),
    ("clients/", COMMON + VALIDATORS + ("clients/",)),
]
# Folders that must not see gRPC (nor google.rpc: errors below the API
# layer are ErrorDetails; common/wire alone converts them).
GRPC_FREE = ("common/", "validators/", "registry/cas/", "registry/store/", "registry/core/",
             "registry/content/", "registry/models/", "registry/runs/", "registry/investigations/",
             "registry/datasets/", "registry/annotations/",
             "registry/splits/", "registry/trust/", "registry/experiments/", "registry/mlflow/")
GRPC_HEADER = re.compile(r'^(grpcpp/|grpc/|.*\.grpc\.pb\.h$)')
RPC_HEADER = re.compile(r'^google/rpc/')
FIRST_PARTY = ("common/", "validators/", "registry/", "clients/", "tests/", "bench/", "fuzz/")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')


def rule_for(path):
    for prefix, allowed in RULES:
        if path.startswith(prefix):
            return prefix, allowed
    return None, None


def violations(path, includes):
    """Yields (line, include, why) for one file's (line, include) pairs."""
    prefix, allowed = rule_for(path)
    if prefix is None or path.endswith("_test.cc"):
        return  # tests may reach across layers to set things up
    for line, inc in includes:
        if inc.startswith(FIRST_PARTY) and not inc.startswith(allowed):
            yield line, inc, f"{prefix} may include only {', '.join(allowed)}"
        if path.startswith(GRPC_FREE) and GRPC_HEADER.match(inc):
            yield line, inc, f"{prefix} may not include gRPC"
        if path.startswith(GRPC_FREE) and RPC_HEADER.match(inc) and not path.startswith("common/wire/"):
            yield line, inc, f"{prefix} may not include google.rpc (use common/status/errors.h)"


def self_test():
    cases = [
        ("registry/store/x.cc", "registry/core/call_context.h", True),
        ("registry/core/x.cc", "registry/api/grpc_status.h", True),
        ("registry/runs/x.cc", "registry/server/registry_server.h", True),
        ("validators/miappe/x.cc", "registry/cas/blob_store.h", True),
        ("validators/miappe/x.cc", "common/fs/fs_util.h", True),
        ("common/content/x.cc", "registry/core/page_token.h", True),
        ("registry/cas/x.cc", "grpcpp/grpcpp.h", True),
        ("registry/store/x.cc", "google/rpc/status.pb.h", True),
        ("clients/cpp/x.cc", "registry/cas/blob_store.h", True),
        ("registry/api/x.cc", "registry/server/registry_server.h", True),
        ("registry/store/x.cc", "common/content/digest.h", False),
        ("registry/api/x.cc", "grpcpp/grpcpp.h", False),
        ("common/wire/x.cc", "google/rpc/status.pb.h", False),
        ("registry/runs/x.cc", "registry/models/model_registry.h", False),
        ("clients/cli/x.cc", "validators/miappe/loader.h", False),
    ]
    bad = 0
    for path, inc, expect in cases:
        got = any(True for _ in violations(path, [(1, inc)]))
        if got != expect:
            print(f"self-test: {path} including {inc}: expected violation={expect}, got {got}")
            bad += 1
    return bad


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    if "--self-test" in sys.argv:
        return 1 if self_test() else 0
    if self_test():
        return 1
    files = subprocess.run(["git", "-C", root, "ls-files", "*.cc", "*.h"], capture_output=True, text=True,
                           check=True).stdout.split()
    if not files:
        print("no files found: is", root, "a git checkout?")
        return 1
    found = 0
    for path in files:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            includes = [(n, m.group(1)) for n, l in enumerate(f, 1) if (m := INCLUDE.match(l))]
        for line, inc, why in violations(path, includes):
            print(f"{path}:{line}: includes {inc} ({why})")
            found += 1
    print(f"{len(files)} files checked, {found} layering violation(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
