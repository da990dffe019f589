"""Time migrations 0008 (table rebuild with foreign keys) and 0009 (re-key) on a synthetic 0.1.0 database.

    python bench/migration_cost.py --articles 100000 [--text-bytes 2500] [--dir /tmp]

The database is filled at schema 0007 (the 0.1.0 release) with ``--articles`` articles of about
``--text-bytes`` of text, three article_urls rows and one pages row each and one run per 100 articles (FTS
triggers off while filling: the migrations do not read the index). Then each pending migration is applied
on its own and timed. Prints one line per migration with seconds and the database and WAL sizes.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlite_utils import Database  # noqa: E402

from storage import migrations  # noqa: E402

FIRST_NEW = "0008_foreign_keys_and_fts_triggers"
WORDS = ("banjir merendam rumah warga di kecamatan setelah hujan deras kata kepala badan penanggulangan "
         "bencana daerah pada senin sore").split()


def fill(path: Path, n: int, text_bytes: int) -> None:
    db = Database(str(path))
    migrations.migrations.apply(db, stop_before=FIRST_NEW)
    db.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    for name in ("articles_fts_insert", "articles_fts_delete", "articles_fts_update"):
        conn.execute(f"DROP TRIGGER {name}")
    body = " ".join(WORDS[i % len(WORDS)] for i in range(text_bytes // 7))[:text_bytes]
    conn.execute("BEGIN")
    for i in range(1, n + 1):
        src = f"src{i % 20}"
        url = f"https://{src}.example/2025/11/{i:07d}/berita-nomor-{i}/"
        conn.execute("INSERT INTO articles (id, source, url, canonical_url, title, published_at, text, "
                     "content_hash, cluster_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (i, src, url, url, f"Berita nomor {i}", "2025-11-18T01:00:00+00:00", body, f"{i:064x}",
                      i - i % 3 or i, "2025-11-18T01:00:00+00:00", "2025-11-18T01:00:00+00:00"))
        conn.executemany("INSERT INTO article_urls (url, article_id) VALUES (?, ?)",
                         [(url, i), (url + "?utm_source=fb", i), (url + "amp/", i)])
        conn.execute("INSERT INTO pages (url, source, status, fetched_at) VALUES (?, ?, 200, ?)",
                     (url, src, "2025-11-18T01:00:00+00:00"))
        if i % 100 == 0:
            conn.execute("INSERT INTO runs (source, started_at, status) VALUES (?, ?, 'ok')",
                         (src, "2025-11-18T01:00:00+00:00"))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def size_mb(path: Path) -> float:
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--text-bytes", type=int, default=2500)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="kabar-migrate-") as tmp:
        path = Path(tmp) / "v7.db"
        t0 = time.perf_counter()
        fill(path, args.articles, args.text_bytes)
        print(f"filled {args.articles:,} articles in {time.perf_counter() - t0:.1f} s, {size_mb(path):.0f} MB")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = OFF")   # as migrations.migrate() runs them
        db = Database(conn)
        for name in migrations.pending(db):
            t0 = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            migrations.migrations.apply(db, stop_before=[m for m in migrations.pending(db) if m != name])
            conn.execute("COMMIT")
            wal = Path(str(path) + "-wal")
            print(f"{name}: {time.perf_counter() - t0:.1f} s, database {size_mb(path):.0f} MB, "
                  f"WAL {size_mb(wal):.0f} MB")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        print(f"cpu count {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
