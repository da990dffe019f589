"""Extraction quality of kabar's parser, with trafilatura.extract() scored on the same pages.

Corpora (read from the shared folder, never copied into the repository; see its README.md):

* ``id-dev/``: Indonesian article pages with the expected title and body. Per page: bag-of-words F1 and
  paragraph F1 of the body, dateline-insensitive (a leading ``City/brand -`` prefix is dropped on both
  sides), ``Baca juga`` lines of the expected body treated as removable, sign-offs and comment counters
  ignored on both sides. Article pages and photo galleries are reported apart. Also: pages with a promo
  marker left in the text, and titles equal after whitespace normalising.
* ``scrapinghub/``: the article-extraction benchmark (English). Per page precision and recall over
  multisets of 4-word shingles, averaged over pages; F1 from the averaged P and R.

Usage: ``python bench/quality.py [--corpus id-dev|scrapinghub|all] [--worst N] [--no-trafilatura]``.
The shared folder is ``../shared`` next to the repository, or ``$KABAR_SHARED``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scraper.encoding import decode_html
from scraper.parse import parse_html

TOKEN_RE = re.compile(r"\w+")
# A leading "City/brand -" prefix (at most 8 words), for dateline-insensitive scoring.
DATELINE_RE = re.compile(r"^\s*[^\n]{0,80}?\s*(?:\([^)\n]{0,40}\))?\s*(?:--|[-–—|])\s+")
REMOVABLE_RE = re.compile(r"^\s*(?:baca\s+juga|baca\s*:|lihat\s+juga|simak\s+juga)\b", re.IGNORECASE)
SIGNOFF_LINE_RE = re.compile(
    r"^\s*(?:\(\s*[\w.*]{1,10}(?:\s*/\s*[\w.*]{1,10}){0,4}\s*\)\.?|\d+\s+(?:komentar|comments?)"
    r"|(?:editor|pewarta|reporter|penulis|redaktur)\s*:.*)\s*$", re.IGNORECASE)
TRAILING_SIGNOFF_RE = re.compile(r"(?:\s*\(\s*[\w.*]{1,10}(?:\s*/\s*[\w.*]{1,10}){0,4}\s*\)\.?"
                                 r"|(?<=[.!?\"”])\s+[A-Z]{2,}(?:\s+[A-Z]{2,}){1,3})\s*$")
PROMO_MARKERS = ("baca juga", "advertisement", "scroll to", "berita terkait", "simak video", "kompas.com -",
                 "jangan lewatkan", "berita terpercaya", "lihat juga", "baca:")


def shared_dir() -> Path:
    env = os.environ.get("KABAR_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


# ---------------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(text.lower())


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def bag_f1(pred: list[str], true: list[str]) -> float:
    if not pred and not true:
        return 1.0
    common = sum((Counter(pred) & Counter(true)).values())
    if not common:
        return 0.0
    return f1(common / len(pred), common / len(true))


def _drop_dateline(lines: list[str]) -> list[str]:
    if lines:
        m = DATELINE_RE.match(lines[0])
        if m and len(m.group(0).split()) <= 9:
            lines = [lines[0][m.end():]] + lines[1:]
    return lines


def normalise_body(text: str, *, expected: bool) -> list[str]:
    """Paragraph lines with datelines, sign-offs and comment counters (and, expected side, Baca juga) out."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if expected:
        lines = [line for line in lines if not REMOVABLE_RE.match(line)]
    lines = [line for line in lines if not SIGNOFF_LINE_RE.match(line)]
    lines = _drop_dateline(lines)
    if lines:
        lines[-1] = TRAILING_SIGNOFF_RE.sub("", lines[-1])
    return [line for line in lines if line.strip()]


def paragraph_f1(pred: list[str], true: list[str]) -> float:
    pk = Counter(" ".join(tokens(x)) for x in pred)
    tk = Counter(" ".join(tokens(x)) for x in true)
    pk.pop("", None)
    tk.pop("", None)
    if not pk and not tk:
        return 1.0
    common = sum((pk & tk).values())
    if not common:
        return 0.0
    return f1(common / sum(pk.values()), common / sum(tk.values()))


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    toks = tokens(text)
    return Counter(tuple(toks[i:i + n]) for i in range(max(0, len(toks) - n + 1)))


def shingle_pr(pred: str, true: str) -> tuple[float, float]:
    """The scrapinghub benchmark's per-page precision and recall."""
    ps, ts = shingles(pred), shingles(true)
    tp = sum((ps & ts).values())
    fp = sum((ps - ts).values())
    fn = sum((ts - ps).values())
    precision = 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))
    recall = 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))
    return precision, recall


def leaked(text: str) -> list[str]:
    low = text.lower()
    return [m for m in PROMO_MARKERS if m in low]


# ---------------------------------------------------------------------------------------------------
# Extractors
# ---------------------------------------------------------------------------------------------------


@dataclass
class Output:
    title: str | None
    text: str


def kabar_extract(html: str, url: str | None) -> Output:
    art = parse_html(html, url)
    return Output(art.title, art.text)


