"""FairtraceError: a failed call, with the server's google.rpc details."""

from typing import Dict, List, Optional, Tuple

import grpc


class FairtraceError(Exception):
    """Raised for every failed call.

    code: the grpc.StatusCode; reason: ErrorInfo.reason ("ETAG_MISMATCH"...);
    field_violations: [(field, description)] from BadRequest;
    missing: subjects of PreconditionFailure violations (e.g. missing blobs);
    metadata: ErrorInfo.metadata; violations_total: how many violations the
    server found (it sends at most 20: the rest are counted, not listed).
    """

    def __init__(self, code: grpc.StatusCode, message: str, reason: str = "",
                 field_violations: Optional[List[Tuple[str, str]]] = None,
                 missing: Optional[List[str]] = None,
                 metadata: Optional[Dict[str, str]] = None):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.reason = reason
        self.field_violations = field_violations or []
        self.missing = missing or []
        self.metadata = dict(metadata or {})
        shown = len(self.field_violations) + len(self.missing)
        self.violations_total = int(self.metadata.get("violations_total", shown))

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> "FairtraceError":
        from google.rpc import error_details_pb2, status_pb2

        code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        message = err.details() if hasattr(err, "details") else str(err)
        reason, fields, missing, metadata = "", [], [], {}
        trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
        for key, value in trailers or ():
            if key != "grpc-status-details-bin":
                continue
            status = status_pb2.Status.FromString(value)
            for any_msg in status.details:
                info = error_details_pb2.ErrorInfo()
                bad = error_details_pb2.BadRequest()
                pre = error_details_pb2.PreconditionFailure()
                if any_msg.Unpack(info):
                    reason = info.reason
                    metadata = dict(info.metadata)
                elif any_msg.Unpack(bad):
                    fields.extend((v.field, v.description) for v in bad.field_violations)
                elif any_msg.Unpack(pre):
                    missing.extend(v.subject for v in pre.violations)
        return cls(code, message or "", reason, fields, missing, metadata)
