r"""Extraction quality of kabar's parser, with trafilatura.extract() scored on the same pages.

Corpora (read from the shared folder, never copied into the repository; see its README.md):

* ``id-dev/``: Indonesian article pages with the expected title and body. Per page: bag-of-words F1 and
  paragraph F1 of the body, dateline-insensitive (a leading ``City/brand -`` prefix is dropped on both
  sides), ``Baca juga`` lines of the expected body treated as removable, sign-offs and comment counters
  ignored on both sides. Article pages and photo galleries are reported apart. Also: pages with a promo
  marker left in the text, and titles equal after whitespace normalising.
* ``scrapinghub/``: the article-extraction benchmark (English). Per page precision and recall over
  multisets of 4-word shingles, averaged over pages; F1 from the averaged P and R.
* ``wcxb-dev/``: the held-out fifth of WCXB (a page id is held out when ``int(sha1(id), 16) % 5 == 0``; the
  page-type model is learned on the rest). Its articles: body word F1 (bag of ``\w+`` tokens, every
  language alike) against ``main_content``, titles equal after whitespace normalising, and section headline
  precision and recall. A heading label is a line of ``main_content`` that is a markdown heading of
  ``main_content_markdown`` or the whole text of an ``h1``-``h6`` / ``b`` / ``strong`` element of the page
  (each element used once; the title excluded); a predicted headline is right when its ``\w+`` tokens equal a
  label's. Titles are also counted equal up to typographic quotes and dashes (the truth mostly writes ASCII
  ones where the page has ’ or —). Publication day: the first 10 characters of the date against
  ``publish_date`` (pages whose truth gives a full date). An article whose truth has no ``main_content``
  (one held-out page) counts for its title only.
  All its pages: kabar's article verdict against the page type (accuracy, article recall,
  non-article precision), beside the text-floor rule alone.

Usage: ``python bench/quality.py [--corpus id-dev|scrapinghub|wcxb|all] [--worst N] [--no-trafilatura]``.
The shared folder is ``../shared`` next to the repository, or ``$KABAR_SHARED``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from scraper.article import Article
from scraper.encoding import decode_html
from scraper.parse import parse_html
from scraper.record import MIN_ARTICLE_CHARS, not_article_reason

TOKEN_RE = re.compile(r"\w+")
DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# WCXB's truth writes most titles with ASCII quotes and dashes where the page has typographic ones.
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "--"})


def plain_quotes(text: str) -> str:
    return " ".join(text.translate(_PLAIN).split())
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
    headlines: list[str] | None = None
    article: Article | None = None
    date: str | None = None          # publication date (ISO 8601; its first 10 characters are scored)


def kabar_extract(html: str, url: str | None) -> Output:
    art = parse_html(html, url)
    return Output(art.title, art.text, [s.headline for s in art.segments if s.headline], art, art.published_at)


def trafilatura_xml_extract(html: str, url: str | None) -> Output:
    """trafilatura's XML output: its text and its ``<head>`` elements (the section headlines)."""
    import xml.etree.ElementTree as ET

    import trafilatura

    raw = trafilatura.extract(html, url=url, output_format="xml", with_metadata=True)
    if not raw:
        return Output(None, "", [])
    try:
        doc = ET.fromstring(raw)
    except ET.ParseError:
        return Output(None, "", [])
    main = doc.find("main")
    if main is None:
        return Output(doc.get("title"), "", [], date=doc.get("date"))
    lines = [" ".join("".join(el.itertext()).split()) for el in main if el.tag in ("p", "head", "list", "quote",
                                                                                   "table", "code")]
    heads = [" ".join("".join(el.itertext()).split()) for el in main.iter("head")]
    return Output(doc.get("title"), "\n".join(x for x in lines if x), [h for h in heads if h], date=doc.get("date"))


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


WCXB_HEADING_RE = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
WCXB_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
WCXB_LABEL_MAX = 200


