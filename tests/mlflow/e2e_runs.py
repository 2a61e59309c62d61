"""An ordinary MLflow training script's run through the MLflow door, with
the real MLflow 2.10.2 client (docs/mlflow-door.md, "Runs"): start_run,
log_param, log_metric (with steps, NaN), set_tag, end_run, then get_run and
the metric history; a param logged after the end is refused with MLflow's
INVALID_STATE."""

import math
import unittest

import mlflow
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

from e2e_experiments import DoorTestCase


class RunsThroughTheRealClient(DoorTestCase):
    def test_a_training_script_logs_its_run(self):
        exp = mlflow.set_experiment("leaf segmentation")
        with mlflow.start_run(run_name="baseline") as run:
            mlflow.log_param("lr", 0.001)
            mlflow.log_metric("loss", 0.5, step=1)
            mlflow.log_metric("loss", 0.25, step=2)
            mlflow.log_metric("grad", float("nan"))
            mlflow.set_tag("team", "phenome")
        got = self.client.get_run(run.info.run_id)
        self.assertEqual(got.info.status, "FINISHED")
        self.assertEqual(got.info.experiment_id, exp.experiment_id)
        self.assertEqual(got.info.run_name, "baseline")
        self.assertEqual(got.data.params, {"lr": "0.001"})
        self.assertEqual(got.data.metrics["loss"], 0.25)
        self.assertTrue(math.isnan(got.data.metrics["grad"]))
        self.assertEqual(got.data.tags["team"], "phenome")
        self.assertGreaterEqual(got.info.end_time, got.info.start_time)
        history = self.client.get_metric_history(run.info.run_id, "loss")
        self.assertEqual([(m.step, m.value) for m in history], [(1, 0.5), (2, 0.25)])
        # Tags stay editable; contents of an ended run do not.
        self.client.set_tag(run.info.run_id, "reviewed", "yes")
        self.client.delete_tag(run.info.run_id, "team")
        tags = self.client.get_run(run.info.run_id).data.tags
        self.assertEqual((tags.get("reviewed"), "team" in tags), ("yes", False))
        with self.assertRaises(MlflowException) as err:
            self.client.log_param(run.info.run_id, "late", "1")
        self.assertEqual(err.exception.error_code, "INVALID_STATE")
        with self.assertRaises(MlflowException) as err:
            self.client.get_run("0" * 32)
        self.assertEqual(err.exception.error_code, "RESOURCE_DOES_NOT_EXIST")

    def test_an_ended_run_is_reopened_and_appended_to(self):
        mlflow.set_experiment("reopen")
        with mlflow.start_run() as run:
            mlflow.log_param("lr", "0.1")
            mlflow.log_metric("loss", 0.5, step=1)
        first_end = self.client.get_run(run.info.run_id).info.end_time
        with mlflow.start_run(run_id=run.info.run_id):
            self.assertEqual(self.client.get_run(run.info.run_id).info.status, "RUNNING")
            mlflow.log_metric("loss", 0.25, step=2)
            mlflow.log_text("added later", "notes.txt")
            with self.assertRaises(MlflowException) as err:
                mlflow.log_param("lr", "0.2")  # params stay write-once
            self.assertEqual(err.exception.error_code, "INVALID_PARAMETER_VALUE")
        got = self.client.get_run(run.info.run_id)
        self.assertEqual(got.info.status, "FINISHED")
        self.assertGreaterEqual(got.info.end_time, first_end)
        self.assertEqual(got.data.tags["fairtrace.reopened"], "1")
        self.assertEqual([m.value for m in self.client.get_metric_history(run.info.run_id, "loss")], [0.5, 0.25])
        self.assertEqual([f.path for f in self.client.list_artifacts(run.info.run_id)], ["notes.txt"])

    def test_dataset_inputs_become_lineage(self):
        import pandas as pd
        mlflow.set_experiment("inputs")
        frame = pd.DataFrame({"leaf_area": [1.5, 2.0, 3.25], "genotype": ["B73", "Mo17", "B73"]})
        dataset = mlflow.data.from_pandas(frame, name="leaf areas")
        with mlflow.start_run() as run:
            mlflow.log_input(dataset, context="training")
        got = self.client.get_run(run.info.run_id).inputs.dataset_inputs
        self.assertEqual([(d.dataset.name, d.dataset.digest) for d in got], [("leaf areas", dataset.digest)])
        self.assertEqual({t.key: t.value for t in got[0].tags}, {"mlflow.data.context": "training"})
        # search_runs returns them too, as MLflow's server does.
        with mlflow.start_run() as other:
            mlflow.log_input(mlflow.data.from_pandas(frame.head(1), name="one leaf"), context="eval")
        with mlflow.start_run():
            pass  # no inputs
        found = self.client.search_runs([run.info.experiment_id], order_by=["attributes.start_time ASC"])
        self.assertEqual([[d.dataset.name for d in r.inputs.dataset_inputs] for r in found],
                         [["leaf areas"], ["one leaf"], []])
        # MLflow's dataset clauses: any of a run's inputs matches.
        ids = lambda f: [r.info.run_id for r in self.client.search_runs([run.info.experiment_id], f)]  # noqa: E731
        self.assertEqual(ids("datasets.name = 'leaf areas'"), [run.info.run_id])
        self.assertEqual(ids("dataset.context = 'eval'"), [other.info.run_id])
        self.assertEqual(ids(f"datasets.digest IN ('nothing', '{dataset.digest}')"), [run.info.run_id])
        self.assertEqual(sorted(ids("datasets.name ILIKE '%LEAF%'")), sorted([run.info.run_id, other.info.run_id]))
        for bad in ("datasets.size = '1'", "datasets.name > 'a'"):
            with self.assertRaises(MlflowException) as err:
                self.client.search_runs([run.info.experiment_id], bad)
            self.assertEqual(err.exception.error_code, "INVALID_PARAMETER_VALUE", bad)
        # The record is a CAS blob the run used, in fairtrace's own lineage.
        from fairtrace.client import Client
        edges = Client(self.door.grpc).get_run(f"runs/{run.info.run_id}").inputs
        self.assertEqual([(e.role, e.artifact.WhichOneof("target")) for e in edges], [("training", "blob")])

    def test_batches_land_whole_or_not_at_all(self):
        mlflow.set_experiment("batches")
        with mlflow.start_run() as run:
            # log_params, log_metrics and set_tags all travel as log-batch.
            mlflow.log_params({"lr": 0.01, "epochs": 30, "augment": "flip"})
            mlflow.log_metrics({"iou": 0.7, "dice": float("inf")}, step=3)
            mlflow.set_tags({"stage": "dev", "plant": "maize"})
            many = [Metric("loss", 1.0 / (i + 1), 1700000000000 + i, i) for i in range(2500)]
            self.client.log_batch(run.info.run_id, metrics=many)  # the client splits it into 1,000s
            # A param changed inside a batch changes nothing of that batch.
            with self.assertRaises(MlflowException) as err:
                self.client.log_batch(run.info.run_id, params=[Param("lr", "0.5")],
                                      metrics=[Metric("after", 1.0, 0, 0)], tags=[RunTag("t", "v")])
            self.assertEqual(err.exception.error_code, "INVALID_PARAMETER_VALUE")  # as MLflow's server says
        got = self.client.get_run(run.info.run_id)
        self.assertEqual(got.data.params, {"lr": "0.01", "epochs": "30", "augment": "flip"})
        self.assertEqual(got.data.metrics["iou"], 0.7)
        self.assertEqual(got.data.metrics["dice"], float("inf"))
        self.assertNotIn("after", got.data.metrics)
        self.assertNotIn("t", got.data.tags)
        self.assertEqual((got.data.tags["stage"], got.data.tags["plant"]), ("dev", "maize"))
        history = self.client.get_metric_history(run.info.run_id, "loss")
        self.assertEqual(len(history), 2500)
        self.assertEqual((history[0].step, history[-1].step, history[-1].value), (0, 2499, 1.0 / 2500))
        # Tags may still change after the end; params may not.
        self.client.log_batch(run.info.run_id, tags=[RunTag("reviewed", "yes")])
        self.assertEqual(self.client.get_run(run.info.run_id).data.tags["reviewed"], "yes")
        with self.assertRaises(MlflowException) as err:
            self.client.log_batch(run.info.run_id, params=[Param("late", "1")])
        self.assertEqual(err.exception.error_code, "INVALID_STATE")
        # MLflow's own limits, with its error code.
        with self.assertRaises(MlflowException) as err:
            self.door_post("runs/log-batch", {"run_id": run.info.run_id,
                                              "params": [{"key": f"p{i}", "value": "1"} for i in range(101)]})
        self.assertEqual(err.exception.error_code, "INVALID_PARAMETER_VALUE")
        with self.assertRaises(MlflowException) as err:
            self.door_post("runs/log-batch", {"run_id": run.info.run_id, "metrics": [{"key": "x", "value": "high"}]})
        self.assertEqual(err.exception.error_code, "INVALID_PARAMETER_VALUE")

    def test_search_runs_with_mlflows_grammar(self):
        exp = mlflow.set_experiment("search")
        other = mlflow.set_experiment("other")
        made = {}
        for name, lr, acc, exp_id in [("r1", "0.1", 0.7, exp), ("r2", "0.01", 0.9, exp), ("r3", "0.001", None, exp),
                                      ("r4", "0.01", 0.95, other)]:
            with mlflow.start_run(experiment_id=exp_id.experiment_id, run_name=name) as run:
                mlflow.log_param("lr", lr)
                mlflow.set_tag("model", "ResNet-50" if name != "r3" else "UNet")
                if acc is not None:
                    mlflow.log_metric("acc", acc)
            made[name] = run.info.run_id

        def names(runs):
            return [r.info.run_name for r in runs]

        ids = [exp.experiment_id]
        self.assertEqual(names(self.client.search_runs(ids, "metrics.acc > 0.5", order_by=["metrics.acc DESC"])),
                         ["r2", "r1"])
        self.assertEqual(names(self.client.search_runs(ids, "params.lr = '0.01'")), ["r2"])
        self.assertEqual(names(self.client.search_runs(ids, "tags.model ILIKE 'resnet%' and attributes.status = "
                                                            "'FINISHED'", order_by=["attributes.run_name"])),
                         ["r1", "r2"])
        both = [exp.experiment_id, other.experiment_id]
        self.assertEqual(names(self.client.search_runs(both, "params.lr = '0.01'", order_by=["metrics.acc"])),
                         ["r2", "r4"])
        self.assertEqual(names(self.client.search_runs(ids, f"attributes.run_id IN ('{made['r3']}')")), ["r3"])
        # Missing metrics go last in both directions.
        self.assertEqual(names(self.client.search_runs(ids, order_by=["metrics.acc ASC"])), ["r1", "r2", "r3"])
        # Pages of two, with MLflow's opaque tokens.
        first = self.client.search_runs(both, max_results=2, order_by=["attributes.run_name"])
        self.assertTrue(first.token)
        rest = self.client.search_runs(both, max_results=2, order_by=["attributes.run_name"], page_token=first.token)
        self.assertEqual(names(first) + names(rest), ["r1", "r2", "r3", "r4"])
        self.assertFalse(rest.token)
        # The pandas helper pages by 10,000 through the same endpoint.
        frame = mlflow.search_runs(experiment_ids=both, filter_string="metrics.acc >= 0.9")
        self.assertEqual(sorted(frame["tags.mlflow.runName"]), ["r2", "r4"])
        # Deleted runs leave the default view and come back when restored.
        self.client.delete_run(made["r1"])
        self.assertEqual(self.client.get_run(made["r1"]).info.lifecycle_stage, "deleted")
        self.assertEqual(names(self.client.search_runs(ids, order_by=["attributes.run_name"])), ["r2", "r3"])
        self.assertEqual(names(self.client.search_runs(ids, run_view_type=ViewType.DELETED_ONLY)), ["r1"])
        self.assertEqual(len(self.client.search_runs(ids, run_view_type=ViewType.ALL)), 3)
        # As with MLflow's server, a deleted run takes nothing until restored.
        for change in [lambda: self.client.log_metric(made["r1"], "acc", 0.99),
                       lambda: self.client.log_param(made["r1"], "late", "1"),
                       lambda: self.client.set_tag(made["r1"], "late", "1"),
                       lambda: self.client.log_batch(made["r1"], metrics=[Metric("acc", 0.99, 0, 1)]),
                       lambda: self.client.set_terminated(made["r1"], "FAILED")]:
            with self.assertRaises(MlflowException) as err:
                change()
            self.assertEqual(err.exception.error_code, "INVALID_PARAMETER_VALUE")
            self.assertIn("must be in the 'active' state", str(err.exception))
        self.assertEqual(self.client.get_run(made["r1"]).data.metrics["acc"], 0.7)
        self.client.restore_run(made["r1"])
        self.assertEqual(self.client.get_run(made["r1"]).info.lifecycle_stage, "active")
        self.client.set_tag(made["r1"], "restored", "yes")
        self.assertNotIn("fairtrace.lifecycle", self.client.get_run(made["r1"]).data.tags)
        # An unknown experiment has no runs, as with MLflow's server.
        self.assertEqual(list(self.client.search_runs(["987654"])), [])
        for bad in ["metrics.acc > 'x'", "acc > 1", "params.lr = '1' OR params.lr = '2'",
                    "tags.x = 'a'; DROP TABLE runs", "params.x = '" + "a" * 20000 + "'",
                    " AND ".join(["metrics.m > 1"] * 60)]:
            with self.assertRaises(MlflowException) as err:
                self.client.search_runs(ids, bad)
            self.assertEqual(err.exception.error_code, "INVALID_PARAMETER_VALUE", bad)
        with self.assertRaises(MlflowException) as err:
            self.client.search_runs(ids, order_by=["metrics.acc SIDEWAYS"])
        self.assertEqual(err.exception.error_code, "INVALID_PARAMETER_VALUE")

    def door_post(self, endpoint, body):
        from mlflow.utils.rest_utils import call_endpoint, MlflowHostCreds
        import json
        from mlflow.protos.service_pb2 import LogBatch
        return call_endpoint(MlflowHostCreds(self.door.uri), f"/api/2.0/mlflow/{endpoint}", "POST",
                             json.dumps(body), LogBatch.Response)


if __name__ == "__main__":
    unittest.main()
