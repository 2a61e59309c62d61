"""The verifiable audit log, checked here with nothing trusted from the server
(docs/audit-log.md).

    log = client.audit
    note = log.checkpoint()                     # the latest signed checkpoint
    result = log.verify(key="origin+1a2b3c4d+AbC...", checkpoints=[old_note])
    bundle = log.prove(42, key=...)             # an offline-verifiable proof

verify() checks the checkpoint's Ed25519 signature with the pinned key, every
older checkpoint (given, and the last one verified from this origin, kept
under $XDG_STATE_HOME/fairtrace/checkpoints/ like the CLI does) by RFC 9162
consistency proof, then re-walks the hash chain and recomputes the Merkle
root of every record. A broken, rewritten, rolled-back or forged log raises
AuditVerificationError (a FairtraceError) naming the reason.
"""
import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import grpc
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fairtrace.errors import FairtraceError
from fairtrace.v1 import admin_pb2, admin_pb2_grpc

GENESIS = "0" * 64
_EM_DASH = "\u2014 "


class AuditVerificationError(FairtraceError):
    """code: DATA_LOSS for a broken, rewritten or rolled-back log (as the C++
    client), UNAUTHENTICATED for a bad signature, INVALID_ARGUMENT for text
    that does not parse, FAILED_PRECONDITION for another log's checkpoint."""

    def __init__(self, reason: str, message: str):
        code = {"NOTE_SIGNATURE_INVALID": grpc.StatusCode.UNAUTHENTICATED,
                "CHECKPOINT_ORIGIN_MISMATCH": grpc.StatusCode.FAILED_PRECONDITION}.get(reason)
        if code is None:
            code = grpc.StatusCode.INVALID_ARGUMENT if reason.endswith("_MALFORMED") else grpc.StatusCode.DATA_LOSS
        super().__init__(code=code, message=message, reason=reason)


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index < 0 or index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if old_size < 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class MerkleFrontier:
    """The right edge of a growing RFC 6962 tree."""

    def __init__(self):
        self.size = 0
        self._levels: List[Optional[bytes]] = []

    def append(self, leaf: bytes):
        carry, level = leaf, 0
        while (self.size >> level) & 1:
            carry = node_hash(self._levels[level], carry)
            level += 1
        if len(self._levels) <= level:
            self._levels.extend([None] * (level + 1 - len(self._levels)))
        self._levels[level] = carry
        self.size += 1

    def root(self) -> bytes:
        r = None
        for level, h in enumerate(self._levels):
            if (self.size >> level) & 1:
                r = h if r is None else node_hash(h, r)
        return r if r is not None else hashlib.sha256(b"").digest()


def _unescape(text: str) -> bytes:
    """Inverse of the server's EscapeText: \\\\ and \\xNN."""
    out, i, raw = bytearray(), 0, text.encode("utf-8")
    while i < len(raw):
        if raw[i:i + 1] == b"\\":
            if raw[i + 1:i + 2] == b"\\":
                out += b"\\"
                i += 2
                continue
            out.append(int(raw[i + 2:i + 4], 16))
            i += 4
            continue
        out.append(raw[i])
        i += 1
    return bytes(out)


def canonical_bytes(r: admin_pb2.AuditRecord) -> bytes:
    """The bytes a record's hash (and Merkle leaf) covers (docs/audit-log.md)."""
    version = r.version or 1
    texts = [r.principal, r.method, r.resource, r.request_sha256, r.result]
    values = [_unescape(t) if r.escaped else t.encode("utf-8") for t in texts]
    micros = r.time.seconds * 1_000_000 + r.time.nanos // 1000
    out = f"fairtrace-audit/{version}\nsequence={r.sequence}\ntime_micros={micros}\n".encode()
    names = ["principal", "method", "resource", "request_sha256", "result"]
    fields = list(zip(names, values))
    if version == 2:
        fields.append(("state_digest", r.state_digest.encode("utf-8")))
    fields.append(("previous_hash", r.previous_hash.encode("utf-8")))
    for name, value in fields:
        out += f"{name}={len(value)}:".encode() + value + b"\n"
    return out


@dataclass
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str = ""


@dataclass
class StateFinding:
    kind: str      # STATE_MISMATCH, STATE_UNRECORDED, STATE_VANISHED, STATE_DOCUMENT_INVALID, STATE_READ_MISMATCH
    resource: str
    detail: str


