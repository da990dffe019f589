"""Offline evaluation of the story model (storage/story.py) on the syndication dev set.

Reads ``../shared/corpus/syndication-dev/items.jsonl``, builds each item's story (``storage.story.story_of``;
the excerpt's lines are the paragraphs), scores every pair with ``storage.story.compare`` (document frequencies
from the set's own texts as the archive would hold them; no label is used), clusters the items in arrival order
with the store's merge rule (``storage.story.choose_clusters``: a new item joins a cluster when it is the same
story as at least half of its members) and scores the clustering with the corpus's ``score.py`` definitions:
pairwise precision, recall on verbatim, rewrite and same-event pairs.

It prints

* the **all-in** figure with the shipped weights and threshold (``storage.story``), checked against score.py;
* **leave-one-topic-out**: for each of the 9 topics, the threshold (and with ``--tune`` the weights) chosen on
  the other 8 topics, the ninth scored with it; the pair counts summed over the 9 held-out topics;
* the **precision/recall curve** over the threshold (clustered), and the TF-IDF floor of floor_tfidf.py for
  comparison.

    python bench/cluster_model.py [--items PATH] [--tune] [--orders 3] [--verbose]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from storage import story as model  # noqa: E402

ITEMS = ROOT.parent / "shared" / "corpus" / "syndication-dev" / "items.jsonl"
THRESHOLDS = [round(0.40 + 0.025 * i, 3) for i in range(33)]


Params = model.Weights


def load(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def scorer(items_path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("syndication_score", items_path.parent / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Pairs:
    """Every item's story and every pair's comparison, computed once.

    Document frequencies: with ``arrival`` (an order), each pair is compared with the frequencies of the items
    that had arrived when the later of the two did (as the store's save path sees them); otherwise with those
    of the whole set (as ``kabar recluster`` sees the archive)."""

    def __init__(self, items: Sequence[dict[str, Any]], shingle_containment: Callable[[str, str], float],
                 arrival: Sequence[int] | None = None) -> None:
        self.items = list(items)
        self.stories = [model.story_of(*title_and_lines(it)) for it in items]
        n = len(items)
        self.cmp: dict[tuple[int, int], model.Comparison] = {}
        self.same_source: dict[tuple[int, int], bool] = {}
        self.kind: dict[tuple[int, int], str | None] = {}     # None: not the same story
        df = model.DocFreq()
        if arrival is None:
            for s in self.stories:
                df.add(s)
        seen: list[int] = []
        for i in arrival if arrival is not None else range(n):
            if arrival is not None:
                df.add(self.stories[i])
            for j in seen:
                key = self.key(i, j)
                self.cmp[key] = model.compare(self.stories[key[0]], self.stories[key[1]], df)
            seen.append(i)
        for i, j in itertools.combinations(range(n), 2):
            self.same_source[i, j] = items[i]["outlet"] == items[j]["outlet"]
            self.kind[i, j] = pair_kind(items[i], items[j], shingle_containment)
        self.df = df

    def key(self, i: int, j: int) -> tuple[int, int]:
        return (i, j) if i < j else (j, i)

    def same(self, p: Params, i: int, j: int) -> bool:
        k = self.key(i, j)
        return model.same_story(self.cmp[k], same_source=self.same_source[k], w=p)


def title_and_lines(item: dict[str, Any]) -> tuple[str, list[str]]:
    """The title a portal shows for the item (bench/syndication_portals.py) and its other lines."""
    from syndication_portals import title_of

    title = title_of(item)
    lines = item["text"].split("\n")
    return title, lines[1:] if lines and lines[0].strip() == title else lines


def pair_kind(a: dict[str, Any], b: dict[str, Any], cont: Callable[[str, str], float]) -> str | None:
    """score.py's pair kinds: verbatim, rewrite, same-event, or None for a different story."""
    if a["cluster"] != b["cluster"] or a["kind"] == "negative":
        return None
    if "same-event" in (a["kind"], b["kind"]):
        return "same-event"
    if a["kind"] == b["kind"] == "verbatim" and cont(a["text"], b["text"]) >= 0.3:
        return "verbatim"
    return "rewrite"


def cluster(pairs: Pairs, p: Params, order: Sequence[int]) -> dict[int, int]:
    """Arrival-order clustering with the store's rule; item index -> cluster (its first member's index)."""
    cluster_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    rank = {i: n for n, i in enumerate(order)}
    for i in order:
        links = {c: [model.Link(m, model.similarity(pairs.cmp[pairs.key(i, m)], p), pairs.same(p, i, m))
                     for m in ms] for c, ms in members.items()}
        joined = model.choose_clusters(links, {c: len(ms) for c, ms in members.items()},
                                       lambda a, b: pairs.same(p, a, b))
        if not joined:
            cluster_of[i] = i
            members[i] = [i]
            continue
        winner = min(joined, key=rank.__getitem__)      # the store: the smallest id wins
        for c in joined:
            if c != winner:
                for m in members.pop(c):
                    cluster_of[m] = winner
                    members[winner].append(m)
        cluster_of[i] = winner
        members[winner].append(i)
    return cluster_of


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    hit: dict[str, int] | None = None
    total: dict[str, int] | None = None

    def __post_init__(self) -> None:
        self.hit = self.hit or {"verbatim": 0, "rewrite": 0, "same-event": 0}
        self.total = self.total or {"verbatim": 0, "rewrite": 0, "same-event": 0}

    def add(self, other: Counts) -> None:
        assert self.hit is not None and self.total is not None and other.hit and other.total
        self.tp += other.tp
        self.fp += other.fp
        for k in self.hit:
            self.hit[k] += other.hit[k]
            self.total[k] += other.total[k]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self, kind: str) -> float:
        assert self.hit is not None and self.total is not None
        return self.hit[kind] / self.total[kind] if self.total[kind] else 1.0

    def line(self) -> str:
        assert self.hit is not None and self.total is not None
        parts = " ".join(f"{k} {self.recall(k):.3f} ({self.hit[k]}/{self.total[k]})" for k in self.hit)
        return f"precision {self.precision:.3f} ({self.tp} right, {self.fp} wrong)  recall: {parts}"


