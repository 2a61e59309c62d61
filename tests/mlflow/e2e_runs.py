"""An ordinary MLflow training script's run through the MLflow door, with
the real MLflow 2.10.2 client (docs/mlflow-door.md, "Runs"): start_run,
log_param, log_metric (with steps, NaN), set_tag, end_run, then get_run and
the metric history; a param logged after the end is refused with MLflow's
INVALID_STATE."""

import math
import unittest

import mlflow
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


if __name__ == "__main__":
    unittest.main()
