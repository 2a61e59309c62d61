"""The verifiable audit log and tokens from Python, against the real server:
checkpoints checked with the key the server printed, consistency with an
older checkpoint and with the kept state, inclusion proofs, a wrong key
refused, and a token turning an anonymous caller into a principal."""

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import grpc
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import fairtrace
from fairtrace import FairtraceError
from fairtrace.audit import (AuditVerificationError, MerkleFrontier, canonical_bytes, leaf_hash, verify_consistency,
                             verify_inclusion)
from fairtrace.v1 import access_pb2, access_pb2_grpc, admin_pb2, models_pb2, run_resources_pb2, runs_pb2

from e2e_client import SERVER_BIN, Server


class MerkleVectors(unittest.TestCase):
    """The RFC 6962 vectors of ../shared/COMPLIANCE.md section 6."""

    def test_roots_and_proofs(self):
        leaves = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                             "606162636465666768696a6b6c6d6e6f"]]
        f = MerkleFrontier()
        for leaf in leaves:
            f.append(leaf_hash(leaf))
        root8 = f.root()
        self.assertEqual(root8.hex(), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
        proof = [bytes.fromhex(h) for h in ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                                            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                                            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]]
        self.assertTrue(verify_inclusion(leaf_hash(leaves[0]), 0, 8, proof, root8))
        self.assertTrue(verify_consistency(1, 8, leaf_hash(leaves[0]), root8, proof))
        bad = [proof[0], proof[1], bytes(32)]
        self.assertFalse(verify_inclusion(leaf_hash(leaves[0]), 0, 8, bad, root8))
        self.assertFalse(verify_consistency(1, 8, leaf_hash(leaves[0]), root8, bad))