def count(pairs: Pairs, cluster_of: dict[int, int], scope: set[int] | None = None) -> Counts:
    """score.py's pair counts; with ``scope``, only pairs with at least one item in it (a held-out topic)."""
    out = Counts()
    assert out.hit is not None and out.total is not None
    for (i, j), kind in pairs.kind.items():
        if scope is not None and i not in scope and j not in scope:
            continue
        grouped = cluster_of[i] == cluster_of[j]
        if kind is None:
            out.fp += grouped
            continue
        out.total[kind] += 1
        out.hit[kind] += grouped
        if grouped and kind != "same-event":
            out.tp += 1
    return out


def objective(c: Counts) -> float:
    """What tuning maximises: recall on verbatim and rewrite pairs, with wrong pairs costing heavily."""
    return c.recall("verbatim") + c.recall("rewrite") - 0.5 * c.fp - (5.0 if c.precision < 0.97 else 0.0)


def grid(tune: bool) -> list[Params]:
    base = Params()
    if not tune:
        return [replace(base, threshold=t) for t in THRESHOLDS]
    out = []
    for wc, wn, nb, wp in itertools.product((0.0, 0.25, 0.5), (0.2, 0.5, 0.8), (0.0, 0.15, 0.3), (0.0, 0.1, 0.3)):
        out.extend(Params(containment=wc, numbers=wn, numbers_base=nb, names=wp, quotes=0.0, threshold=t,
                          copy=base.copy) for t in THRESHOLDS)
    return out


def loto(pairs: Pairs, tune: bool, order: Sequence[int]) -> tuple[Counts, list[str]]:
    topics = sorted({it["topic"] for it in pairs.items})
    candidates = grid(tune)
    clusterings = [cluster(pairs, p, order) for p in candidates]
    total = Counts()
    notes = []
    for topic in topics:
        held = {i for i, it in enumerate(pairs.items) if it["topic"] == topic}
        train = set(range(len(pairs.items))) - held
        # tune on the pairs inside the 8 other topics (items of the held-out topic do not vote)
        best = max(range(len(candidates)), key=lambda k: (objective(count_within(pairs, clusterings[k], train)),
                                                          -abs(candidates[k].threshold - model.WEIGHTS.threshold)))
        got = count(pairs, clusterings[best], held)
        total.add(got)
        p = candidates[best]
        notes.append(f"  {topic[:40]:<40} t={p.threshold:.3f} cont={p.containment} num={p.numbers}"
                     f"-{p.numbers_base} names={p.names}  {got.line()}")
    return total, notes


