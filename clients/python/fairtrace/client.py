"""Client: a connection to a fairtrace server with retries, and the calls a
training script needs (push a folder, register models and runs).

Every call that fails raises FairtraceError. Connection errors (UNAVAILABLE)
are retried with exponential backoff; creates carry a request_id chosen once
per logical call, so a retry after a lost reply returns the first result.
Thread-safe (gRPC channels and stubs are).
"""

import hashlib
import os
import random
import sys
import time
import uuid
from typing import Callable, Dict, Iterable, List, Optional

import grpc

from fairtrace.errors import FairtraceError
from fairtrace.tree import Digest, Tree, build_tree, digest_of
from fairtrace.v1 import (annotations_pb2_grpc, cas_pb2, cas_pb2_grpc, common_pb2, datasets_pb2_grpc,
                          investigations_pb2_grpc, models_pb2, models_pb2_grpc, run_resources_pb2, runs_pb2,
                          runs_pb2_grpc, splits_pb2_grpc)

DEFAULT_SERVER = "localhost:50051"
_MAX_MESSAGE = 16 << 20
_BATCH_BYTES = 4 << 20       # BatchUpdateBlobs payload per call
_SMALL_BLOB = 1 << 20        # larger blobs are streamed
_CHUNK = 1 << 20
_FIND_MISSING_CHUNK = 10000


class RetryPolicy:
    """Exponential backoff with jitter on UNAVAILABLE (and on
    DEADLINE_EXCEEDED for reads and idempotent calls)."""

    def __init__(self, attempts: int = 8, initial: float = 0.1, maximum: float = 5.0):
        self.attempts = attempts
        self.initial = initial
        self.maximum = maximum

    def delays(self) -> Iterable[float]:
        delay = self.initial
        for _ in range(self.attempts - 1):
            yield delay * (0.5 + random.random() / 2)
            delay = min(delay * 2, self.maximum)


def to_digest(d: Digest) -> common_pb2.Digest:
    return common_pb2.Digest(sha256=d.sha256, size_bytes=d.size_bytes)


