"""Learn the page-type model of ``scraper/pagetype.py`` from WCXB and write ``scraper/pagetype.json``.

Every WCXB dev page is parsed with kabar's parser; its features (``scraper.pagetype.features``) and its label
(article or not: ``_internal.page_type.primary``) feed an L2-regularised logistic regression (Newton steps,
classes weighted to equal mass). A page is held out when ``int(sha1(id).hexdigest(), 16) % 5 == 0``: the
model learns on the other four fifths, the threshold is the highest one that keeps article recall >= 0.98 on
them, and the report is on the held-out fifth. Indonesian article pages (id-dev, fixtures/pages) are scored
too: each must stay an article.

Usage: ``python bench/train_pagetype.py [--write] [--min-recall 0.98] [--l2 1.0]``.
The shared folder is ``../shared`` next to the repository, or ``$KABAR_SHARED``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from scraper.encoding import decode_html
from scraper.pagetype import FEATURES, features
from scraper.parse import parse_html

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "scraper" / "pagetype.json"
ATTRIBUTION = ("Weights learned from WCXB, the Web Content eXtraction Benchmark: Murrough Foley, WCXB (2026), "
               "licensed CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/). Changes: only the weights of a "
               "logistic model over kabar's own page features are kept, learned on the dev pages whose "
               "int(sha1(id), 16) % 5 != 0; no page text is included.")


def shared_dir() -> Path:
    import os

    env = os.environ.get("KABAR_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


def held_out(page_id: str) -> bool:
    return int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 5 == 0


def wcxb_rows(folder: Path) -> list[tuple[str, str, list[float]]]:
    """(id, page type, features) of every WCXB page."""
    rows = []
    for gt_path in sorted((folder / "ground-truth").glob("*.json")):
        data = json.loads(gt_path.read_text(encoding="utf-8"))
        html = decode_html(gzip.decompress((folder / "html" / f"{gt_path.stem}.html.gz").read_bytes()))
        art = parse_html(html, data.get("url"))
        rows.append((gt_path.stem, data["_internal"]["page_type"]["primary"], features(art)))
    return rows


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 30) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by Newton's method (the bias is not penalised)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    pos = y.sum()
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * (len(y) - pos)))
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -60, 60)))
        grad = xb.T @ (sw * (p - y)) + reg * w
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def scores(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x @ w + b, -60, 60)))


def report(name: str, p: np.ndarray, y: np.ndarray, t: float) -> None:
    pred = p >= t
    acc = float((pred == (y == 1)).mean())
    art_recall = float(pred[y == 1].mean())
    non = ~pred
    non_precision = float((y[non] == 0).mean()) if non.any() else 1.0
    non_recall = float(non[y == 0].mean())
    print(f"  {name:<9} pages {len(y):>4}  accuracy {acc:.3f}  article recall {art_recall:.3f}  "
          f"non-article precision {non_precision:.3f}  non-article recall {non_recall:.3f}")


def indonesian_articles() -> list[tuple[str, list[float]]]:
    out = []
    for path in sorted((shared_dir() / "corpus" / "id-dev").glob("*.html")):
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        out.append((path.name, features(parse_html(path.read_bytes(), meta.get("url")))))
    for path in sorted((ROOT / "fixtures" / "pages").glob("*.html")):
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        out.append((path.name, features(parse_html(path.read_bytes(), meta.get("url")))))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    ap.add_argument("--min-recall", type=float, default=0.98, help="article recall the threshold keeps (learn)")
    ap.add_argument("--l2", type=float, default=1.0)
    args = ap.parse_args(argv)
    folder = shared_dir() / "corpus" / "wcxb-dev"
    rows = wcxb_rows(folder)
    x = np.array([r[2] for r in rows])
    y = np.array([1.0 if r[1] == "article" else 0.0 for r in rows])
    held = np.array([held_out(r[0]) for r in rows])
    w, b = fit(x[~held], y[~held], args.l2)
    p_learn = scores(x[~held], w, b)
    art = np.sort(p_learn[y[~held] == 1])
    threshold = float(art[int((1 - args.min_recall) * len(art))])
    print(f"page type model: {len(FEATURES)} features, threshold {threshold:.3f}")
    report("learn", p_learn, y[~held], threshold)
    p_held = scores(x[held], w, b)
    report("held-out", p_held, y[held], threshold)
    types = np.array([r[1] for r in rows])[held]
    for kind in sorted(set(types)):
        sel = types == kind
        print(f"    {kind:<13} {int(sel.sum()):>3} pages, taken for articles {float((p_held[sel] >= threshold).mean()):.2f}")
    for name, f in indonesian_articles():
        p = float(scores(np.array([f]), w, b)[0])
        if p < threshold:
            print(f"  NOT AN ARTICLE by the model: {name} p={p:.3f}")
    for name, weight in sorted(zip(FEATURES, w, strict=True), key=lambda t: -abs(t[1])):
        print(f"    {name:<20} {weight:+.3f}")
    if args.write:
        data = {"attribution": ATTRIBUTION, "features": list(FEATURES),
                "weights": [round(float(v), 5) for v in w], "bias": round(b, 5), "threshold": round(threshold, 5)}
        OUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
