"""A kabar cluster end to end: ``kabar cluster init``, the daemon (the writer) and ``kabar worker`` processes
against the demo portals on loopback, over a real PostgreSQL (``pg_server``).

Both demo portals are served from one host:port, so two workers crawling them at once share one host: the
per-host delay must hold across the workers together. One worker is SIGKILLed in the middle of a run; its
job is retried by the other after the stall timeout.
"""

from __future__ import annotations

import dataclasses
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import config_to_toml, kabar_cmd, kabar_env, run_kabar

from scraper.demo import BANTENPOS, FAM68, DemoSite, demo_config, serve_demo

pytest.importorskip("procrastinate")
pytestmark = pytest.mark.slow

DELAY = 0.15


class TimedSite:
    """The demo site with the time of every request (monotonic seconds)."""

    def __init__(self) -> None:
        self.site = DemoSite.load()
        self.times: list[float] = []
        original = self.site._log_request

        def log(rec: Any) -> None:
            self.times.append(time.monotonic())
            original(rec)

        self.site._log_request = log  # type: ignore[method-assign]


def write_configs(tmp_path: Path, base: str, dsn: str, *, schedule: str, max_pages: int | None = None) -> tuple[Path, Path]:
    """The writer's config and the workers' (same sources and http, a database path that does not exist)."""
    config = demo_config(base, str(tmp_path / "kabar.db"))
    config = dataclasses.replace(
        config, http=dataclasses.replace(config.http, per_host_delay=DELAY, per_host_concurrency=1),
        daemon=dataclasses.replace(config.daemon, default_schedule=schedule, jitter=0.0, adaptive=False),
        sources=tuple(dataclasses.replace(s, max_pages=max_pages or s.max_pages) for s in config.sources))
    cluster = f'\n[cluster]\ndsn = "{dsn}"\nstall_timeout = 3\n'
    writer = tmp_path / "config.toml"
    writer.write_text(config_to_toml(config) + cluster, encoding="utf-8")
    workers = tmp_path / "worker.toml"
    absent = tmp_path / "absent" / "never.db"
    workers.write_text(config_to_toml(dataclasses.replace(
        config, storage=dataclasses.replace(config.storage, path=str(absent)))) + cluster, encoding="utf-8")
    return writer, workers


