"""Write and search speed of the store at archive scale.

Builds a store of N synthetic articles (default 100,000; ~3.5 KB of Zipf-distributed Indonesian-like text in
4 segments each, 10 % of them syndicated copies from another source so the story-cluster path is busy)
through ``Store.save_many``, the whole write path (URL canonicalisation, content hash, story features,
segments, URLs, clusters, FTS5): a worker process prepares the articles (hashes, MinHash, facts) while the
calling process writes, as the crawl's parse worker does (``--serial``: all in one process). Prints:

* ``N articles/s`` for the store's write path in wall time (generation excluded: articles are generated
  10,000 at a time outside the timed part), with the rate and RSS every 10,000 articles (flat RSS = constant
  memory) and the CPU per article of each process, against a bare ``sqlite3`` loop with FTS5 triggers on the same
  articles (the floor of what any SQLite store can do here);
* the median in-process time of 20 two-word searches whose words each occur in 0.1–5 % of the articles;
* the time of one ``kabar search`` command end to end (subprocess, read-only open, Python start-up included).

Bars (issue 3): >= 500 articles/s, search median < 50 ms, ``kabar search`` < 0.5 s.

    python bench/store.py            # full size, a few minutes
    python bench/store.py --n 5000   # quick look
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from storage.query import Filters, search
from storage.records import ArticleRecord
from storage.store import Store

SYLLABLES = ("ka ba da ma na pa ra sa ta la ga ja wa ya ha nga nya ke be de me ne pe re se te le ge je "
             "ki bi di mi ni pi ri si ti li gi ji ko bo do mo no po ro so to lo go jo ku bu du mu nu pu ru "
             "su tu lu gu ju an ang ar as at al am").split()
PREFIXES = ("me", "mem", "men", "meng", "ber", "di", "ter", "pe", "pem", "pen", "ke", "se")
SUFFIXES = ("kan", "an", "i", "nya", "lah")


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        roll = rng.random()
        if roll < 0.25:
            stem = rng.choice(PREFIXES) + stem
        elif roll < 0.4:
            stem = stem + rng.choice(SUFFIXES)
        words.add(stem)
    return sorted(words, key=lambda w: (len(w), w))


class Generator:
    """Deterministic synthetic news: Zipf word frequencies, capitalised names, numbers, copies."""

    def __init__(self, seed: int = 68, vocab: int = 60_000, names: int = 3_000, sources: int = 12) -> None:
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.words = make_vocabulary(self.rng, vocab)
        ranks = np.arange(1, vocab + 1, dtype=np.float64)
        p = 1.0 / ranks ** 1.07
        self.cdf = np.cumsum(p / p.sum())
        self.names = [w.capitalize() for w in make_vocabulary(random.Random(seed + 1), names)]
        self.sources = [f"portal{i:02d}" for i in range(sources)]
        self.recent: list[ArticleRecord] = []

    def _words(self, n: int) -> list[str]:
        idx = np.searchsorted(self.cdf, self.np.random(n))
        idx = np.minimum(idx, len(self.words) - 1)
        return [self.words[i] for i in idx]

    def _sentence(self, n: int) -> str:
        words = self._words(n)
        for _ in range(self.rng.randint(0, 2)):
            words[self.rng.randrange(1, n)] = self.rng.choice(self.names)
        if self.rng.random() < 0.3:
            words[self.rng.randrange(1, n)] = f"{self.rng.randint(2, 999)}.{self.rng.randint(0, 999):03d}"
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def _paragraph(self) -> str:
        return " ".join(self._sentence(self.rng.randint(9, 15)) for _ in range(4))

    def article(self, i: int) -> ArticleRecord:
        day = 1 + (i * 28) // 100_000 % 28
        published = f"2025-06-{day:02d}T{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}:00+07:00"
        if self.recent and self.rng.random() < 0.10:
            orig = self.rng.choice(self.recent)
            others = [s for s in self.sources if s != orig.source]
            source = self.rng.choice(others)
            segments = [(h, list(p)) for h, p in orig.segments]
            segments[0] = (None, [self._paragraph(), *segments[0][1][1:]])  # another lead paragraph
            title = orig.title
        else:
            source = self.rng.choice(self.sources)
            segments = [(None if s == 0 else " ".join(self._words(6)).capitalize(),
                         [self._paragraph() for _ in range(3)]) for s in range(4)]
            title = " ".join(self._words(8)).capitalize()
        rec = ArticleRecord(source=source, url=f"https://{source}.example/2025/06/{i}/berita-{i}?utm_source=x",
                            canonical_url=f"https://{source}.example/2025/06/{i}/berita-{i}", title=title,
                            segments=segments, published_at=published, authors=["Redaksi"], lang="id")
        self.recent.append(rec)
        if len(self.recent) > 200:
            self.recent.pop(0)
        return rec

    def articles(self, n: int) -> Iterator[ArticleRecord]:
        for i in range(n):
            yield self.article(i)


CHUNK = 10_000   # articles generated ahead of each timed save_many() call


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def bare_loop(path: Path, n: int) -> tuple[float, float]:
    """Articles/s (wall, CPU) of a bare sqlite3 loop: one row + segments + FTS5 trigger per transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript("""
        CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT UNIQUE, title TEXT, text TEXT);
        CREATE TABLE segments (article_id INTEGER, position INTEGER, headline TEXT, text TEXT,
                               PRIMARY KEY (article_id, position));
        CREATE VIRTUAL TABLE articles_fts USING fts5 (title, text, content='articles', content_rowid='id');
        CREATE TRIGGER ai AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text); END;
    """)
    gen = Generator(seed=99)
    spent = cpu = 0.0
    for i, rec in enumerate(gen.articles(n)):
        t0 = time.perf_counter()
        c0 = time.process_time()
        conn.execute("BEGIN")
        cur = conn.execute("INSERT INTO articles (url, title, text) VALUES (?, ?, ?)",
                           (f"{rec.canonical_url}#{i}", rec.title, rec.text))
        conn.executemany("INSERT INTO segments VALUES (?, ?, ?, ?)",
                         [(cur.lastrowid, p, h, "\n".join(ps)) for p, (h, ps) in enumerate(rec.segments)])
        conn.execute("COMMIT")
        spent += time.perf_counter() - t0
        cpu += time.process_time() - c0
    conn.close()
    return n / spent, n / cpu


