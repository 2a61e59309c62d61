"""Artifacts through the MLflow door's artifact proxy with the real MLflow
2.10.2 client (docs/mlflow-door.md, "Artifacts"): log_artifact(s), log_text,
list_artifacts and download_artifacts; the bytes land in the CAS under
their SHA-256 (shown as each file's fairtrace_sha256 and the download's
ETag); an overwrite keeps the old bytes; hostile paths are refused; an
ended run's folder is final."""

import hashlib
import http.client
import json
import os
import tempfile

import mlflow
import requests

from e2e_experiments import DoorTestCase


class ArtifactsThroughTheRealClient(DoorTestCase):
    def test_a_script_logs_lists_and_downloads_its_artifacts(self):
        mlflow.set_experiment("artifacts")
        src = tempfile.mkdtemp(dir=self.tmp)
        os.makedirs(os.path.join(src, "plots", "roc"))
        files = {"weights.bin": os.urandom(3 * 1024 * 1024 + 17), "plots/loss.svg": b"<svg/>",
                 "plots/roc/fold 1 \u00e9.csv": b"fpr,tpr\n0,0\n1,1\n", "empty.txt": b""}
        for rel, data in files.items():
            with open(os.path.join(src, rel), "wb") as f:
                f.write(data)
        with mlflow.start_run() as run:
            mlflow.log_artifacts(src)
            mlflow.log_text("first", "notes/readme.md")
            mlflow.log_text("second", "notes/readme.md")  # an overwrite
            mlflow.log_artifact(os.path.join(src, "weights.bin"), artifact_path="copies")
        run_id = run.info.run_id
        top = {f.path: (f.is_dir, f.file_size) for f in self.client.list_artifacts(run_id)}
        self.assertEqual(top, {"copies": (True, None), "empty.txt": (False, 0), "notes": (True, None),
                               "plots": (True, None), "weights.bin": (False, len(files["weights.bin"]))})
        self.assertEqual([f.path for f in self.client.list_artifacts(run_id, "plots")],
                         ["plots/loss.svg", "plots/roc"])
        out = tempfile.mkdtemp(dir=self.tmp)
        local = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=out)
        for rel, data in files.items():
            with open(os.path.join(local, rel), "rb") as f:
                self.assertEqual(f.read(), data, rel)
        with open(os.path.join(local, "notes", "readme.md")) as f:
            self.assertEqual(f.read(), "second")
        # The run ended with its folder as a CAS tree: the same digest the
        # fairtrace client computes for the downloaded folder.
        from fairtrace.tree import build_tree
        tree = build_tree(local).digest
        self.assertEqual(self.client.get_run(run_id).data.tags["fairtrace.artifacts_tree"],
                         f"{tree.sha256}/{tree.size_bytes}")
        # The digest is visible where MLflow has room for it.
        base = f"{self.door.uri}/api/2.0/mlflow-artifacts/artifacts"
        folder = f"{run.info.experiment_id}/{run_id}/artifacts"
        listed = requests.get(base, params={"path": folder}).json()["files"]
        weights = next(f for f in listed if f["path"] == "weights.bin")
        self.assertEqual(weights["fairtrace_sha256"], hashlib.sha256(files["weights.bin"]).hexdigest())
        r = requests.get(f"{base}/{folder}/weights.bin")
        self.assertEqual(r.headers["ETag"], f'"sha256:{weights["fairtrace_sha256"]}"')
        # The tracking API's own listing (MLflow's UI calls it): paths from the run's root.
        tracking = requests.get(f"{self.door.uri}/api/2.0/mlflow/artifacts/list",
                                params={"run_id": run_id, "path": "plots"}).json()
        self.assertEqual(tracking["root_uri"], f"mlflow-artifacts:/{folder}")
        self.assertEqual([(f["path"], f["is_dir"]) for f in tracking["files"]],
                         [("plots/loss.svg", False), ("plots/roc", True)])
        for bad in ("../x", "/etc"):
            r = requests.get(f"{self.door.uri}/api/2.0/mlflow/artifacts/list", params={"run_id": run_id, "path": bad})
            self.assertEqual((r.status_code, r.json()["error_code"]), (400, "INVALID_PARAMETER_VALUE"), bad)
        # An ended run's folder is final, like its params and metrics.
        with self.assertRaises(requests.exceptions.HTTPError) as err:  # the client's artifact error
            self.client.log_text(run_id, "late", "late.txt")
        self.assertIn("INVALID_STATE", str(err.exception))
        self.assertNotIn("late.txt", [f.path for f in self.client.list_artifacts(run_id)])

    def raw(self, method, path, body=b""):
        """A request sent as written: requests would normalise '..' away."""
        host, port = self.door.uri[len("http://"):].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request(method, path, body=body, headers={"Content-Length": str(len(body))})
            r = conn.getresponse()
            data = r.read()
            return r.status, (json.loads(data) if data.startswith(b"{") else {})
        finally:
            conn.close()

    def test_hostile_paths_are_refused_and_change_nothing(self):
        mlflow.set_experiment("hostile")
        with mlflow.start_run() as run:
            mlflow.log_text("kept", "a/b.txt")
            base = "/api/2.0/mlflow-artifacts/artifacts"
            folder = f"{run.info.experiment_id}/{run.info.run_id}/artifacts"
            for bad in ["../../etc/passwd", "a/../../x", "a//b", "./x", "a\\b", "%2e%2e/x", "x%00y", "x%0ay",
                        "a/b.txt/c", "%ff"]:
                status, body = self.raw("PUT", f"{base}/{folder}/{bad}", b"x")
                self.assertEqual((status, body.get("error_code")), (400, "INVALID_PARAMETER_VALUE"), bad)
            self.assertEqual(self.raw("PUT", f"{base}/{folder}", b"x")[0], 400)  # the folder itself
            self.assertEqual(self.raw("PUT", f"{base}/{folder}/", b"x")[0], 400)
            self.assertEqual(self.raw("PUT", f"{base}/{run.info.experiment_id}/{'0' * 32}/artifacts/x", b"x")[0], 404)
            self.assertEqual(self.raw("PUT", f"{base}/999/{run.info.run_id}/artifacts/x", b"x")[0], 404)
            self.assertEqual(self.raw("PUT", f"{base}/../{folder}/x", b"x")[0], 400)
            url = f"{self.door.uri}{base}/{folder}"
            # A chunked upload is taken (MLflow's client sends an empty file so);
            # a chunked body anywhere else is refused before it is read.
            self.assertEqual(requests.put(f"{url}/chunked", data=iter([b"a", b"b"])).status_code, 200)
            self.assertEqual(requests.get(f"{url}/chunked").content, b"ab")
            r = requests.post(f"{self.door.uri}/api/2.0/mlflow/experiments/create", data=iter([b"{}"]))
            self.assertEqual(r.status_code, 411)
            self.assertEqual(requests.delete(f"{url}/chunked").status_code, 200)
            r = requests.get(f"{url}/a/missing")
            self.assertEqual((r.status_code, r.json()["error_code"]), (404, "RESOURCE_DOES_NOT_EXIST"))
            self.assertEqual(requests.get(f"{url}/a").status_code, 404)  # a folder is not a file
            self.assertEqual([f.path for f in self.client.list_artifacts(run.info.run_id)], ["a"])
            with open(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="a/b.txt",
                                                          dst_path=tempfile.mkdtemp(dir=self.tmp))) as f:
                self.assertEqual(f.read(), "kept")
            self.assertEqual(requests.delete(f"{url}/a").status_code, 200)
            self.assertEqual(self.client.list_artifacts(run.info.run_id), [])
            self.assertEqual(requests.delete(f"{url}/a").status_code, 404)