@unittest.skipUnless(SERVER_BIN, "FAIRTRACE_SERVER_BIN not set")
class AuditEndToEnd(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.server = Server(os.path.join(self.tmp, "data"))
        line = self.server.proc.stdout.readline().decode()
        self.assertIn("checkpoint key: ", line)
        self.key = line.split("checkpoint key: ", 1)[1].strip()
        self.state = os.path.join(self.tmp, "state")
        self.client = fairtrace.Client(self.server.address)
        for i in range(5):
            self.client.call(self.client.models.CreateRegisteredModel,
                             models_pb2.CreateRegisteredModelRequest(model_id=f"m{i}"), idempotent=False)

    def tearDown(self):
        self.client.close()
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_verify_checks_signature_history_and_state(self):
        old_note = self.client.audit.checkpoint()
        result = self.client.audit.verify(key=self.key, state_dir=self.state)
        self.assertTrue(result.signature_checked)
        self.assertEqual(result.records, 5)
        self.client.call(self.client.models.CreateRegisteredModel,
                         models_pb2.CreateRegisteredModelRequest(model_id="later"), idempotent=False)
        again = self.client.audit.verify(key=self.key, checkpoints=[old_note], state_dir=self.state)
        self.assertEqual(again.records, 6)
        self.assertEqual(again.older_sizes, [5, 5])  # the file given and the kept state
        # Every record's leaf is proven in the signed tree.
        bundle = self.client.audit.prove(3, key=self.key)
        self.assertEqual(bundle["record"]["resource"], "models/m2")
        # The C++ CLI reads the Python bundle offline.
        cli = os.path.join(os.path.dirname(SERVER_BIN), "..", "..", "clients", "fairtrace")
        self.assertTrue(os.path.exists(cli), cli)
        path = os.path.join(self.tmp, "bundle.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(bundle, f)
        checked = subprocess.run([cli, "audit", "verify-bundle", path, "--key", self.key], capture_output=True,
                                 text=True, check=False)
        self.assertEqual(checked.returncode, 0, checked.stderr)
        self.assertIn("record 3 ", checked.stdout)
        # A valid key of another Ed25519 key pair with the log's name: refused.
        name = self.key.split("+")[0]
        blob = b"\x01" + Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kid = hashlib.sha256(name.encode() + b"\n" + blob).digest()[:4].hex()
        with self.assertRaises(AuditVerificationError) as err:
            self.client.audit.verify(key=f"{name}+{kid}+{base64.b64encode(blob).decode()}", state_dir="")
        self.assertEqual(err.exception.reason, "NOTE_SIGNATURE_INVALID")
        self.assertEqual(err.exception.code, grpc.StatusCode.UNAUTHENTICATED)

    def test_deep_verify_hashes_every_state_document_here(self):
        result = self.client.audit.verify(key=self.key, state_dir="", deep=True)
        # Every document the C++ server wrote is canonical by Python's
        # json.dumps(sort_keys, compact, ensure_ascii=False) too, or it
        # would be reported as STATE_DOCUMENT_INVALID.
        self.assertEqual(result.state_findings, [])
        self.assertEqual(result.resources_checked, 5)
        self.assertEqual(result.states_as_of, 5)
        # A model's row edited behind the server's back.
        self.client.close()
        self.server.stop()
        db = sqlite3.connect(os.path.join(self.tmp, "data", "fairtrace.db"))
        db.execute("UPDATE registered_models SET description = 'edited' WHERE model_id = 'm1'")
        db.commit()
        db.close()
        self.server = Server(os.path.join(self.tmp, "data"))
        self.client = fairtrace.Client(self.server.address)
        result = self.client.audit.verify(key=self.key, state_dir="", deep=True)
        self.assertEqual([(f.kind, f.resource) for f in result.state_findings], [("STATE_MISMATCH", "models/m1")])

    def test_reads_tie_each_state_to_its_ordinary_read(self):
        run = self.client.call(self.client.runs.CreateRun, runs_pb2.CreateRunRequest(
            run=run_resources_pb2.Run(experiment="e", params={"lr": "0.1", "aug": "flip"})), idempotent=False)
        points = [("loss", 0.5), ("acc", float("nan")), ("loss", float("inf")), ("acc", 0.25), ("loss", 1e-300)]
        metrics = [run_resources_pb2.Metric(key=k, value=v, step=i) for i, (k, v) in enumerate(points)]
        self.client.call(self.client.runs.LogMetrics, runs_pb2.LogMetricsRequest(run=run.name, metrics=metrics),
                         idempotent=False)
        result = self.client.audit.verify(key=self.key, state_dir="", reads=True)
        self.assertEqual(result.state_findings, [])
        self.assertEqual(result.resources_checked, 6)  # 5 models and the run
        self.assertEqual(result.reads_compared, 6)
        self.assertEqual(result.not_read, {})
        # The C++ CLI's views compare the same fields.
        cli = os.path.join(os.path.dirname(SERVER_BIN), "..", "..", "clients", "fairtrace")
        out = subprocess.run([cli, "--server", self.server.address, "--json", "audit", "verify", "--reads",
                              "--no-state"], capture_output=True, text=True, check=False)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(json.loads(out.stdout)["reads"]["fields"], result.read_fields)
        # A read that differs from its document is named, field by field.
        from fairtrace.state_reads import compare_read_view, run_view
        doc = json.loads(next(m.document for m in self.client.audit._stub.ListResourceStates(
            admin_pb2.ListResourceStatesRequest()) if m.name == run.name))
        got = self.client.call(self.client.runs.GetRun, runs_pb2.GetRunRequest(name=run.name))
        history = self.client.call(self.client.runs.ListMetricHistory,
                                   runs_pb2.ListMetricHistoryRequest(run=run.name, key="loss")).metrics
        history = list(history) + list(self.client.call(self.client.runs.ListMetricHistory,
                                                        runs_pb2.ListMetricHistoryRequest(run=run.name,
                                                                                          key="acc")).metrics)
        self.assertEqual(compare_read_view(doc, run_view(got, history), "GetRun")[1], [])
        history[0].value = 0.01  # a better loss than the one logged
        got.status = run_resources_pb2.RUN_STATUS_FINISHED
        _, diffs = compare_read_view(doc, run_view(got, history), "GetRun")
        self.assertEqual(sorted(d.split(":")[0] for d in diffs), ["metrics", "status"])

    def test_canonical_bytes_match_the_server_hashes(self):
        records = list(self.client.pages(self.client.audit._stub.ListAuditRecords,
                                         admin_pb2.ListAuditRecordsRequest(), "records"))
        self.assertEqual(len(records), 5)
        for r in records:
            self.assertEqual(hashlib.sha256(canonical_bytes(r)).hexdigest(), r.hash)

    def test_a_token_makes_an_authenticated_principal(self):
        access = access_pb2_grpc.AccessServiceStub(self.client._channel)
        made = self.client.call(access.CreateToken, access_pb2.CreateTokenRequest(principal="user:py"),
                                idempotent=False)
        self.client.call(access.AddGrant, access_pb2.AddGrantRequest(principal="user:py", role="admin"),
                         idempotent=False)
        with self.assertRaises(FairtraceError) as err:
            self.client.call(self.client.models.ListRegisteredModels, models_pb2.ListRegisteredModelsRequest())
        self.assertEqual(err.exception.code, grpc.StatusCode.UNAUTHENTICATED)
        with fairtrace.Client(self.server.address, token=made.secret) as authed:
            who = authed.call(access_pb2_grpc.AccessServiceStub(authed._channel).WhoAmI, access_pb2.WhoAmIRequest())
            self.assertEqual(who.principal, "user:py")
            self.assertTrue(who.authorization_enforced)
            authed.call(authed.models.ListRegisteredModels, models_pb2.ListRegisteredModelsRequest())

    def test_projects_keep_runs_and_models_to_their_members(self):
        access = access_pb2_grpc.AccessServiceStub(self.client._channel)
        # Tokens while the server is open; the first grant closes it.
        admin, ana = (self.client.call(access.CreateToken, access_pb2.CreateTokenRequest(principal=p),
                                       idempotent=False).secret for p in ("user:admin", "user:ana"))
        self.client.call(access.AddGrant, access_pb2.AddGrantRequest(principal="user:admin", role="admin"),
                         idempotent=False)
        with fairtrace.Client(self.server.address, token=admin) as boss, \
                fairtrace.Client(self.server.address, token=ana) as member:
            boss.call(access_pb2_grpc.AccessServiceStub(boss._channel).AddGrant,
                      access_pb2.AddGrantRequest(principal="user:ana", role="data-scientist", project="wheat"),
                      idempotent=False)
            secret = boss.ensure_registered_model("rice-model", project="rice")
            self.assertEqual(secret.project, "rice")
            with fairtrace.start_run(experiment="leaf-seg", client=member, project="wheat",
                                     capture_code=False, capture_environment=False) as run:
                run.log_metric("dice", 0.9)
            self.assertEqual(member.get_run(run.name).project, "wheat")
            listed = member.call(member.models.ListRegisteredModels, models_pb2.ListRegisteredModelsRequest())
            self.assertEqual([m.name for m in listed.registered_models], [])
            with self.assertRaises(FairtraceError) as err:
                member.call(member.models.CreateRegisteredModel, models_pb2.CreateRegisteredModelRequest(
                    model_id="rice-model", registered_model=models_pb2.RegisteredModel(project="wheat")),
                    idempotent=False)
            # Taken in another project: the name exists (the documented leak).
            self.assertEqual(err.exception.code, grpc.StatusCode.ALREADY_EXISTS)
            with self.assertRaises(FairtraceError) as err:
                member.call(member.models.GetRegisteredModel, models_pb2.GetRegisteredModelRequest(name="models/rice-model"))
            self.assertEqual(err.exception.code, grpc.StatusCode.NOT_FOUND)
            with self.assertRaises(FairtraceError) as err:
                fairtrace.start_run(experiment="x", client=member, project="rice", capture_code=False,
                                    capture_environment=False)
            self.assertEqual(err.exception.code, grpc.StatusCode.NOT_FOUND)


if __name__ == "__main__":
    unittest.main()
