"""Readers next to a writer: `kabar search` and raw sqlite3 queries while `kabar crawl` writes.

SPEC.md promises that readers (sqlite3, Datasette, ``kabar search``) can query while kabar writes, without
"database is locked". The database is made first (one crawl of the second demo source, so the schema exists
and WAL is on); then a crawl of the first source writes for a few seconds (a small per-host delay spreads
its ~70 commits out) while two other processes read in a loop: one runs ``python -m scraper search``, the
other opens fresh ``sqlite3`` connections with no busy timeout at all (as the sqlite3 shell does) and runs
counts, a full-text match and the ``stories`` view; when the ``sqlite3`` shell is installed it is run too.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import config_to_toml, kabar_cmd, kabar_env

from scraper.demo import BANTENPOS, FAM68, demo_config, serve_demo

pytestmark = pytest.mark.slow

WRITER_DELAY_S = 0.05       # per-host delay of the writing crawl: ~70 articles over a few seconds

RAW_READER = r'''
import json, shutil, sqlite3, subprocess, sys, os, time
db, stop = sys.argv[1], sys.argv[2]
shell = shutil.which("sqlite3")
queries = [
    "SELECT count(*) FROM articles",
    "SELECT count(*) FROM segments",
    "SELECT articles.id, articles.title FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid "
    "WHERE articles_fts MATCH 'banten' LIMIT 5",
    "SELECT cluster_id, copies FROM stories ORDER BY first_seen_at DESC LIMIT 5",
    "SELECT status, count(*) FROM runs GROUP BY status",
]
n = errors = 0
while not os.path.exists(stop):
    for q in queries:
        try:
            # a 100 ms busy timeout, no more: under WAL a reader never waits for a writer's transaction, so any
            # real lock shows; it only absorbs the millisecond in which the crawl's last close checkpoints
            # and removes the WAL under an exclusive lock (SQLite's rule for the last connection)
            conn = sqlite3.connect(db, timeout=0.1)
            conn.execute(q).fetchall()
            conn.close()
        except sqlite3.Error as exc:
            errors += 1
            print(json.dumps({"query": q, "error": str(exc)}), flush=True)
        n += 1
    if shell and n % 25 == 0:
        p = subprocess.run([shell, "-cmd", ".timeout 100", db, "SELECT count(*) FROM articles;"],
                           capture_output=True, text=True)
        n += 1
        if p.returncode != 0 or "locked" in p.stderr:
            errors += 1
            print(json.dumps({"query": "sqlite3 shell", "error": p.stderr.strip()}), flush=True)
print(json.dumps({"done": n, "errors": errors}), flush=True)
'''


def test_readers_never_see_a_lock_while_a_crawl_writes(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    stop = tmp_path / "stop"
    with serve_demo() as base_url:
        config = demo_config(base_url, str(db))
        config = dataclasses.replace(config, http=dataclasses.replace(config.http, per_host_delay=WRITER_DELAY_S))
        cfg = tmp_path / "c.toml"
        cfg.write_text(config_to_toml(config), encoding="utf-8")
        first = subprocess.run(kabar_cmd("-q", "--config", str(cfg), "crawl", BANTENPOS), env=kabar_env(),
                               capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr[-2000:]

        raw = subprocess.Popen([sys.executable, "-c", RAW_READER, str(db), str(stop)], env=kabar_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        writer = subprocess.Popen(kabar_cmd("-q", "--config", str(cfg), "crawl", FAM68), env=kabar_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        searches: list[subprocess.CompletedProcess[str]] = []
        started = time.monotonic()
        try:
            while writer.poll() is None and time.monotonic() - started < 120:
                searches.append(subprocess.run(
                    kabar_cmd("--config", str(cfg), "search", "banten", "--format", "json", "--limit", "5"),
                    env=kabar_env(), capture_output=True, text=True, timeout=60))
            w_out, w_err = writer.communicate(timeout=120)
        finally:
            stop.touch()
            r_out, r_err = raw.communicate(timeout=60)
            if writer.poll() is None:
                writer.kill()

    assert writer.returncode == 0, w_err[-2000:]
    assert "locked" not in w_err.lower()
    assert raw.returncode == 0, r_err[-2000:]
    lines = [json.loads(line) for line in r_out.splitlines() if line.strip()]
    assert lines and "done" in lines[-1], r_out[-2000:]
    assert lines[-1]["errors"] == 0, lines[:10]
    assert lines[-1]["done"] > 50, "the raw reader hardly ran"
    assert len(searches) >= 2, "kabar search did not overlap the crawl"
    for s in searches:
        assert s.returncode == 0 and "locked" not in s.stderr.lower(), s.stderr[-1000:]
        assert all(json.loads(line)["title"] for line in s.stdout.splitlines() if line.strip())
