"""MLflow experiments through the MLflow door with the real, unmodified
MLflow 2.10.2 client (docs/mlflow-door.md): what an ordinary script calls
(set_experiment, get/search/rename/tag/delete/restore) works, and MLflow's
own exceptions carry MLflow's error codes."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException, RestException

SERVER_BIN = os.environ["FAIRTRACE_SERVER_BIN"]


class Door:
    """The real server with its MLflow door on a free loopback port."""

    def __init__(self, data_dir, *flags):
        self.proc = subprocess.Popen([SERVER_BIN, "--listen", "127.0.0.1:0", "--mlflow-listen", "127.0.0.1:0",
                                      "--data-dir", data_dir, "--quiet", *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.uri = None
        self.grpc = None  # the gRPC address, for the fairtrace client
        for _ in range(5):
            line = self.proc.stdout.readline().decode()
            g = re.search(r"listening on (\S+:\d+)", line)
            if g:
                self.grpc = g.group(1)
            m = re.search(r"MLflow door on (https?://\S+)", line)
            if m:
                self.uri = m.group(1)
                break
        if not self.uri:
            self.proc.kill()
            raise RuntimeError("the server printed no MLflow door")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


class DoorTestCase(unittest.TestCase):
    """A fresh server and its door per test; mlflow pointed at it."""

    door_flags = ()  # extra server flags of a test class

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.door = Door(os.path.join(self.tmp, "data"), *self.door_flags)
        mlflow.set_tracking_uri(self.door.uri)
        self.client = MlflowClient(self.door.uri)

    def tearDown(self):
        self.door.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class ExperimentsThroughTheRealClient(DoorTestCase):
    def error_code(self, fn, *args, **kwargs):
        with self.assertRaises(MlflowException) as err:
            fn(*args, **kwargs)
        return err.exception.error_code

    def test_a_script_sets_its_experiment_and_finds_it(self):
        exp = mlflow.set_experiment("leaf segmentation ✓")  # get-by-name, then create
        self.assertEqual(mlflow.set_experiment("leaf segmentation ✓").experiment_id, exp.experiment_id)
        got = self.client.get_experiment(exp.experiment_id)
        self.assertEqual(got.name, "leaf segmentation ✓")
        self.assertEqual(got.lifecycle_stage, "active")
        self.assertEqual(got.artifact_location, f"mlflow-artifacts:/{exp.experiment_id}")
        self.assertEqual(self.client.get_experiment("0").name, "Default")
        self.assertIsNone(self.client.get_experiment_by_name("no such experiment"))
        self.assertEqual(self.error_code(self.client.get_experiment, "12345"), "RESOURCE_DOES_NOT_EXIST")
        self.assertEqual(self.error_code(self.client.create_experiment, "leaf segmentation ✓"),
                         "RESOURCE_ALREADY_EXISTS")
        self.assertEqual(self.error_code(self.client.create_experiment, "x", artifact_location="s3://b/x"),
                         "INVALID_PARAMETER_VALUE")

    def test_search_tags_rename_delete_restore(self):
        a = self.client.create_experiment("Wheat-A", tags={"crop": "wheat"})
        b = self.client.create_experiment("wheat-b", tags={"crop": "wheat"})
        self.client.create_experiment("maize", tags={"crop": "maize"})
        names = lambda **kw: sorted(e.name for e in self.client.search_experiments(**kw))  # noqa: E731
        self.assertEqual(names(), ["Default", "Wheat-A", "maize", "wheat-b"])
        self.assertEqual(names(filter_string="name LIKE 'wheat%'"), ["wheat-b"])  # LIKE is case-sensitive
        self.assertEqual(names(filter_string="name ILIKE 'wheat%'"), ["Wheat-A", "wheat-b"])
        self.assertEqual(names(filter_string="tags.crop = 'maize'"), ["maize"])
        self.assertEqual(names(filter_string="name = 'Wheat-A' AND tags.crop = 'wheat'"), ["Wheat-A"])
        self.assertEqual(self.error_code(self.client.search_experiments, filter_string="name; DROP TABLE x"),
                         "INVALID_PARAMETER_VALUE")
        # Paging: the client follows next_page_token.
        page = self.client.search_experiments(max_results=2)
        self.assertEqual(len(page), 2)
        self.assertTrue(page.token)
        rest = self.client.search_experiments(max_results=2, page_token=page.token)
        self.assertEqual(len(rest), 2)
        self.assertFalse(set(e.name for e in page) & set(e.name for e in rest))

        # MLflow's orders: newest first by default; by any attribute; pages
        # follow the order.
        ordered = lambda **kw: [e.name for e in self.client.search_experiments(**kw)]  # noqa: E731
        self.assertEqual(ordered(), ["maize", "wheat-b", "Wheat-A", "Default"])
        self.assertEqual(ordered(order_by=["name DESC"]), ["wheat-b", "maize", "Wheat-A", "Default"])
        self.assertEqual(ordered(order_by=["attribute.experiment_id ASC"]), ["Default", "Wheat-A", "wheat-b", "maize"])
        self.assertEqual(ordered(order_by=["`creation_time`"]), ["Default", "Wheat-A", "wheat-b", "maize"])
        first = self.client.search_experiments(max_results=3, order_by=["name"])
        rest = self.client.search_experiments(max_results=3, order_by=["name"], page_token=first.token)
        self.assertEqual([e.name for e in first] + [e.name for e in rest], ["Default", "Wheat-A", "maize", "wheat-b"])
        for bad in (["tags.crop"], ["name sideways"], ["lifecycle_stage"], ["name; DROP TABLE experiments"]):
            self.assertEqual(self.error_code(self.client.search_experiments, order_by=bad), "INVALID_PARAMETER_VALUE",
                             bad)

        self.client.set_experiment_tag(a, "stage", "pilot")
        self.assertEqual(self.client.get_experiment(a).tags["stage"], "pilot")
        self.client.rename_experiment(a, "wheat-2027")
        self.assertEqual(self.client.get_experiment_by_name("wheat-2027").experiment_id, a)

        self.client.delete_experiment(b)
        self.assertEqual(self.client.get_experiment(b).lifecycle_stage, "deleted")
        self.assertNotIn("wheat-b", names())
        self.assertEqual(names(view_type=ViewType.DELETED_ONLY), ["wheat-b"])
        # A soft delete frees the name; restoring needs it free again.
        c = self.client.create_experiment("wheat-b")
        self.assertEqual(self.error_code(self.client.restore_experiment, b), "RESOURCE_ALREADY_EXISTS")
        self.client.delete_experiment(c)
        self.client.restore_experiment(b)
        self.assertEqual(self.client.get_experiment(b).lifecycle_stage, "active")
        self.assertEqual(self.error_code(self.client.delete_experiment, "0"), "INVALID_PARAMETER_VALUE")

    def test_experiments_are_read_over_grpc_and_tied_to_their_logged_state(self):
        import hashlib
        import json

        import fairtrace
        from fairtrace.v1 import runs_pb2
        a = self.client.create_experiment("wheat ✓", tags={"crop": "wheat"})
        self.client.set_experiment_tag(a, "stage", "pilot")
        self.client.rename_experiment(a, "wheat-2027")
        b = self.client.create_experiment("maize")
        self.client.delete_experiment(b)
        # A run with an artifact written twice: its artifacts chain has two
        # changes, and ending it makes its folder's tree (a lineage edge).
        notes = os.path.join(self.tmp, "notes.txt")
        with mlflow.start_run(experiment_id=a) as run:
            mlflow.log_param("lr", "0.1")
            mlflow.log_metric("loss", 0.5)
            for text in ("first", "second"):
                with open(notes, "w", encoding="utf-8") as f:
                    f.write(text)
                mlflow.log_artifact(notes)
        with fairtrace.Client(self.door.grpc) as ft:
            changes = ft.call(ft.runs.ListArtifactChanges,
                              runs_pb2.ListArtifactChangesRequest(run=f"runs/{run.info.run_id}")).changes
            self.assertEqual([c.path for c in changes], ["notes.txt", "notes.txt"])
            self.assertEqual(changes[1].blob.sha256, hashlib.sha256(b"second").hexdigest())
            self.assertLess(changes[0].seq, changes[1].seq)
            got = ft.call(ft.runs.GetExperiment, runs_pb2.GetExperimentRequest(name=f"experiments/{a}"))
            self.assertEqual((got.display_name, dict(got.tags), got.lifecycle_stage, got.artifact_location),
                             ("wheat-2027", {"crop": "wheat", "stage": "pilot"}, "active", f"mlflow-artifacts:/{a}"))
            deleted = ft.call(ft.runs.GetExperiment, runs_pb2.GetExperimentRequest(name=f"experiments/{b}"))
            self.assertEqual(deleted.lifecycle_stage, "deleted")
            with self.assertRaises(fairtrace.FairtraceError) as err:
                ft.call(ft.runs.GetExperiment, runs_pb2.GetExperimentRequest(name="experiments/12345"))
            self.assertEqual(err.exception.code.name, "NOT_FOUND")
            with self.assertRaises(fairtrace.FairtraceError) as err:
                ft.call(ft.runs.GetExperiment, runs_pb2.GetExperimentRequest(name="runs/12345"))
            self.assertEqual(err.exception.code.name, "INVALID_ARGUMENT")
            # Each experiment's state document agrees with its read, in
            # Python and in the C++ CLI, with nothing left unread.
            result = ft.audit.verify(state_dir="", reads=True)
        self.assertEqual(result.state_findings, [])
        self.assertEqual(result.not_read, {})
        self.assertEqual(result.reads_compared, 4)  # Default, a, b and the run
        cli = os.path.join(os.path.dirname(SERVER_BIN), "..", "..", "clients", "fairtrace")
        out = subprocess.run([cli, "--server", self.door.grpc, "--json", "audit", "verify", "--reads", "--no-state"],
                             capture_output=True, text=True, check=False)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        reads = json.loads(out.stdout)["reads"]
        self.assertEqual((reads["resources"], reads["fields"], reads["not_read"], reads["not_compared"]),
                         (4, result.read_fields, {}, {}))
        self.assertEqual(result.not_compared, {})

    def test_a_raw_request_gets_mlflow_errors(self):
        import requests
        base = self.door.uri + "/api/2.0/mlflow"
        r = requests.get(base + "/experiments/nope")
        self.assertEqual((r.status_code, r.json()["error_code"]), (404, "ENDPOINT_NOT_FOUND"))
        r = requests.post(base + "/experiments/create", data=b"{not json")
        self.assertEqual(r.status_code, 400)
        r = requests.post(base + "/experiments/create", json={"name": "x", "unknown_field": [1, 2]})
        self.assertEqual(r.status_code, 200)  # unknown fields are ignored, as MLflow does
        r = requests.post(base + "/experiments/create", json={"name": 5})
        self.assertEqual((r.status_code, r.json()["error_code"]), (400, "INVALID_PARAMETER_VALUE"))
        r = requests.post(base + "/experiments/create", data=b"[" * 100000 + b"]" * 100000)
        self.assertEqual(r.status_code, 400)


class TokensThroughTheDoor(unittest.TestCase):
    def test_a_token_makes_the_principal_and_its_absence_is_refused(self):
        tmp = tempfile.mkdtemp()
        try:
            data = os.path.join(tmp, "data")
            Door(data).stop()  # the offline commands need a database
            made = subprocess.run([SERVER_BIN, "tokens", "create", "--principal", "user:ana", "--data-dir", data],
                                  capture_output=True, text=True, check=True).stdout
            secret = re.search(r"(ft1_[0-9a-f]+_[0-9a-f]+)", made).group(1)
            subprocess.run([SERVER_BIN, "grants", "add", "user:ana", "data-scientist", "--data-dir", data],
                           capture_output=True, check=True)
            door = Door(data)
            try:
                os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
                anonymous = MlflowClient(door.uri)
                with self.assertRaises(MlflowException) as err:
                    anonymous.search_experiments()
                self.assertEqual(err.exception.error_code, "UNAUTHENTICATED")
                os.environ["MLFLOW_TRACKING_TOKEN"] = secret
                ana = MlflowClient(door.uri)
                exp = ana.create_experiment("ana's")
                self.assertEqual(ana.get_experiment(exp).name, "ana's")
            finally:
                os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
                door.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