def wcxb_held_out(page_id: str) -> bool:
    """The held-out fifth of WCXB (the page-type model never learned from it)."""
    return int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 5 == 0


def norm_tokens(text: str) -> str:
    return " ".join(tokens(text))


def heading_labels(truth: dict, html: str) -> list[str]:
    """The section headings of a WCXB page (normalised): markdown headings of ``main_content_markdown``, and
    lines of ``main_content`` that are the whole text of an h1-h6/b/strong element (each element once)."""
    title = norm_tokens(truth.get("title") or "")
    marked = Counter(norm_tokens(n.text(separator=" "))
                     for n in LexborHTMLParser(html).css("h1, h2, h3, h4, h5, h6, b, strong"))
    out: list[str] = []
    for line in (truth.get("main_content_markdown") or "").splitlines():
        m = WCXB_HEADING_RE.match(line.strip())
        if m:
            n = norm_tokens(WCXB_LINK_RE.sub(r"\1", m.group(1)))
            if n and n != title:
                out.append(n)
    from_markdown = Counter(out)
    for line in (truth.get("main_content") or "").splitlines():
        n = norm_tokens(line) if len(line.strip()) <= WCXB_LABEL_MAX else ""
        if n and n != title and marked[n] > 0:
            marked[n] -= 1
            if from_markdown[n] > 0:
                from_markdown[n] -= 1
            else:
                out.append(n)
    return out


@dataclass
class WcxbScore:
    name: str
    bow: float | None                # None: the truth has no main text (its title is still scored)
    title_ok: bool | None
    heads: tuple[int, int, int]      # right, wrong, missed
    date_ok: bool | None = None      # the publication day; None: the truth gives no full date
    title_quotes_ok: bool | None = None   # the title equal once typographic quotes and dashes are ASCII


def wcxb_pages(folder: Path, held: bool = True) -> list[tuple[str, dict, str]]:
    """(id, ground truth record, page html) of the held-out (or learned-on) WCXB pages."""
    out = []
    for gt_path in sorted((folder / "ground-truth").glob("*.json")):
        if wcxb_held_out(gt_path.stem) != held:
            continue
        data = json.loads(gt_path.read_text(encoding="utf-8"))
        out.append((gt_path.stem, data, read_page(folder / "html" / f"{gt_path.stem}.html.gz")))
    return out


def score_wcxb(pages: list[tuple[str, dict, str]], extract: Callable[[str, str | None], Output]
               ) -> tuple[list[WcxbScore], list[tuple[str, Output]]]:
    """Per WCXB article: body word F1, title, headline counts; and every page's output (for the verdict)."""
    scores: list[WcxbScore] = []
    outputs: list[tuple[str, Output]] = []
    for page_id, data, html in pages:
        res = extract(html, data.get("url"))
        outputs.append((data["_internal"]["page_type"]["primary"], res))
        if data["_internal"]["page_type"]["primary"] != "article":
            continue
        truth = data["ground_truth"]
        title = truth.get("title")
        title_ok = None if not title else " ".join((res.title or "").split()) == " ".join(title.split())
        quotes_ok = None if not title else plain_quotes(res.title or "") == plain_quotes(title)
        day = (truth.get("publish_date") or "").strip()
        date_ok = None if not DAY_RE.fullmatch(day[:10]) else (res.date or "")[:10] == day[:10]
        if not (truth.get("main_content") or "").strip():     # no main text to score the body against
            scores.append(WcxbScore(page_id, None, title_ok, (0, 0, 0), date_ok, quotes_ok))
            continue
        labels = Counter(heading_labels(truth, html))
        right = wrong = 0
        for h in res.headlines or []:
            n = norm_tokens(h)
            if labels[n] > 0:
                labels[n] -= 1
                right += 1
            else:
                wrong += 1
        scores.append(WcxbScore(page_id, bag_f1(tokens(res.text), tokens(truth.get("main_content") or "")),
                                title_ok, (right, wrong, sum(labels.values())), date_ok, quotes_ok))
    return scores, outputs


