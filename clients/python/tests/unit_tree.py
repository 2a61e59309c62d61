"""The Python manifest builder agrees with docs/tree-format.md byte for byte."""

import os
import stat
import tempfile
import unittest

from fairtrace.tree import build_tree, restore_problems


class TreeTest(unittest.TestCase):
    def test_worked_example_of_the_format_page(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "MLmodel"), "wb") as f:
                f.write(b"flavors: {}\n")
            os.mkdir(os.path.join(d, "bin"))
            with open(os.path.join(d, "bin", "predict"), "wb") as f:
                f.write(b"#!/bin/sh\n")
            os.chmod(os.path.join(d, "bin", "predict"), 0o755)
            with open(os.path.join(d, "model.pkl"), "wb") as f:
                f.write(b"abc")
            tree = build_tree(d)
        self.assertEqual(str(tree.digest), "deca2ca8654b5b02607bf5c37b596dd65c67cc368647e63b6c21fc0571b1f11f/256")
        self.assertEqual([e.path for e in tree.entries], ["MLmodel", "bin/predict", "model.pkl"])
        self.assertTrue(tree.entries[1].executable)

    def test_bytewise_order_and_refusals(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ["a0", "a-b"]:
                open(os.path.join(d, name), "w").close()
            os.mkdir(os.path.join(d, "a"))
            open(os.path.join(d, "a", "b"), "w").close()
            self.assertEqual([e.path for e in build_tree(d).entries], ["a-b", "a/b", "a0"])
            os.symlink("a0", os.path.join(d, "link"))
            with self.assertRaisesRegex(ValueError, "symbolic link"):
                build_tree(d)
        with tempfile.TemporaryDirectory() as d:
            # The empty tree is valid (docs/tree-format.md): the header alone.
            tree = build_tree(d)
            self.assertEqual(tree.manifest, b"fairtrace-tree/1\n")
            self.assertEqual(tree.entries, [])
        with tempfile.TemporaryDirectory() as d:
            for name in ["README", "readme"]:
                open(os.path.join(d, name), "w").close()
            with self.assertRaisesRegex(ValueError, "differ only in case"):
                build_tree(d)

    def test_restorable_tree_vectors_shared_with_the_server(self):
        # The same file drives common/content/tree_names_test.cc.
        vectors = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "fixtures", "tree-names.tsv")
        checked = 0
        with open(vectors, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                expect, *paths = line.split("\t")
                paths.sort(key=lambda p: p.encode("utf-8"))
                problems = restore_problems(paths)
                kind = "ok"
                if problems:
                    m = problems[0][1]
                    kind = ("NFC" if "NFC" in m else "CASE" if "case" in m else "DEPTH" if "deep" in m
                            else "LENGTH" if "bytes" in m else "?")
                self.assertEqual(kind, expect, line[:120])
                checked += 1
        self.assertGreaterEqual(checked, 16)


if __name__ == "__main__":
    unittest.main()
