"""Dataset versions in the registry (docs/datasets.md).

    client = fairtrace.Client()
    client.datasets.create("leaves", license="CC-BY-4.0", creators=["Ada"])
    v = client.datasets.create_version("leaves", "images/", items="items.csv",
                                       investigation="investigations/drought")
    for item in client.datasets.items(v.name, filter='link = "investigations/drought/observationUnits/S1-P1"'):
        print(item.path, list(item.links))
    changes = client.datasets.diff("datasets/leaves/versions/1", v.name)
    client.datasets.pull(v.name, "copy-of-images/")
    with fairtrace.start_run("train") as run:
        run.use(v.name, role="train")

create_version pushes only the files the server lacks (the folder's tree)
and the item table, then registers the version; a refused table raises
FairtraceError whose field_violations name each problem's line. Creates
carry a request_id chosen once per call, so a retry after a lost reply
returns the first result. Thread-safe like the Client.
"""

import os
import uuid
from typing import Dict, Iterable, List, Optional

import grpc

from fairtrace.client import to_digest
from fairtrace.errors import FairtraceError
from fairtrace.tree import Digest
from fairtrace.v1 import datasets_pb2

_FORMATS = {
    "": datasets_pb2.ITEM_TABLE_FORMAT_UNSPECIFIED,
    "csv": datasets_pb2.ITEM_TABLE_FORMAT_CSV,
    "tsv": datasets_pb2.ITEM_TABLE_FORMAT_TSV,
    "jsonl": datasets_pb2.ITEM_TABLE_FORMAT_JSONL,
}


def _dataset_name(dataset: str) -> str:
    return dataset if dataset.startswith("datasets/") else f"datasets/{dataset}"


class DatasetVersion:
    """A dataset version: its proto's fields (name, digest, tree, ...) plus
    what is done on it (add_annotations)."""

    def __init__(self, client, proto: "datasets_pb2.DatasetVersion"):
        self._client = client
        self.proto = proto

    def __getattr__(self, field):
        return getattr(self.proto, field)

    def __repr__(self) -> str:
        return f"DatasetVersion({self.proto.name!r}, digest={self.proto.digest!r})"

    def add_annotations(self, path: str, annotator: str = "", protocol: str = "", **options):
        """Registers an annotation file or mask folder on this version
        (fairtrace/annotations.py, Annotations.add)."""
        return self._client.annotations.add(self, path, annotator=annotator, protocol=protocol, **options)

    def annotation_sets(self):
        return self._client.annotations.list(self)

    def split(self, method: str = "holdout", group: str = "", k: int = 0, seed: int = 0, **options):
        """A split of this version (fairtrace/splits.py, Splits.create)."""
        return self._client.splits.create(self, method=method, group=group, k=k, seed=seed, **options)


