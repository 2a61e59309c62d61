#!/usr/bin/python3
"""Issue 8, item 5: the server under today's three memory attacks.

Starts the real fairtrace-server and measures its resident memory (VmRSS,
and the peak VmHWM) from /proc while it is attacked:
  1. an xlsx "bomb" (a ~400 KiB zip whose sheets repeat one shared string
     millions of times) sent to ValidateInvestigation;
  2. a 1,000,000-entry tree, then 32 concurrent GetTree calls with
     page_size 1 at spread offsets (and the time of one page);
  3. 20,000 distinct filters on ListRuns;
then how long the resident size takes to come back under 2x idle.

Targets: peak RSS <= 1 GiB, one GetTree page <= 10 ms, RSS < 2x idle within
a minute. Usage: /usr/bin/python3 bench/hostile_bench.py [build dir]
(PYTHONPATH is set from the build dir: build/python).
"""

import concurrent.futures
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build"))
sys.path.insert(0, os.path.join(BUILD, "python"))

import grpc  # noqa: E402

import fairtrace  # noqa: E402
from fairtrace.tree import digest_of  # noqa: E402
from fairtrace.v1 import cas_pb2, common_pb2, experiments_pb2, runs_pb2  # noqa: E402


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def xlsx_bomb(sheets=4, cells_per_sheet=3_000_000):
    """A workbook whose sheets repeat shared string 0 (60 characters)."""
    shared = ("<?xml version='1.0'?><sst xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main' "
              "count='1' uniqueCount='1'><si><t>" + "x" * 60 + "</t></si></sst>")
    row_cells = "<c t='s'><v>0</v></c>" * 1000
    rows = "".join(f"<row r='{r + 1}'>{row_cells}</row>" for r in range(cells_per_sheet // 1000))
    sheet = ("<?xml version='1.0'?><worksheet xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>"
             f"<sheetData>{rows}</sheetData></worksheet>")
    names = ["Investigation", "Study", "Biological Material", "Observation Unit"][:sheets]
    wb_sheets = "".join(f"<sheet name='{n}' sheetId='{i + 1}' r:id='rId{i + 1}'/>" for i, n in enumerate(names))
    rels = "".join(f"<Relationship Id='rId{i + 1}' Type='http://schemas.openxmlformats.org/officeDocument/2006/"
                   f"relationships/worksheet' Target='worksheets/sheet{i + 1}.xml'/>" for i in range(len(names)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types xmlns='http://schemas.openxmlformats.org/"
                   "package/2006/content-types'/>")
        z.writestr("xl/workbook.xml", "<?xml version='1.0'?><workbook xmlns='http://schemas.openxmlformats.org/"
                   "spreadsheetml/2006/main' xmlns:r='http://schemas.openxmlformats.org/officeDocument/2006/"
                   f"relationships'><sheets>{wb_sheets}</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", "<?xml version='1.0'?><Relationships xmlns='http://schemas."
                   f"openxmlformats.org/package/2006/relationships'>{rels}</Relationships>")
        z.writestr("xl/sharedStrings.xml", shared)
        for i in range(len(names)):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", sheet)
    return buf.getvalue()


def main():
    server_bin = os.path.join(BUILD, "registry", "server", "fairtrace-server")
    work = tempfile.mkdtemp(prefix="ft-hostile-")
    proc = subprocess.Popen([server_bin, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(work, "data"),
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().decode()
        port = re.search(r":(\d+)", line).group(1)
        client = fairtrace.Client(f"127.0.0.1:{port}", user="bench", timeout=600)
        time.sleep(1)
        idle = rss_kib(proc.pid)
        print(f"idle RSS: {idle / 1024:.0f} MiB")

        # 1. the xlsx bomb
        bomb = xlsx_bomb()

        def validate(_):
            try:
                report = client.experiment_service.ValidateInvestigation(
                    experiments_pb2.ValidateInvestigationRequest(files=[experiments_pb2.SheetFile(
                        name="bomb.xlsx", data=bomb)]), timeout=600)
                return f"OK ({report.error_count} errors, {len(report.findings)} listed, " \
                       f"{report.omitted_findings} omitted)"
            except grpc.RpcError as err:
                return f"{err.code().name}"

        t0 = time.monotonic()
        outcomes = [validate(0)]
        one = rss_kib(proc.pid, "VmHWM")
        # Three at once: two run (--max-heavy-calls), the third waits.
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            outcomes += list(pool.map(validate, range(3)))
        print(f"1. xlsx bomb ({len(bomb) / 1024:.0f} KiB), once then 3 at once: {time.monotonic() - t0:.1f} s; "
              f"{'; '.join(outcomes)}; peak RSS after one {one / 1024:.0f} MiB, after 3 at once "
              f"{rss_kib(proc.pid, 'VmHWM') / 1024:.0f} MiB")

        # 2. a 1,000,000-entry tree of the empty blob, 32 concurrent pages
        empty = digest_of(b"")
        lines = [b"fairtrace-tree/1\n"]
        paths = sorted((f"d{i % 1000:03d}/f{i:07d}" for i in range(1_000_000)), key=lambda p: p.encode())
        for p in paths:
            lines.append(b"f %s 0 %s\n" % (empty.sha256.encode(), p.encode()))
        manifest = b"".join(lines)
        mpath = os.path.join(work, "manifest")
        with open(mpath, "wb") as f:
            f.write(manifest)
        md = digest_of(manifest)
        client._stream_upload(md, mpath)
        t0 = time.monotonic()
        client.call(client.cas.CreateTree, cas_pb2.CreateTreeRequest(digest=common_pb2.Digest(
            sha256=md.sha256, size_bytes=md.size_bytes)), idempotent=True)
        print(f"   CreateTree of 1,000,000 entries ({len(manifest) / 1e6:.0f} MB): {time.monotonic() - t0:.1f} s")
        first_page = cas_pb2.GetTreeRequest(digest=common_pb2.Digest(sha256=md.sha256, size_bytes=md.size_bytes),
                                            page_size=1)
        tokens = []
        # Tokens at spread offsets: "<offset>:<first 16 hex>" base64 (docs/cas-protocol.md)
        import base64
        for off in range(0, 1_000_000, 1_000_000 // 32):
            tokens.append(base64.urlsafe_b64encode(f"{off}:{md.sha256[:16]}".encode()).decode())

        def page(tok):
            req = cas_pb2.GetTreeRequest()
            req.CopyFrom(first_page)
            req.page_token = tok
            t = time.monotonic()
            resp = client.cas.GetTree(req, timeout=120)
            return time.monotonic() - t, len(resp.entries)

        single = sorted(page(tokens[len(tokens) // 2])[0] for _ in range(20))
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            results = list(pool.map(page, tokens))
        times = sorted(r[0] for r in results)
        print(f"2. GetTree page_size 1: one page p50 {single[10] * 1000:.2f} ms (max {single[-1] * 1000:.2f}); "
              f"32 concurrent: p50 {times[16] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms; "
              f"peak RSS so far {rss_kib(proc.pid, 'VmHWM') / 1024:.0f} MiB")

        # 3. 20,000 distinct filters
        before = rss_kib(proc.pid)
        t0 = time.monotonic()
        for i in range(20_000):
            client.runs.ListRuns(runs_pb2.ListRunsRequest(filter=f"params.p{i} = \"{i}\"", page_size=1),
                                 timeout=60)
        print(f"3. 20,000 distinct filters: {time.monotonic() - t0:.1f} s; RSS {before / 1024:.0f} -> "
              f"{rss_kib(proc.pid) / 1024:.0f} MiB")

        peak = rss_kib(proc.pid, "VmHWM")
        t0 = time.monotonic()
        back = None
        while time.monotonic() - t0 < 60:
            if rss_kib(proc.pid) < 2 * idle:
                back = time.monotonic() - t0
                break
            time.sleep(0.5)
        now = rss_kib(proc.pid)
        print(f"peak RSS {peak / 1024:.0f} MiB (target <= 1024); RSS now {now / 1024:.0f} MiB, idle "
              f"{idle / 1024:.0f} MiB: " + (f"under 2x idle after {back:.1f} s" if back is not None
                                            else "NOT under 2x idle within 60 s"))
        client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