@dataclass
class VerifyResult:
    records: int
    checkpoint: Checkpoint
    signature_checked: bool
    older_sizes: List[int] = field(default_factory=list)
    # With deep=True (docs/audit-log.md, "State digests").
    resources_checked: int = 0
    states_as_of: int = 0
    state_findings: List[StateFinding] = field(default_factory=list)
    # With reads=True (docs/audit-log.md, "--reads"): resources read and
    # compared, fields compared, those changed after the snapshot, and the
    # resources not read counted by reason.
    reads_compared: int = 0
    read_fields: int = 0
    reads_changed: int = 0
    not_read: dict = field(default_factory=dict)
    # Fields of read resources left uncompared, by "kind: reason" (a lineage
    # with a node redacted for the caller).
    not_compared: dict = field(default_factory=dict)


def canonical_state_json(doc) -> str:
    """A state document's canonical JSON (docs/audit-log.md, "Canonical form")."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def state_name_of_record_resource(resource: str) -> str:
    """The resource a record's state digest describes (a token's creation
    record names it "tokens/<id> for <principal>")."""
    if resource.startswith("tokens/") and " for " in resource:
        return resource.split(" for ", 1)[0]
    return resource


def deleted_state_digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(canonical_state_json({"deleted": True, "name": name}).encode()).hexdigest()


def _compare_states(states, latest: dict, result: VerifyResult):
    """Hashes every state document the server sends and compares it with
    the latest record carrying a state digest for that resource."""
    findings = []
    for m in states:
        result.resources_checked += 1
        try:
            doc = json.loads(m.document)
            valid = isinstance(doc, dict) and doc.get("name") == m.name and canonical_state_json(doc) == m.document
        except ValueError:
            valid = False
        if not valid:
            latest.pop(m.name, None)  # compared: not also reported as vanished
            findings.append(StateFinding("STATE_DOCUMENT_INVALID", m.name,
                                         "its state document is not canonical JSON naming it"))
            continue
        digest = "sha256:" + hashlib.sha256(m.document.encode("utf-8")).hexdigest()
        recorded = latest.pop(m.name, None)
        if recorded is None:
            findings.append(StateFinding("STATE_UNRECORDED", m.name,
                                         "stored, but no record in the verified log carries its state"))
        elif recorded[1] != digest:
            findings.append(StateFinding("STATE_MISMATCH", m.name,
                                         f"its stored state is {digest} but record {recorded[0]} recorded "
                                         f"{recorded[1]}"))
    for name, (sequence, digest) in latest.items():
        if digest != deleted_state_digest(name):
            findings.append(StateFinding("STATE_VANISHED", name,
                                         f"record {sequence} says it exists, but it is not stored"))
    result.state_findings = sorted(findings, key=lambda f: f.resource)


class VerifierKey:
    """A signed-note verifier key "<name>+<key id hex>+<base64(0x01 ‖ key)>"."""

    def __init__(self, text: str):
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise AuditVerificationError("KEY_MALFORMED", "not a verifier key")
        self.name = parts[0]
        blob = base64.b64decode(parts[2], validate=True)
        if len(blob) != 33 or blob[0] != 1:
            raise AuditVerificationError("KEY_MALFORMED", "not an Ed25519 verifier key")
        self.key_id = hashlib.sha256(self.name.encode() + b"\n" + blob).digest()[:4]
        if self.key_id.hex() != parts[1]:
            raise AuditVerificationError("KEY_MALFORMED", "the key id does not match the key")
        self._key = Ed25519PublicKey.from_public_bytes(blob[1:])

    def open(self, note: str, origin: Optional[str] = None) -> Checkpoint:
        """Checks this key's signature on a checkpoint note and parses it."""
        body, sep, sigs = note.rpartition("\n\n")
        if not sep or not note.endswith("\n"):
            raise AuditVerificationError("NOTE_MALFORMED", "not a signed note")
        body += "\n"
        good = False
        for line in sigs.rstrip("\n").split("\n"):
            if not line.startswith(_EM_DASH):
                raise AuditVerificationError("NOTE_MALFORMED", "a signature line starts with an em dash")
            name, _, b64 = line[len(_EM_DASH):].partition(" ")
            raw = base64.b64decode(b64)
            if name != self.name or raw[:4] != self.key_id:
                continue
            try:
                self._key.verify(raw[4:], body.encode("utf-8"))
                good = True
            except InvalidSignature:
                pass
        if not good:
            raise AuditVerificationError("NOTE_SIGNATURE_INVALID",
                                         f"the checkpoint carries no valid signature of key {self.name}")
        return _parse_body(body, note, origin)


