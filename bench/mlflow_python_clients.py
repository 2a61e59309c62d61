"""runs/log-metric through the MLflow door with 8 *Python* MLflow clients
(8 processes of the unmodified MLflow 2.10.2 client), as issue 15 asks to
report next to the C++ load generator: on 2 cores the clients themselves
spend most of the CPU.

Run (from the build folder, after a build that unpacked the client):
  PYTHONPATH=mlflow-client GIT_PYTHON_REFRESH=quiet \
    /usr/bin/python3 ../bench/mlflow_python_clients.py registry/server/fairtrace-server
"""

import multiprocessing
import sys
import time

from mlflow_door_server import door

SECONDS = 5
CLIENTS = 8


def client(uri, run_id, until, counts):
    from mlflow import MlflowClient
    c = MlflowClient(uri)
    n = 0
    while time.time() < until:
        c.log_metric(run_id, "loss", 0.5, step=n)
        n += 1
    counts.put(n)


def main():
    with door(sys.argv[1]) as uri:
        from mlflow import MlflowClient
        c = MlflowClient(uri)
        runs = [c.create_run("0").info.run_id for _ in range(CLIENTS)]
        for _ in range(50):
            c.log_metric(runs[0], "warm", 1.0)
        t0 = time.time()
        n = 0
        while time.time() - t0 < 2:
            c.log_metric(runs[0], "seq", 1.0, step=n)
            n += 1
        print(f"one Python client, sequential: {n / (time.time() - t0):.0f} log-metric calls/s")
        counts = multiprocessing.Queue()
        until = time.time() + SECONDS
        procs = [multiprocessing.Process(target=client, args=(uri, r, until, counts)) for r in runs]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        total = sum(counts.get() for _ in procs)
        print(f"{CLIENTS} Python clients (processes): {total / SECONDS:.0f} log-metric calls/s")


if __name__ == "__main__":
    main()
