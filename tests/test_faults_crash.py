"""Crash safety: `kabar crawl` killed with SIGKILL 20 times, each kill placed by what the database shows.

A crawl subprocess (``python -m scraper --config C --db D crawl``) runs against the bundled demo site on
loopback. The test polls the database read-only and sends SIGKILL once the run has committed ``k`` more
articles (``k`` drawn from a seeded generator; ``k = 0`` means "as soon as the run row exists", i.e. during
discovery), then starts the next crawl. After 20 kills one last crawl runs to the end. The database must then
pass ``PRAGMA integrity_check``, hold no duplicate article, hold every article a clean crawl of the same site
stores (with the same text), and have no run left ``running``.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import config_to_toml, kabar_env

from scraper.demo import BANTENPOS, FAM68, DemoSite, demo_config, serve_demo
from storage.urls import canonical_url

pytestmark = pytest.mark.slow

SEED = 20250601
KILLS = 20
MAX_RUNS = 45                  # kills that came too late (the crawl finished first) are retried
RUN_TIMEOUT_S = 60.0
POLL_S = 0.005
REPO = Path(__file__).resolve().parent.parent


def _crawl_cmd(config: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "scraper", "-q", "--config", str(config), "--db", str(db), "crawl"]


class Poller:
    """Read-only look at the database the crawl writes (never takes a write lock)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self.conn is None and self.db.exists():
            self.conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5.0,
                                        isolation_level=None)
        return self.conn

    def state(self) -> tuple[int, int] | None:
        """(articles, runs) or None while the database or its tables do not exist yet."""
        conn = self._connect()
        if conn is None:
            return None
        try:
            articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        except sqlite3.Error as exc:
            if "locked" in str(exc).lower():
                raise AssertionError(f"read-only poller got {exc!r}") from exc
            return None   # schema not created yet
        return int(articles), int(runs)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _kill_when(proc: subprocess.Popen[bytes], poller: Poller, k: int, before: tuple[int, int]) -> bool:
    """SIGKILL ``proc`` once ``k`` more articles are committed (k = 0: once its first run row exists).
    Returns True when the kill landed on a live process."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        st = poller.state()
        if st is not None:
            articles, runs = st
            if (k == 0 and runs > before[1]) or (k > 0 and articles >= before[0] + k):
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                return proc.returncode == -signal.SIGKILL
        time.sleep(POLL_S)
    proc.kill()
    raise AssertionError(f"crawl did not reach the kill point (k={k}) within {RUN_TIMEOUT_S}s")


def _articles(db: Path) -> dict[str, tuple[str, str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {url: (source, title, text) for url, source, title, text in
                conn.execute("SELECT canonical_url, source, title, text FROM articles")}
    finally:
        conn.close()


def test_twenty_seeded_sigkills_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    site = DemoSite.load()
    db, ref_db = tmp_path / "crash.db", tmp_path / "reference.db"
    with serve_demo(site) as base_url:
        config = tmp_path / "demo.toml"
        config.write_text(config_to_toml(demo_config(base_url, str(db))), encoding="utf-8")

        # the reference: one clean crawl of the same site
        ref = subprocess.run(_crawl_cmd(config, ref_db), env=kabar_env(), capture_output=True, timeout=120)
        assert ref.returncode == 0, ref.stderr.decode()[-2000:]
        expected = _articles(ref_db)

        poller = Poller(db)
        kills: list[int] = []
        runs = 0
        while len(kills) < KILLS and runs < MAX_RUNS:
            runs += 1
            k = 0 if rng.random() < 0.25 else rng.randint(1, 3)
            before = poller.state() or (0, 0)
            proc = subprocess.Popen(_crawl_cmd(config, db), env=kabar_env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            try:
                if _kill_when(proc, poller, k, before):
                    kills.append(k)
                else:
                    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr.read().decode()[-2000:]
                                                       if proc.stderr else "")
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                if proc.stderr:
                    proc.stderr.close()
        poller.close()
        assert len(kills) == KILLS, f"only {len(kills)} kills landed in {runs} runs"
        assert len(set(kills)) > 1, "kill points did not vary"

        final = subprocess.run(_crawl_cmd(config, db), env=kabar_env(), capture_output=True, timeout=120)
        assert final.returncode == 0, final.stderr.decode()[-2000:]

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        dup_urls = conn.execute("SELECT canonical_url, count(*) FROM articles GROUP BY canonical_url "
                                "HAVING count(*) > 1").fetchall()
        assert dup_urls == []
        dup_content = conn.execute("SELECT source, content_hash, count(*) FROM articles GROUP BY source, "
                                   "content_hash HAVING count(*) > 1").fetchall()
        assert dup_content == []
        no_segments = conn.execute("SELECT id FROM articles a WHERE NOT EXISTS "
                                   "(SELECT 1 FROM segments s WHERE s.article_id = a.id)").fetchall()
        assert no_segments == []
        statuses = dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
    finally:
        conn.close()
    assert "running" not in statuses, statuses
    assert statuses.get("interrupted", 0) >= KILLS // 2, statuses   # a kill between two sources leaves none

    got = _articles(db)
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing, f"lost {len(missing)} articles: {missing[:5]}"
    assert not extra, f"unexpected articles: {extra[:5]}"
    changed = [u for u in expected if got[u] != expected[u]]
    assert not changed, f"{len(changed)} articles differ from a clean crawl: {changed[:3]}"
    # and the clean crawl itself holds every article the site publishes
    served = {canonical_url(u) for src in (FAM68, BANTENPOS) for u in site.article_urls(src)}
    assert served <= set(got), sorted(served - set(got))[:5]
