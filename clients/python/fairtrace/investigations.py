"""MIAPPE investigations in the registry (docs/investigations.md).

    client = fairtrace.Client()
    inv = client.investigations.import_files("drought-2025", ["sheets/"])
    plant = client.investigations.get_entity("investigations/drought-2025/observationUnits/S1-P2")
    client.investigations.update_entity(plant.name, values={"obsUnitType": "pot"})

Files are xlsx workbooks, TSV sheets, ISA-Tab files or MIAPPE JSON (a
folder stands for its files). A refused submission or change raises
FairtraceError whose field_violations hold one (field, "CODE: message")
pair per MIAPPE error. Imports and changes carry a request_id chosen once
per call, so a retry after a lost reply returns the first revision.
Thread-safe like the Client.
"""

import os
import uuid
from typing import Dict, Iterable, List, Optional

from fairtrace.v1 import investigations_pb2

_SUFFIXES = (".tsv", ".txt", ".xlsx", ".json", ".csv")
_STRICTNESS = {
    "default": investigations_pb2.STRICTNESS_UNSPECIFIED,
    "strict": investigations_pb2.STRICTNESS_STRICT,
    "lenient": investigations_pb2.STRICTNESS_LENIENT,
}


def read_files(paths: List[str]) -> List["investigations_pb2.SheetFile"]:
    """The files of `paths` (a folder: its files with a known suffix, sorted)."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            names = sorted(n for n in os.listdir(p) if n.endswith(_SUFFIXES) and os.path.isfile(os.path.join(p, n)))
            files = [os.path.join(p, n) for n in names]
        else:
            files = [p]
        for f in files:
            with open(f, "rb") as fh:
                out.append(investigations_pb2.SheetFile(name=os.path.basename(f), data=fh.read()))
    return out


def _strictness(name: str) -> int:
    if name not in _STRICTNESS:
        raise ValueError(f"strictness is one of {sorted(_STRICTNESS)}, not {name!r}")
    return _STRICTNESS[name]


class Investigations:
    """The InvestigationService through a Client (client.investigations)."""

    def __init__(self, client):
        self._client = client
        self._stub = client.investigation_service

    def validate_files(self, paths: List[str], strictness: str = "default") -> "investigations_pb2.ValidationReport":
        """The full report for the files; stores nothing."""
        req = investigations_pb2.ValidateInvestigationRequest(files=read_files(paths), strictness=_strictness(strictness))
        return self._client.call(self._stub.ValidateInvestigation, req)

    def import_files(self, investigation_id: str, paths: List[str], strictness: str = "default",
                     etag: str = "", project: str = "") -> "investigations_pb2.Investigation":
        """Stores the files as the next revision of investigations/{investigation_id}
        (a new investigation is created in `project`, "" = default; a new
        revision must name the investigation's project)."""
        req = investigations_pb2.ImportInvestigationRequest(
            investigation_id=investigation_id, files=read_files(paths), strictness=_strictness(strictness),
            etag=etag, request_id=uuid.uuid4().hex, project=project)
        return self._client.call(self._stub.ImportInvestigation, req)

    def get(self, investigation: str, revision: int = 0) -> "investigations_pb2.Investigation":
        return self._client.call(self._stub.GetInvestigation, investigations_pb2.GetInvestigationRequest(
            name=_investigation_name(investigation), revision=revision))

    def get_entity(self, name: str, revision: int = 0) -> "investigations_pb2.MiappeEntity":
        return self._client.call(self._stub.GetEntity, investigations_pb2.GetEntityRequest(name=name, revision=revision))

    def list_entities(self, investigation: str, section: str,
                      revision: int = 0) -> Iterable["investigations_pb2.MiappeEntity"]:
        return self._client.pages(self._stub.ListEntities, investigations_pb2.ListEntitiesRequest(
            parent=_investigation_name(investigation), section=section, revision=revision), "entities")

    def update_entity(self, name: str, values: Optional[Dict[str, str]] = None,
                      extensions: Optional[Dict[str, str]] = None, etag: str = "",
                      strictness: str = "default") -> "investigations_pb2.Investigation":
        """Sets the given fields of one entity (an empty value clears it): the next revision."""
        values, extensions = values or {}, extensions or {}
        if not values and not extensions:
            raise ValueError("give values or extensions to change")
        req = investigations_pb2.UpdateEntityRequest(
            entity=investigations_pb2.MiappeEntity(name=name, values=values, extensions=extensions),
            etag=etag, request_id=uuid.uuid4().hex, strictness=_strictness(strictness))
        req.update_mask.paths.extend([f"values.{k}" for k in values] + [f"extensions.{k}" for k in extensions])
        return self._client.call(self._stub.UpdateEntity, req)

    def export(self, investigation: str, fmt: str = "json", revision: int = 0) -> Dict[str, bytes]:
        """The revision as files: {name: bytes} (fmt "json" or "isa-tab")."""
        formats = {"json": investigations_pb2.EXPORT_FORMAT_MIAPPE_JSON, "isa-tab": investigations_pb2.EXPORT_FORMAT_ISA_TAB}
        if fmt not in formats:
            raise ValueError(f"fmt is one of {sorted(formats)}, not {fmt!r}")
        resp = self._client.call(self._stub.ExportInvestigation, investigations_pb2.ExportInvestigationRequest(
            name=_investigation_name(investigation), revision=revision, format=formats[fmt]))
        return {f.name: f.data for f in resp.files}


def _investigation_name(investigation: str) -> str:
    return investigation if investigation.startswith("investigations/") else f"investigations/{investigation}"
