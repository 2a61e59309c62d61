"""Each resource's state document compared with its ordinary read
(docs/audit-log.md, "fairtrace audit verify --deep --reads"): the Python twin
of clients/cpp/fairtrace/state_reads.cc, used by Audit.verify(reads=True).

A *read view* holds, under the document's own field names and in its
representation, every field of the document that an ordinary read returns;
chains the reads return whole (a run's params and metrics, a model
version's lineage, a split's items) are recomputed here. compare_read_view
names each field that differs."""

import hashlib
import json
import math
from typing import Dict, List, Optional, Tuple

import grpc
from google.protobuf import json_format

from fairtrace.errors import FairtraceError
from fairtrace.v1 import (access_pb2, access_pb2_grpc, annotations_pb2, datasets_pb2, investigations_pb2, models_pb2,
                          run_resources_pb2, runs_pb2, splits_pb2)

_PAGE = 10000


def _canonical(doc) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain(rows: List[dict]) -> str:
    """c0 = "", ci = hex(SHA-256(c(i-1) || canonical(row i)))."""
    c = ""
    for row in rows:
        c = hashlib.sha256((c + _canonical(row)).encode("utf-8")).hexdigest()
    return c


def _micros(ts) -> int:
    return ts.seconds * 1000000 + ts.nanos // 1000


def _micros_if(msg, name):
    return _micros(getattr(msg, name)) if msg.HasField(name) else None


def _enum(enum_type, value, prefix: str, lower: bool) -> str:
    name = enum_type.Name(value)
    name = name[len(prefix):] if name.startswith(prefix) else name
    if name == "UNSPECIFIED":
        return ""
    return name.lower() if lower else name


def _state_double(v: float):
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _etag_revision(etag: str) -> Optional[int]:
    head = etag.split("-", 1)[0]
    return int(head) if "-" in etag and head.isdigit() else None


def _shown(v) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 200 else s[:200] + "..."


def compare_read_view(doc: dict, view: dict, rpc: str) -> Tuple[int, List[str]]:
    """(fields compared, one line per field that differs). A document
    leaves `project` out when it is "default" (a read says "" or "default")
    and a model version's `delete_time` out while it is null."""
    diffs = []
    for field, got in view.items():
        stored = doc.get(field)
        if field == "project":
            stored = "default" if stored is None else stored
            got = "default" if got == "" else got
        elif field not in doc and field != "delete_time":
            diffs.append(f"{field}: not in the document; {rpc} says {_shown(got)}")
            continue
        if stored != got:
            diffs.append(f"{field}: the document says {_shown(stored)}, {rpc} says {_shown(got)}")
    return len(view), diffs


def registered_model_view(m) -> dict:
    return {"name": m.name, "uid": m.uid, "description": m.description, "owner": m.owner, "license": m.license,
            "tags_json": dict(m.tags), "create_time": _micros(m.create_time),
            "delete_time": _micros_if(m, "delete_time"), "project": m.project}


def _edge_chain(edges) -> str:
    """The lineage chain over (subject, predicate, object, role) tuples,
    sorted bytewise as the document's rows are, each once."""
    ordered = sorted(set(edges), key=lambda e: tuple(x.encode("utf-8") for x in e))
    return chain([{"subject": s, "predicate": p, "object": o, "role": r} for s, p, o, r in ordered])


def own_lineage_chain(name: str, edges) -> Optional[str]:
    """The lineage chain of `name` from the edges GetLineage returns around
    it (both ways, depth 1): those whose origin is `name`. None when one of
    them shows a redacted node."""
    own = [(e.subject, e.predicate, e.object, e.role) for e in edges if e.origin == name]
    if any(s.startswith("redacted/") or o.startswith("redacted/") for s, _, o, _ in own):
        return None
    return _edge_chain(own)