class Procs:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, name: str, *argv: str) -> subprocess.Popen[str]:
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(kabar_cmd(*argv), env=kabar_env(), stdout=log, stderr=subprocess.STDOUT, text=True)
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def stop_all(self) -> list[int | None]:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=60))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(None)
        return codes


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    ps = Procs(tmp_path)
    yield ps
    for p in ps.procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def pg(dsn: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def article_count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        try:
            return int(c.execute("SELECT count(*) FROM articles").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def test_daemon_and_two_workers_survive_a_killed_worker(tmp_path: Path, pg_dsn: str, procs: Procs) -> None:
    timed = TimedSite()
    with serve_demo(timed.site) as base:
        expected = len(timed.site.article_urls(FAM68)) + len(timed.site.article_urls(BANTENPOS))
        writer_cfg, worker_cfg = write_configs(tmp_path, base, pg_dsn, schedule="every 2s", max_pages=12)
        init = run_kabar("--config", str(writer_cfg), "cluster", "init")
        assert init.returncode == 0, init.stderr
        workers = [procs.start(f"worker{i}", "--config", str(worker_cfg), "-v", "worker") for i in range(2)]
        procs.start("daemon", "--config", str(writer_cfg), "daemon")

        # kill the worker crawling fam68 once its run has posted results
        def crawling_fam68() -> list[tuple[Any, ...]]:
            return pg(pg_dsn, "SELECT w.pid, w.run_key FROM kabar_workers w JOIN kabar_results r "
                              "ON r.run_key = w.run_key WHERE w.source = %s AND r.kind = 'page' LIMIT 1", FAM68)

        found: list[tuple[Any, ...]] = []

        def in_a_run() -> bool:      # the row seen is the one acted on (the run may end a moment later)
            found[:] = crawling_fam68()
            return bool(found)

        wait_until(in_a_run, 60, "a worker in the middle of a fam68 run")
        pid, killed_key = found[0]
        victim = next(w for w in workers if w.pid == pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        wait_until(lambda: pg(pg_dsn, "SELECT state, attempts FROM kabar_runs WHERE run_key = %s",
                              killed_key)[0] == ("written", 2), 60, "the killed run retried and written")
        wait_until(lambda: article_count(tmp_path / "kabar.db") >= expected, 120, "every article stored")
        stats = run_kabar("--config", str(writer_cfg), "stats")
        codes = procs.stop_all()

    assert stats.returncode == 0 and "cluster queue:" in stats.stdout and "workers:" in stats.stdout, stats.stderr
    survivor = [c for p, c in zip(procs.procs, codes, strict=True) if p is not victim]
    assert survivor == [0, 0], (survivor, procs.log("daemon")[-2000:])
    assert not (tmp_path / "absent").exists()     # no worker ever opened (or created) the SQLite file
    with sqlite3.connect(tmp_path / "kabar.db") as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        urls = [r[0] for r in c.execute("SELECT url FROM articles")]
        runs = c.execute("SELECT source, started_at, finished_at, status, error FROM runs ORDER BY id").fetchall()
    assert len(urls) == len(set(urls)) == expected
    lost = [r for r in runs if r[0] == FAM68 and r[3] == "interrupted" and "worker lost" in (r[4] or "")]
    assert lost, runs
    for source in (FAM68, BANTENPOS):
        mine = sorted((r for r in runs if r[0] == source and r[2]), key=lambda r: r[1])
        for a, b in zip(mine, mine[1:], strict=False):
            assert b[1] >= a[2], f"{source}: runs overlap: {a} and {b}"
    times = sorted(timed.times)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) > 50 and min(gaps) >= DELAY - 0.02, sorted(gaps)[:5]


def summary_rows(stdout: str) -> dict[str, dict[str, str]]:
    lines = [ln.split() for ln in stdout.splitlines() if ln.strip()]
    header = lines[0]
    assert header[0] == "source" and header[-1] == "status", stdout
    return {row[0]: dict(zip(header, row, strict=True)) for row in lines[1:] if len(row) == len(header)}


def test_crawl_through_the_cluster_with_and_without_a_daemon(tmp_path: Path, pg_dsn: str, procs: Procs) -> None:
    with serve_demo(DemoSite.load()) as base:
        writer_cfg, worker_cfg = write_configs(tmp_path, base, pg_dsn, schedule="every 1h")
        assert run_kabar("--config", str(writer_cfg), "cluster", "init").returncode == 0
        procs.start("worker", "--config", str(worker_cfg), "worker")
        alone = run_kabar("--config", str(writer_cfg), "crawl", BANTENPOS, timeout=120)
        assert alone.returncode == 0, alone.stderr[-2000:]
        row = summary_rows(alone.stdout)[BANTENPOS]
        assert int(row["new"]) == article_count(tmp_path / "kabar.db") > 0 and row["status"] == "ok", alone.stdout

        procs.start("daemon", "--config", str(writer_cfg), "daemon", BANTENPOS)
        wait_until(lambda: "daemon started" in procs.log("daemon"), 30, "the daemon")
        behind = run_kabar("--config", str(writer_cfg), "crawl", FAM68, timeout=180)
        assert behind.returncode == 0, behind.stderr[-2000:]
        assert "kabar daemon" in behind.stderr and "writes this crawl's results" in behind.stderr, behind.stderr
        fam = summary_rows(behind.stdout)[FAM68]
        assert int(fam["new"]) > 0 and fam["status"] == "ok", behind.stdout
        codes = procs.stop_all()
    assert codes == [0, 0], (procs.log("worker")[-1500:], procs.log("daemon")[-1500:])
    assert not (tmp_path / "absent").exists()
    with sqlite3.connect(tmp_path / "kabar.db") as c:
        by_source = dict(c.execute("SELECT source, count(*) FROM articles GROUP BY source").fetchall())
    assert by_source[FAM68] == int(fam["new"]) and by_source[BANTENPOS] == int(row["new"])


def test_sigterm_abandons_the_run_in_hand_and_another_worker_takes_it(tmp_path: Path, pg_dsn: str,
                                                                       procs: Procs) -> None:
    site = DemoSite.load()
    with serve_demo(site) as base:
        writer_cfg, worker_cfg = write_configs(tmp_path, base, pg_dsn, schedule="every 1h")
        assert run_kabar("--config", str(writer_cfg), "cluster", "init").returncode == 0
        first = procs.start("first", "--config", str(worker_cfg), "worker")
        crawl = subprocess.Popen(kabar_cmd("--config", str(writer_cfg), "crawl", FAM68), env=kabar_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: bool(pg(pg_dsn, "SELECT 1 FROM kabar_attempts WHERE counts::text <> '{}'")), 60,
                       "the first worker's results applied by the crawl")
            procs.start("second", "--config", str(worker_cfg), "worker", "--concurrency", "2")
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=60) == 0, procs.log("first")[-2000:]
            out, err = crawl.communicate(timeout=180)
        finally:
            if crawl.poll() is None:
                crawl.kill()
        codes = procs.stop_all()
    assert crawl.returncode == 0, err[-2000:]
    assert summary_rows(out)[FAM68]["status"] == "ok", out
    assert codes == [0, 0]
    (attempts,) = pg(pg_dsn, "SELECT attempts FROM kabar_runs WHERE source = %s", FAM68)[0]
    assert attempts == 2
    with sqlite3.connect(tmp_path / "kabar.db") as c:
        runs = c.execute("SELECT status, error FROM runs WHERE source = ? ORDER BY id", (FAM68,)).fetchall()
        urls = [r[0] for r in c.execute("SELECT url FROM articles")]
    assert [r[0] for r in runs] == ["interrupted", "ok"], runs
    assert "went back to the queue" in (runs[0][1] or "")
    assert len(urls) == len(set(urls)) == len(site.article_urls(FAM68))


def test_results_wait_in_postgresql_while_the_writer_is_down(tmp_path: Path, pg_dsn: str, procs: Procs) -> None:
    site = DemoSite.load()
    with serve_demo(site) as base:
        writer_cfg, worker_cfg = write_configs(tmp_path, base, pg_dsn, schedule="every 1h")
        assert run_kabar("--config", str(writer_cfg), "cluster", "init").returncode == 0
        procs.start("worker", "--config", str(worker_cfg), "worker")
        daemon = procs.start("daemon", "--config", str(writer_cfg), "daemon", FAM68)
        wait_until(lambda: article_count(tmp_path / "kabar.db") > 0, 60, "the first articles written")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
        written_then = article_count(tmp_path / "kabar.db")
        # the worker goes on; its results wait for the writer
        wait_until(lambda: pg(pg_dsn, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")[0][0] == 0,
                   120, "the worker's run to end")
        waiting = pg(pg_dsn, "SELECT count(*) FROM kabar_results")[0][0]
        assert waiting > 0 and article_count(tmp_path / "kabar.db") == written_then
        procs.start("daemon2", "--config", str(writer_cfg), "daemon", FAM68)
        wait_until(lambda: pg(pg_dsn, "SELECT count(*) FROM kabar_runs WHERE state = 'written'")[0][0] >= 1, 60,
                   "the run written by the restarted daemon")
        codes = procs.stop_all()
    assert codes == [0, 0, 0], procs.log("daemon2")[-2000:]
    with sqlite3.connect(tmp_path / "kabar.db") as c:
        urls = [r[0] for r in c.execute("SELECT url FROM articles")]
        runs = c.execute("SELECT status, new FROM runs ORDER BY id").fetchall()
    assert len(urls) == len(set(urls)) == len(site.article_urls(FAM68)), runs
    assert runs[0] == ("ok", len(urls)), runs
