"""Why a run failed or was interrupted is recorded in ``runs.error`` and shown by ``kabar stats``.

The daemon's crawls here stand in for the pipeline the way it behaves: it closes its run ``failed`` without a
reason and re-raises, or returns a ``failed`` summary carrying its errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon_helpers import FakeSummary as Summary
from daemon_helpers import Running, make_config, wait_for

from scraper.config import Config, SourceConfig
from scraper.daemon import Daemon
from storage import runs
from storage.store import Store

REPO = Path(__file__).resolve().parent.parent


@dataclass
class PipelineLikeCrawl:
    """``raises``: close the run failed (no reason) and raise; ``fails``: return a failed summary with errors;
    ``slow``: wait for the stop signal and return ``interrupted``; else ok."""

    calls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, source: SourceConfig, config: Config, store: Store, *, stop: threading.Event,
                 **kwargs: Any) -> Any:
        name = source.name
        run_id = store.start_run(name)
        try:
            if name == "raises":
                store.finish_run(run_id, "failed", {})
                raise RuntimeError("disk on fire\nsecond line")
            if name == "fails":
                store.finish_run(run_id, "failed", {"failed": 2})
                return Summary(name, run_id, "failed", errors=["https://fails.example/: robots.txt answered 503",
                                                               "https://fails.example/feed: HTTP 500"])
            if name == "slow":
                stop.wait(30)
                store.finish_run(run_id, "interrupted", {})
                return Summary(name, run_id, "interrupted")
            store.finish_run(run_id, "ok", {"new": 1, "fetched": 1})
            return Summary(name, run_id, "ok", new=1, fetched=1)
        finally:
            with self.lock:
                self.calls[name] = self.calls.get(name, 0) + 1


def stats(db: Path) -> dict[str, dict[str, Any]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, "-m", "scraper", "--db", str(db), "stats", "--format", "json"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    return {r["source"]: r for r in map(json.loads, p.stdout.splitlines())}


def test_daemon_runs_record_why_they_failed_and_stats_shows_it(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    with Store.open(str(db)):
        pass
    names = ["raises", "fails", "slow", "fine"]
    cfg = make_config(db, [{"name": n, "schedule": "every 1h"} for n in names], adaptive=False)
    crawl = PipelineLikeCrawl()
    with Running(Daemon(cfg, str(db), crawl=crawl, heartbeat_s=0.5)) as r:
        assert wait_for(lambda: all(crawl.calls.get(n) for n in ("raises", "fails", "fine")), 15)
        assert r.stop() == 0
    rows = stats(db)
    assert rows["raises"]["last_status"] == "failed"
    assert rows["raises"]["last_error"] == "failed: RuntimeError: disk on fire second line"
    assert rows["fails"]["last_error"] == ("failed: https://fails.example/: robots.txt answered 503; "
                                           "https://fails.example/feed: HTTP 500")
    assert rows["slow"]["last_error"].startswith("interrupted: stopped before the run ended")
    assert rows["fine"]["last_error"] is None and rows["fine"]["last_status"] == "ok"
    with Store.open(str(db), readonly=True) as store:
        errors = dict(store.conn.execute("SELECT source, error FROM runs WHERE status != 'ok'").fetchall())
    assert errors["raises"] == "RuntimeError: disk on fire second line"


def test_a_recorded_reason_is_kept_and_old_runs_fall_back_to_their_page_errors(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    with Store.open(str(db)) as s:
        run = s.start_run("kept", now="2025-11-19T09:00:00+00:00")
        s.finish_run(run, "failed", {}, now="2025-11-19T09:01:00+00:00", error="robots.txt answered 503")
        old = s.start_run("old", now="2025-11-19T09:00:00+00:00")
        s.record_page("https://old.example/feed", "old", status=500, error="HTTP 500 after 3 retries",
                      now="2025-11-19T09:00:30+00:00")
        s.finish_run(old, "failed", {"failed": 1}, now="2025-11-19T09:01:00+00:00")     # no reason (old release)
        later = s.start_run("old", now="2025-11-19T10:00:00+00:00")
        s.finish_run(later, "ok", {}, now="2025-11-19T10:01:00+00:00")
        bare = s.start_run("bare", now="2025-11-19T09:00:00+00:00")
        s.finish_run(bare, "interrupted", {}, now="2025-11-19T09:01:00+00:00")
        with s.transaction() as conn:
            assert runs.note_run_error(conn, "kept", run, "something else") == 0     # the first reason stays
    rows = stats(db)
    assert rows["kept"]["last_error"] == "failed: robots.txt answered 503"
    # the last failed run, even when a later one was ok; its reason from the page error recorded meanwhile
    assert rows["old"]["last_status"] == "ok"
    assert rows["old"]["last_error"] == "failed: https://old.example/feed: HTTP 500 after 3 retries"
    assert rows["old"]["last_error_at"] == "2025-11-19T09:01:00+00:00"
    assert rows["bare"]["last_error"] == "interrupted: no reason recorded"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, "-m", "scraper", "--db", str(db), "stats"], capture_output=True, text=True,
                       timeout=60, env={**env, "COLUMNS": "250"})
    assert p.returncode == 0 and "last_error" in p.stdout.splitlines()[0]
    assert "failed: robots.txt answered 503" in p.stdout