class RefusedUploadsOnKeepAlive(DoorTestCase):
    def test_a_refused_upload_does_not_poison_the_connection(self):
        # Refused before its body is read, an upload's bytes would be read
        # as the next request on the same connection (seen as a sporadic
        # 400 from the client's next call); the door closes the connection.
        session = requests.Session()
        mlflow.set_experiment("keep-alive")
        with mlflow.start_run() as run:
            pass
        base = f"{self.door.uri}/api/2.0/mlflow-artifacts/artifacts"
        folder = f"{run.info.experiment_id}/{run.info.run_id}/artifacts"
        for _ in range(20):
            r = session.put(f"{base}/{folder}/late.txt", data=b"late bytes " * 100)
            self.assertEqual(r.status_code, 400)
            self.assertEqual(session.get(base, params={"path": folder}).status_code, 200)


class ArtifactLimits(DoorTestCase):
    door_flags = ("--mlflow-max-artifact-bytes", "1024")

    def test_an_upload_past_the_limit_is_refused_before_its_body(self):
        mlflow.set_experiment("limits")
        with mlflow.start_run() as run:
            base = f"{self.door.uri}/api/2.0/mlflow-artifacts/artifacts"
            folder = f"{run.info.experiment_id}/{run.info.run_id}/artifacts"
            r = requests.put(f"{base}/{folder}/big.bin", data=b"x" * 1025)
            self.assertEqual((r.status_code, r.json()["error_code"]), (413, "RESOURCE_EXHAUSTED"))
            r = requests.put(f"{base}/{folder}/big.bin", data=iter([b"x" * 1000, b"x" * 1000]))  # chunked
            self.assertEqual((r.status_code, r.json()["error_code"]), (429, "REQUEST_LIMIT_EXCEEDED"))
            r = requests.put(f"{base}/{folder}/small.bin", data=b"x" * 1024)
            self.assertEqual(r.status_code, 200)
            self.assertEqual([f.path for f in self.client.list_artifacts(run.info.run_id)], ["small.bin"])
