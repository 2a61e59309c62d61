"""Annotation sets and agreement end to end against the real server, every
coefficient checked against an independent implementation: statsmodels
(fleiss_kappa, cohens_kappa) and scikit-learn (cohen_kappa_score, also
weighted), and references written here from the formulas of
../shared/COMPLIANCE.md §5 for Krippendorff's alpha (coincidence matrix),
ICC(2,1) (two-way ANOVA) and Bland-Altman — none of them shares code with
the server's (registry/annotations/agreement_math.cc).
"""

import itertools
import json
import os
import random
import shutil
import struct
import tempfile
import unittest
import zlib

import grpc
import numpy as np
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa, fleiss_kappa

import fairtrace
from fairtrace import FairtraceError
from fairtrace.v1 import runs_pb2

from e2e_client import SERVER_BIN, Server

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "fixtures", "miappe")
W, H = 16, 12
ITEMS = [f"img/i{k:03d}.png" for k in range(60)]


def png(width, height, pixels):
    """An 8-bit grayscale PNG (written here, not with the server's libpng)."""
    raw = b"".join(b"\x00" + bytes(pixels[y * width:(y + 1) * width]) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def alpha_reference(units, metric):
    """Krippendorff's alpha from the coincidence matrix (COMPLIANCE.md §5):
    units is a list of lists of values (missing ones left out)."""
    values = sorted({v for u in units for v in u})
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for u in units:
        m = len(u)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[index[u[i]], index[u[j]]] += 1.0 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()

    def delta(c, k):
        if metric == "nominal":
            return 0.0 if c == k else 1.0
        if metric == "interval":
            return (values[c] - values[k]) ** 2
        lo, hi = min(c, k), max(c, k)
        return (n_c[lo:hi + 1].sum() - (n_c[c] + n_c[k]) / 2) ** 2
    d_o = sum(o[c, k] * delta(c, k) for c in range(len(values)) for k in range(len(values))) / n
    d_e = sum(n_c[c] * n_c[k] * delta(c, k) for c in range(len(values)) for k in range(len(values))) / (n * (n - 1))
    return 1 - d_o / d_e


def icc21_reference(x):
    """ICC(2,1) of an N x k matrix from the two-way ANOVA mean squares."""
    n, k = x.shape
    grand = x.mean()
    ss_r = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_c = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_e = ((x - grand) ** 2).sum() - ss_r - ss_c
    ms_r, ms_c, ms_e = ss_r / (n - 1), ss_c / (k - 1), ss_e / ((n - 1) * (k - 1))
    return (ms_r - ms_e) / (ms_r + (k - 1) * ms_e + k * (ms_c - ms_e) / n)


def overall(report):
    return {c.measure: c for c in report.overall}


@unittest.skipUnless(SERVER_BIN, "FAIRTRACE_SERVER_BIN not set")
class AnnotationsEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.server = Server(os.path.join(cls.tmp, "data"))
        cls.client = fairtrace.Client(cls.server.address, user="e2e")
        cls.client.investigations.import_files("ann-drought", [os.path.join(FIXTURES, "valid-1.2")])
        images = os.path.join(cls.tmp, "images")
        os.makedirs(os.path.join(images, "img"))
        for k, path in enumerate(ITEMS):
            with open(os.path.join(images, path), "wb") as f:
                f.write(png(W, H, [(k + p) % 256 for p in range(W * H)]))
        table = os.path.join(cls.tmp, "items.csv")
        with open(table, "w") as f:
            f.write("path,observation_unit\n")
            for k, path in enumerate(ITEMS):
                f.write(f"{path},{'S1-P1' if k < 30 else 'S1-P2'}\n")
        cls.client.datasets.create("ann-leaves")
        cls.version = cls.client.datasets.create_version("ann-leaves", images, items=table,
                                                         investigation="investigations/ann-drought")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.stop()
        shutil.rmtree(cls.tmp)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def label_sets(self):
        """Three raters' severity scores (0-3) on the 60 items; C skips 6."""
        rnd = random.Random(5)
        a = [rnd.randrange(4) for _ in ITEMS]
        b = [x if rnd.random() < 0.7 else rnd.randrange(4) for x in a]
        c = [x if rnd.random() < 0.6 else rnd.randrange(4) for x in a]
        c_missing = set(rnd.sample(range(len(ITEMS)), 6))
        return a, b, c, c_missing

    def test_labels_match_statsmodels_sklearn_and_the_formulas(self):
        a, b, c, c_missing = self.label_sets()
        sets = []
        for who, scores, skip in (("ada", a, set()), ("bob", b, set()), ("cy", c, c_missing)):
            rows = "".join(f"{p},{s}\n" for k, (p, s) in enumerate(zip(ITEMS, scores)) if k not in skip)
            sets.append(self.version.add_annotations(self.write(f"{who}.csv", "path,label\n" + rows), annotator=who,
                                                     protocol="severity", protocol_version="2"))
        self.assertEqual(sets[2].annotation_count, 54)
        # Two raters, ordinal: Cohen's and weighted kappa.
        two = self.client.agreement(sets[:2], scale="ordinal", seed=1)
        got = overall(two)
        self.assertAlmostEqual(got["percent_agreement"].value, np.mean(np.array(a) == np.array(b)), places=12)
        self.assertAlmostEqual(got["cohen_kappa"].value, cohen_kappa_score(a, b), places=12)
        table = np.zeros((4, 4))
        for x, y in zip(a, b):
            table[x, y] += 1
        self.assertAlmostEqual(got["cohen_kappa"].value, cohens_kappa(table).kappa, places=12)
        self.assertAlmostEqual(got["weighted_kappa"].value,
                               cohen_kappa_score(a, b, weights="quadratic", labels=[0, 1, 2, 3]), places=12)
        self.assertAlmostEqual(got["krippendorff_alpha_ordinal"].value,
                               alpha_reference([[x, y] for x, y in zip(a, b)], "ordinal"), places=12)
        self.assertTrue(got["cohen_kappa"].interval_defined)
        self.assertLess(got["cohen_kappa"].lower, got["cohen_kappa"].value)
        self.assertGreater(got["cohen_kappa"].upper, got["cohen_kappa"].value)
        # Three raters with gaps: Fleiss over complete items, alpha with missing.
        three = self.client.agreement(sets, seed=1)
        got = overall(three)
        complete = [[a[k], b[k], c[k]] for k in range(len(ITEMS)) if k not in c_missing]
        counts, _ = aggregate_raters(np.array(complete))
        self.assertAlmostEqual(got["fleiss_kappa"].value, fleiss_kappa(counts, method="fleiss"), places=12)
        self.assertEqual(got["fleiss_kappa"].units, 54)
        units = [[a[k], b[k]] + ([] if k in c_missing else [c[k]]) for k in range(len(ITEMS))]
        self.assertAlmostEqual(got["krippendorff_alpha_nominal"].value, alpha_reference(units, "nominal"), places=12)
        interval = overall(self.client.agreement(sets, scale="interval", bootstrap=-1))
        self.assertAlmostEqual(interval["krippendorff_alpha_interval"].value, alpha_reference(units, "interval"),
                               places=12)
        doc = self.client.annotations.document(three)
        self.assertEqual(doc["units"]["left_out_of_fleiss_kappa"], 6)
        self.assertEqual([c["category"] for c in doc["per_category"]], ["0", "1", "2", "3"])
        # Per MIAPPE factor level: the items show S1-P1 (watered) and S1-P2 (drought).
        levels = {(f["factor"], f["level"]): f for f in doc["per_factor"]}
        self.assertEqual(sorted(levels), [("watering regime", "drought"), ("watering regime", "watered")])
        watered = [[a[k], b[k]] + ([] if k in c_missing else [c[k]]) for k in range(30)]
        alpha_watered = [x for x in levels[("watering regime", "watered")]["coefficients"]
                         if x["measure"] == "krippendorff_alpha_nominal"][0]
        self.assertAlmostEqual(alpha_watered["value"], alpha_reference(watered, "nominal"), places=12)
        # Worst items: the least agreeing first, with every rater's label.
        worst = doc["worst_items"][0]
        self.assertEqual(set(worst["ratings"]), {s.name for s in sets})
        self.assertEqual(doc["bootstrap"]["replicates"], 1000)
        # The same request gives the same report bytes; another seed other intervals.
        again = self.client.agreement(sets, seed=1)
        self.assertEqual(again.document.sha256, three.document.sha256)
        other = self.client.agreement(sets, seed=2)
        self.assertNotEqual(other.document.sha256, three.document.sha256)
        self.assertEqual(overall(other)["fleiss_kappa"].value, got["fleiss_kappa"].value)
        # Citable by a run, and in lineage back to the sets and the version.
        with fairtrace.start_run(experiment="agreement", client=self.client) as run:
            run.use(three, role="agreement")
        up = self.client.call(self.client.runs.GetLineage, runs_pb2.GetLineageRequest(
            resource=run.name, direction=runs_pb2.GetLineageRequest.UPSTREAM))
        nodes = {e.subject for e in up.edges} | {e.object for e in up.edges}
        self.assertIn(three.name, nodes)
        self.assertIn(sets[2].name, nodes)
        self.assertIn(self.version.name, nodes)
        self.assertEqual(self.client.annotations.report(three.name).document.sha256, three.document.sha256)

    def test_kappa_undefined_when_both_raters_use_one_category(self):
        sets = [self.version.add_annotations(self.write(f"same-{w}.csv", "path,label\n" + "".join(
            f"{p},healthy\n" for p in ITEMS[:10])), annotator=w) for w in ("u", "v")]
        got = overall(self.client.agreement(sets, bootstrap=-1))
        self.assertFalse(got["cohen_kappa"].defined)
        self.assertIn("p_e = 1", got["cohen_kappa"].undefined_reason)
        self.assertEqual(got["percent_agreement"].value, 1.0)
        with self.assertRaises(FairtraceError) as err:
            self.client.agreement(sets, scale="interval")
        self.assertIn("needs numeric labels", str(err.exception))

    def test_measurements_match_the_formulas(self):
        rnd = random.Random(9)
        truth = [rnd.uniform(2, 12) for _ in ITEMS]
        raters = [[t + rnd.gauss(bias, 0.6) for t in truth] for bias in (0.0, 0.4, -0.2)]
        sets = [self.version.add_annotations(
            self.write(f"leaf-count-{i}.csv", "path,value\n" + "".join(f"{p},{v!r}\n" for p, v in zip(ITEMS, r))),
            annotator=f"counter-{i}") for i, r in enumerate(raters)]
        self.assertEqual(self.client.annotations.get(sets[0].name).task, 2)  # MEASUREMENTS
        got = overall(self.client.agreement(sets, seed=3))
        x = np.array(raters).T
        self.assertAlmostEqual(got["icc_2_1"].value, icc21_reference(x), places=10)
        self.assertAlmostEqual(got["krippendorff_alpha_interval"].value,
                               alpha_reference([list(row) for row in x], "interval"), places=10)
        pair = overall(self.client.agreement(sets[:2], bootstrap=-1))
        d = x[:, 0] - x[:, 1]
        self.assertAlmostEqual(pair["bland_altman_bias"].value, d.mean(), places=10)
        self.assertAlmostEqual(pair["bland_altman_lower"].value, d.mean() - 1.96 * d.std(ddof=1), places=10)
        self.assertAlmostEqual(pair["bland_altman_upper"].value, d.mean() + 1.96 * d.std(ddof=1), places=10)

    def coco(self, boxes):
        images = [{"id": k + 1, "file_name": p, "width": W, "height": H} for k, p in enumerate(ITEMS[:3])]
        anns = [{"id": i + 1, "image_id": img, "category_id": cat, "bbox": box}
                for i, (img, cat, box) in enumerate(boxes)]
        return json.dumps({"images": images, "annotations": anns,
                           "categories": [{"id": 1, "name": "leaf"}, {"id": 2, "name": "flower"}]})

    def test_boxes_are_matched_one_to_one(self):
        a = [(1, 1, [0, 0, 4, 4]), (1, 1, [8, 0, 4, 4]), (2, 1, [2, 2, 6, 6]), (3, 2, [0, 0, 10, 10])]
        # b: the first two shifted by one pixel (IoU 9/23 < 0.5 for one, 0.6 for
        # the other), the third identical, the flower missing, one extra box.
        b = [(1, 1, [0, 0, 4, 5]), (1, 1, [9, 1, 4, 4]), (2, 1, [2, 2, 6, 6]), (3, 1, [0, 0, 2, 2])]
        sa = self.version.add_annotations(self.write("boxes-a.json", self.coco(a)), annotator="ann-a", task="boxes")
        sb = self.version.add_annotations(self.write("boxes-b.json", self.coco(b)), annotator="ann-b", task="boxes")
        got = overall(self.client.agreement([sa, sb], bootstrap=-1))
        # IoUs: [0,0,4,4] vs [0,0,4,5] = 16/20 = 0.8; [8,0,4,4] vs [9,1,4,4] = 9/23; identical = 1.
        tp, fp, fn = 2, 2, 2
        self.assertAlmostEqual(got["f1"].value, 2 * tp / (2 * tp + fp + fn), places=12)
        self.assertAlmostEqual(got["precision"].value, tp / (tp + fp), places=12)
        self.assertAlmostEqual(got["mean_matched_iou"].value, (0.8 + 1.0) / 2, places=12)
        listed = list(self.client.annotations.annotations(sa, filter='path = "img/i000.png"'))
        self.assertEqual(len(listed), 2)
        self.assertEqual(listed[0].category, "leaf")
        self.assertEqual(list(listed[1].bbox), [8, 0, 4, 4])

    def test_mask_folders_give_dice_per_class(self):
        rnd = random.Random(11)
        folders, masks = [], []
        for r in range(2):
            root = os.path.join(self.tmp, f"masks-{r}")
            per_item = {}
            for p in ITEMS[:8]:
                os.makedirs(os.path.dirname(os.path.join(root, p)), exist_ok=True)
                px = [rnd.choice([0, 1, 1, 2]) for _ in range(W * H)]
                per_item[p] = np.array(px)
                with open(os.path.join(root, p), "wb") as f:
                    f.write(png(W, H, px))
            folders.append(root)
            masks.append(per_item)
        sets = [self.version.add_annotations(f, annotator=f"painter-{i}", categories={1: "leaf", 2: "stem"})
                for i, f in enumerate(folders)]
        report = self.client.agreement(sets, bootstrap=-1)
        got = overall(report)
        per_item = []
        for p in ITEMS[:8]:
            a, b = masks[0][p], masks[1][p]
            dice = [2 * np.sum((a == c) & (b == c)) / (np.sum(a == c) + np.sum(b == c)) for c in (1, 2)]
            per_item.append(np.mean(dice))
        self.assertAlmostEqual(got["dice_mean"].value, np.mean(per_item), places=12)
        self.assertAlmostEqual(got["dice_sd"].value, np.std(per_item, ddof=1), places=12)
        doc = self.client.annotations.document(report)
        self.assertEqual([c["category"] for c in doc["per_category"]], ["leaf", "stem"])

    def assert_refused(self, call, violation):
        before = len(list(self.version.annotation_sets()))
        with self.assertRaises(FairtraceError) as err:
            call()
        self.assertEqual(err.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        fields = " | ".join(f"{f}: {d}" for f, d in err.exception.field_violations)
        self.assertIn(violation, fields)
        self.assertEqual(len(list(self.version.annotation_sets())), before)  # nothing stored

    def test_bad_input_is_refused_precisely_and_stores_nothing(self):
        add = self.version.add_annotations
        self.assert_refused(lambda: add(self.write("bad.csv", "path,label\nimg/i000.png,a\nnope.png,b\n")),
                            "source:3 (path)]: \"nope.png\" is not an item")
        good = self.coco([(1, 1, [0, 0, 4, 4])])
        bad_image = good.replace('"image_id": 1', '"image_id": 77')
        self.assert_refused(lambda: add(self.write("b1.json", bad_image), task="boxes"), "image id 77 is not among")
        bad_cat = good.replace('"category_id": 1', '"category_id": 9')
        self.assert_refused(lambda: add(self.write("b2.json", bad_cat), task="boxes"), "category id 9 is not declared")
        outside = good.replace("[0, 0, 4, 4]", "[10, 0, 7, 4]")
        self.assert_refused(lambda: add(self.write("b3.json", outside), task="boxes"), "lies outside the image (16x12)")
        doc = json.loads(good)
        doc["annotations"][0]["segmentation"] = [[0, 0, 4, 0, 4]]
        self.assert_refused(lambda: add(self.write("b4.json", json.dumps(doc)), task="polygons"), "odd count")
        doc["annotations"][0]["segmentation"] = {"size": [H, W], "counts": [10, 5]}
        self.assert_refused(lambda: add(self.write("b5.json", json.dumps(doc)), task="masks"),
                            "the runs cover 15 pixels, the image has 192")
        doc["annotations"].append(dict(doc["annotations"][0]))
        self.assert_refused(lambda: add(self.write("b6.json", json.dumps(doc)), task="masks"), "used twice")
        wrong = os.path.join(self.tmp, "wrong-size")
        os.makedirs(os.path.join(wrong, "img"))
        with open(os.path.join(wrong, ITEMS[0]), "wb") as f:
            f.write(png(W, H - 1, [1] * (W * (H - 1))))
        self.assert_refused(lambda: add(wrong, categories={1: "leaf"}), "the mask is 16x11, the image 16x12")
        undeclared = os.path.join(self.tmp, "undeclared")
        os.makedirs(os.path.join(undeclared, "img"))
        with open(os.path.join(undeclared, ITEMS[0]), "wb") as f:
            f.write(png(W, H, [3] * (W * H)))
        self.assert_refused(lambda: add(undeclared, categories={1: "leaf"}), "pixel value 3 is not a declared class id")

    def test_agreement_refuses_mixed_or_single_sets(self):
        labels = self.version.add_annotations(self.write("one.csv", "path,label\nimg/i000.png,x\n"), annotator="o")
        counts = self.version.add_annotations(self.write("one-v.csv", "path,value\nimg/i000.png,3\n"), annotator="o")
        for sets, words in (([labels], "two or more"), ([labels, counts], "agreement is between sets of one task")):
            with self.assertRaises(FairtraceError) as err:
                self.client.agreement(sets)
            self.assertEqual(err.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn(words, str(err.exception))
        images = os.path.join(self.tmp, "images")
        v2 = self.client.datasets.create_version("ann-leaves", images)
        other = v2.add_annotations(self.write("v2.csv", "path,label\nimg/i000.png,x\n"), annotator="o")
        with self.assertRaises(FairtraceError) as err:
            self.client.agreement([labels, other])
        self.assertIn("agreement is between sets of one dataset version", str(err.exception))


if __name__ == "__main__":
    unittest.main()
