"""An offline reference of the split algorithm "fairtrace-split/1"
(docs/split-algorithm.md), written from the document and sharing no code
with the server: anyone can regenerate a split's parts from the item table,
the parameters and the seed, and check them against the registry's digests.

    parts = split_reference.split(items, ratios=[("train", .8), ("test", .2)], seed=7)
    parts["test"]["digest"]   # equals the server's SplitPart.digest

items: dicts with "path", "digest" (the item digest), and as needed "group"
(its group key), "label" and "acquired_at" (ISO 8601). Group keys the
server derives through the MIAPPE investigation (a sample walked up to its
observation unit, a unit's biological material) are not derived here: pass
them in "group".
"""

import datetime
import hashlib
import math
from typing import Dict, List, Optional, Sequence, Tuple

ALGORITHM = "fairtrace-split/1"


def group_hash(seed: int, key: str) -> str:
    return hashlib.sha256(str(seed).encode() + b"\0" + key.encode()).hexdigest()


def part_digest(item_digests: Sequence[str]) -> str:
    return hashlib.sha256("".join(d + "\n" for d in sorted(item_digests)).encode()).hexdigest()


def largest_remainder(n: int, ratios: Sequence[float]) -> List[int]:
    exact = [r * float(n) for r in ratios]
    sizes = [math.floor(x) for x in exact]
    order = sorted(range(len(ratios)), key=lambda i: -(exact[i] - math.floor(exact[i])))  # stable: ties to the earlier
    for i in order[:n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def acquired_micros(iso: str) -> int:
    if len(iso) == 10:
        iso += "T00:00:00"
    t = datetime.datetime.fromisoformat(iso.replace("z", "Z"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    delta = t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def split(items: List[dict], ratios: Optional[Sequence[Tuple[str, float]]] = None, folds: int = 0, seed: int = 0,
          grouped: bool = False, stratified: bool = False, temporal: bool = False,
          label_order: Sequence[str] = ()) -> Dict[str, dict]:
    """{part: {"paths": [...], "digest": ..., "groups": n}} in part order."""
    items = sorted(items, key=lambda it: it["path"].encode())
    if folds:
        ratios = [(f"fold-{f}", 1.0 / folds) for f in range(1, folds + 1)]
    if abs(sum(r for _, r in ratios) - 1) > 1e-9:
        raise ValueError("the ratios do not sum to 1")
    groups: Dict[str, dict] = {}
    for i, it in enumerate(items):
        key = it["group"] if grouped else it["path"]
        if not key:
            raise ValueError(f"item {it['path']!r} has no group key")
        g = groups.setdefault(key, {"key": key, "hash": group_hash(seed, key), "items": [], "latest": -2 ** 63})
        g["items"].append(i)
        if temporal:
            g["latest"] = max(g["latest"], acquired_micros(it["acquired_at"]))
    if folds and len(groups) < folds:
        raise ValueError(f"{folds} folds need at least {folds} groups; there are {len(groups)}")
    rank = {label: i for i, label in enumerate(label_order)}
    strata: Dict[Tuple[int, bytes], List[dict]] = {}
    for g in groups.values():
        label = ""
        if stratified:
            votes: Dict[str, int] = {}
            for i in g["items"]:
                votes[items[i]["label"]] = votes.get(items[i]["label"], 0) + 1
            most = -1
            for candidate in sorted(votes, key=str.encode):
                n = votes[candidate]
                if n > most or (n == most and rank.get(candidate, len(rank)) < rank.get(label, len(rank))):
                    label, most = candidate, n
        strata.setdefault((rank.get(label, len(rank)), label.encode()), []).append(g)
    parts = {name: {"paths": [], "indices": [], "groups": 0} for name, _ in ratios}
    names = [name for name, _ in ratios]
    for stratum in sorted(strata):
        members = strata[stratum]
        members.sort(key=lambda g: ((g["latest"] if temporal else 0), g["hash"], g["key"].encode()))
        sizes = largest_remainder(len(members), [r for _, r in ratios])
        nxt = 0
        for part, size in zip(names, sizes):
            for g in members[nxt:nxt + size]:
                parts[part]["indices"].extend(g["items"])
                parts[part]["groups"] += 1
            nxt += size
    for part in parts.values():
        part["indices"].sort()
        part["paths"] = [items[i]["path"] for i in part["indices"]]
        part["digest"] = part_digest([items[i]["digest"] for i in part["indices"]])
        del part["indices"]
    return parts