class Datasets:
    """The DatasetService through a Client (client.datasets)."""

    def __init__(self, client):
        self._client = client
        self._stub = client.dataset_service

    def create(self, dataset_id: str, description: str = "", license: str = "",  # noqa: A002 (the field's name)
               creators: Optional[List[str]] = None, collection_method: str = "",
               intended_use: str = "", project: str = "") -> "datasets_pb2.Dataset":
        sheet = datasets_pb2.Datasheet(description=description, license=license, creators=creators or [],
                                       collection_method=collection_method, intended_use=intended_use)
        req = datasets_pb2.CreateDatasetRequest(dataset_id=dataset_id, datasheet=sheet, request_id=uuid.uuid4().hex,
                                                project=project)
        return self._client.call(self._stub.CreateDataset, req)

    def get(self, dataset: str) -> "datasets_pb2.Dataset":
        return self._client.call(self._stub.GetDataset, datasets_pb2.GetDatasetRequest(name=_dataset_name(dataset)))

    def update_datasheet(self, dataset: str, etag: str, **fields) -> "datasets_pb2.Dataset":
        """Replaces the datasheet (fields as in create); etag: the dataset's current one."""
        req = datasets_pb2.UpdateDatasetRequest(name=_dataset_name(dataset), datasheet=datasets_pb2.Datasheet(**fields),
                                                etag=etag)
        return self._client.call(self._stub.UpdateDataset, req)

    def create_version(self, dataset: str, folder: str, items: Optional[str] = None, investigation: str = "",
                       fmt: str = "", progress: Optional[bool] = None) -> "datasets_pb2.DatasetVersion":
        """Pushes `folder` and the item table file `items` (CSV, TSV or JSON
        Lines; fmt forces one), then registers the next version of `dataset`
        with its links checked against `investigation`
        ("investigations/{i}" or "investigations/{i}/revisions/{r}").
        progress: as Client.push_folder (default: on a terminal)."""
        if fmt not in _FORMATS:
            raise ValueError(f"fmt is one of {sorted(k for k in _FORMATS if k)}, not {fmt!r}")
        tree = self._client.push_folder(folder, progress=progress)
        req = datasets_pb2.CreateDatasetVersionRequest(
            parent=_dataset_name(dataset), tree=to_digest(tree.digest), item_table_format=_FORMATS[fmt],
            investigation_revision=investigation, request_id=uuid.uuid4().hex)
        if items is not None:
            with open(items, "rb") as f:
                req.item_table.CopyFrom(to_digest(self._client.upload_bytes(f.read())))
        return DatasetVersion(self._client, self._client.call(self._stub.CreateDatasetVersion, req, idempotent=False))

    def get_version(self, name: str) -> "DatasetVersion":
        return DatasetVersion(self._client, self._client.call(
            self._stub.GetDatasetVersion, datasets_pb2.GetDatasetVersionRequest(name=name)))

    version = get_version

    def versions(self, dataset: str) -> Iterable["datasets_pb2.DatasetVersion"]:
        """Newest first."""
        return self._client.pages(self._stub.ListDatasetVersions,
                                  datasets_pb2.ListDatasetVersionsRequest(parent=_dataset_name(dataset)), "versions")

    def items(self, version: str, filter: str = "", page_size: int = 1000) -> Iterable["datasets_pb2.Item"]:  # noqa: A002
        """The version's items by path, all pages (filter: docs/datasets.md)."""
        return self._client.pages(self._stub.ListItems, datasets_pb2.ListItemsRequest(
            parent=getattr(version, "name", version), filter=filter, page_size=page_size), "items")

    def _stream(self, method, request) -> Iterable:
        """The messages of a server-streaming call; errors as FairtraceError."""
        try:
            yield from method(request, timeout=self._client.timeout, metadata=self._client._metadata)
        except grpc.RpcError as err:
            raise FairtraceError.from_rpc_error(err) from None

    def diff(self, base: str, target: str) -> Dict[str, object]:
        """{"added", "removed", "changed", "moved", "relinked": counts,
        "across_datasets": bool, "changes": [ItemChange, ...]} by path."""
        req = datasets_pb2.DiffDatasetVersionsRequest(base=base, target=target)
        out: Dict[str, object] = {"changes": []}
        for i, page in enumerate(self._stream(self._stub.DiffDatasetVersions, req)):
            if i == 0:
                for k in ("added", "removed", "changed", "moved", "relinked", "across_datasets"):
                    out[k] = getattr(page, k)
            out["changes"].extend(page.changes)
        return out

    def export_croissant(self, version: str, base_iri: str = "") -> bytes:
        """The version as Croissant 1.0 JSON-LD (bytes); every @id starts with
        base_iri (default "urn:fairtrace:")."""
        req = datasets_pb2.ExportDatasetVersionRequest(name=version, base_iri=base_iri)
        return b"".join(r.data for r in self._stream(self._stub.ExportDatasetVersion, req))

    def pull(self, version: str, dest: str) -> int:
        """Writes the version's files under `dest` (which must not exist or be
        empty), each checked against its digest; returns the file count."""
        os.makedirs(dest, exist_ok=True)
        if os.listdir(dest):
            raise ValueError(f"{dest} is not empty")
        root = os.path.abspath(dest)
        n = 0
        for item in self.items(version, page_size=10000):
            path = os.path.abspath(os.path.join(root, item.path))
            if not path.startswith(root + os.sep):
                raise ValueError(f"item path {item.path!r} leaves {dest}")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = self._client.read_blob(Digest(item.blob.sha256, item.blob.size_bytes))
            with open(path, "wb") as f:
                f.write(data)
            n += 1
        return n

