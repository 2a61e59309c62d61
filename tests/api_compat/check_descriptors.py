#!/usr/bin/env python3
"""Flags removed or renumbered fields in the public API (proto/fairtrace/v1).

The API as released is recorded in tests/api_compat/fairtrace_v1.descriptors.txt
(a FileDescriptorSet in protobuf text format, made by protoc). This check
compiles the current protos with protoc and compares, by full name (so a
message may move between files):
  - every message field recorded still exists with the same number, name,
    type and label, or its number and name are now `reserved`;
  - every enum value keeps its number; every service method keeps its
    request and response types (a service may be deprecated, not removed);
  - no message, enum or service disappears.
What is new in the current protos and not yet recorded also fails, so that
the record always protects the latest API: run with --update to record it
(after checking that the change only adds).

Usage: check_descriptors.py PROTOC PROTO_DIR [--update] [--self-test]
Exit 0 when compatible; 1 with one line per problem otherwise.
"""
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2, text_format

HERE = os.path.dirname(os.path.abspath(__file__))
RECORD = os.path.join(HERE, "fairtrace_v1.descriptors.txt")
PUBLIC = ["common", "cas", "admin", "models", "run_resources", "runs", "investigations", "experiments", "datasets",
          "annotations", "splits", "access"]


def compile_protos(protoc, proto_dir):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        files = [f"fairtrace/v1/{n}.proto" for n in PUBLIC]
        subprocess.run([protoc, "-I", proto_dir, f"--descriptor_set_out={out}"] + files, check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
        return fds


def index(fds):
    """full name -> ('message'|'enum'|'service', descriptor proto)."""
    out = {}

    def walk_msg(prefix, m):
        name = f"{prefix}.{m.name}"
        out[name] = ("message", m)
        for n in m.nested_type:
            walk_msg(name, n)
        for e in m.enum_type:
            out[f"{name}.{e.name}"] = ("enum", e)

    for f in fds.file:
        prefix = f.package
        for m in f.message_type:
            walk_msg(prefix, m)
        for e in f.enum_type:
            out[f"{prefix}.{e.name}"] = ("enum", e)
        for s in f.service:
            out[f"{prefix}.{s.name}"] = ("service", s)
    return out


def reserved(m, number, name):
    in_range = any(r.start <= number < r.end for r in m.reserved_range)
    return in_range and name in m.reserved_name


def compare(old, new):
    """Problems with `new` given the recorded `old` (both from index())."""
    problems = []
    for name, (kind, o) in sorted(old.items()):
        if name not in new:
            problems.append(f"{kind} {name} was removed")
            continue
        nkind, n = new[name]
        if nkind != kind:
            problems.append(f"{name} was a {kind}, is now a {nkind}")
            continue
        if kind == "message":
            by_number = {f.number: f for f in n.field}
            for f in o.field:
                g = by_number.get(f.number)
                if g is None:
                    if not reserved(n, f.number, f.name):
                        problems.append(f"field {name}.{f.name} = {f.number} was removed without reserving "
                                        f"its number and name")
                    continue
                if g.name != f.name:
                    problems.append(f"field {name} number {f.number} was renamed {f.name} -> {g.name}")
                if (g.type, g.type_name, g.label) != (f.type, f.type_name, f.label):
                    problems.append(f"field {name}.{f.name} = {f.number} changed type or label")
            numbers = {f.name: f.number for f in n.field}
            for f in o.field:
                if f.name in numbers and numbers[f.name] != f.number:
                    problems.append(f"field {name}.{f.name} was renumbered {f.number} -> {numbers[f.name]}")
        elif kind == "enum":
            values = {v.name: v.number for v in n.value}
            for v in o.value:
                if values.get(v.name) != v.number:
                    problems.append(f"enum value {name}.{v.name} = {v.number} was removed or renumbered")
        elif kind == "service":
            methods = {m.name: m for m in n.method}
            for m in o.method:
                g = methods.get(m.name)
                if g is None:
                    problems.append(f"method {name}.{m.name} was removed")
                elif (g.input_type, g.output_type, g.client_streaming, g.server_streaming) != (
                        m.input_type, m.output_type, m.client_streaming, m.server_streaming):
                    problems.append(f"method {name}.{m.name} changed its request or response")
    return problems


def additions(old, new):
    out = [f"{kind} {name} is new" for name, (kind, _) in sorted(new.items()) if name not in old]
    for name, (kind, n) in sorted(new.items()):
        if name in old and kind == "message":
            known = {f.number for f in old[name][1].field}
            out += [f"field {name}.{f.name} = {f.number} is new" for f in n.field if f.number not in known]
        if name in old and kind == "service":
            known = {m.name for m in old[name][1].method}
            out += [f"method {name}.{m.name} is new" for m in n.method if m.name not in known]
    return out


def self_test(current):
    """The check must catch each kind of break (a check that passes
    everything is worse than none)."""
    failures = 0
    breaks = {
        "remove a field": lambda fds: fds.file[0].message_type[0].field.pop(),
        "renumber a field": lambda fds: setattr(fds.file[0].message_type[0].field[0], "number", 999),
        "remove a method": lambda fds: next(f for f in fds.file if f.service).service[0].method.pop(),
        "remove a message": lambda fds: fds.file[0].message_type.pop(),
    }
    for what, breaker in breaks.items():
        broken = descriptor_pb2.FileDescriptorSet()
        broken.CopyFrom(current)
        breaker(broken)
        if not compare(index(current), index(broken)):
            print(f"self-test: '{what}' was not detected")
            failures += 1
    if compare(index(current), index(current)):
        print("self-test: the unchanged API reports problems")
        failures += 1
    return failures


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    protoc, proto_dir = argv[1], argv[2]
    current = compile_protos(protoc, proto_dir)
    for f in current.file:
        f.ClearField("source_code_info")
    if self_test(current):
        return 1
    if "--update" in argv:
        if os.path.exists(RECORD):
            recorded = text_format.Parse(open(RECORD).read(), descriptor_pb2.FileDescriptorSet())
            problems = compare(index(recorded), index(current))
            if problems:
                print("\n".join(problems))
                print("not recorded: the change breaks the API (see above)")
                return 1
        with open(RECORD, "w") as f:
            f.write("# The public API as released; see check_descriptors.py. Regenerate with --update.\n")
            f.write(text_format.MessageToString(current))
        print(f"recorded {RECORD}")
        return 0
    recorded = text_format.Parse(open(RECORD).read(), descriptor_pb2.FileDescriptorSet())
    problems = compare(index(recorded), index(current))
    new = additions(index(recorded), index(current))
    for p in problems:
        print("BREAKING:", p)
    for a in new:
        print("unrecorded:", a)
    if new and not problems:
        print(f"the API grew: record it with {argv[0]} {protoc} {proto_dir} --update")
    print(f"{len(problems)} breaking change(s), {len(new)} unrecorded addition(s)")
    return 1 if problems or new else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
