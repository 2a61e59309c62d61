"""Folder -> fairtrace-tree/1 manifest (docs/tree-format.md), computed offline.

build_tree(path) hashes every regular file of a folder and returns the
canonical manifest bytes, its digest and the (digest, path) of every file.
Symbolic links and special files are refused, as `fairtrace push` does.
"""

import hashlib
import os
import stat
from typing import List, NamedTuple, Tuple

HEADER = b"fairtrace-tree/1\n"
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


def build_tree(root: str) -> Tree:
    """The manifest of the folder at `root`. Raises ValueError for folders a
    tree cannot represent (symbolic links, special files, empty folder)."""
    if not os.path.isdir(root):
        raise ValueError(f"{root} is not a folder")
    files = _walk(root)
    if not files:
        raise ValueError(f"{root} holds no files")
    # Bytewise order of the UTF-8 paths (memcmp), not Python's str order.
    files.sort(key=lambda f: f[0].encode("utf-8"))
    entries = []
    lines = [HEADER]
    for rel, full, executable in files:
        d = digest_of_file(full)
        entries.append(Entry(rel, d, executable, full))
        kind = b"x" if executable else b"f"
        lines.append(b"%s %s %d %s\n" % (kind, d.sha256.encode(), d.size_bytes, rel.encode("utf-8")))
    manifest = b"".join(lines)
    return Tree(manifest, digest_of(manifest), entries)
