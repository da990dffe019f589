"""Parser speed: pages per second of kabar's full ``parse_html`` and of ``trafilatura.extract()``.

Both run in this process on the same decoded pages, best of 3 runs each, and the ratio is printed. For kabar
the slowest page is also reported: the maximum over pages of the per-page median of 3 parses (the bar is
50 ms). Corpora: ``id-dev`` (the headline number) and, reported apart, ``scrapinghub``; both are read from the
shared folder (``../shared`` next to the repository, or ``$KABAR_SHARED``) and skipped when absent.

Usage: ``python bench/parse_speed.py [--runs 3] [--no-trafilatura]``
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


def slowest_page(fn: Callable[[str], object], pages: list[tuple[str, str]], runs: int) -> tuple[str, float]:
    worst_name, worst = "", 0.0
    for name, html in pages:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn(html)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        if med > worst:
            worst_name, worst = name, med
    return worst_name, worst


def kabar(html: str) -> object:
    return parse_html(html)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-trafilatura", action="store_true")
    ap.add_argument("--cpu", action="store_true",
                    help="measure process CPU time instead of wall time (steadier on a busy machine)")
    args = ap.parse_args(argv)
    traf: Callable[[str], object] | None = None
    if not args.no_trafilatura:
        try:
            import trafilatura
            traf = trafilatura.extract
        except ImportError:
            print("trafilatura is not installed (pip install -e '.[bench]'): kabar only", file=sys.stderr)
    for corpus in ("id-dev", "scrapinghub"):
        pages = load_pages(corpus)
        if not pages:
            print(f"{corpus}: not found under {shared_dir()}, skipped")
            continue
        for _, html in pages[:3]:        # warm-up: imports, regex compilation, caches of both sides
            kabar(html)
            if traf is not None:
                traf(html)
        clock = time.process_time if args.cpu else time.perf_counter
        fns: list[Callable[[str], object]] = [kabar] + ([traf] if traf is not None else [])
        times = best_of(fns, pages, args.runs, clock)
        k = times[0]
        name, worst = slowest_page(kabar, pages, args.runs)
        line = f"{corpus:<12} pages {len(pages):>4}  kabar {len(pages) / k:8.1f} pages/s"
        if traf is not None:
            t = times[1]
            line += f"  trafilatura {len(pages) / t:7.1f} pages/s  ratio {t / k:5.1f}x"
        print(line)
        print(f"{'':<12} slowest kabar page (median of {args.runs}): {worst * 1000:.1f} ms ({name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
