"""The Python client end to end against the real fairtrace-server binary.

Needs FAIRTRACE_SERVER_BIN (set by CTest) and the generated stubs on
PYTHONPATH. Uses ../shared/mlflow-models when present for real MLflow
folders, otherwise a small folder written here.
"""

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import grpc

import fairtrace
from fairtrace import FairtraceError
from fairtrace.v1 import models_pb2, runs_pb2

SERVER_BIN = os.environ.get("FAIRTRACE_SERVER_BIN", "")
SHARED = os.environ.get("FAIRTRACE_SHARED_DIR", "")

MLMODEL = b"flavors:\n  sklearn:\n    pickled_model: model.pkl\nmodel_uuid: 42\n"


class Server:
    def __init__(self, data_dir):
        self.proc = subprocess.Popen([SERVER_BIN, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--quiet"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"listening on [^ ]*:(\d+)", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r}")
        self.address = f"127.0.0.1:{m.group(1)}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


@unittest.skipUnless(SERVER_BIN, "FAIRTRACE_SERVER_BIN not set")
class ClientEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.server = Server(os.path.join(cls.tmp, "data"))
        cls.client = fairtrace.Client(cls.server.address, user="e2e")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.stop()
        shutil.rmtree(cls.tmp)

    def model_folder(self):
        if SHARED and os.path.isdir(os.path.join(SHARED, "mlflow-models", "sklearn-stress-classifier")):
            print("using ../shared/mlflow-models/sklearn-stress-classifier", file=sys.stderr)
            return os.path.join(SHARED, "mlflow-models", "sklearn-stress-classifier")
        d = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(d, "MLmodel"), "wb") as f:
            f.write(MLMODEL)
        with open(os.path.join(d, "model.pkl"), "wb") as f:
            f.write(os.urandom(3 << 20))  # streamed, not batched
        return d

    def test_the_training_script_of_the_issue(self):
        folder = self.model_folder()
        with fairtrace.start_run(experiment="leaf-segmentation", seed=42, client=self.client) as run:
            run.log_params({"lr": 1e-3, "epochs": 20})
            run.log_metric("val_dice", 0.87, step=20)
            run.log_metrics({"loss": float("nan"), "grad": float("inf")}, step=1)
            version = run.log_model(folder, registered_model="leaf-segmenter")
        self.assertEqual(version.source_run, run.name)
        self.assertRegex(version.name, r"models/leaf-segmenter/versions/\d+")
        got = self.client.get_run(run.name)
        self.assertEqual(got.status, 2)  # FINISHED
        self.assertEqual(got.params["lr"], "0.001")
        self.assertEqual({s.name: s.value for s in got.seeds}["python"], 42)
        self.assertTrue(got.environment.python_version)
        self.assertIn("grpcio", {k.lower() for k in got.environment.packages})
        self.assertTrue(got.environment.cpu_model)
        latest = {m.key: m.value for m in got.latest_metrics}
        self.assertEqual(latest["val_dice"], 0.87)
        self.assertTrue(math.isnan(latest["loss"]))
        self.assertEqual(latest["grad"], math.inf)
        self.assertEqual([o.artifact.resource for o in got.outputs], [version.name])
        # The version knows its run, and the model folder is byte-identical.
        mv = self.client.call(self.client.models.GetModelVersion,
                              models_pb2.GetModelVersionRequest(name=version.name, include_source_run=True))
        self.assertEqual(mv.source_run_detail.name, run.name)
        self.assertEqual(mv.tree_digest.sha256, fairtrace.build_tree(folder).digest.sha256)
        # A second push of the same folder uploads nothing new.
        self.assertEqual(self.client.find_missing([e.digest for e in fairtrace.build_tree(folder).entries]), [])
        # Lineage from the version reaches the run.
        lineage = self.client.call(self.client.runs.GetLineage, runs_pb2.GetLineageRequest(resource=version.name))
        self.assertIn(run.name, {e.object for e in lineage.edges})

    def test_large_files_are_streamed_and_only_missing_blobs_travel(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(d, "MLmodel"), "wb") as f:
            f.write(MLMODEL)
        with open(os.path.join(d, "model.pkl"), "wb") as f:
            f.write(os.urandom(3 << 20) + b"end")  # > 1 MiB: streamed with Write
        import contextlib
        import io
        drawn = io.StringIO()
        with contextlib.redirect_stderr(drawn):
            tree = self.client.push_folder(d, progress=True)
        self.assertIn("push: 3.1/3.1 MB", drawn.getvalue())  # progress drawn, ending with the total
        self.assertEqual(self.client.find_missing([e.digest for e in tree.entries] + [tree.digest]), [])
        quiet = io.StringIO()
        with contextlib.redirect_stderr(quiet):
            self.assertEqual(self.client.push_folder(d).digest, tree.digest)
        self.assertEqual(quiet.getvalue(), "")  # not a terminal: nothing drawn

    def test_a_failing_script_marks_the_run_failed(self):
        with self.assertRaises(ZeroDivisionError):
            with fairtrace.start_run(experiment="crashy", client=self.client, capture_environment=False) as run:
                run.log_metric("loss", 1.0)
                1 / 0
        got = self.client.get_run(run.name)
        self.assertEqual(got.status, 3)  # FAILED
        self.assertIn("ZeroDivisionError", got.status_message)
        with self.assertRaises(FairtraceError) as err:
            run.log_metric("loss", 2.0)
        self.assertEqual(err.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(err.exception.reason, "RUN_NOT_RUNNING")

    def test_errors_carry_the_server_details(self):
        with fairtrace.start_run(experiment="limits", client=self.client, capture_environment=False) as run:
            with self.assertRaises(FairtraceError) as err:
                run.log_params({"notes": "x" * 7000})
            self.assertEqual(err.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
            self.assertEqual(err.exception.reason, "PARAM_TOO_LARGE")
            self.assertEqual(err.exception.field_violations[0][0], "params[notes]")
            run.log_param("lr", 0.1)
            with self.assertRaises(FairtraceError) as err:
                run.log_param("lr", 0.2)
            self.assertEqual(err.exception.reason, "PARAM_CHANGED")
        with self.assertRaises(FairtraceError) as err:
            list(self.client.list_runs(filter="owner = 'me'"))
        self.assertEqual(err.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        runs = list(self.client.list_runs(filter='experiment = "limits" AND params.lr = 0.1'))
        self.assertEqual([r.name for r in runs], [run.name])

    def test_git_state_and_dirty_diff_are_captured(self):
        if not shutil.which("git"):
            self.skipTest("git not installed")
        repo = tempfile.mkdtemp(dir=self.tmp)
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@e")
        script = os.path.join(repo, "train.py")
        with open(script, "w") as f:
            f.write("import fairtrace, os\n"
                    "with fairtrace.start_run(experiment='git', server=os.environ['SERVER'],"
                    " capture_environment=False) as run:\n"
                    "    print(run.name)\n")
        for args in (["init", "-q", "-b", "main"], ["add", "train.py"], ["commit", "-q", "-m", "train"]):
            subprocess.run(["git", *args], cwd=repo, env=env, check=True)
        with open(script, "a") as f:
            f.write("# an uncommitted change\n")
        env["SERVER"] = self.server.address
        out = subprocess.run([sys.executable, script], cwd=self.tmp, env=env, capture_output=True, check=True)
        got = self.client.get_run(out.stdout.decode().strip())
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, check=True)
        self.assertEqual(got.code.commit, head.stdout.decode().strip())
        self.assertEqual(got.code.branch, "main")
        self.assertEqual(got.code.entry_point, "train.py")
        self.assertTrue(got.code.dirty_diff.sha256)

    def test_connection_errors_are_retried_then_reported(self):
        client = fairtrace.Client("127.0.0.1:1", retry=fairtrace.RetryPolicy(attempts=3, initial=0.01))
        with self.assertRaises(FairtraceError) as err:
            client.get_run("runs/" + "0" * 32)
        self.assertEqual(err.exception.code, grpc.StatusCode.UNAVAILABLE)

    def test_investigations_import_reference_and_change(self):
        fixtures = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "fixtures", "miappe")
        inv_api = self.client.investigations
        report = inv_api.validate_files([os.path.join(fixtures, "isatab-valid")])
        self.assertEqual(report.error_count, 0)
        inv = inv_api.import_files("py-barley", [os.path.join(fixtures, "isatab-valid")])
        self.assertEqual(inv.revision, 1)
        plot = inv_api.get_entity("investigations/py-barley/observationUnits/plot-3")
        self.assertEqual(plot.values["biologicalMaterialId"], "Morex")
        self.assertEqual(len(list(inv_api.list_entities("py-barley", "observation_unit"))), 12)
        changed = inv_api.update_entity(plot.name, values={"spatialDistribution": "block:1; plot:33"},
                                        extensions={"camera": "top-1"}, etag=inv.etag)
        self.assertEqual(changed.revision, 2)
        self.assertEqual(inv_api.get_entity(plot.name).extensions["camera"], "top-1")
        self.assertEqual(inv_api.get_entity(plot.name, revision=1).values["spatialDistribution"], "block:1; plot:3")
        with self.assertRaises(FairtraceError) as err:
            inv_api.update_entity(plot.name, values={"biologicalMaterialId": "Nope"})
        self.assertEqual(err.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(err.exception.reason, "MIAPPE_INVALID")
        self.assertIn("observation_unit[plot-3].biologicalMaterialId", [f for f, _ in err.exception.field_violations])
        with self.assertRaises(FairtraceError) as stale:
            inv_api.update_entity(plot.name, values={"obsUnitType": "plot"}, etag=inv.etag)
        self.assertEqual(stale.exception.code, grpc.StatusCode.ABORTED)
        files = inv_api.export("py-barley", fmt="isa-tab")
        self.assertIn("i_investigation.txt", files)
        with self.assertRaises(ValueError):
            inv_api.export("py-barley", fmt="xml")

    def test_dataset_versions_link_images_to_plants_and_reach_models(self):
        fixtures = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "fixtures", "miappe")
        self.client.investigations.import_files("py-drought", [os.path.join(fixtures, "valid-1.2")])
        ds = self.client.datasets
        ds.create("py-leaves", license="CC-BY-4.0", creators=["Ada"])
        images = os.path.join(self.tmp, "py-images")
        for unit in ("S1-P1", "S1-P2"):
            os.makedirs(os.path.join(images, unit), exist_ok=True)
            with open(os.path.join(images, unit, "top.png"), "wb") as f:
                f.write(f"png of {unit}".encode())
        table = os.path.join(self.tmp, "py-items.jsonl")
        with open(table, "w") as f:
            f.write('{"path": "S1-P1/top.png", "obsUnitId": "S1-P1", "view": "top"}\n'
                    '{"path": "S1-P2/top.png", "obsUnitId": ["S1-P2"], "view": "top", "plot": 2}\n')
        v = ds.create_version("py-leaves", images, items=table, investigation="investigations/py-drought")
        self.assertEqual(v.name, "datasets/py-leaves/versions/1")
        self.assertEqual(v.observation_unit_count, 2)
        linked = list(ds.items(v.name, filter='link = "investigations/py-drought/observationUnits/S1-P2"'))
        self.assertEqual([i.path for i in linked], ["S1-P2/top.png"])
        self.assertEqual(linked[0].attributes["plot"], "2")
        # A refused table names the line of each problem.
        with open(table, "a") as f:
            f.write('{"path": "S1-P9/top.png", "obsUnitId": "S1-P9"}\n')
        with self.assertRaises(FairtraceError) as err:
            ds.create_version("py-leaves", images, items=table, investigation="investigations/py-drought")
        self.assertEqual(err.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("item_table[item_table:3 (path)]", [f for f, _ in err.exception.field_violations])
        # Pull gives the same bytes back.
        copy = os.path.join(self.tmp, "py-pulled")
        self.assertEqual(ds.pull(v.name, copy), 2)
        with open(os.path.join(copy, "S1-P1", "top.png"), "rb") as f:
            self.assertEqual(f.read(), b"png of S1-P1")
        # A run that trained on the version, and the model it made, are
        # reached downstream from the material the images show.
        with fairtrace.start_run(experiment="leaf-segmentation", client=self.client) as run:
            run.use(v, role="train")
            model = run.log_model(self.model_folder(), registered_model="py-leaf-model")
        down = self.client.call(self.client.runs.GetLineage, runs_pb2.GetLineageRequest(
            resource="investigations/py-drought/biologicalMaterials/Col-0", direction=runs_pb2.GetLineageRequest.DOWNSTREAM))
        nodes = {e.subject for e in down.edges} | {e.object for e in down.edges}
        self.assertIn(v.name, nodes)
        self.assertIn(run.name, nodes)
        self.assertIn(model.name, nodes)
        with fairtrace.start_run(experiment="leaf-segmentation", client=self.client) as bad:
            with self.assertRaises(FairtraceError) as missing:
                bad.use("datasets/py-leaves/versions/9", role="train")
        self.assertEqual(missing.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        changes = ds.diff(v.name, v.name)
        self.assertEqual(changes["changes"], [])
        # Croissant: a JSON-LD processor (Debian's rdflib) reads it with
        # absolute IRIs, every file's sha256 and every item digest.
        import json
        import rdflib
        doc = ds.export_croissant(v.name, base_iri="https://registry.example.org/")
        graph = rdflib.Graph().parse(data=doc, format="json-ld")
        schema = rdflib.Namespace("https://schema.org/")
        shas = {str(o) for o in graph.objects(None, schema.sha256)}
        items = list(ds.items(v.name))
        self.assertEqual(shas, {i.blob.sha256 for i in items})
        records = [json.loads(str(o)) for o in graph.objects(None, rdflib.URIRef("http://mlcommons.org/croissant/data"))]
        digests = {r[k] for rec in records for r in rec for k in r if k.endswith("/item_digest")}
        self.assertEqual(digests, {i.digest for i in items})
        dataset_node = rdflib.URIRef("https://registry.example.org/" + v.name)
        self.assertIn((dataset_node, rdflib.RDF.type, schema.Dataset), graph)
        for s_, p_, o_ in graph:
            self.assertFalse(isinstance(s_, rdflib.URIRef) and not str(s_).startswith(("http", "urn")), s_)

    def test_errors_with_many_violations_reach_the_client(self):
        # Issue 8, item 4: a tree naming 150 missing blobs, and a MIAPPE
        # submission with 60 errors, used to exceed the client's 8 KiB
        # metadata limit (RESOURCE_EXHAUSTED, nothing listed).
        from fairtrace.tree import digest_of
        from fairtrace.v1 import cas_pb2, common_pb2
        lines = [b"fairtrace-tree/1\n"]
        for i in range(150):
            d = digest_of(b"never uploaded %d" % i)
            lines.append(b"f %s %d file-%03d.bin\n" % (d.sha256.encode(), d.size_bytes, i))
        manifest = b"".join(lines)
        md = self.client.upload_bytes(manifest)
        with self.assertRaises(FairtraceError) as err:
            self.client.call(self.client.cas.CreateTree, cas_pb2.CreateTreeRequest(
                digest=common_pb2.Digest(sha256=md.sha256, size_bytes=md.size_bytes)))
        self.assertEqual(err.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(err.exception.reason, "MISSING_BLOBS")
        self.assertGreater(len(err.exception.missing), 0)
        self.assertLessEqual(len(err.exception.missing), 20)
        self.assertEqual(err.exception.violations_total, 100)  # the core lists at most 100 missing blobs
        self.assertEqual(err.exception.metadata["missing_count"], "150")

        fixtures = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "fixtures", "miappe", "valid-1.2")
        folder = tempfile.mkdtemp(dir=self.tmp)
        for name in os.listdir(fixtures):
            shutil.copy(os.path.join(fixtures, name), folder)
        with open(os.path.join(folder, "observation_unit.tsv")) as f:
            header = f.readline()
        with open(os.path.join(folder, "observation_unit.tsv"), "w") as f:
            f.write(header)
            for i in range(60):
                f.write(f"S1\tMissing-{i}\tOU-{i}-{'x' * 120}\tpot\t\tblock:1; pot:{i}\twatered\n")
        with self.assertRaises(FairtraceError) as err:
            self.client.investigations.import_files("py-many-errors", [folder])
        self.assertEqual(err.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(err.exception.reason, "MIAPPE_INVALID")
        self.assertGreaterEqual(err.exception.violations_total, 60)
        self.assertLessEqual(len(err.exception.field_violations), 20)


if __name__ == "__main__":
    unittest.main()
