"""Folder -> fairtrace-tree/1 manifest (docs/tree-format.md), computed offline.

build_tree(path) hashes every regular file of a folder and returns the
canonical manifest bytes, its digest and the (digest, path) of every file.
Symbolic links and special files are refused, as `fairtrace push` does.
"""

import hashlib
import os
import stat
import unicodedata
from typing import Dict, List, NamedTuple, Tuple

HEADER = b"fairtrace-tree/1\n"
# Restorable trees (docs/tree-format.md): the server refuses others.
MAX_RESTORABLE_PATH_BYTES = 1024
MAX_RESTORABLE_DEPTH = 64
_CHUNK = 1 << 20


class Digest(NamedTuple):
    sha256: str
    size_bytes: int

    def __str__(self) -> str:
        return f"{self.sha256}/{self.size_bytes}"


class Entry(NamedTuple):
    path: str           # relative, "/"-separated
    digest: Digest
    executable: bool
    local_path: str     # where the bytes are on this machine


class Tree(NamedTuple):
    manifest: bytes
    digest: Digest
    entries: List[Entry]


def digest_of(data: bytes) -> Digest:
    return Digest(hashlib.sha256(data).hexdigest(), len(data))


def digest_of_file(path: str) -> Digest:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            h.update(chunk)
            size += len(chunk)
    return Digest(h.hexdigest(), size)


def _walk(root: str) -> List[Tuple[str, str, bool]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in list(dirnames):
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                raise ValueError(f"{full} is a symbolic link; trees hold regular files only")
        for name in filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                raise ValueError(f"{full} is not a regular file (symbolic link or special file)")
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            out.append((rel, full, bool(st.st_mode & stat.S_IXUSR)))
    return out


def nfc_name(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def folded_name(s: str) -> str:
    """NFC, then per code point: its Unicode full case folding when that is a
    single code point, else the code point itself (common/content/tree_names.h)."""
    out = []
    for c in nfc_name(s):
        f = c.casefold()
        out.append(f if len(f) == 1 else c)
    return "".join(out)


def restore_problems(paths: List[str], max_problems: int = 20) -> List[Tuple[int, str]]:
    """(index, message) for each reason the tree of `paths` (sorted bytewise)
    could not be written back on ext4, macOS and Windows: too long, too deep,
    names equal after NFC or after NFC + case folding. Empty when fine."""
    out: List[Tuple[int, str]] = []
    by_nfc: Dict[str, str] = {}
    by_fold: Dict[str, str] = {}
    for i, path in enumerate(paths):
        if len(out) >= max_problems:
            break
        size = len(path.encode("utf-8"))
        if size > MAX_RESTORABLE_PATH_BYTES:
            out.append((i, f"path has {size} bytes; at most {MAX_RESTORABLE_PATH_BYTES}"))
            continue
        depth = path.count("/") + 1
        if depth > MAX_RESTORABLE_DEPTH:
            out.append((i, f"path is {depth} folders deep; at most {MAX_RESTORABLE_DEPTH}"))
            continue
        raw, nfc, fold = path.split("/"), nfc_name(path).split("/"), folded_name(path).split("/")
        for k in range(1, len(raw) + 1):
            prefix = "/".join(raw[:k])
            first = by_nfc.setdefault("/".join(nfc[:k]), prefix)
            if first != prefix:
                out.append((i, f'"{prefix}" and "{first}" are one name after Unicode NFC normalization'))
                break
            first = by_fold.setdefault("/".join(fold[:k]), prefix)
            if first != prefix:
                out.append((i, f'"{prefix}" and "{first}" differ only in case'))
                break
    return out


def build_tree(root: str) -> Tree:
    """The manifest of the folder at `root`. Raises ValueError for folders a
    tree cannot represent (symbolic links, special files) or that could not
    be written back everywhere (restore_problems). An empty folder gives the
    empty tree (the header alone), as `fairtrace push` does."""
    if not os.path.isdir(root):
        raise ValueError(f"{root} is not a folder")
    files = _walk(root)
    # Bytewise order of the UTF-8 paths (memcmp), not Python's str order.
    files.sort(key=lambda f: f[0].encode("utf-8"))
    problems = restore_problems([f[0] for f in files], 1)
    if problems:
        raise ValueError(f"{root}: {files[problems[0][0]][0]}: {problems[0][1]}")
    entries = []
    lines = [HEADER]
    for rel, full, executable in files:
        d = digest_of_file(full)
        entries.append(Entry(rel, d, executable, full))
        kind = b"x" if executable else b"f"
        lines.append(b"%s %s %d %s\n" % (kind, d.sha256.encode(), d.size_bytes, rel.encode("utf-8")))
    manifest = b"".join(lines)
    return Tree(manifest, digest_of(manifest), entries)