def count_within(pairs: Pairs, cluster_of: dict[int, int], scope: set[int]) -> Counts:
    """Pair counts over pairs with both items in ``scope``."""
    out = Counts()
    assert out.hit is not None and out.total is not None
    for (i, j), kind in pairs.kind.items():
        if i not in scope or j not in scope:
            continue
        grouped = cluster_of[i] == cluster_of[j]
        if kind is None:
            out.fp += grouped
        else:
            out.total[kind] += 1
            out.hit[kind] += grouped
            out.tp += grouped and kind != "same-event"
    return out


def curve(pairs: Pairs, order: Sequence[int]) -> list[str]:
    lines = []
    for t in THRESHOLDS:
        c = count(pairs, cluster(pairs, replace(Params(), threshold=t), order))
        lines.append(f"  t={t:.3f}  {c.line()}")
    return lines


def run_floor(items_path: Path) -> str:
    import subprocess
    floor = items_path.parent / "floor_tfidf.py"
    if not floor.exists():
        return "floor_tfidf.py not found"
    out = subprocess.run([sys.executable, str(floor), str(items_path)], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=Path, default=ITEMS)
    ap.add_argument("--tune", action="store_true", help="leave-one-topic-out over the weights too, not only "
                                                         "the threshold")
    ap.add_argument("--orders", type=int, default=2, help="shuffled arrival orders besides the file order")
    ap.add_argument("--verbose", "-v", action="store_true", help="per-topic choices and the wrong/missed pairs")
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--df", choices=("archive", "arrival"), default="archive",
                    help="document frequencies of the whole set (recluster) or of the items arrived so far "
                         "(the save path)")
    args = ap.parse_args()
    if not args.items.exists():
        print(f"{args.items} not found")
        return 1
    items = load(args.items)
    sc = scorer(args.items)
    archive = Pairs(items, sc.containment) if args.df == "archive" else None
    print(f"{len(items)} items, {len({i['topic'] for i in items})} topics; shipped: {model.WEIGHTS}")
    orders = [list(range(len(items)))]
    for seed in range(1, args.orders + 1):
        shuffled = list(range(len(items)))
        random.Random(seed).shuffle(shuffled)
        orders.append(shuffled)
    worst_ok = True
    for n, order in enumerate(orders):
        name = "file order" if n == 0 else f"shuffle {n}"
        pairs = archive or Pairs(items, sc.containment, order)
        assigned = cluster(pairs, Params(), order)
        allin = count(pairs, assigned)
        official = sc.score(items, {items[i]["id"]: c for i, c in assigned.items()})
        assert abs(official["precision"] - round(allin.precision, 3)) < 1e-9, (official, allin.line())
        print(f"all-in   {name:<10} {allin.line()}")
        print(f"         score.py: {json.dumps(official)}")
        held, notes = loto(pairs, args.tune, order)
        print(f"LOTO     {name:<10} {held.line()}")
        if args.verbose:
            print("\n".join(notes))
        worst_ok &= held.precision >= 0.97 and held.recall("verbatim") >= 0.95 and held.recall("rewrite") >= 0.6
        if args.verbose and n == 0:
            explain(pairs, assigned)
    print("precision/recall over the threshold (file order, shipped weights, clustered):")
    print("\n".join(curve(archive or Pairs(items, sc.containment, orders[0]), orders[0])))
    if not args.no_floor:
        print("TF-IDF floor (floor_tfidf.py, pairwise, verbatim+rewrite together):")
        print(run_floor(args.items))
    print(f"bars on held-out topics (precision >= 0.97, verbatim >= 0.95, rewrite >= 0.6): "
          f"{'met' if worst_ok else 'NOT met'}")
    return 0 if worst_ok else 1


def explain(pairs: Pairs, cluster_of: dict[int, int]) -> None:
    p = model.WEIGHTS
    for (i, j), kind in sorted(pairs.kind.items()):
        grouped = cluster_of[i] == cluster_of[j]
        c = pairs.cmp[i, j]
        if (kind is None and grouped) or (kind in ("verbatim", "rewrite") and not grouped):
            label = "WRONG " if kind is None else f"missed {kind}"
            print(f"  {label:<16} {pairs.items[i]['id']} ~ {pairs.items[j]['id']}: sim {model.similarity(c, p):.3f} "
                  f"cos {c.cosine:.3f} num {c.numbers:.2f} names {c.names:.2f} q {c.quotes} "
                  f"cont {c.containment:.2f}")


if __name__ == "__main__":
    sys.exit(main())
