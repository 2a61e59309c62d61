"""Run: one execution being recorded, as a context manager.

    with fairtrace.start_run(experiment="leaf-segmentation", seed=42) as run:
        run.log_params({"lr": 1e-3, "epochs": 20})
        run.log_metric("val_dice", 0.87, step=20)
        run.log_model("out/mlflow_model", registered_model="leaf-segmenter")

Leaving the block normally marks the run FINISHED; an exception marks it
FAILED with the exception as its status message (KILLED for
KeyboardInterrupt) and propagates. Not thread-safe: log from one thread.
"""

import os
import random
import sys
import time
import traceback
import uuid
from typing import Dict, Mapping, Optional, Union

from google.protobuf import field_mask_pb2, timestamp_pb2

from fairtrace import capture
from fairtrace.client import Client, to_digest
from fairtrace.tree import Digest
from fairtrace.v1 import models_pb2, run_resources_pb2, runs_pb2

_KINDS = {"training": 1, "evaluation": 2, "preprocessing": 3, "annotation": 4, "import": 5}
_METRIC_BATCH = 1000

Artifact = Union[str, Digest]


def apply_seed(seed: int) -> Dict[str, int]:
    """Seeds Python's `random` and the numpy/torch already imported by the
    script; returns {library: seed} for what was seeded."""
    seeded = {"python": seed}
    random.seed(seed)
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed(seed % (1 << 32))
        seeded["numpy"] = seed % (1 << 32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
        seeded["torch"] = seed
        if getattr(torch, "cuda", None) is not None and torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
            seeded["cuda"] = seed
    return seeded


class Run:
    def __init__(self, client: Client, run: run_resources_pb2.Run, owns_client: bool):
        self.client = client
        self._run = run
        self._owns_client = owns_client

    @property
    def name(self) -> str:
        """"runs/{id}"."""
        return self._run.name

    def refresh(self) -> run_resources_pb2.Run:
        self._run = self.client.get_run(self.name)
        return self._run

    # -- params and metrics ------------------------------------------------------

    def log_param(self, key: str, value) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, object]) -> None:
        """Params are write-once: the same value again is fine, another value
        raises FairtraceError (FAILED_PRECONDITION)."""
        req = runs_pb2.LogParamsRequest(run=self.name, params={k: str(v) for k, v in params.items()})
        self.client.call(self.client.runs.LogParams, req)

    def log_metric(self, key: str, value: float, step: int = 0, timestamp: Optional[float] = None) -> None:
        self.log_metrics({key: value}, step=step, timestamp=timestamp)

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0, timestamp: Optional[float] = None) -> None:
        """Logs points (NaN and inf are kept). A retry after a lost reply may
        record a point twice (same key, step and timestamp)."""
        ts = _timestamp(timestamp)
        points = [run_resources_pb2.Metric(key=k, value=float(v), step=step, timestamp=ts) for k, v in metrics.items()]
        for i in range(0, len(points), _METRIC_BATCH):
            req = runs_pb2.LogMetricsRequest(run=self.name, metrics=points[i:i + _METRIC_BATCH])
            self.client.call(self.client.runs.LogMetrics, req)

    # -- inputs, outputs, models ---------------------------------------------

    def _artifact(self, what: Artifact) -> run_resources_pb2.Artifact:
        if isinstance(what, Digest):
            return run_resources_pb2.Artifact(blob=to_digest(what))
        if os.path.isdir(what):
            return run_resources_pb2.Artifact(tree=to_digest(self.client.push_folder(what).digest))
        if os.path.isfile(what):
            with open(what, "rb") as f:
                return run_resources_pb2.Artifact(blob=to_digest(self.client.upload_bytes(f.read())))
        return run_resources_pb2.Artifact(resource=what)

    def log_input(self, what: Artifact, role: str) -> None:
        """Records that the run used `what`: a resource name
        ("datasets/d/versions/2"), a Digest, or a local file or folder
        (uploaded first)."""
        edge = run_resources_pb2.RunEdge(role=role, artifact=self._artifact(what))
        self._run = self.client.call(self.client.runs.AddRunEdges, runs_pb2.AddRunEdgesRequest(run=self.name, inputs=[edge]))

    def use(self, what, role: str = "input") -> None:
        """Records that the run used `what` in `role` ("train", "test", ...):
        a dataset version (as returned by client.datasets) or any artifact
        log_input takes. The version's name puts it in the run's lineage."""
        self.log_input(getattr(what, "name", what), role)

    def log_output(self, what: Artifact, role: str) -> None:
        edge = run_resources_pb2.RunEdge(role=role, artifact=self._artifact(what))
        self._run = self.client.call(self.client.runs.AddRunEdges, runs_pb2.AddRunEdgesRequest(run=self.name, outputs=[edge]))

    def log_model(self, path: str, registered_model: Optional[str] = None, description: str = "",
                  tags: Optional[Dict[str, str]] = None):
        """Pushes an MLflow model folder (only missing blobs travel). With
        `registered_model`, registers it as a new version of that model
        (created when absent) produced by this run and returns the
        ModelVersion; otherwise records the folder as an output tree and
        returns its Digest."""
        tree = self.client.push_folder(path)
        if registered_model is None:
            self.log_output(tree.digest, "model")
            return tree.digest
        self.client.ensure_registered_model(registered_model)
        return self.client.create_model_version(registered_model, tree.digest, source_run=self.name,
                                                description=description, tags=tags)

    # -- end -------------------------------------------------------------------

    def finish(self, status: str = "FINISHED", message: str = "") -> run_resources_pb2.Run:
        codes = {"FINISHED": 2, "FAILED": 3, "KILLED": 4}
        run = run_resources_pb2.Run(name=self.name, status=codes[status], status_message=message[:16000])
        paths = ["status"] + (["status_message"] if message else [])
        req = runs_pb2.UpdateRunRequest(run=run, update_mask=field_mask_pb2.FieldMask(paths=paths))
        self._run = self.client.call(self.client.runs.UpdateRun, req)
        return self._run

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self.finish("FINISHED")
            else:
                status = "KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED"
                text = "".join(traceback.format_exception_only(exc_type, exc)).strip()
                self.finish(status, text)
        finally:
            if self._owns_client:
                self.client.close()
        return False  # exceptions propagate