def pick_search_words(db_path: Path, n_articles: int, rng: random.Random) -> list[str]:
    """Words that occur in 0.1-5 % of the articles (from the FTS5 vocabulary), shuffled."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, articles_fts, row)")
    lo, hi = max(1, int(0.001 * n_articles)), max(2, int(0.05 * n_articles))
    terms = [t for (t,) in conn.execute("SELECT term FROM temp.vocab WHERE doc BETWEEN ? AND ? "
                                        "AND term GLOB '[a-z]*' ORDER BY term", (lo, hi))]
    conn.close()
    rng.shuffle(terms)
    return terms


def per_article_rate(path: Path, n: int) -> float:
    """Articles/s when every article is its own transaction (no batch), on a fresh store."""
    gen = Generator(seed=5)
    spent = 0.0
    with Store.open(str(path)) as store:
        for rec in gen.articles(n):
            t0 = time.perf_counter()
            store.save_article(rec)
            spent += time.perf_counter() - t0
    return n / spent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="articles to store (default 100,000)")
    ap.add_argument("--baseline", type=int, default=5_000, help="articles for the bare sqlite3 loop")
    ap.add_argument("--single", type=int, default=5_000,
                    help="articles for the one-transaction-per-article comparison (0 to skip)")
    ap.add_argument("--batch", type=int, default=1000,
                    help="most writes per transaction (save_many's default; a transaction also commits after 1 s)")
    ap.add_argument("--serial", action="store_true",
                    help="prepare (hashes, story features) in the writing process: the one-core rate")
    ap.add_argument("--db", type=Path, default=None, help="database path (default: a temporary folder)")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="kabar-bench-")
    db_path = args.db or Path(tmp.name) / "bench.db"
    if db_path.exists():
        sys.exit(f"{db_path} exists; give a new path")

    base_rate, base_cpu = bare_loop(Path(tmp.name) / "bare.db", min(args.baseline, args.n))
    print(f"bare sqlite3 loop + FTS5 trigger: {base_rate:,.0f} articles/s, {base_cpu:,.0f}/s of CPU time "
          f"({min(args.baseline, args.n):,} articles)")

    gen = Generator()
    store = Store.open(str(db_path))
    spent = cpu = 0.0
    outcomes: dict[str, int] = {}
    total_bytes = 0
    start_rss = rss_mb()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{'articles':>9} {'interval/s':>10} {'RSS MB':>7} {'peak MB':>8}")
    records = gen.articles(args.n)
    done = 0
    while done < args.n:
        # Generated outside the timed part, a chunk at a time (memory stays bounded by the chunk).
        chunk = [next(records) for _ in range(min(CHUNK, args.n - done))]
        total_bytes += sum(len(rec.text.encode("utf-8")) for rec in chunk)
        t0 = time.perf_counter()
        c0 = time.process_time()
        for result in store.save_many(chunk, parallel=not args.serial, max_writes=args.batch):
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        dt = time.perf_counter() - t0
        cpu += time.process_time() - c0
        spent += dt
        done += len(chunk)
        print(f"{done:>9,} {len(chunk) / dt:>10,.0f} {rss_mb():>7.0f} {peak_rss_mb():>8.0f}", flush=True)
        del chunk
    t0 = time.perf_counter()
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    spent += time.perf_counter() - t0  # the last checkpoint is part of the write path too
    rate = args.n / spent
    clusters = store.conn.execute("SELECT COUNT(DISTINCT cluster_id) FROM articles").fetchone()[0]
    multi = store.conn.execute("SELECT COUNT(*) FROM (SELECT cluster_id FROM articles GROUP BY cluster_id "
                               "HAVING COUNT(*) > 1)").fetchone()[0]
    store.close()
    size_mb = db_path.stat().st_size / 1e6
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    helper_cpu = (children.ru_utime + children.ru_stime) - (children0.ru_utime + children0.ru_stime)
    mode = "one process" if args.serial else "prepare worker process + writing process"
    print(f"{rate:,.0f} articles/s  (whole write path: Store.save_many(), {mode}, transactions of "
          f"{args.batch}; {rate / base_rate:.2f}x the bare loop; bar >= 500)")
    print(f"CPU per article: writing process {cpu / args.n * 1000:.2f} ms, prepare worker "
          f"{helper_cpu / args.n * 1000:.2f} ms (bare loop {1000 / base_cpu:.2f} ms)")
    if args.single:
        single = per_article_rate(Path(tmp.name) / "single.db", min(args.single, args.n))
        print(f"{single:,.0f} articles/s with one transaction per article ({min(args.single, args.n):,} articles, "
              f"{single / base_rate:.2f}x the bare loop, which also commits per article)")
    print(f"avg text {total_bytes / args.n / 1000:.1f} KB; outcomes {outcomes}; {clusters:,} stories, "
          f"{multi:,} with copies; db {size_mb:,.0f} MB; RSS start {start_rss:.0f} MB, peak {peak_rss_mb():.0f} MB")

    rng = random.Random(7)
    words = pick_search_words(db_path, args.n, rng)
    reader = Store.open(str(db_path), readonly=True)
    if len(words) < 40:
        print(f"only {len(words)} words in the 0.1-5 % band; searches skipped")
        reader.close()
        return 1
    queries = [f"{words[2 * k]} {words[2 * k + 1]}" for k in range(20)]
    times = []
    hits = []
    for q in queries:
        t0 = time.perf_counter()
        rows = search(reader, q, Filters(limit=20))
        times.append(time.perf_counter() - t0)
        hits.append(len(rows))
    reader.close()
    median_ms = statistics.median(times) * 1000
    print(f"search median {median_ms:.1f} ms over 20 two-word queries (max {max(times) * 1000:.1f} ms, "
          f"rows {min(hits)}-{max(hits)}; bar < 50 ms)")

    env = dict(os.environ)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scraper", "--db", str(db_path), "search", queries[0]],
                          capture_output=True, text=True, env=env)
    cli_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare_python = time.perf_counter() - t0
    print(f"`kabar search {queries[0]!r}` end to end: {cli_s:.2f} s (exit {proc.returncode}, "
          f"{len(proc.stdout.splitlines())} lines; bare python start {bare_python:.2f} s; bar < 0.5 s)")
    tmp.cleanup()
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
