"""Splits and leakage checks end to end against the real server; the parts
the server makes are regenerated offline by fairtrace.split_reference (which
shares no code with it) and must be identical, digest for digest."""

import json
import os
import shutil
import tempfile
import unittest

import grpc

import fairtrace
from fairtrace import FairtraceError, split_reference
import fairtrace.v1.splits_pb2
from fairtrace.v1 import runs_pb2

from e2e_client import SERVER_BIN, Server

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "fixtures", "miappe")
UNITS = ["S1-P1", "S1-P2", "S1-P3", "S1-P4", "S2-P1", "S2-P2", "S2-P3", "S2-P4"]


@unittest.skipUnless(SERVER_BIN, "FAIRTRACE_SERVER_BIN not set")
class SplitsEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.server = Server(os.path.join(cls.tmp, "data"))
        cls.client = fairtrace.Client(cls.server.address, user="e2e")
        cls.client.investigations.import_files("sp-drought", [os.path.join(FIXTURES, "valid-1.2")])
        images = os.path.join(cls.tmp, "images")
        rows = ["path,observation_unit,acquired_at,plot"]
        for k in range(80):
            unit = UNITS[k % 8]
            path = f"{unit}/day-{k // 8:02d}.png"
            os.makedirs(os.path.join(images, unit), exist_ok=True)
            with open(os.path.join(images, path), "wb") as f:
                f.write(b"same bytes" if k in (0, 9) else f"image {k}".encode())
            rows.append(f"{path},{unit},2025-04-{1 + k // 8:02d}T{k % 8:02d}:00:00Z,plot-{k % 4}")
        table = os.path.join(cls.tmp, "items.csv")
        with open(table, "w") as f:
            f.write("\n".join(rows) + "\n")
        cls.client.datasets.create("sp-leaves")
        cls.version = cls.client.datasets.create_version("sp-leaves", images, items=table,
                                                         investigation="investigations/sp-drought")
        cls.items = []
        for item in cls.client.datasets.items(cls.version):
            unit = ";".join(sorted(link.rsplit("/", 1)[1] for link in item.links if "/observationUnits/" in link))
            cls.items.append({"path": item.path, "digest": item.digest, "group": unit,
                              "acquired_at": item.acquired_at, "plot": item.attributes["plot"]})

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.stop()
        shutil.rmtree(cls.tmp)

    def assert_same_parts(self, split, reference):
        self.assertEqual([p.part for p in split.parts], list(reference))
        for p in split.parts:
            self.assertEqual(p.digest, reference[p.part]["digest"], p.part)
            paths = [i.path for i in self.client.splits.items(p)]
            self.assertEqual(paths, sorted(reference[p.part]["paths"], key=str.encode))
            self.assertEqual(p.group_count, reference[p.part]["groups"])

    def test_server_and_offline_reference_give_identical_parts(self):
        ratios = [("train", 0.7), ("validation", 0.1), ("test", 0.2)]
        holdout = self.version.split(method="holdout", ratios=ratios, seed=3)
        self.assertEqual(holdout.algorithm, "fairtrace-split/1")
        self.assert_same_parts(holdout, split_reference.split(self.items, ratios=ratios, seed=3))
        kfold = self.version.split(method="kfold", k=4, group="observation_unit", seed=5)
        self.assert_same_parts(kfold, split_reference.split(self.items, folds=4, seed=5, grouped=True))
        by_plot = self.version.split(group="attributes.plot", seed=11, ratios={"train": 0.75, "test": 0.25})
        plot_items = [dict(i, group=i["plot"]) for i in self.items]
        self.assert_same_parts(by_plot, split_reference.split(plot_items, ratios=[("train", 0.75), ("test", 0.25)],
                                                              seed=11, grouped=True))
        temporal = self.version.split(method="temporal", ratios={"train": 0.8, "test": 0.2})
        self.assert_same_parts(temporal, split_reference.split(self.items, ratios=[("train", 0.8), ("test", 0.2)],
                                                               temporal=True))
        # Stratified by the labels of an annotation set.
        labels = os.path.join(self.tmp, "labels.csv")
        with open(labels, "w") as f:
            f.write("path,label\n" + "".join(f"{i['path']},{'sick' if n % 3 == 0 else 'ok'}\n"
                                             for n, i in enumerate(self.items)))
        ann = self.version.add_annotations(labels, annotator="ada", categories=["ok", "sick"])
        strat = self.version.split(stratify=ann, seed=9, ratios={"train": 0.5, "test": 0.5})
        labelled = [dict(i, label="sick" if n % 3 == 0 else "ok") for n, i in enumerate(self.items)]
        self.assert_same_parts(strat, split_reference.split(labelled, ratios=[("train", 0.5), ("test", 0.5)], seed=9,
                                                            stratified=True, label_order=["ok", "sick"]))
        # The same parameters give the same split digest; another seed another.
        again = self.version.split(method="holdout", ratios=ratios, seed=3)
        self.assertEqual(again.digest, holdout.digest)
        self.assertNotEqual(self.version.split(method="holdout", ratios=ratios, seed=4).digest, holdout.digest)

    def test_leakage_is_found_and_reported_with_names(self):
        grouped = self.version.split(method="kfold", k=4, group="observation_unit", seed=5)
        clean = {f.kind: f for f in grouped.check().findings}
        self.assertEqual(clean["group:observation_unit"].count, 0)
        # An explicit split that puts the same bytes and the same plant on both sides.
        assignment = os.path.join(self.tmp, "assignment.csv")
        with open(assignment, "w") as f:
            f.write("path,part\n")
            for n, item in enumerate(sorted(self.items, key=lambda i: i["path"])):
                f.write(f"{item['path']},{'test' if item['path'] in ('S1-P2/day-01.png', 'S1-P1/day-09.png') else 'train'}\n")
        leaky = self.version.split(method="explicit", assignment=assignment, split_id="leaky")
        report = leaky.check(groups=["attributes.plot"])
        self.assertTrue(report.leakage_found)
        found = {f.kind: f for f in report.findings}
        self.assertEqual(found["exact_duplicate"].count, 1)  # day-00 of S1-P1 and day-01 of S1-P2 hold the same bytes
        pair = found["exact_duplicate"].pairs[0]
        self.assertEqual({pair.a, pair.b}, {"S1-P1/day-00.png", "S1-P2/day-01.png"})
        self.assertEqual(found["group:observation_unit"].count, 2)  # S1-P1 and S1-P2 straddle
        self.assertIn("group:attributes.plot", found)
        doc = self.client.read_blob(fairtrace.tree.Digest(report.document.sha256, report.document.size_bytes))
        self.assertIn(b'"leakage_found":true', doc)
        # Reports and parts are citable by runs and in lineage.
        with fairtrace.start_run(experiment="splits", client=self.client) as run:
            run.use(grouped.part("fold-1"), role="test")
            run.use(report, role="leakage")
        up = self.client.call(self.client.runs.GetLineage, runs_pb2.GetLineageRequest(
            resource=run.name, direction=runs_pb2.GetLineageRequest.UPSTREAM))
        nodes = {e.subject for e in up.edges} | {e.object for e in up.edges}
        self.assertIn(grouped.part("fold-1").name, nodes)
        self.assertIn(leaky.name, nodes)
        with fairtrace.start_run(experiment="splits", client=self.client) as bad:
            with self.assertRaises(FairtraceError) as err:
                bad.use(grouped.name + "/parts/fold-9", role="test")
        self.assertEqual(err.exception.code, grpc.StatusCode.FAILED_PRECONDITION)

    def test_leakage_is_checked_when_a_run_ends(self):
        ratios = {"train": 0.5, "test": 0.5}
        by_image = self.version.split(ratios=ratios, seed=21, split_id="by-image")  # plants straddle
        with fairtrace.start_run(experiment="splits", client=self.client) as leaky:
            leaky.use(by_image.part("train"), role="train")
            leaky.use(by_image.part("test"), role="test")
        run = self.client.get_run(leaky.name)
        self.assertTrue(run.tags["fairtrace.leakage"].startswith("found: "), run.tags["fairtrace.leakage"])
        self.assertIn("group:observation_unit", run.tags["fairtrace.leakage"])
        reports = [o for o in run.outputs if o.role == "leakage-report"]
        self.assertEqual(len(reports), 1)
        doc = self.client.read_blob(fairtrace.tree.Digest(reports[0].artifact.blob.sha256,
                                                          reports[0].artifact.blob.size_bytes))
        self.assertIn(b'"leakage_found":true', doc)
        # The same check on demand, for a running or ended run.
        on_demand = self.client.splits.check_run(leaky)
        self.assertTrue(on_demand.leakage_found)
        self.assertTrue(on_demand.name.startswith(leaky.name + "/leakageReports/"))
        self.assertEqual(self.client.call(self.client.split_service.GetLeakageReport,
                                          fairtrace.v1.splits_pb2.GetLeakageReportRequest(name=on_demand.name)).uid,
                         on_demand.uid)
        # Grouped by plant: no plant on both sides.
        folds = self.version.split(method="kfold", k=2, group="observation_unit", seed=21, split_id="plant-folds")
        with fairtrace.start_run(experiment="splits", client=self.client) as clean:
            clean.use(folds.part("fold-1"), role="train")
            clean.use(folds.part("fold-2"), role="test")
        tag = self.client.get_run(clean.name).tags["fairtrace.leakage"]
        self.assertNotIn("group:observation_unit 1", tag)
        self.assertTrue(tag == "none" or "group:observation_unit 0" in tag, tag)
        # L1.1: an evaluation whose test part is what the model trained on.
        folder = os.path.join(self.tmp, "model")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "MLmodel"), "w") as f:
            f.write("flavors:\n  python_function: {}\n")
        with fairtrace.start_run(experiment="splits", client=self.client) as train:
            train.use(folds.part("fold-1"), role="train")
            model = train.log_model(folder, registered_model="sp-model")
        with fairtrace.start_run(experiment="splits", kind="evaluation", client=self.client) as evaluation:
            evaluation.use(model.name, role="model")
            evaluation.use(folds.part("fold-1"), role="test")
        tag = self.client.get_run(evaluation.name).tags["fairtrace.leakage"]
        self.assertTrue(tag.startswith("found: exact_duplicate "), tag)
        # Inputs of different kinds (the whole version, a part): the items are compared.
        with fairtrace.start_run(experiment="splits", client=self.client) as mixed:
            mixed.use(self.version, role="train")
            mixed.use(by_image.part("test"), role="test")
        tag = self.client.get_run(mixed.name).tags["fairtrace.leakage"]
        self.assertTrue(tag.startswith("found: exact_duplicate "), tag)
        # A run without train/test inputs is not checked.
        with fairtrace.start_run(experiment="splits", client=self.client) as other:
            other.use(self.version, role="input")
        self.assertNotIn("fairtrace.leakage", self.client.get_run(other.name).tags)

    def test_near_duplicates_by_perceptual_hash(self):
        from e2e_annotations import png
        images = os.path.join(self.tmp, "near")
        os.makedirs(images)
        w, h = 90, 80
        base = [(x * 3 + y * 2) % 256 for y in range(h) for x in range(w)]  # a gradient
        other = [((x - 45) ** 2 + (y - 40) ** 2) % 256 for y in range(h) for x in range(w)]
        noisy = list(base)
        noisy[5] = (noisy[5] + 3) % 256  # one pixel off: the same picture
        for name, pixels in (("a.png", base), ("b.png", noisy), ("c.png", other)):
            with open(os.path.join(images, name), "wb") as f:
                f.write(png(w, h, pixels))
        with open(os.path.join(images, "broken.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n not really")
        self.client.datasets.create("sp-near")
        v = self.client.datasets.create_version("sp-near", images)
        assignment = os.path.join(self.tmp, "near.csv")
        with open(assignment, "w") as f:
            f.write("path,part\na.png,train\nb.png,test\nc.png,test\nbroken.png,train\n")
        split = v.split(method="explicit", assignment=assignment)
        report = split.check(near_duplicates=True)
        found = {f.kind: f for f in report.findings}
        self.assertEqual(found["exact_duplicate"].count, 0)
        self.assertEqual(found["near_duplicate"].count, 1)
        pair = found["near_duplicate"].pairs[0]
        self.assertEqual((pair.a, pair.b), ("a.png", "b.png"))
        doc = json.loads(self.client.read_blob(fairtrace.tree.Digest(report.document.sha256,
                                                                     report.document.size_bytes)))
        self.assertEqual(doc["near_duplicates"]["refused"], 1)
        self.assertEqual(doc["near_duplicates"]["refused_first"][0]["path"], "broken.png")
        self.assertEqual(doc["near_duplicates"]["computed_now"], 4)
        again = split.check(near_duplicates=True)  # hashes come from the cache now
        doc = json.loads(self.client.read_blob(fairtrace.tree.Digest(again.document.sha256, again.document.size_bytes)))
        self.assertEqual(doc["near_duplicates"]["computed_now"], 0)

    def refused(self, words, **kwargs):
        before = len(list(self.client.splits.list(self.version)))
        with self.assertRaises(FairtraceError) as err:
            self.version.split(**kwargs)
        self.assertEqual(err.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        text = str(err.exception) + " ".join(f"{f}: {d}" for f, d in err.exception.field_violations)
        self.assertIn(words, text)
        self.assertEqual(len(list(self.client.splits.list(self.version))), before)  # nothing stored

    def test_bad_input_is_refused_precisely(self):
        self.refused("the ratios sum to 0.9, not 1", ratios={"train": 0.7, "test": 0.2})
        self.refused("10 folds need at least 10 groups; there are 8", method="kfold", k=10, group="observation_unit")
        self.refused("no item of the version has a attributes.nothing", group="attributes.nothing")
        overlap = os.path.join(self.tmp, "overlap.csv")
        paths = sorted(i["path"] for i in self.items)
        with open(overlap, "w") as f:
            f.write("path,part\n" + "".join(f"{p},train\n" for p in paths) + f"{paths[0]},test\n")
        self.refused("is assigned twice (parts overlap)", method="explicit", assignment=overlap)
        missing = os.path.join(self.tmp, "missing.csv")
        with open(missing, "w") as f:
            f.write("path,part\n" + "".join(f"{p},train\n" for p in paths[1:]))
        self.refused("this item is in no part", method="explicit", assignment=missing)
        few = os.path.join(self.tmp, "few-labels.csv")
        with open(few, "w") as f:
            f.write(f"path,label\n{paths[0]},ok\n")
        partial = self.version.add_annotations(few, annotator="bob")
        self.refused("has no label in the annotation set", stratify=partial)
        images = os.path.join(self.tmp, "images")
        other_version = self.client.datasets.create_version("sp-leaves", images)  # no item table: no acquired_at
        with self.assertRaises(FairtraceError) as err:
            other_version.split(method="temporal")
        self.assertIn("has no acquired_at", str(err.exception))
        with self.assertRaises(FairtraceError) as err:
            other_version.split(stratify=partial)
        self.assertIn("the annotation set must be of the same dataset version", str(err.exception))


if __name__ == "__main__":
    unittest.main()
