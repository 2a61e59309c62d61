"""Annotation sets and inter-annotator agreement (docs/annotations.md,
docs/agreement.md).

    v = client.datasets.version("datasets/leaves/versions/3")
    a = v.add_annotations("ann-ada.csv", annotator="ada", protocol="severity-v2")
    b = v.add_annotations("ann-bob.csv", annotator="bob", protocol="severity-v2")
    report = client.agreement([a, b], scale="ordinal", seed=7)
    doc = client.annotations.document(report)        # the stored JSON report
    with fairtrace.start_run("train") as run:
        run.use(report, role="agreement")

add_annotations tells the format from the path: a folder is a mask folder
(categories {id: name} required), *.json a COCO file, anything else a
label CSV/TSV; the task defaults to labels for a CSV (measurements when the
header names a value column), boxes for COCO, masks for a folder. A refused
set raises FairtraceError whose field_violations name each problem's line
or JSON Pointer; nothing is stored. Thread-safe like the Client.
"""

import json
import os
import re
import uuid
from typing import Dict, Iterable, List, Optional, Union

from fairtrace.client import to_digest
from fairtrace.tree import Digest
from fairtrace.v1 import annotations_pb2

TASKS = {
    "labels": annotations_pb2.ANNOTATION_TASK_LABELS,
    "measurements": annotations_pb2.ANNOTATION_TASK_MEASUREMENTS,
    "boxes": annotations_pb2.ANNOTATION_TASK_BOXES,
    "polygons": annotations_pb2.ANNOTATION_TASK_POLYGONS,
    "masks": annotations_pb2.ANNOTATION_TASK_MASKS,
}
SCALES = {
    None: annotations_pb2.AGREEMENT_SCALE_UNSPECIFIED,
    "nominal": annotations_pb2.AGREEMENT_SCALE_NOMINAL,
    "ordinal": annotations_pb2.AGREEMENT_SCALE_ORDINAL,
    "interval": annotations_pb2.AGREEMENT_SCALE_INTERVAL,
}


def _name(what) -> str:
    return getattr(what, "name", what)


def _default_task(path: str) -> str:
    if os.path.isdir(path):
        return "masks"
    if path.endswith(".json"):
        return "boxes"
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        header = re.split(r"[,\t]", f.readline().strip().lower())
    return "measurements" if "value" in header else "labels"


def _set_id(annotator: str, task: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", annotator.lower()).strip("-") or "set"
    if not base[0].isalpha():
        base = "a-" + base
    return f"{base[:40]}-{task}-{uuid.uuid4().hex[:6]}"


class Annotations:
    """The AnnotationService through a Client (client.annotations)."""

    def __init__(self, client):
        self._client = client
        self._stub = client.annotation_service

    def add(self, version, path: str, annotator: str = "", protocol: str = "", protocol_version: str = "",
            guideline: Optional[str] = None, tool: str = "", tool_version: str = "", task: Optional[str] = None,
            categories: Optional[Union[Dict[int, str], List[str]]] = None, replaces: str = "",
            set_id: Optional[str] = None) -> "annotations_pb2.AnnotationSet":
        """Registers the annotation file (or mask folder) at `path` as a set of
        `version`. categories: {id: name} (mask class ids, or labels in
        ordinal order), or a list of label names in ordinal order."""
        task = task or _default_task(path)
        if task not in TASKS:
            raise ValueError(f"task is one of {sorted(TASKS)}, not {task!r}")
        s = annotations_pb2.AnnotationSet(annotator=annotator, task=TASKS[task], replaces=_name(replaces))
        if os.path.isdir(path):
            s.format = annotations_pb2.ANNOTATION_FORMAT_MASK_FOLDER
            s.source_tree.CopyFrom(to_digest(self._client.push_folder(path, progress=False).digest))
        else:
            s.format = (annotations_pb2.ANNOTATION_FORMAT_COCO_JSON if path.endswith(".json")
                        else annotations_pb2.ANNOTATION_FORMAT_LABEL_CSV)
            with open(path, "rb") as f:
                s.source_blob.CopyFrom(to_digest(self._client.upload_bytes(f.read())))
        s.protocol.name = protocol
        s.protocol.version = protocol_version
        if guideline:
            with open(guideline, "rb") as f:
                s.protocol.guideline.CopyFrom(to_digest(self._client.upload_bytes(f.read())))
        s.tool.name = tool
        s.tool.version = tool_version
        if isinstance(categories, dict):
            items = sorted(categories.items()) if task == "masks" else list(categories.items())
            for cid, cname in items:
                s.categories.add(id=int(cid), name=str(cname))
        elif categories:
            for i, cname in enumerate(categories):
                s.categories.add(id=i, name=str(cname))
        req = annotations_pb2.CreateAnnotationSetRequest(
            parent=_name(version), annotation_set_id=set_id or _set_id(annotator or "set", task), annotation_set=s,
            request_id=uuid.uuid4().hex)
        return self._client.call(self._stub.CreateAnnotationSet, req, idempotent=False)

    def get(self, name: str) -> "annotations_pb2.AnnotationSet":
        return self._client.call(self._stub.GetAnnotationSet, annotations_pb2.GetAnnotationSetRequest(name=name))

    def list(self, version) -> Iterable["annotations_pb2.AnnotationSet"]:
        return self._client.pages(self._stub.ListAnnotationSets,
                                  annotations_pb2.ListAnnotationSetsRequest(parent=_name(version)), "annotation_sets")

    def annotations(self, annotation_set, filter: str = "",  # noqa: A002 (AIP-160's name)
                    page_size: int = 1000) -> Iterable["annotations_pb2.Annotation"]:
        """The set's parsed annotations in file order (filter: path, category_id)."""
        return self._client.pages(self._stub.ListAnnotations, annotations_pb2.ListAnnotationsRequest(
            parent=_name(annotation_set), filter=filter, page_size=page_size), "annotations")

    def agreement(self, sets: List, scale: Optional[str] = None, bootstrap: int = 0, seed: int = 0,
                  iou: float = 0.0, worst: int = 0, report_id: str = "") -> "annotations_pb2.AgreementReport":
        """Computes and stores the agreement report between two or more sets of
        one version (bootstrap: replicates, 0 = 1,000, -1 = none)."""
        if scale not in SCALES:
            raise ValueError(f"scale is one of {sorted(k for k in SCALES if k)}, not {scale!r}")
        req = annotations_pb2.ComputeAgreementRequest(
            annotation_sets=[_name(s) for s in sets], scale=SCALES[scale], bootstrap_replicates=bootstrap, seed=seed,
            iou_threshold=iou, worst_items=worst, report_id=report_id, request_id=uuid.uuid4().hex)
        return self._client.call(self._stub.ComputeAgreement, req, idempotent=False)

    def report(self, name: str) -> "annotations_pb2.AgreementReport":
        return self._client.call(self._stub.GetAgreementReport, annotations_pb2.GetAgreementReportRequest(name=name))

    def document(self, report) -> dict:
        """The stored report document (docs/agreement.md), checked against its digest."""
        d = report.document
        return json.loads(self._client.read_blob(Digest(d.sha256, d.size_bytes)))