class Client:
    """A fairtrace server connection.

    server: "host:port"; defaults to $FAIRTRACE_SERVER, else localhost:50051.
    user: names this client's resumable uploads ($FAIRTRACE_USER); the server
      does not take it as the principal.
    token: a fairtrace token ($FAIRTRACE_TOKEN, or the first line of the file
      $FAIRTRACE_TOKEN_FILE), sent as "authorization: Bearer <token>": the
      principal the server authenticates (docs/security.md).
    """

    def __init__(self, server: Optional[str] = None, user: Optional[str] = None, timeout: float = 60.0,
                 retry: Optional[RetryPolicy] = None, ca: Optional[str] = None, cert: Optional[str] = None,
                 key: Optional[str] = None, token: Optional[str] = None):
        """ca: the PEM CA bundle of the server's certificate (TLS); cert and
        key: a PEM client certificate and key (mutual TLS). Defaults:
        $FAIRTRACE_CA, $FAIRTRACE_CERT, $FAIRTRACE_KEY; none: plaintext."""
        self.server = server or os.environ.get("FAIRTRACE_SERVER") or DEFAULT_SERVER
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        options = [("grpc.max_receive_message_length", _MAX_MESSAGE), ("grpc.max_send_message_length", _MAX_MESSAGE)]
        ca = ca or os.environ.get("FAIRTRACE_CA")
        cert = cert or os.environ.get("FAIRTRACE_CERT")
        key = key or os.environ.get("FAIRTRACE_KEY")
        if ca:
            def read(path):
                with open(path, "rb") as f:
                    return f.read()
            credentials = grpc.ssl_channel_credentials(
                root_certificates=read(ca), private_key=read(key) if cert else None,
                certificate_chain=read(cert) if cert else None)
            self._channel = grpc.secure_channel(self.server, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(self.server, options=options)
        user = user or os.environ.get("FAIRTRACE_USER")
        self.user = user or ""
        self.upload_stall_timeout = 120.0  # seconds without progress before an upload gives up
        token = token or os.environ.get("FAIRTRACE_TOKEN")
        if not token and os.environ.get("FAIRTRACE_TOKEN_FILE"):
            with open(os.environ["FAIRTRACE_TOKEN_FILE"], encoding="utf-8") as f:
                token = f.readline().strip()
        self._metadata = (("authorization", "Bearer " + token),) if token else ()
        self.cas = cas_pb2_grpc.CasServiceStub(self._channel)
        self.models = models_pb2_grpc.ModelServiceStub(self._channel)
        self.runs = runs_pb2_grpc.RunServiceStub(self._channel)
        self.investigation_service = investigations_pb2_grpc.InvestigationServiceStub(self._channel)
        self.dataset_service = datasets_pb2_grpc.DatasetServiceStub(self._channel)
        self.annotation_service = annotations_pb2_grpc.AnnotationServiceStub(self._channel)
        self.split_service = splits_pb2_grpc.SplitServiceStub(self._channel)

    @property
    def audit(self):
        """The verifiable audit log (fairtrace/audit.py)."""
        from fairtrace.audit import Audit
        return Audit(self)

    @property
    def datasets(self):
        """Dataset versions (fairtrace/datasets.py)."""
        from fairtrace.datasets import Datasets
        return Datasets(self)

    @property
    def annotations(self):
        """Annotation sets and agreement reports (fairtrace/annotations.py)."""
        from fairtrace.annotations import Annotations
        return Annotations(self)

    @property
    def splits(self):
        """Splits and leakage checks (fairtrace/splits.py)."""
        from fairtrace.splits import Splits
        return Splits(self)

    def agreement(self, sets: List, **options):
        """Computes and stores the agreement between two or more annotation sets
        of one dataset version; options as Annotations.agreement."""
        return self.annotations.agreement(sets, **options)

    @property
    def investigations(self):
        """MIAPPE investigations (fairtrace/investigations.py)."""
        from fairtrace.investigations import Investigations
        return Investigations(self)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- calls with retries -------------------------------------------------

    def call(self, method: Callable, request, idempotent: bool = True):
        """Calls a unary stub method, retrying connection errors."""
        retryable = {grpc.StatusCode.UNAVAILABLE}
        if idempotent:
            retryable.add(grpc.StatusCode.DEADLINE_EXCEEDED)
        delays = iter(self.retry.delays())
        while True:
            try:
                return method(request, timeout=self.timeout, metadata=self._metadata)
            except grpc.RpcError as err:
                delay = next(delays, None)
                if err.code() not in retryable or delay is None:
                    raise FairtraceError.from_rpc_error(err) from None
                time.sleep(delay)

    # -- content -------------------------------------------------------------

    def find_missing(self, digests: List[Digest]) -> List[Digest]:
        missing = []
        for i in range(0, len(digests), _FIND_MISSING_CHUNK):
            req = cas_pb2.FindMissingBlobsRequest(blob_digests=[to_digest(d) for d in digests[i:i + _FIND_MISSING_CHUNK]])
            resp = self.call(self.cas.FindMissingBlobs, req)
            missing.extend(Digest(d.sha256, d.size_bytes) for d in resp.missing_blob_digests)
        return missing

    def _batch_upload(self, items: List[tuple]) -> None:
        req = cas_pb2.BatchUpdateBlobsRequest(
            requests=[cas_pb2.BatchUpdateBlobsRequest.Request(digest=to_digest(d), data=data) for d, data in items])
        resp = self.call(self.cas.BatchUpdateBlobs, req)
        for r in resp.responses:
            if r.status.code != 0:
                raise FairtraceError(_status_code(r.status.code), r.status.message)

    def upload_id(self, digest: Digest) -> str:
        """The upload id of `digest` for this user: the same in every run (and
        the same as the C++ client's), so a new push continues an interrupted
        one and two concurrent pushes of one file meet on one upload."""
        key = f"fairtrace-upload/1\n{self.user}\n{digest}".encode()
        return hashlib.sha256(key).hexdigest()[:32]

    def abort_upload(self, digest: Digest) -> None:
        """Drops this user's unfinished upload of `digest`."""
        resource = f"uploads/{self.upload_id(digest)}/blobs/{digest.sha256}/{digest.size_bytes}"
        self.call(self.cas.AbortUpload, cas_pb2.AbortUploadRequest(resource_name=resource), idempotent=False)

    def _stream_upload(self, digest: Digest, path: str) -> None:
        resource = f"uploads/{self.upload_id(digest)}/blobs/{digest.sha256}/{digest.size_bytes}"
        # Retried on UNAVAILABLE (server restarting), ABORTED (another stream
        # holds this upload) and DEADLINE_EXCEEDED until no progress was made
        # for upload_stall_timeout seconds.
        retryable = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED, grpc.StatusCode.DEADLINE_EXCEEDED,
                     grpc.StatusCode.CANCELLED)
        best = -1
        last_progress = time.monotonic()
        delay = 0.2
        while True:
            offset = 0
            try:
                status = self.cas.QueryWriteStatus(cas_pb2.QueryWriteStatusRequest(resource_name=resource),
                                                   timeout=self.timeout, metadata=self._metadata)
                offset = status.committed_size
                if status.complete:
                    return
            except grpc.RpcError as err:
                if err.code() not in (grpc.StatusCode.NOT_FOUND,) + retryable:
                    raise FairtraceError.from_rpc_error(err) from None
                if err.code() != grpc.StatusCode.NOT_FOUND:
                    if time.monotonic() - last_progress > self.upload_stall_timeout:
                        raise FairtraceError.from_rpc_error(err) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
            if offset > best:
                best, last_progress, delay = offset, time.monotonic(), 0.2

            def chunks(start=offset):
                with open(path, "rb") as f:
                    f.seek(start)
                    pos = start
                    first = True
                    while True:
                        data = f.read(_CHUNK)
                        last = pos + len(data) >= digest.size_bytes
                        yield cas_pb2.WriteRequest(resource_name=resource if first else "", write_offset=pos,
                                                   finish_write=last, data=data)
                        first = False
                        pos += len(data)
                        if last or not data:
                            return
            try:
                self.cas.Write(chunks(), timeout=max(self.timeout, digest.size_bytes / 10e6),
                               metadata=self._metadata)
                return
            except grpc.RpcError as err:
                mismatch = (err.code() == grpc.StatusCode.INVALID_ARGUMENT
                            and "committed size" in (err.details() or ""))
                if err.code() not in retryable and not mismatch:
                    raise FairtraceError.from_rpc_error(err) from None
                if time.monotonic() - last_progress > self.upload_stall_timeout:
                    raise FairtraceError.from_rpc_error(err) from None
                time.sleep(delay)  # then resume from the committed offset
                delay = min(delay * 2, 2.0)

    def upload_bytes(self, data: bytes) -> Digest:
        """Stores `data` (when missing) and returns its digest."""
        d = digest_of(data)
        if self.find_missing([d]):
            self._batch_upload([(d, data)])
        return d

    def read_blob(self, digest: Digest) -> bytes:
        """The blob's bytes (streamed with Read), checked against its digest."""
        req = cas_pb2.ReadRequest(resource_name=f"blobs/{digest.sha256}/{digest.size_bytes}")
        try:
            data = b"".join(r.data for r in self.cas.Read(req, timeout=max(self.timeout, digest.size_bytes / 10e6),
                                                          metadata=self._metadata))
        except grpc.RpcError as err:
            raise FairtraceError.from_rpc_error(err) from None
        if digest_of(data) != digest:
            raise FairtraceError(grpc.StatusCode.DATA_LOSS, f"blob {digest.sha256} read back with other bytes")
        return data

    def push_folder(self, path: str, progress: Optional[bool] = None) -> Tree:
        """Uploads the folder's missing blobs and its manifest, and registers
        the tree. Returns the tree (its digest names the folder).

        progress: draw "push: sent/total" on stderr; default: when stderr is
        a terminal."""
        tree = build_tree(path)
        local = {e.digest: e.local_path for e in tree.entries}
        missing = set(self.find_missing(list(local) + [tree.digest]))
        show = sys.stderr.isatty() if progress is None else progress
        total = sum(d.size_bytes for d in missing if d != tree.digest)
        sent = 0
        last_draw = 0.0

        def draw(final: bool = False) -> None:
            nonlocal last_draw
            if not show or (not final and time.monotonic() - last_draw < 0.2):
                return
            last_draw = time.monotonic()
            sys.stderr.write(f"\rpush: {sent / 1e6:.1f}/{total / 1e6:.1f} MB" + ("\n" if final else ""))
            sys.stderr.flush()

        batch, batch_bytes = [], 0
        for d in sorted(missing):
            if d == tree.digest:
                continue
            sent += d.size_bytes
            if d.size_bytes > _SMALL_BLOB:
                self._stream_upload(d, local[d])
                draw()
                continue
            with open(local[d], "rb") as f:
                data = f.read()
            if digest_of(data) != d:
                raise FairtraceError(grpc.StatusCode.ABORTED, f"{local[d]} changed while it was being pushed")
            if batch and batch_bytes + len(data) > _BATCH_BYTES:
                self._batch_upload(batch)
                batch, batch_bytes = [], 0
            batch.append((d, data))
            batch_bytes += len(data)
            draw()
        if tree.digest in missing:
            batch.append((tree.digest, tree.manifest))
        if batch:
            self._batch_upload(batch)
        draw(final=True)
        self.call(self.cas.CreateTree, cas_pb2.CreateTreeRequest(digest=to_digest(tree.digest)))
        return tree

    # -- models ---------------------------------------------------------------

    def ensure_registered_model(self, model_id: str, description: str = "",
                                project: str = "") -> models_pb2.RegisteredModel:
        """Gets models/{model_id}, creating it in `project` ("" = default) when absent."""
        try:
            return self.call(self.models.GetRegisteredModel, models_pb2.GetRegisteredModelRequest(name=f"models/{model_id}"))
        except FairtraceError as err:
            if err.code != grpc.StatusCode.NOT_FOUND:
                raise
        req = models_pb2.CreateRegisteredModelRequest(
            model_id=model_id, registered_model=models_pb2.RegisteredModel(description=description, project=project),
            request_id=uuid.uuid4().hex)
        try:
            return self.call(self.models.CreateRegisteredModel, req)
        except FairtraceError as err:
            if err.code != grpc.StatusCode.ALREADY_EXISTS:  # created concurrently
                raise
            return self.call(self.models.GetRegisteredModel, models_pb2.GetRegisteredModelRequest(name=f"models/{model_id}"))

    def create_model_version(self, model_id: str, tree_digest: Digest, source_run: str = "", description: str = "",
                             tags: Optional[Dict[str, str]] = None) -> models_pb2.ModelVersion:
        req = models_pb2.CreateModelVersionRequest(
            parent=f"models/{model_id}",
            model_version=models_pb2.ModelVersion(tree_digest=to_digest(tree_digest), source_run=source_run,
                                                  description=description, tags=tags or {}),
            request_id=uuid.uuid4().hex)
        return self.call(self.models.CreateModelVersion, req)

    # -- runs -----------------------------------------------------------------

    def get_run(self, name: str) -> run_resources_pb2.Run:
        return self.call(self.runs.GetRun, runs_pb2.GetRunRequest(name=name))

    def pages(self, method: Callable, request, field: str) -> Iterable:
        """Every element of `field` over all pages of a List call (AIP-158):
        `request` is sent again with each next_page_token."""
        while True:
            resp = self.call(method, request)
            yield from getattr(resp, field)
            if not resp.next_page_token:
                return
            request.page_token = resp.next_page_token

    def list_runs(self, filter: str = "", page_size: int = 0) -> Iterable[run_resources_pb2.Run]:
        return self.pages(self.runs.ListRuns, runs_pb2.ListRunsRequest(filter=filter, page_size=page_size), "runs")

    def metric_history(self, run: str, key: str) -> List[run_resources_pb2.Metric]:
        out, token = [], ""
        while True:
            resp = self.call(self.runs.ListMetricHistory,
                             runs_pb2.ListMetricHistoryRequest(run=run, key=key, page_token=token))
            out.extend(resp.metrics)
            token = resp.next_page_token
            if not token:
                return out


def _status_code(code: int) -> grpc.StatusCode:
    for c in grpc.StatusCode:
        if c.value[0] == code:
            return c
    return grpc.StatusCode.UNKNOWN