def _parse_body(body: str, note: str, origin: Optional[str]) -> Checkpoint:
    lines = body.rstrip("\n").split("\n")
    if len(lines) < 3 or not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise AuditVerificationError("CHECKPOINT_MALFORMED", "not a checkpoint")
    cp = Checkpoint(lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True), note)
    if origin is not None and cp.origin != origin:
        raise AuditVerificationError("CHECKPOINT_ORIGIN_MISMATCH",
                                     f"the checkpoint is of log '{cp.origin}', not of '{origin}'")
    return cp


def default_state_dir() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "fairtrace")


def _state_file(state_dir: str, origin: str) -> str:
    clean = "".join(c if c.isascii() and (c.isalnum() or c == ".") else "_" for c in origin)[:100]
    digest = hashlib.sha256(origin.encode()).hexdigest()[:8]
    return os.path.join(state_dir, "checkpoints", f"{clean}-{digest}.note")


class Audit:
    """client.audit: checkpoints, proofs and verification of the audit log."""

    def __init__(self, client):
        self._client = client
        self._stub = admin_pb2_grpc.AuditServiceStub(client._channel)

    def checkpoint(self, tree_size: int = 0) -> str:
        return self._client.call(self._stub.GetCheckpoint, admin_pb2.GetCheckpointRequest(tree_size=tree_size)).note

    def _open(self, key: Optional[VerifierKey], note: str, origin: Optional[str] = None) -> Checkpoint:
        if key is not None:
            return key.open(note, origin)
        body = note.rpartition("\n\n")[0] + "\n"
        return _parse_body(body, note, origin)

    def _check_consistent(self, old: Checkpoint, now: Checkpoint):
        if old.size > now.size:
            raise AuditVerificationError("CHECKPOINT_ROLLBACK",
                                         f"the log has {now.size} records but a checkpoint you hold has {old.size}")
        resp = self._client.call(self._stub.GetConsistencyProof,
                                 admin_pb2.GetConsistencyProofRequest(old_size=old.size, new_size=now.size))
        if not verify_consistency(old.size, now.size, old.root, now.root, list(resp.hashes)):
            raise AuditVerificationError("CHECKPOINT_INCONSISTENT",
                                         f"the log of {now.size} records does not extend your checkpoint of "
                                         f"{old.size} records: its history was rewritten")

    def verify(self, key: Optional[str] = None, checkpoints: Sequence[str] = (),
               state_dir: Optional[str] = None, deep: bool = False, reads: bool = False) -> VerifyResult:
        """key: the pinned verifier key (default $FAIRTRACE_LOG_KEY); without
        one, signatures are not checked. state_dir: where the last verified
        checkpoint per origin is kept ("" to keep none). deep: also compare
        every stored resource's state document, hashed here, with its latest
        record (result.state_findings lists what differs). reads (implies
        deep): also compare each document with the ordinary read of its
        resource (STATE_READ_MISMATCH; fairtrace/state_reads.py)."""
        deep = deep or reads
        read_checks = {}
        key_text = key or os.environ.get("FAIRTRACE_LOG_KEY")
        vkey = VerifierKey(key_text) if key_text else None
        state_dir = default_state_dir() if state_dir is None else state_dir
        states, as_of, latest_state = None, 0, {}
        if deep:
            # The snapshot first: the checkpoint fetched next covers it.
            states = self._stub.ListResourceStates(admin_pb2.ListResourceStatesRequest(),
                                                   timeout=max(self._client.timeout or 0, 600),
                                                   metadata=self._client._metadata)
            try:
                as_of = next(states).as_of_sequence
                # Drained before the checkpoint is fetched, so that a change
                # a read saw has its record among those verified next.
                states = list(states)
            except grpc.RpcError as err:
                raise FairtraceError.from_rpc_error(err) from None
            if reads:
                from fairtrace.state_reads import StateReads
                reader = StateReads(self._client)
                for m in states:
                    try:
                        doc = json.loads(m.document)
                    except ValueError:
                        continue  # STATE_DOCUMENT_INVALID below
                    if isinstance(doc, dict):
                        read_checks[m.name] = (doc.get("kind", ""), reader.check(doc))
        latest = self.checkpoint()
        now = self._open(vkey, latest)
        older = [self._open(vkey, note, now.origin) for note in checkpoints]
        if state_dir and os.path.exists(_state_file(state_dir, now.origin)):
            with open(_state_file(state_dir, now.origin), encoding="utf-8") as f:
                older.append(self._open(vkey, f.read(), now.origin))
        for old in older:
            self._check_consistent(old, now)
        chain_head, frontier = GENESIS, MerkleFrontier()
        changed_after = set()  # resources named by records after the snapshot
        request = admin_pb2.ListAuditRecordsRequest(page_size=10000)
        for r in self._client.pages(self._stub.ListAuditRecords, request, "records"):
            if frontier.size == now.size:
                break
            data = canonical_bytes(r)
            if r.sequence != frontier.size + 1 or r.previous_hash != chain_head or \
                    hashlib.sha256(data).hexdigest() != r.hash:
                raise AuditVerificationError("AUDIT_CHAIN_BROKEN", f"audit chain broken at record {r.sequence}")
            chain_head = r.hash
            frontier.append(leaf_hash(data))
            if deep and r.state_digest:
                # Version-2 records hold their text escaped (docs/audit-log.md).
                resource = state_name_of_record_resource(_unescape(r.resource).decode("utf-8", "replace"))
                if r.sequence <= as_of:
                    latest_state[resource] = (r.sequence, r.state_digest)
                else:
                    changed_after.add(resource)
            for old in older:
                if old.size == frontier.size and old.root != frontier.root():
                    raise AuditVerificationError("AUDIT_ROOT_MISMATCH",
                                                 f"the first {old.size} records do not hash to your checkpoint")
        if frontier.size != now.size or frontier.root() != now.root:
            raise AuditVerificationError("AUDIT_ROOT_MISMATCH",
                                         f"the records do not hash to the checkpoint's root of {now.size} records")
        if state_dir and vkey is not None:
            path = _state_file(state_dir, now.origin)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(latest)
            os.replace(path + ".tmp", path)
        result = VerifyResult(frontier.size, now, vkey is not None, [o.size for o in older])
        if deep:
            if as_of > now.size:
                raise AuditVerificationError("AUDIT_CHAIN_BROKEN",
                                             f"the server's snapshot includes record {as_of} but its latest "
                                             f"checkpoint covers {now.size}")
            result.states_as_of = as_of
            _compare_states(states, latest_state, result)
            for name, (kind, (was_read, why, fields, diffs, skipped)) in sorted(read_checks.items()):
                if not was_read:
                    result.not_read[f"{kind}: {why}"] = result.not_read.get(f"{kind}: {why}", 0) + 1
                    continue
                result.reads_compared += 1
                result.read_fields += fields
                for what in skipped:
                    result.not_compared[f"{kind}: {what}"] = result.not_compared.get(f"{kind}: {what}", 0) + 1
                if diffs and name in changed_after:
                    result.reads_changed += 1
                elif diffs:
                    result.state_findings.append(StateFinding(
                        "STATE_READ_MISMATCH", name, "the ordinary read differs from the state document the "
                        "log's digest covers: " + "; ".join(diffs)))
            result.state_findings.sort(key=lambda f: f.resource)
        return result

    def prove(self, sequence: int, key: Optional[str] = None) -> dict:
        """Record `sequence` with its inclusion proof and checkpoint, checked
        here; the dict is the bundle `fairtrace audit verify-bundle` reads."""
        from google.protobuf import json_format
        resp = self._client.call(self._stub.GetInclusionProof, admin_pb2.GetInclusionProofRequest(sequence=sequence))
        key_text = key or os.environ.get("FAIRTRACE_LOG_KEY")
        cp = self._open(VerifierKey(key_text) if key_text else None, resp.checkpoint.note)
        if not verify_inclusion(leaf_hash(canonical_bytes(resp.record)), resp.leaf_index, cp.size,
                                list(resp.hashes), cp.root):
            raise AuditVerificationError("AUDIT_PROOF_INVALID", f"record {sequence} is not proven to be in the log")
        return {"format": "fairtrace-audit-proof/1",
                "record": json.loads(json_format.MessageToJson(resp.record)),
                "leaf_index": resp.leaf_index, "tree_size": resp.tree_size,
                "inclusion_proof": [h.hex() for h in resp.hashes], "checkpoint": resp.checkpoint.note}
