"""The model registry through the MLflow door with the real MLflow 2.10.2
client (docs/mlflow-door.md, "Registered models"): an sklearn model logged
with registered_model_name, loaded back through models:/ (by version,
alias, stage, after a rename) and runs:/ with the original's predictions;
the version's tree is the CAS tree the gRPC API registers for the same
folder; versions searched; the bad cases refused with MLflow's codes."""

import json
import os
import subprocess
import tempfile

import mlflow
import numpy as np
import requests
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression

from e2e_experiments import SERVER_BIN, DoorTestCase


class ModelsThroughTheRealClient(DoorTestCase):
    def test_log_register_load_and_manage_a_model(self):
        mlflow.set_experiment("leaf classifier")
        rng = np.random.default_rng(7)
        X = rng.normal(size=(60, 4))
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        model = LogisticRegression().fit(X, y)
        name = "Leaf classifier \u2713 (maize)"
        with mlflow.start_run() as run:
            mlflow.sklearn.log_model(model, "model", registered_model_name=name)
        version = self.client.get_model_version(name, "1")
        self.assertEqual((version.name, version.version, version.run_id), (name, "1", run.info.run_id))
        self.assertEqual(self.client.get_model_version(name, "01").version, "1")  # normalised
        expected = model.predict(X)
        for uri in [f"models:/{name}/1", f"runs:/{run.info.run_id}/model"]:
            np.testing.assert_array_equal(mlflow.pyfunc.load_model(uri).predict(X), expected, uri)
        # log_model's record is kept on the run, as MLflow's server does.
        self.assertIn("mlflow.log-model.history", self.client.get_run(run.info.run_id).data.tags)

        # The version's tree is what the gRPC API registers for the folder.
        folder = mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=tempfile.mkdtemp(dir=self.tmp))
        # MLflow's client adds this file to what it downloads through models:/.
        os.remove(os.path.join(folder, "registered_model_meta"))
        from fairtrace.tree import build_tree
        raw = requests.get(f"{self.door.uri}/api/2.0/mlflow/model-versions/get",
                           params={"name": name, "version": "1"}).json()["model_version"]
        self.assertEqual(raw["fairtrace_tree_sha256"], build_tree(folder).digest.sha256)
        from fairtrace.client import Client
        grpc = Client(self.door.grpc)
        pushed = grpc.push_folder(folder, progress=False)
        self.assertEqual(pushed.digest.sha256, raw["fairtrace_tree_sha256"])

        # A second version, aliases and stages.
        with mlflow.start_run():
            mlflow.sklearn.log_model(LogisticRegression(C=0.1).fit(X, y), "model", registered_model_name=name)
        self.client.set_registered_model_alias(name, "champion", "1")
        self.assertEqual(self.client.get_model_version_by_alias(name, "champion").version, "1")
        np.testing.assert_array_equal(mlflow.pyfunc.load_model(f"models:/{name}@champion").predict(X), expected)
        self.client.transition_model_version_stage(name, "1", "Production")
        self.client.transition_model_version_stage(name, "2", "Production", archive_existing_versions=True)
        stages = {v.version: v.current_stage for v in self.client.search_model_versions(f"name='{name}'")}
        self.assertEqual(stages, {"1": "Archived", "2": "Production"})
        self.assertEqual([v.version for v in self.client.get_latest_versions(name, ["Production"])], ["2"])
        self.assertEqual(mlflow.pyfunc.load_model(f"models:/{name}/latest").metadata.run_id,
                         self.client.get_model_version(name, "2").run_id)
        # Renames change the name, not the model.
        self.client.rename_registered_model(name, "leaf-classifier")
        np.testing.assert_array_equal(mlflow.pyfunc.load_model("models:/leaf-classifier/1").predict(X), expected)
        self.assertEqual([m.name for m in self.client.search_registered_models("name LIKE 'leaf%'")],
                         ["leaf-classifier"])
        self.client.set_registered_model_tag("leaf-classifier", "crop", "maize")
        self.assertEqual(self.client.get_registered_model("leaf-classifier").tags, {"crop": "maize"})
        self.assertEqual(len(self.client.search_model_versions(f"run_id='{run.info.run_id}'")), 1)
        # MLflow's version search grammar: LIKE, IN, numbers, tags and order_by.
        self.client.set_model_version_tag("leaf-classifier", "2", "validated", "yes")
        found = lambda f, **kw: [(v.name, v.version) for v in self.client.search_model_versions(f, **kw)]  # noqa: E731
        self.assertEqual(found("name LIKE 'leaf%' AND tags.validated = 'yes'"), [("leaf-classifier", "2")])
        self.assertEqual(found(f"run_id IN ('{run.info.run_id}', 'nothing')"), [("leaf-classifier", "1")])
        self.assertEqual(found("name = 'leaf-classifier'"), [("leaf-classifier", "2"), ("leaf-classifier", "1")])
        self.assertEqual(found("name = 'leaf-classifier' AND version_number < 2", order_by=["version_number ASC"]),
                         [("leaf-classifier", "1")])
        self.assertEqual(found("name = 'leaf-classifier'", order_by=["creation_timestamp ASC"]),
                         [("leaf-classifier", "1"), ("leaf-classifier", "2")])

    def test_a_folder_saved_once_has_one_digest_through_both_doors(self):
        # save_model once; log_artifacts + register_model through MLflow;
        # `fairtrace models versions register` of the same folder over gRPC.
        X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
        folder = os.path.join(self.tmp, "saved")
        mlflow.sklearn.save_model(LogisticRegression().fit(X, [0, 1, 1, 0]), folder)
        mlflow.set_experiment("saved once")
        with mlflow.start_run() as run:
            mlflow.log_artifacts(folder, "model")
        version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "saved once")
        raw = requests.get(f"{self.door.uri}/api/2.0/mlflow/model-versions/get",
                           params={"name": "saved once", "version": version.version}).json()["model_version"]
        cli = os.path.join(os.path.dirname(SERVER_BIN), "..", "..", "clients", "fairtrace")
        run_cli = lambda *args: subprocess.run([cli, "--server", self.door.grpc, "--json", *args],  # noqa: E731
                                               capture_output=True, text=True, check=False)
        made = run_cli("models", "create", "saved-once-grpc")
        self.assertEqual(made.returncode, 0, made.stdout + made.stderr)
        pushed = run_cli("models", "versions", "register", "saved-once-grpc", folder)
        self.assertEqual(pushed.returncode, 0, pushed.stdout + pushed.stderr)
        self.assertEqual(json.loads(pushed.stdout)["tree_digest"]["sha256"], raw["fairtrace_tree_sha256"])

    def test_a_deleted_version_is_gone_for_mlflow_and_kept_as_evidence(self):
        mlflow.set_experiment("deletes")
        X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
        y = np.array([0, 1, 1, 0])
        with mlflow.start_run() as run:
            mlflow.sklearn.log_model(LogisticRegression().fit(X, y), "model")
        name = "to delete"
        self.client.create_registered_model(name)
        for _ in range(2):
            self.client.create_model_version(name, f"runs:/{run.info.run_id}/model", run.info.run_id)
        # MLflow's alias rule: any case, letters of any script.
        self.client.set_registered_model_alias(name, "Champion_\u00e9t\u00e9", "1")
        self.client.set_registered_model_alias(name, "next-2024", "2")
        self.assertEqual(self.client.get_model_version_by_alias(name, "next-2024").version, "2")
        for reserved in ("latest", "V2", "a b"):
            self.assertEqual(self.code(self.client.set_registered_model_alias, name, reserved, "1"),
                             "INVALID_PARAMETER_VALUE", reserved)
        # An alias of digits only, as MLflow allows: "@2" is version 1, "/2" version 2.
        self.client.set_registered_model_alias(name, "2", "1")
        self.assertEqual(self.client.get_model_version_by_alias(name, "2").version, "1")
        self.assertEqual(self.client.get_model_version(name, "2").version, "2")
        self.assertEqual(self.code(self.client.get_model_version_by_alias, name, "1"), "RESOURCE_DOES_NOT_EXIST")
        np.testing.assert_array_equal(mlflow.pyfunc.load_model(f"models:/{name}@next-2024").predict(X),
                                      mlflow.pyfunc.load_model(f"models:/{name}/2").predict(X))
        tree = requests.get(f"{self.door.uri}/api/2.0/mlflow/model-versions/get",
                            params={"name": name, "version": "1"}).json()["model_version"]["fairtrace_tree_sha256"]

        self.client.delete_model_version(name, "1")
        # Gone for MLflow, as on MLflow's own server.
        self.assertEqual(self.code(self.client.get_model_version, name, "1"), "RESOURCE_DOES_NOT_EXIST")
        self.assertEqual(self.code(self.client.delete_model_version, name, "1"), "RESOURCE_DOES_NOT_EXIST")
        self.assertEqual(self.code(self.client.get_model_version_by_alias, name, "Champion_\u00e9t\u00e9"),
                         "RESOURCE_DOES_NOT_EXIST")
        self.assertEqual(self.client.get_registered_model(name).aliases, {"next-2024": "2"})
        self.assertEqual([v.version for v in self.client.search_model_versions(f"name='{name}'")], ["2"])
        self.assertEqual([v.version for v in self.client.get_latest_versions(name)], ["2"])
        with self.assertRaises(MlflowException):
            mlflow.pyfunc.load_model(f"models:/{name}/1")
        self.assertEqual(self.code(self.client.update_model_version, name, "1", "x"), "RESOURCE_DOES_NOT_EXIST")
        # Its number is not given again.
        again = self.client.create_model_version(name, f"runs:/{run.info.run_id}/model", run.info.run_id)
        self.assertEqual(again.version, "3")

        # Kept as evidence: the version, its tree and its lineage through
        # gRPC, and every state in the audit log matching its read.
        from fairtrace.client import Client
        from fairtrace.v1 import models_pb2, runs_pb2
        grpc = Client(self.door.grpc)
        versions = grpc.call(grpc.models.ListModelVersions, models_pb2.ListModelVersionsRequest(
            parent=self.fairtrace_model(grpc, name), show_deleted=True)).model_versions
        deleted = [v for v in versions if v.HasField("delete_time")]
        self.assertEqual([v.version for v in deleted], [1])
        self.assertEqual(deleted[0].tree_digest.sha256, tree)
        lineage = grpc.call(grpc.runs.GetLineage, runs_pb2.GetLineageRequest(resource=deleted[0].name))
        self.assertIn(f"runs/{run.info.run_id}", {e.object for e in lineage.edges})
        result = grpc.audit.verify(state_dir="", reads=True)
        self.assertEqual(result.state_findings, [])
        self.assertEqual(result.not_read, {})
        # Three versions, the model, its surviving alias, the run, its experiment and "Default".
        self.assertEqual(result.reads_compared, 8)
        cli = os.path.join(os.path.dirname(SERVER_BIN), "..", "..", "clients", "fairtrace")
        out = subprocess.run([cli, "--server", self.door.grpc, "--json", "audit", "verify", "--reads", "--no-state"],
                             capture_output=True, text=True, check=False)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        reads = json.loads(out.stdout)["reads"]
        self.assertEqual((reads["resources"], reads["fields"], reads["not_read"]), (8, result.read_fields, {}))

    @staticmethod
    def fairtrace_model(grpc, mlflow_name):
        """The fairtrace name of the model MLflow calls `mlflow_name`."""
        from fairtrace.v1 import models_pb2
        for m in grpc.pages(grpc.models.ListRegisteredModels, models_pb2.ListRegisteredModelsRequest(),
                            "registered_models"):
            if m.tags.get("mlflow.name") == mlflow_name:
                return m.name
        raise AssertionError(f"no model named {mlflow_name}")

    def code(self, fn, *args, **kwargs):
        with self.assertRaises(MlflowException) as err:
            fn(*args, **kwargs)
        return err.exception.error_code

    def test_registered_models_are_ordered_as_mlflow_orders_them(self):
        for name in ("b-model", "A-model", "c-model"):
            self.client.create_registered_model(name)
        self.client.set_registered_model_tag("b-model", "touched", "yes")  # updated last
        names = lambda **kw: [m.name for m in self.client.search_registered_models(**kw)]  # noqa: E731
        self.assertEqual(names(), ["A-model", "b-model", "c-model"])  # by name, bytewise
        self.assertEqual(names(filter_string="tags.touched = 'yes'"), ["b-model"])
        self.assertEqual(names(filter_string="name ILIKE '%MODEL' AND tags.touched != 'yes'"), [])  # tagless: no match
        self.assertEqual(names(order_by=["name DESC"]), ["c-model", "b-model", "A-model"])
        self.assertEqual(names(order_by=["last_updated_timestamp DESC"])[0], "b-model")
        self.assertEqual(names(order_by=["timestamp ASC", "`name` DESC"])[-1], "b-model")
        first = self.client.search_registered_models(max_results=2, order_by=["name DESC"])
        rest = self.client.search_registered_models(max_results=2, order_by=["name DESC"], page_token=first.token)
        self.assertEqual([m.name for m in first] + [m.name for m in rest], ["c-model", "b-model", "A-model"])
        for bad in (["creation_timestamp"], ["name ASC", "name DESC"], ["name upward"]):
            self.assertEqual(self.code(self.client.search_registered_models, order_by=bad), "INVALID_PARAMETER_VALUE",
                             bad)

    def test_bad_requests_get_mlflows_codes(self):
        self.client.create_registered_model("taken")
        self.assertEqual(self.code(self.client.create_registered_model, "taken"), "RESOURCE_ALREADY_EXISTS")
        self.assertEqual(self.code(self.client.get_registered_model, "missing"), "RESOURCE_DOES_NOT_EXIST")
        self.assertEqual(self.code(self.client.create_registered_model, "bad\nname"), "INVALID_PARAMETER_VALUE")
        # A version's source must be a folder of a run's artifacts here.
        self.assertEqual(self.code(self.client.create_model_version, "taken", "s3://bucket/model"),
                         "INVALID_PARAMETER_VALUE")
        mlflow.set_experiment("bad models")
        with mlflow.start_run() as run:
            mlflow.log_text("not a model", "model/readme.txt")
        # No MLmodel at the root: refused, as any invalid model is.
        self.assertEqual(self.code(self.client.create_model_version, "taken",
                                   f"runs:/{run.info.run_id}/model", run.info.run_id), "INVALID_PARAMETER_VALUE")
        self.assertEqual(self.code(self.client.create_model_version, "taken",
                                   f"runs:/{run.info.run_id}/nothing-here"), "INVALID_PARAMETER_VALUE")
        self.assertEqual(self.code(self.client.get_model_version, "taken", "1"), "RESOURCE_DOES_NOT_EXIST")
        self.assertEqual(self.code(self.client.search_model_versions, "name LIKE 'x'; DROP"),
                         "INVALID_PARAMETER_VALUE")
        # A deleted model frees its name.
        self.client.delete_registered_model("taken")
        self.client.create_registered_model("taken")


if __name__ == "__main__":
    import unittest
    unittest.main()
