"""Parser speed: pages per second of kabar's full ``parse_html`` and of ``trafilatura.extract()``.

Both run in this process on the same decoded pages, best of 3 runs each, and the ratio is printed. Beside
them runs a *bare Lexbor parse* (``LexborHTMLParser(html)`` and the text of every ``<p>``): the floor any
Lexbor-based parser pays, so kabar's cost as a multiple of it shows the margin to the speed bar on a machine
where trafilatura is relatively faster or slower (the bar is 15x trafilatura; bare Lexbor is ~35-65x). For kabar
the slowest page is also reported: the maximum over pages of the per-page median of 3 parses (the bar is
50 ms). Corpora: ``id-dev`` (the headline number) and, reported apart, ``scrapinghub``; both are read from the
shared folder (``../shared`` next to the repository, or ``$KABAR_SHARED``) and skipped when absent.

Usage: ``python bench/parse_speed.py [--runs 3] [--no-trafilatura] [--cpu] [--corpus id-dev|scrapinghub]``
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from scraper.encoding import decode_html
from scraper.parse import parse_html


def shared_dir() -> Path:
    env = os.environ.get("KABAR_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


def load_pages(name: str) -> list[tuple[str, str]]:
    folder = shared_dir() / "corpus" / name
    if name == "id-dev":
        paths = sorted(folder.glob("*.html"))
    else:
        paths = sorted((folder / "html").glob("*.html.gz"))
    pages = []
    for p in paths:
        data = p.read_bytes()
        if p.suffix == ".gz":
            data = gzip.decompress(data)
        pages.append((p.name, decode_html(data)))
    return pages


def one_pass(fn: Callable[[str], object], pages: list[tuple[str, str]], clock: Callable[[], float]) -> float:
    t0 = clock()
    for _, html in pages:
        fn(html)
    return clock() - t0


def best_of(fns: list[Callable[[str], object]], pages: list[tuple[str, str]], runs: int,
            clock: Callable[[], float]) -> list[float]:
    """Best total time of ``runs`` passes over all pages for each function, passes interleaved so that
    both sides see the same machine load."""
    best = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], one_pass(fn, pages, clock))
    return best


def paired_per_page(fns: list[Callable[[str], object]], pages: list[tuple[str, str]], rounds: int,
                    clock: Callable[[], float]) -> list[float]:
    """For each function, the sum over pages of its best time on that page; the functions alternate page
    by page, so a burst of load from other processes hits both sides alike and the minimum filters it out.
    Steadier than whole passes on a shared machine: the basis of the cost relative to bare Lexbor."""
    best = [[float("inf")] * len(pages) for _ in fns]
    for _ in range(rounds):
        for j, (_, html) in enumerate(pages):
            for i, fn in enumerate(fns):
                t0 = clock()
                fn(html)
                dt = clock() - t0
                if dt < best[i][j]:
                    best[i][j] = dt
    return [sum(b) for b in best]


def slowest_page(fn: Callable[[str], object], pages: list[tuple[str, str]], runs: int,
                 clock: Callable[[], float] = time.perf_counter) -> tuple[str, float]:
    worst_name, worst = "", 0.0
    for name, html in pages:
        times = []
        for _ in range(runs):
            t0 = clock()
            fn(html)
            times.append(clock() - t0)
        med = statistics.median(times)
        if med > worst:
            worst_name, worst = name, med
    return worst_name, worst


def kabar(html: str) -> object:
    return parse_html(html)


def bare_lexbor(html: str) -> object:
    """The floor: parse the page with Lexbor and collect the text of its paragraphs."""
    return [p.text() for p in LexborHTMLParser(html).css("p")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-trafilatura", action="store_true")
    ap.add_argument("--cpu", action="store_true",
                    help="measure process CPU time instead of wall time (steadier on a busy machine)")
    ap.add_argument("--pair-rounds", type=int, default=15,
                    help="rounds of the page-by-page comparison of kabar with bare Lexbor")
    ap.add_argument("--corpus", choices=("id-dev", "scrapinghub"), action="append",
                    help="only this corpus (repeatable; default: both)")
    args = ap.parse_args(argv)
    traf: Callable[[str], object] | None = None
    if not args.no_trafilatura:
        try:
            import trafilatura
            traf = trafilatura.extract
        except ImportError:
            print("trafilatura is not installed (pip install -e '.[bench]'): kabar only", file=sys.stderr)
    for corpus in args.corpus or ("id-dev", "scrapinghub"):
        pages = load_pages(corpus)
        if not pages:
            print(f"{corpus}: not found under {shared_dir()}, skipped")
            continue
        for _, html in pages[:3]:        # warm-up: imports, regex compilation, caches of both sides
            kabar(html)
            bare_lexbor(html)
            if traf is not None:
                traf(html)
        clock = time.process_time if args.cpu else time.perf_counter
        fns: list[Callable[[str], object]] = [kabar, bare_lexbor] + ([traf] if traf is not None else [])
        times = best_of(fns, pages, args.runs, clock)
        k, bare = times[0], times[1]
        pk, pbare = paired_per_page([kabar, bare_lexbor], pages, args.pair_rounds, clock)
        name, worst = slowest_page(kabar, pages, args.runs, clock)
        line = f"{corpus:<12} pages {len(pages):>4}  kabar {len(pages) / k:8.1f} pages/s"
        if traf is not None:
            t = times[2]
            line += f"  trafilatura {len(pages) / t:7.1f} pages/s  ratio {t / k:5.1f}x"
        print(line)
        line = f"{'':<12} bare Lexbor {len(pages) / bare:8.1f} pages/s  kabar costs {k / bare:4.2f}x bare Lexbor"
        if traf is not None:
            line += f"  (bare Lexbor is {times[2] / bare:5.1f}x trafilatura)"
        print(line)
        print(f"{'':<12} page by page (best of {args.pair_rounds}): kabar {pk * 1000 / len(pages):.2f} ms/page, "
              f"bare Lexbor {pbare * 1000 / len(pages):.2f} ms/page, kabar costs {pk / pbare:4.2f}x bare Lexbor")
        print(f"{'':<12} slowest kabar page (median of {args.runs}): {worst * 1000:.1f} ms ({name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