def trafilatura_extract(html: str, url: str | None) -> Output:
    import trafilatura

    raw = trafilatura.extract(html, url=url, output_format="json", with_metadata=True)
    if not raw:
        return Output(None, "")
    data = json.loads(raw)
    return Output(data.get("title"), data.get("text") or "")


def load_trafilatura() -> Callable[[str, str | None], Output] | None:
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        print("trafilatura is not installed (pip install -e '.[bench]'): kabar only", file=sys.stderr)
        return None
    return trafilatura_extract


# ---------------------------------------------------------------------------------------------------
# Corpora
# ---------------------------------------------------------------------------------------------------


def read_page(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return decode_html(data)


@dataclass
class PageScore:
    name: str
    kind: str
    bow: float
    para: float
    title_ok: bool | None
    leaks: list[str]


def score_id_dev(folder: Path, extract: Callable[[str, str | None], Output]) -> list[PageScore]:
    out: list[PageScore] = []
    for html_path in sorted(folder.glob("*.html")):
        meta = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
        res = extract(read_page(html_path), meta.get("url"))
        true = normalise_body(meta.get("body") or "", expected=True)
        pred = normalise_body(res.text, expected=False)
        title = meta.get("title")
        title_ok = None if not title else " ".join((res.title or "").split()) == " ".join(title.split())
        kind = "gallery" if "gallery" in (meta.get("page_type") or "") else "article"
        out.append(PageScore(html_path.stem, kind, bag_f1(tokens("\n".join(pred)), tokens("\n".join(true))),
                             paragraph_f1(pred, true), title_ok, leaked(res.text)))
    return out


def score_scrapinghub(folder: Path, extract: Callable[[str, str | None], Output]
                      ) -> list[tuple[str, float, float]]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for key in sorted(truth):
        path = folder / "html" / f"{key}.html.gz"
        if not path.exists():
            continue
        res = extract(read_page(path), truth[key].get("url"))
        p, r = shingle_pr(res.text, truth[key].get("articleBody") or "")
        out.append((key, p, r))
    return out


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def report_id_dev(name: str, scores: list[PageScore]) -> dict[str, float]:
    result: dict[str, float] = {}
    for kind in ("article", "gallery"):
        sel = [s for s in scores if s.kind == kind]
        if not sel:
            continue
        result[f"{kind}_bow_f1"] = _mean([s.bow for s in sel])
        result[f"{kind}_para_f1"] = _mean([s.para for s in sel])
        print(f"  {name:<12} {kind:<8} pages {len(sel):>3}  body F1 {result[f'{kind}_bow_f1']:.3f}  "
              f"paragraph F1 {result[f'{kind}_para_f1']:.3f}")
    leaks = [s for s in scores if s.leaks]
    titled = [s for s in scores if s.title_ok is not None]
    good = sum(1 for s in titled if s.title_ok)
    result["leaks"] = len(leaks)
    result["titles"] = good / len(titled) if titled else 0.0
    print(f"  {name:<12} promo leaks {len(leaks)} page(s)"
          + (f" ({', '.join(s.name + ':' + '/'.join(s.leaks) for s in leaks)})" if leaks else "")
          + f"  titles exact {good}/{len(titled)}")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", choices=("id-dev", "scrapinghub", "all"), default="all")
    ap.add_argument("--worst", type=int, default=0, help="list the N worst pages for kabar")
    ap.add_argument("--no-trafilatura", action="store_true", help="score kabar only")
    args = ap.parse_args(argv)
    base = shared_dir()
    traf = None if args.no_trafilatura else load_trafilatura()

    if args.corpus in ("id-dev", "all"):
        folder = base / "corpus" / "id-dev"
        if not folder.is_dir():
            print(f"id-dev: {folder} not found, skipped")
        else:
            print(f"id-dev ({folder})")
            ks = score_id_dev(folder, kabar_extract)
            report_id_dev("kabar", ks)
            if traf is not None:
                report_id_dev("trafilatura", score_id_dev(folder, traf))
            for s in sorted(ks, key=lambda s: s.bow)[:args.worst]:
                print(f"    worst: {s.name:<16} {s.kind:<8} bow {s.bow:.3f} para {s.para:.3f} "
                      f"title {'ok' if s.title_ok else s.title_ok}")

    if args.corpus in ("scrapinghub", "all"):
        folder = base / "corpus" / "scrapinghub"
        if not (folder / "ground-truth.json").is_file():
            print(f"scrapinghub: {folder} not found, skipped")
        else:
            print(f"scrapinghub ({folder})")
            runs = [("kabar", kabar_extract)] + ([("trafilatura", traf)] if traf is not None else [])
            kabar_pages: list[tuple[str, float, float]] = []
            for name, fn in runs:
                pages = score_scrapinghub(folder, fn)
                if name == "kabar":
                    kabar_pages = pages
                p, r = _mean([x[1] for x in pages]), _mean([x[2] for x in pages])
                print(f"  {name:<12} pages {len(pages):>3}  precision {p:.3f}  recall {r:.3f}  F1 {f1(p, r):.3f}")
            for key, p, r in sorted(kabar_pages, key=lambda x: f1(x[1], x[2]))[:args.worst]:
                print(f"    worst: {key[:16]} P {p:.3f} R {r:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