def _parsed_or_text(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _mlmodel(m) -> dict:
    """A version's mlmodel_json from the MlmodelInfo its read returns."""
    return {"flavors": list(m.flavors), "mlflow_version": m.mlflow_version, "model_uuid": m.model_uuid,
            "run_id": m.run_id, "utc_time_created": m.utc_time_created,
            "model_size_bytes": m.model_size_bytes if m.HasField("model_size_bytes") else None,
            "signature": _parsed_or_text(m.signature_json),
            "saved_input_example_info": _parsed_or_text(m.saved_input_example_info_json),
            "metadata": _parsed_or_text(m.metadata_json), "flavor_details": _parsed_or_text(m.flavors_json),
            "extensions": _parsed_or_text(m.extensions_json)}


def _proto_json(message) -> dict:
    return json.loads(json_format.MessageToJson(message, preserving_proto_field_name=True))


def _stored_json(value) -> str:
    """A JSON column's text as the server writes it (nlohmann dump)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def model_version_view(v) -> dict:
    edges = [(v.name, "wasDerivedFrom", f"trees/{v.tree_digest.sha256}/{v.tree_digest.size_bytes}", "content")]
    if v.source_run:
        edges.append((v.name, "wasGeneratedBy", v.source_run, "model"))
    stage = "NONE" if v.stage == 0 else _enum(models_pb2.ModelStage, v.stage, "MODEL_STAGE_", False)
    view = {"name": v.name, "uid": v.uid, "version": v.version, "tree_sha256": v.tree_digest.sha256,
            "tree_size": v.tree_digest.size_bytes, "source_run": v.source_run, "description": v.description,
            "tags_json": dict(v.tags), "stage": stage, "create_time": _micros(v.create_time),
            "update_time": _micros(v.update_time), "revision": _etag_revision(v.etag),
            "mlmodel_json": _mlmodel(v.mlmodel), "lineage": _edge_chain(edges),
            "delete_time": _micros_if(v, "delete_time")}
    return view


def model_alias_view(m, alias: str) -> dict:
    return {"alias": alias, "version": m.aliases[alias] if alias in m.aliases else None}


def run_view(r, history) -> dict:
    c, e = r.code, r.environment
    diff = f"{c.dirty_diff.sha256}/{c.dirty_diff.size_bytes}" if c.dirty_diff.sha256 else ""
    metric_rows = [{"key": m.key, "step": m.step, "timestamp": _micros(m.timestamp),
                    "value": _state_double(m.value)} for m in sorted(history, key=lambda m: m.log_order)]
    return {"name": r.name, "uid": r.uid, "experiment": r.experiment,
            "run_kind": _enum(run_resources_pb2.RunKind, r.kind, "RUN_KIND_", False),
            "status": _enum(run_resources_pb2.RunStatus, r.status, "RUN_STATUS_", False),
            "status_message": r.status_message, "start_time": _micros(r.start_time),
            "end_time": _micros_if(r, "end_time"),
            "seeds_json": [{"name": s.name, "value": s.value} for s in r.seeds],
            "code_json": {"repository_url": c.repository_url, "commit": c.commit, "branch": c.branch,
                          "dirty_diff": diff, "entry_point": c.entry_point},
            "code_commit": c.commit,
            "environment_json": {"python_version": e.python_version, "packages": dict(e.packages), "os": e.os,
                                 "cpu_model": e.cpu_model, "gpu_model": e.gpu_model, "gpu_driver": e.gpu_driver,
                                 "cuda_version": e.cuda_version,
                                 "container_image_digest": e.container_image_digest, "hostname": e.hostname},
            "description": r.description, "tags_json": dict(r.tags), "create_time": _micros(r.create_time),
            "update_time": _micros(r.update_time), "revision": _etag_revision(r.etag), "project": r.project,
            "params": chain([{"key": k, "value": v} for k, v in sorted(r.params.items(),
                                                                       key=lambda kv: kv[0].encode("utf-8"))]),
            "metrics": chain(metric_rows)}


_MIAPPE_SECTIONS = ("investigation", "study", "person", "data_file", "biological_material", "environment", "factor",
                   "event", "observation_unit", "sample", "observed_variable")


def investigation_revision_view(i, entities) -> dict:
    """`entities`: every entity of the revision (ListEntities of each
    section), for the entities chain."""
    rows = []
    for e in sorted(entities, key=lambda e: e.seq):
        record = {"section": e.section, "values": dict(e.values),
                  "extensions": [[c.key, c.value] for c in e.extension_cells], "location": e.location}
        rows.append({"seq": e.seq, "section": e.section, "entity_id": e.entity_id,
                     "record_json": _stored_json(record), "location": e.location})
    return {"entities": chain(rows), "name": f"{i.name}/revisions/{i.revision}", "revision": i.revision, "digest": i.revision_digest,
            "profile": i.profile, "validator_version": i.validator_version, "title": i.title,
            "study_count": i.study_count, "entity_count": i.entity_count,
            "report_json": json.loads(json_format.MessageToJson(i.report)), "create_time": _micros(i.revision_time),
            "project": i.project}


def dataset_view(d) -> dict:
    return {"name": d.name, "uid": d.uid,
            "datasheet_json": json.loads(json_format.MessageToJson(d.datasheet, preserving_proto_field_name=True)),
            "create_time": _micros(d.create_time), "project": d.project}


def dataset_version_view(v, items) -> dict:
    """`items`: every item of the version (ListItems), for the items and
    links chains."""
    ordered = sorted(items, key=lambda i: i.path.encode("utf-8"))
    item_rows = [{"path": i.path, "blob_digest": i.blob.sha256, "blob_size": i.blob.size_bytes,
                  "media_type": i.media_type, "acquired_at": i.acquired_at, "sensor": i.sensor, "view": i.view,
                  "station": i.station, "attributes_json": _stored_json(dict(i.attributes)),
                  "links_json": _stored_json(list(i.links)), "item_digest": i.digest} for i in ordered]
    links = sorted(((link, i.path) for i in items for link in i.links),
                   key=lambda lp: (lp[0].encode("utf-8"), lp[1].encode("utf-8")))
    return {"name": v.name, "uid": v.uid, "items": chain(item_rows),
            "links": chain([{"link": link, "path": path} for link, path in links]), "digest": v.digest, "tree_digest": v.tree.sha256, "tree_size": v.tree.size_bytes,
            "item_table_digest": v.item_table.sha256, "item_table_size": v.item_table.size_bytes,
            "investigation_revision": v.investigation_revision, "investigation_digest": v.investigation_digest,
            "item_count": v.item_count, "linked_item_count": v.linked_item_count, "total_bytes": v.total_bytes,
            "observation_unit_count": v.observation_unit_count,
            "biological_material_count": v.biological_material_count, "sample_count": v.sample_count,
            "create_time": _micros(v.create_time)}


def artifacts_chain(changes) -> str:
    """A run's artifacts chain from its artifact changes (ListArtifactChanges)."""
    return chain([{"seq": c.seq, "path": c.path, "sha256": c.blob.sha256 if c.HasField("blob") else None,
                   "size_bytes": c.blob.size_bytes if c.HasField("blob") else None} for c in changes])


def _drop_empty_where_stored_has_none(doc: dict, view: dict, field: str, key: str) -> None:
    """Drops element i's `key` of view[field] when it is empty and the
    document's element i has no such key (written before it existed, or by
    a writer that leaves it out)."""
    stored = doc.get(field)
    if isinstance(stored, list):
        for got, kept in zip(view[field], stored):
            if isinstance(kept, dict) and key not in kept and not got[key]:
                del got[key]


def annotation_set_view(s, annotations=()) -> dict:
    """`annotations`: every annotation of the set (ListAnnotations), for the
    annotations chain."""
    rows = []
    for a in sorted(annotations, key=lambda a: a.stored.seq):
        st = a.stored
        box = ([_state_double(x) for x in st.bbox] + [None] * 4)[:4]
        rows.append({"seq": st.seq, "path": a.path, "source_id": a.source_id, "category_id": st.category_id,
                     "value": _state_double(st.value), "bbox_x": box[0], "bbox_y": box[1], "bbox_w": box[2],
                     "bbox_h": box[3], "geometry_json": st.geometry_json, "mask_digest": st.mask_digest})
    source = s.source_tree if s.HasField("source_tree") else s.source_blob
    meta = annotations_pb2.AnnotationSet(replaces=s.replaces)
    meta.protocol.CopyFrom(s.protocol)
    meta.tool.CopyFrom(s.tool)
    meta.protocol.SetInParent()  # the server always keeps both, empty or not
    meta.tool.SetInParent()
    meta.categories.extend(s.categories)
    return {"name": s.name, "uid": s.uid, "annotator": s.annotator,
            "task": _enum(annotations_pb2.AnnotationTask, s.task, "ANNOTATION_TASK_", True),
            "format": _enum(annotations_pb2.AnnotationFormat, s.format, "ANNOTATION_FORMAT_", True),
            "source_digest": source.sha256, "source_size": source.size_bytes, "digest": s.digest,
            "meta_json": _proto_json(meta), "annotations": chain(rows),
            "annotation_count": s.annotation_count, "item_count": s.annotated_item_count,
            "created_by": s.created_by, "create_time": _micros(s.create_time)}


def agreement_report_view(r) -> dict:
    overall = []
    for c in r.overall:
        j = {"measure": c.measure, "defined": c.defined, "units": c.units}
        if c.defined:
            j["value"] = c.value
        else:
            j["undefined_reason"] = c.undefined_reason
        if c.interval_defined:
            j.update(interval_defined=True, lower=c.lower, upper=c.upper)
        overall.append(j)
    return {"overall_json": overall, "name": r.name, "uid": r.uid,
            "task": _enum(annotations_pb2.AnnotationTask, r.task, "ANNOTATION_TASK_", True),
            "sets_json": list(r.annotation_sets), "document_digest": r.document.sha256,
            "document_size": r.document.size_bytes, "created_by": r.created_by,
            "create_time": _micros(r.create_time)}


def split_view(s, part_paths: Dict[str, List[str]]) -> dict:
    items = sorted(((part, path) for part, paths in part_paths.items() for path in paths),
                   key=lambda pp: (pp[0].encode("utf-8"), pp[1].encode("utf-8")))
    given = splits_pb2.Split(method=s.method, folds=s.folds, seed=s.seed, group_by=s.group_by,
                             stratify_by=s.stratify_by)
    given.ratios.extend(s.ratios)
    if s.HasField("assignment"):
        given.assignment.CopyFrom(s.assignment)
    parts = [{"part": p.part, "digest": p.digest, "item_count": p.item_count, "group_count": p.group_count,
              "shares_with": {other: dict(c.counts) for other, c in p.shares_with.items()}} for p in s.parts]
    return {"params_json": _proto_json(given), "parts_json": parts, "name": s.name, "uid": s.uid, "method": _enum(splits_pb2.SplitMethod, s.method, "SPLIT_METHOD_", True),
            "digest": s.digest, "created_by": s.created_by, "create_time": _micros(s.create_time),
            "items": chain([{"part": part, "path": path} for part, path in items])}


def leakage_report_view(r) -> dict:
    # A run's report checked from one split's parts lists no pairs (see
    # StateReads._view).
    return {"name": r.name, "uid": r.uid, "split_name": r.split, "leakage_found": 1 if r.leakage_found else 0,
            "document_digest": r.document.sha256, "document_size": r.document.size_bytes,
            "created_by": r.created_by, "create_time": _micros(r.create_time),
            "findings_json": [
                {"kind": f.kind, "count": str(f.count),
                 "pairs": [{"a": p.a, "a_part": p.a_part, "b": p.b, "b_part": p.b_part, "shared": p.shared}
                           for p in f.pairs]} for f in r.findings]}


def experiment_view(e) -> dict:
    exp_id = e.name.rsplit("/", 1)[-1]
    return {"name": e.name, "experiment_id": int(exp_id) if exp_id.isdigit() else exp_id, "uid": e.uid,
            "experiment_name": e.display_name, "artifact_location": e.artifact_location,
            "lifecycle_stage": e.lifecycle_stage, "tags_json": dict(e.tags), "create_time": _micros(e.create_time),
            "update_time": _micros(e.update_time), "project": e.project}


def token_view(t) -> dict:
    # A token stores 0 for "never".
    return {"name": t.name, "principal": t.principal, "description": t.description,
            "create_time": _micros(t.create_time),
            "expire_time": _micros(t.expire_time) if t.HasField("expire_time") else 0,
            "revoke_time": _micros(t.revoke_time) if t.HasField("revoke_time") else 0}


def grant_view(g) -> dict:
    return {"name": f"grants/{g.principal}/{g.role}/{g.project}", "principal": g.principal, "role": g.role,
            "project": g.project, "create_time": _micros(g.create_time)}


class StateReads:
    """Reads each resource a state document describes and compares.
    check(doc) returns (read, not_read_reason, fields, differences,
    fields not compared with why)."""

    def __init__(self, client):
        self._client = client
        self._access = access_pb2_grpc.AccessServiceStub(client._channel)
        self._tokens = None  # name -> view, or the refusing status code name
        self._grants = None

    def _get(self, method, request):
        return self._client.call(method, request)

    def _pages(self, method, request, field):
        return self._client.pages(method, request, field)

    def _listed(self, which: str):
        if getattr(self, which) is None:
            try:
                if which == "_tokens":
                    resp = self._get(self._access.ListTokens, access_pb2.ListTokensRequest(include_revoked=True))
                    views = {t.name: token_view(t) for t in resp.tokens}
                else:
                    resp = self._get(self._access.ListGrants, access_pb2.ListGrantsRequest())
                    views = {v["name"]: v for v in map(grant_view, resp.grants)}
                setattr(self, which, views)
            except FairtraceError as err:
                setattr(self, which, err.code.name)
        return getattr(self, which)

    def _version_uid(self, version: str) -> str:
        return self._get(self._client.dataset_service.GetDatasetVersion,
                         datasets_pb2.GetDatasetVersionRequest(name=version)).uid

    def _view(self, doc: dict):
        """(rpc, view) or raises grpc.RpcError; (rpc, None) when the resource
        is not listed; (None, reason) when there is no read."""
        c, kind, name = self._client, doc.get("kind"), doc.get("name", "")
        if kind in ("registeredModel", "modelAlias"):
            model = name.split("/aliases/")[0]
            m = self._get(c.models.GetRegisteredModel, models_pb2.GetRegisteredModelRequest(name=model,
                                                                                           show_deleted=True))
            alias = name.rsplit("/", 1)[1]
            return "GetRegisteredModel", model_alias_view(m, alias) if kind == "modelAlias" else registered_model_view(m)
        if kind == "modelVersion":
            return "GetModelVersion", model_version_view(self._get(
                c.models.GetModelVersion, models_pb2.GetModelVersionRequest(name=name, show_deleted=True)))
        if kind == "run":
            r = self._get(c.runs.GetRun, runs_pb2.GetRunRequest(name=name))
            history = []
            for latest in r.latest_metrics:
                history += list(self._pages(c.runs.ListMetricHistory, runs_pb2.ListMetricHistoryRequest(
                    run=name, key=latest.key, page_size=_PAGE), "metrics"))
            view = run_view(r, history)
            changes = list(self._pages(c.runs.ListArtifactChanges, runs_pb2.ListArtifactChangesRequest(
                run=name, page_size=_PAGE), "changes"))
            if changes or "artifacts" in doc:  # in a run's document only when it has one
                view["artifacts"] = artifacts_chain(changes)
            return "GetRun + ListMetricHistory + ListArtifactChanges", view
        if kind == "investigationRevision":
            i = self._get(c.investigation_service.GetInvestigation, investigations_pb2.GetInvestigationRequest(
                name=name.split("/revisions/")[0], revision=int(doc.get("revision", 0))))
            entities = []
            for section in _MIAPPE_SECTIONS:
                entities += list(self._pages(c.investigation_service.ListEntities, investigations_pb2.ListEntitiesRequest(
                    parent=i.name, section=section, revision=i.revision, page_size=_PAGE), "entities"))
            return "GetInvestigation + ListEntities", investigation_revision_view(i, entities)
        if kind == "dataset":
            return "GetDataset", dataset_view(self._get(c.dataset_service.GetDataset,
                                                        datasets_pb2.GetDatasetRequest(name=name)))
        if kind == "datasetVersion":
            v = self._get(c.dataset_service.GetDatasetVersion, datasets_pb2.GetDatasetVersionRequest(name=name))
            items = list(self._pages(c.dataset_service.ListItems,
                                     datasets_pb2.ListItemsRequest(parent=name, page_size=_PAGE), "items"))
            return "GetDatasetVersion + ListItems", dataset_version_view(v, items)
        if kind == "annotationSet":
            listed = list(self._pages(c.annotation_service.ListAnnotations, annotations_pb2.ListAnnotationsRequest(
                parent=name, page_size=_PAGE), "annotations"))
            view = annotation_set_view(self._get(
                c.annotation_service.GetAnnotationSet, annotations_pb2.GetAnnotationSetRequest(name=name)), listed)
            view["version_uid"] = self._version_uid(name.split("/annotationSets/")[0])
            return "GetAnnotationSet + ListAnnotations + GetDatasetVersion", view
        if kind == "agreementReport":
            return "GetAgreementReport", agreement_report_view(self._get(
                c.annotation_service.GetAgreementReport, annotations_pb2.GetAgreementReportRequest(name=name)))
        if kind == "split":
            s = self._get(c.split_service.GetSplit, splits_pb2.GetSplitRequest(name=name))
            paths = {p.part: [i.path for i in self._pages(c.split_service.ListPartItems, splits_pb2.ListPartItemsRequest(
                parent=p.name, page_size=_PAGE), "items")] for p in s.parts}
            view = split_view(s, paths)
            view["version_uid"] = self._version_uid(name.split("/splits/")[0])
            # A split made before parts kept what they share has no shares_with.
            _drop_empty_where_stored_has_none(doc, view, "parts_json", "shares_with")
            return "GetSplit + ListPartItems + GetDatasetVersion", view
        if kind == "leakageReport":
            r = self._get(c.split_service.GetLeakageReport, splits_pb2.GetLeakageReportRequest(name=name))
            view = leakage_report_view(r)
            # A finding stored without pairs (a run checked from one split's parts).
            _drop_empty_where_stored_has_none(doc, view, "findings_json", "pairs")
            if r.split.startswith("runs/"):
                view["split_uid"] = r.split  # a run's reports are keyed by its name
                return "GetLeakageReport", view
            view["split_uid"] = self._get(c.split_service.GetSplit, splits_pb2.GetSplitRequest(name=r.split)).uid
            return "GetLeakageReport + GetSplit", view
        if kind in ("accessToken", "accessGrant"):
            rpc, listed = ("ListTokens", self._listed("_tokens")) if kind == "accessToken" else \
                ("ListGrants", self._listed("_grants"))
            if isinstance(listed, str):
                return None, f"{rpc} failed: {listed}"
            return rpc, listed.get(name)
        if kind == "experiment":
            return "GetExperiment", experiment_view(self._get(c.runs.GetExperiment,
                                                              runs_pb2.GetExperimentRequest(name=name)))
        return None, f'no ordinary read is known for kind "{kind}"'

    # Kinds whose document has a lineage chain their read does not return
    # (a model version's follows from its read).
    _LINEAGE_KINDS = ("run", "investigationRevision", "datasetVersion", "annotationSet", "agreementReport", "split",
                      "leakageReport")

    def _add_lineage(self, name: str, view: dict, not_compared: List[str]) -> None:
        edges, truncated = [], False
        for direction in (runs_pb2.GetLineageRequest.UPSTREAM, runs_pb2.GetLineageRequest.DOWNSTREAM):
            resp = self._get(self._client.runs.GetLineage,
                             runs_pb2.GetLineageRequest(resource=name, direction=direction, max_depth=1))
            # At depth 1 `truncated` also says the graph goes on beyond it;
            # only the 10,000-edge cap can leave out one of its own edges.
            truncated = truncated or (resp.truncated and len(resp.edges) >= 10000)
            edges += list(resp.edges)
        own = None if truncated else own_lineage_chain(name, edges)
        if own is None:
            not_compared.append("lineage (GetLineage cut the edges)" if truncated
                                else "lineage (a node is redacted for the caller)")
        else:
            view["lineage"] = own

    def check(self, doc: dict):
        """(read, not_read_reason, fields, differences, not_compared)."""
        name = doc.get("name", "")
        not_compared: List[str] = []
        try:
            rpc, view = self._view(doc)
            if rpc is not None and view is not None and doc.get("kind") in self._LINEAGE_KINDS:
                self._add_lineage(name, view, not_compared)
                rpc += " + GetLineage"
        except FairtraceError as err:
            if err.code == grpc.StatusCode.NOT_FOUND:
                return True, "", 1, [f"the document says {name} exists; the read answers NOT_FOUND"], []
            return False, f"read failed: {err.code.name}", 0, [], []
        except (KeyError, TypeError, ValueError) as err:
            return True, "", 1, [f"the document cannot be compared: {err}"], []
        if rpc is None:
            return False, view, 0, [], []
        if view is None:
            return True, "", 1, [f"the document says {name} exists; {rpc} does not list it"], []
        fields, diffs = compare_read_view(doc, view, rpc)
        return True, "", fields, [f"{rpc}: {d}" for d in diffs], not_compared
