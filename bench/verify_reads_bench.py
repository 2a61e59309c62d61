"""What `fairtrace audit verify --reads` costs over `--deep` alone
(docs/audit-log.md, "--reads"; docs/benchmarks.md): a real server with a
dataset version of ITEMS items, RUNS runs of 20 params and 100 metric points
each, and a model with a version per run; the C++ CLI's `--deep` and
`--deep --reads`, and the Python client's `Audit.verify(reads=True)`, are
each timed three times (wall clock, the client and the server on the same
2 cores).

Usage (from the checkout, after scripts/build.sh):
  PYTHONPATH=build/python /usr/bin/python3 bench/verify_reads_bench.py [ITEMS] [RUNS]
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import fairtrace
from fairtrace.v1 import run_resources_pb2, runs_pb2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "build", "registry", "server", "fairtrace-server")
CLI = os.path.join(ROOT, "build", "clients", "fairtrace")


def main():
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    work = tempfile.mkdtemp(prefix="verify-reads-")
    server = subprocess.Popen([SERVER, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(work, "data"),
                               "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        m = re.search(r"listening on [^ ]*:(\d+)", server.stdout.readline().decode())
        address = f"127.0.0.1:{m.group(1)}"

        def cli(*args):
            out = subprocess.run([CLI, "--server", address, *args], capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise RuntimeError(out.stdout + out.stderr)
            return out.stdout

        images = os.path.join(work, "images")
        os.makedirs(images)
        with open(os.path.join(work, "items.csv"), "w", encoding="utf-8") as table:
            table.write("path,plot,view\n")
            for i in range(items):
                with open(os.path.join(images, f"p{i}.png"), "wb") as f:
                    f.write(b"image %d" % i)
                table.write(f"p{i}.png,plot-{i % 50},top\n")
        cli("datasets", "create", "plants")
        cli("datasets", "version", "plants", images, "--items", os.path.join(work, "items.csv"))
        with fairtrace.Client(address) as c:
            for r in range(runs):
                run = c.call(c.runs.CreateRun, runs_pb2.CreateRunRequest(run=run_resources_pb2.Run(
                    experiment="bench", params={f"p{k}": str(k * r) for k in range(20)})), idempotent=False)
                points = [run_resources_pb2.Metric(key=f"m{k % 4}", value=k * 0.5, step=k) for k in range(100)]
                c.call(c.runs.LogMetrics, runs_pb2.LogMetricsRequest(run=run.name, metrics=points), idempotent=False)

        def timed(*flags):
            best = []
            for _ in range(3):
                start = time.perf_counter()
                out = json.loads(cli("--json", "audit", "verify", "--no-state", *flags))
                best.append(time.perf_counter() - start)
            return best, out

        deep, out = timed("--deep")
        reads, rout = timed("--deep", "--reads")
        python_reads = []  # the Python client's Audit.verify(reads=True)
        with fairtrace.Client(address) as c:
            for _ in range(3):
                start = time.perf_counter()
                result = c.audit.verify(state_dir="", reads=True)
                python_reads.append(time.perf_counter() - start)
                if result.state_findings or result.reads_compared != rout["reads"]["resources"]:
                    raise RuntimeError("the Python verify disagrees with the CLI's")
        print(f"registry: {out['resources_checked']} resources ({items} dataset items, {runs} runs), "
              f"{out['records']} records")
        print("--deep          " + " / ".join(f"{s:.2f} s" for s in deep))
        print("--deep --reads  " + " / ".join(f"{s:.2f} s" for s in reads)
              + f"  ({rout['reads']['resources']} resources, {rout['reads']['fields']} fields compared, "
              f"findings {len(rout['state_findings'])})")
        print("Python verify(reads=True)  " + " / ".join(f"{s:.2f} s" for s in python_reads))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
