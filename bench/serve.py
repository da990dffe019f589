"""Speed of ``kabar serve``'s pages at archive scale.

Builds (or reuses, with ``--db``) an archive of N synthetic articles (default 100,000) with the store bench's
generator (bench/store.py: Zipf text, 10 % syndicated copies from another source) through
``Store.save_many``, adds a few runs and failed pages per source, then times every route of the web app
(median of 20 requests through the ASGI app with httpx's ASGITransport, the app reading the file through its
own read-only connection) and prints the ms of each beside the 200 ms bar.

    python bench/serve.py                          # full size: building takes a few minutes
    python bench/serve.py --n 5000                 # quick look
    python bench/serve.py --db /tmp/serve100k.db   # build once, time again later
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store import CHUNK, Generator, pick_search_words  # noqa: E402

from storage.store import Store  # noqa: E402

BAR_MS = 200.0
REPEAT = 20


def build(db_path: Path, n: int) -> None:
    gen = Generator()
    records = gen.articles(n)
    done = 0
    t0 = time.perf_counter()
    with Store.open(str(db_path)) as store:
        while done < n:
            chunk = [next(records) for _ in range(min(CHUNK, n - done))]
            for _ in store.save_many(chunk):
                pass
            done += len(chunk)
            print(f"  {done:,} articles stored ({time.perf_counter() - t0:.0f} s)", flush=True)
        with store.transaction() as conn:
            for source in gen.sources:
                for day in range(1, 29):
                    started = f"2025-06-{day:02d}T06:00:00.000+00:00"
                    failed = day % 7 == 0
                    conn.execute(
                        "INSERT INTO runs (source, started_at, finished_at, status, discovered, fetched, new, "
                        "failed, error) VALUES (?, ?, ?, ?, 40, 38, 30, ?, ?)",
                        (source, started, started.replace("06:00", "06:05"), "failed" if failed else "ok",
                         2, "connection refused" if failed else None))
                conn.execute("INSERT OR REPLACE INTO pages (url, source, status, fetched_at, error) "
                             "VALUES (?, ?, 503, ?, 'HTTP 503 after 3 tries')",
                             (f"https://{source}.example/gagal", source, "2025-06-28T06:01:00.000+00:00"))
                conn.execute("UPDATE sources SET interval_s = 3600, next_run_at = ?, last_status = 'ok' "
                             "WHERE name = ?", ("2025-06-29T07:00:00.000+00:00", source))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def routes(db_path: Path, n: int) -> list[tuple[str, str]]:
    """(label, path) of every route, with real ids and words from the archive."""
    rng = random.Random(3)
    with Store.open(str(db_path), readonly=True) as store:
        conn = store.conn
        big = conn.execute("SELECT cluster_id FROM articles GROUP BY cluster_id ORDER BY COUNT(*) DESC "
                           "LIMIT 1").fetchone()[0]
        newest = conn.execute("SELECT id FROM articles ORDER BY published_at DESC LIMIT 1").fetchone()[0]
        source = conn.execute("SELECT source FROM articles WHERE id = ?", (newest,)).fetchone()[0]
    words = pick_search_words(db_path, n, rng)
    word2 = f"{words[0]} {words[1]}" if len(words) > 1 else "berita"
    out = [("front page", "/"), ("front page, page 10", "/?page=10"), ("front page, one source", f"/?source={source}"),
           ("front page, since", "/?since=2025-06-20"), ("search, 2 words", f"/?q={word2}"),
           ("search, 1 common word", f"/?q={words[0]}"), ("search, prefix in 90 % of articles", "/?q=ka*"),
           ("story, largest cluster", f"/story/{big}"), ("article", f"/article/{newest}"), ("sources", "/sources")]
    return out + [(f"{label} (JSON)", f"{path.split('?')[0].rstrip('/') or '/'}.json"
                   + (f"?{path.split('?')[1]}" if "?" in path else ""))
                  for label, path in out]


async def time_routes(db_path: Path, paths: list[tuple[str, str]]) -> list[tuple[str, str, float, int]]:
    from scraper.web.app import create_app

    app = create_app(str(db_path))
    transport = httpx.ASGITransport(app=app)
    out = []
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for label, path in paths:
            times = []
            status = 0
            for _ in range(REPEAT):
                t0 = time.perf_counter()
                resp = await client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                status = resp.status_code
            out.append((label, path, statistics.median(times), status))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="articles in the archive (default 100,000)")
    ap.add_argument("--db", type=Path, default=None, help="archive path: built when missing, else reused")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="kabar-serve-bench-")
    db_path = args.db or Path(tmp.name) / "serve.db"
    if not db_path.exists():
        print(f"building {args.n:,} articles into {db_path}", flush=True)
        build(db_path, args.n)
    Store.open(str(db_path)).close()     # an archive built by an older kabar is migrated once
    with Store.open(str(db_path), readonly=True) as store:
        n = store.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    results = asyncio.run(time_routes(db_path, routes(db_path, n)))
    print(f"{n:,} articles; median of {REPEAT} requests per route (ASGI app in process, read-only connection)")
    worst = 0.0
    for label, path, ms, status in results:
        worst = max(worst, ms)
        mark = "ok" if ms <= BAR_MS and status == 200 else "OVER" if status == 200 else f"HTTP {status}"
        print(f"  {label:<42} {ms:7.1f} ms  (bar {BAR_MS:.0f})  {mark:<5} {path}")
    print(f"slowest {worst:.1f} ms")
    return 0 if worst <= BAR_MS and all(r[3] == 200 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
