"""A daemon with a source whose documents make the parser spin (issue 14, "Freezes").

The daemon runs in its own process (`python -c` around :class:`scraper.daemon.Daemon`, so that the crawl
can take the test-only parse hook of tests/worker_hooks.py); its parse workers spin on the bad source's
listing. The other source's runs must keep their schedule, the heartbeat must stay fresh
(`kabar stats --health` exit 0), the bad document must fail at its deadline with the reason, and SIGTERM
during a stuck parse must end the daemon within stop_timeout, its workers with it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_daemon import NewsSite, run_rows, site_source, wait_for, write_config
from worker_hooks import SPIN

from scraper.health import check_health

ROOT = Path(__file__).resolve().parent.parent
RUNNER = """
import functools, sys
from scraper.config import load_config
from scraper.daemon import Daemon
from scraper.options import CrawlOptions
from scraper.pipeline import crawl_source
config = load_config(sys.argv[1], explicit=True)
options = CrawlOptions(parse_timeout=float(sys.argv[3]), parse_hook="tests.worker_hooks:install")
sys.exit(Daemon(config, sys.argv[2], crawl=functools.partial(crawl_source, options=options),
                heartbeat_s=0.5).run())
"""


class SpinningSite(NewsSite):
    """NewsSite whose ``bad`` listing carries the spin marker (the worker's reader never returns on it)."""

    def __init__(self, sources: dict[str, bool]) -> None:
        super().__init__(sources)
        self.bad_listings = 0

    def respond(self, path: str) -> tuple[int, bytes]:
        status, body = super().respond(path)
        if path.rstrip("/") == "/bad":
            with self.lock:
                self.bad_listings += 1
            body = body.replace(b"</body>", SPIN.encode() + b"</body>")
        return status, body


def start_daemon(tmp_path: Path, raw: dict[str, Any], parse_timeout: float) -> subprocess.Popen[bytes]:
    cfg = write_config(tmp_path / "config.toml", raw)
    log = open(tmp_path / "daemon.log", "wb")  # noqa: SIM115 - the child keeps it
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(cfg), raw["storage"]["path"], str(parse_timeout)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        out |= {int(c) for c in (task / "children").read_text().split()}
    return out


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state == "Z"


def config(tmp_path: Path, base: str, sources: list[dict[str, Any]], stop_timeout: float) -> dict[str, Any]:
    return {"storage": {"path": str(tmp_path / "kabar.db")},
            "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 5.0, "recheck_days": 0.0},
            "daemon": {"jitter": 0.0, "stop_timeout": stop_timeout, "max_interval": "1h"},
            "sources": sources}


def health_cli(db: Path) -> int:
    return subprocess.run([sys.executable, "-m", "scraper", "--db", str(db), "stats", "--health"], cwd=ROOT,
                          capture_output=True, env=dict(os.environ, PYTHONPATH=str(ROOT))).returncode


@pytest.mark.slow
def test_a_spinning_source_does_not_stall_the_other_one_nor_the_heartbeat(tmp_path: Path) -> None:
    site = SpinningSite({"good": True, "bad": False})
    base = site.start()
    db = tmp_path / "kabar.db"
    raw = config(tmp_path, base, [site_source(base, "good", "every 1s"), site_source(base, "bad", "every 1h")],
                 stop_timeout=5.0)
    proc = start_daemon(tmp_path, raw, parse_timeout=4.0)
    try:
        assert wait_for(lambda: site.bad_listings > 0, 30), (tmp_path / "daemon.log").read_text()
        stuck_from = time.time()
        unhealthy = []
        while time.time() - stuck_from < 3.5:      # the bad listing is spinning in its worker now
            health = check_health(str(db))
            if not health.ok:
                unhealthy.append(health.message)
            time.sleep(0.25)
        assert health_cli(db) == 0
        assert unhealthy == []
        assert wait_for(lambda: any(r["source"] == "bad" and r["status"] != "running" for r in run_rows(db)), 15)
        time.sleep(2.0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        site.stop()
    rows = run_rows(db)
    bad = [r for r in rows if r["source"] == "bad"]
    assert bad[0]["status"] == "failed" and bad[0]["failed"] == 1
    good = [r for r in rows if r["source"] == "good" and r["status"] == "ok"]
    # while the bad listing spun (4 s, plus the time to see its run end), good ran each second
    during = [r for r in good if stuck_from <= _ts(r["started_at"]) <= stuck_from + 4.0]
    assert len(during) >= 2, [(r["started_at"], r["status"]) for r in rows]
    starts = sorted(_ts(r["started_at"]) for r in good)
    assert max(b - a for a, b in zip(starts, starts[1:], strict=False)) < 1.0 + 2.5
    conn = sqlite3.connect(db)
    err = conn.execute("SELECT error FROM pages WHERE url = ?", (f"{base}/bad/",)).fetchone()
    conn.close()
    assert err == ("listing parse timeout after 4 s",)


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@pytest.mark.slow
def test_sigterm_during_a_stuck_parse_exits_within_stop_timeout(tmp_path: Path) -> None:
    site = SpinningSite({"bad": False})
    base = site.start()
    db = tmp_path / "kabar.db"
    raw = config(tmp_path, base, [site_source(base, "bad", "every 1h")], stop_timeout=5.0)
    proc = start_daemon(tmp_path, raw, parse_timeout=120.0)
    try:
        assert wait_for(lambda: site.bad_listings > 0, 30), (tmp_path / "daemon.log").read_text()
        time.sleep(1.5)                              # the worker spins on the listing (for 120 s if let)
        workers = children(proc.pid)
        assert workers, "no parse worker process"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        site.stop()
    assert code == 0 and took < 5.0, (code, took, (tmp_path / "daemon.log").read_text())
    assert all(gone(pid) for pid in workers)
    assert [r["status"] for r in run_rows(db)] == ["interrupted"]
    health = check_health(str(db))
    assert not health.ok and "stopped" in health.message