def _timestamp(seconds: Optional[float]) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    t = time.time() if seconds is None else seconds
    ts.seconds = int(t)
    ts.nanos = int((t - int(t)) * 1e9) // 1000 * 1000
    return ts


def start_run(experiment: str, seed: Optional[int] = None, seeds: Optional[Mapping[str, int]] = None,
              kind: str = "training", params: Optional[Mapping[str, object]] = None, description: str = "",
              tags: Optional[Mapping[str, str]] = None, client: Optional[Client] = None,
              server: Optional[str] = None, seed_libraries: bool = True, capture_code: bool = True,
              capture_environment: bool = True, project: str = "") -> Run:
    """Starts a RUNNING run and returns it (use it in a `with` block).

    seed: seeds `random` and the numpy/torch the script imported (unless
    seed_libraries=False) and records each; seeds: named seeds to record as
    given ({"dataloader": 7}). Code (git commit, branch, remote, dirty diff
    uploaded as a blob) and environment (Python, packages, OS, CPU, GPU via
    nvidia-smi, $FAIRTRACE_CONTAINER_IMAGE_DIGEST) are captured unless
    turned off. project: the project the run belongs to ("" = default;
    docs/security.md, "Projects").
    """
    owns = client is None
    client = client or Client(server)
    recorded = dict(seeds or {})
    if seed is not None:
        recorded.update(apply_seed(seed) if seed_libraries else {"global": seed})
    code = run_resources_pb2.CodeVersion()
    if capture_code:
        info, diff = capture.git_state(capture.script_folder())
        code = run_resources_pb2.CodeVersion(repository_url=info.get("repository_url", ""),
                                             commit=info.get("commit", ""), branch=info.get("branch", ""),
                                             entry_point=info.get("entry_point", ""))
        if diff:
            code.dirty_diff.CopyFrom(to_digest(client.upload_bytes(diff)))
    env = run_resources_pb2.Environment()
    if capture_environment:
        e = capture.environment()
        env = run_resources_pb2.Environment(**{k: v for k, v in e.items() if v})
    run = run_resources_pb2.Run(
        experiment=experiment, kind=_KINDS[kind], description=description, tags=dict(tags or {}),
        params={k: str(v) for k, v in (params or {}).items()},
        seeds=[run_resources_pb2.Seed(name=k, value=int(v)) for k, v in sorted(recorded.items())],
        code=code, environment=env, project=project)
    created = client.call(client.runs.CreateRun, runs_pb2.CreateRunRequest(run=run, request_id=uuid.uuid4().hex))
    return Run(client, created, owns)
