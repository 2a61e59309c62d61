"""Splits of dataset versions and leakage checks (docs/splits.md).

    v = client.datasets.version("datasets/leaves/versions/3")
    s = v.split(method="kfold", k=5, group="observation_unit", seed=7)
    report = s.check()                       # exact, group and temporal leakage
    with fairtrace.start_run("train") as run:
        run.use(s.part("fold-1"), role="test")

A split is regenerable: fairtrace/split_reference.py gives the same parts
offline. Thread-safe like the Client.
"""

import uuid
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from fairtrace.client import to_digest
from fairtrace.v1 import splits_pb2

METHODS = {
    "holdout": splits_pb2.SPLIT_METHOD_HOLDOUT,
    "kfold": splits_pb2.SPLIT_METHOD_KFOLD,
    "temporal": splits_pb2.SPLIT_METHOD_TEMPORAL,
    "explicit": splits_pb2.SPLIT_METHOD_EXPLICIT,
}


def _name(what) -> str:
    return getattr(what, "name", what)


class Split:
    """A split: its proto's fields (name, parts, digest, ...) plus part() and check()."""

    def __init__(self, client, proto: "splits_pb2.Split"):
        self._client = client
        self.proto = proto

    def __getattr__(self, field):
        return getattr(self.proto, field)

    def __repr__(self) -> str:
        return f"Split({self.proto.name!r}, parts={[p.part for p in self.proto.parts]})"

    def part(self, name: str) -> "splits_pb2.SplitPart":
        """The part a run names with run.use(split.part("train"), role="train")."""
        for p in self.proto.parts:
            if p.part == name:
                return p
        raise KeyError(f"{self.proto.name} has no part {name!r} (it has {[p.part for p in self.proto.parts]})")

    def check(self, groups: Sequence[str] = (), max_pairs: int = 0, near_duplicates: bool = False,
              max_distance: int = 0) -> "splits_pb2.LeakageReport":
        return self._client.splits.check(self, groups=groups, max_pairs=max_pairs, near_duplicates=near_duplicates,
                                         max_distance=max_distance)


class Splits:
    """The SplitService through a Client (client.splits)."""

    def __init__(self, client):
        self._client = client
        self._stub = client.split_service

    def create(self, version, method: str = "holdout",
               ratios: Optional[Union[Dict[str, float], Sequence[Tuple[str, float]]]] = None, k: int = 0,
               seed: int = 0, group: str = "", stratify=None, assignment: Optional[str] = None,
               split_id: Optional[str] = None) -> Split:
        """method: holdout (default ratios train 0.8 / test 0.2), kfold (k),
        temporal (ratios, earliest part first), explicit (assignment: a
        path,part CSV file). group: observation_unit, biological_material,
        sample, acquired_date, sensor, view, station or attributes.<key>.
        stratify: an annotation set (labels) of the same version."""
        if method not in METHODS:
            raise ValueError(f"method is one of {sorted(METHODS)}, not {method!r}")
        s = splits_pb2.Split(method=METHODS[method], folds=k, seed=seed, group_by=group,
                             stratify_by=_name(stratify) if stratify else "")
        if method in ("holdout", "temporal"):
            pairs = list((ratios or {"train": 0.8, "test": 0.2}).items()) if isinstance(ratios, dict) or ratios is None \
                else list(ratios)
            for part, ratio in pairs:
                s.ratios.add(part=part, ratio=ratio)
        if method == "explicit":
            if not assignment:
                raise ValueError("an explicit split needs assignment=<path,part CSV file>")
            with open(assignment, "rb") as f:
                s.assignment.CopyFrom(to_digest(self._client.upload_bytes(f.read())))
        req = splits_pb2.CreateSplitRequest(parent=_name(version), split_id=split_id or f"s-{uuid.uuid4().hex[:12]}",
                                            split=s, request_id=uuid.uuid4().hex)
        return Split(self._client, self._client.call(self._stub.CreateSplit, req, idempotent=False))

    def get(self, name: str) -> Split:
        return Split(self._client, self._client.call(self._stub.GetSplit, splits_pb2.GetSplitRequest(name=name)))

    def list(self, version) -> Iterable[Split]:
        for s in self._client.pages(self._stub.ListSplits, splits_pb2.ListSplitsRequest(parent=_name(version)),
                                    "splits"):
            yield Split(self._client, s)

    def items(self, part, page_size: int = 10000) -> Iterable["splits_pb2.PartItem"]:
        return self._client.pages(self._stub.ListPartItems, splits_pb2.ListPartItemsRequest(
            parent=_name(part), page_size=page_size), "items")

    def check(self, split, groups: Sequence[str] = (), max_pairs: int = 0, report_id: str = "",
              near_duplicates: bool = False, max_distance: int = 0) -> "splits_pb2.LeakageReport":
        """Exact, group and temporal leakage; near_duplicates adds perceptual
        hashes (Hamming distance <= max_distance, default 4)."""
        req = splits_pb2.CheckLeakageRequest(split=_name(split), groups=list(groups), max_pairs=max_pairs,
                                             report_id=report_id, request_id=uuid.uuid4().hex,
                                             near_duplicates=near_duplicates, max_distance=max_distance)
        return self._client.call(self._stub.CheckLeakage, req, idempotent=False)

    def check_run(self, run, report_id: str = "") -> "splits_pb2.LeakageReport":
        """The leakage between a run's train / validation / test inputs (and a
        model's training inputs, for a run that evaluates it), as at run end."""
        req = splits_pb2.CheckLeakageRequest(run=_name(run), report_id=report_id, request_id=uuid.uuid4().hex)
        return self._client.call(self._stub.CheckLeakage, req, idempotent=False)