def report_wcxb(name: str, scores: list[WcxbScore]) -> dict[str, float]:
    right, wrong, missed = (sum(s.heads[k] for s in scores) for k in range(3))
    titled = [s for s in scores if s.title_ok is not None]
    dated = [s for s in scores if s.date_ok is not None]
    bodies = [s.bow for s in scores if s.bow is not None]
    result = {"bow_f1": _mean(bodies),
              "titles": sum(1 for s in titled if s.title_ok) / len(titled) if titled else 0.0,
              "headline_precision": right / (right + wrong) if right + wrong else 0.0,
              "headline_recall": right / (right + missed) if right + missed else 0.0,
              "dates": sum(1 for s in dated if s.date_ok) / len(dated) if dated else 0.0}
    print(f"  {name:<12} articles {len(scores):>3} ({len(bodies)} with a main text)  body F1 "
          f"{result['bow_f1']:.3f}  titles exact "
          f"{sum(1 for s in titled if s.title_ok)}/{len(titled)} ({sum(1 for s in titled if s.title_quotes_ok)} "
          f"up to typographic quotes)  headlines P {result['headline_precision']:.3f} "
          f"R {result['headline_recall']:.3f} ({right} right, {wrong} wrong, {missed} missed)  publication day "
          f"{sum(1 for s in dated if s.date_ok)}/{len(dated)}")
    return result


def floor_rule_reason(article: Article) -> str | None:
    """The verdict before the page-type model, for comparison: the text floor unless the page declares an
    article type."""
    text_len = sum(len(p) for seg in article.segments for p in seg.paragraphs)
    if not (article.title or "").strip() or not text_len:
        return "no title or body"
    return "too little text" if text_len < MIN_ARTICLE_CHARS and not article.declared_type else None


def report_page_types(outputs: list[tuple[str, Output]]) -> None:
    """kabar's article verdict over all held-out pages, against their page type."""
    for label, judge in (("text floor", floor_rule_reason), ("kabar", not_article_reason)):
        said = [(kind, judge(out.article) is None) for kind, out in outputs if out.article is not None]
        right = sum(1 for kind, yes in said if yes == (kind == "article"))
        arts = [yes for kind, yes in said if kind == "article"]
        skipped = [kind for kind, yes in said if not yes]
        non_precision = sum(1 for k in skipped if k != "article") / len(skipped) if skipped else 1.0
        non_recall = sum(1 for kind, yes in said if kind != "article" and not yes) / max(
            1, sum(1 for kind, _ in said if kind != "article"))
        print(f"  {label:<12} page type: pages {len(said)}  accuracy {right / len(said):.3f}  article recall "
              f"{sum(arts) / len(arts):.3f}  non-article precision {non_precision:.3f}  "
              f"non-article recall {non_recall:.3f}")


def run_wcxb(folder: Path, traf: Callable[[str, str | None], Output] | None, worst: int) -> None:
    print(f"wcxb held-out ({folder})")
    pages = wcxb_pages(folder)
    ks, outputs = score_wcxb(pages, kabar_extract)
    report_wcxb("kabar", ks)
    if traf is not None:
        report_wcxb("trafilatura", score_wcxb(pages, trafilatura_xml_extract)[0])
    report_page_types(outputs)
    for s in sorted((s for s in ks if s.bow is not None), key=lambda s: s.bow or 0.0)[:worst]:
        print(f"    worst: {s.name:<6} bow {s.bow:.3f} headlines {s.heads}")


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
    ap.add_argument("--corpus", choices=("id-dev", "scrapinghub", "wcxb", "all"), default="all")
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

    if args.corpus in ("wcxb", "all"):
        folder = base / "corpus" / "wcxb-dev"
        if not (folder / "ground-truth").is_dir():
            print(f"wcxb: {folder} not found, skipped")
        else:
            run_wcxb(folder, traf, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
