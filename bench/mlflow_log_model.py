"""The unmodified MLflow 2.10.2 client's end-to-end
`mlflow.sklearn.log_model(..., registered_model_name=...)` against the
MLflow door (issue 15 asks for this figure): each call saves the model
locally, uploads the folder through the artifact proxy, logs the model on
the run and registers a version (registered-models/get or create,
model-versions/create, then the client polls the version's status). The
client's own share is measured too: `save_model` into a local folder,
which every log_model does before it talks to a server.

Run (from the build folder, after a build that unpacked the client):
  PYTHONPATH=mlflow-client:python GIT_PYTHON_REFRESH=quiet \\
    /usr/bin/python3 ../bench/mlflow_log_model.py registry/server/fairtrace-server
"""

import logging
import statistics
import sys
import tempfile
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from mlflow_door_server import door

CALLS = 30


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def report(what, seconds):
    ms = [s * 1000 for s in seconds]
    print(f"{what}: p50 {statistics.median(ms):.0f} ms, p90 {percentile(ms, 90):.0f} ms, "
          f"min {min(ms):.0f} ms over {len(ms)} calls")


def main():
    import mlflow
    logging.getLogger("mlflow").setLevel(logging.ERROR)  # one warning per call otherwise
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 8))
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    local = []
    for _ in range(CALLS):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            mlflow.sklearn.save_model(model, f"{d}/m")
            local.append(time.perf_counter() - t0)
    report("save_model into a local folder (client only)", local)
    with door(sys.argv[1]) as uri:
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment("log_model bench")
        with mlflow.start_run():  # warm-up: first imports, first model
            mlflow.sklearn.log_model(model, "model", registered_model_name="bench-model")
        end_to_end, plain = [], []
        for i in range(CALLS):
            with mlflow.start_run():
                t0 = time.perf_counter()
                mlflow.sklearn.log_model(model, "model", registered_model_name="bench-model")
                end_to_end.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                mlflow.sklearn.log_model(model, "unregistered")
                plain.append(time.perf_counter() - t0)
        report("log_model(..., registered_model_name=...) end to end", end_to_end)
        report("log_model without registering (save, upload, log-model)", plain)
        versions = mlflow.MlflowClient().search_model_versions("name = 'bench-model'")
        print(f"versions registered: {len(versions)}")


if __name__ == "__main__":
    main()
