"""The cluster's parts against a real PostgreSQL (started by ``pg_server``): schema, errors, the worker's
remote store and the writer in one process, the per-host gate. End to end with processes:
``test_cluster_e2e.py``."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest
from helpers import REPO, config_to_toml, kabar_env, run_kabar

from scraper.config import Config
from scraper.demo import BANTENPOS, DemoSite, demo_config, serve_demo

pytest.importorskip("procrastinate")


def write_config(tmp_path: Path, config: Config, dsn: str | None, name: str = "config.toml",
                 cluster: str = "") -> Path:
    text = config_to_toml(config)
    if dsn is not None:
        text += f'\n[cluster]\ndsn = "{dsn}"\n{cluster}'
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_cluster_imports_neither_psycopg_nor_procrastinate(tmp_path: Path) -> None:
    """Without [cluster], `kabar crawl` and `kabar stats` run as before and never load the cluster's stack."""
    code = f"""
import sys
sys.path.insert(0, {str(REPO / 'tests')!r})
from helpers import config_to_toml
from scraper.cli import main
from scraper.demo import BANTENPOS, demo_config, serve_demo
with serve_demo() as base:
    open(sys.argv[1] + '/c.toml', 'w').write(config_to_toml(demo_config(base, sys.argv[1] + '/k.db')))
    for argv in (['crawl', BANTENPOS], ['stats']):
        try:
            main(['--config', sys.argv[1] + '/c.toml', '-q', *argv])
        except SystemExit as e:
            assert e.code == 0, e.code
bad = [m for m in ('psycopg', 'procrastinate', 'storage.pg_conn') if m in sys.modules]
assert not bad, bad
"""
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                          cwd=str(REPO), env=kabar_env(KABAR_CLUSTER_DSN=""), timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "k.db").exists()


def test_cluster_errors_are_one_line_with_spec_codes(tmp_path: Path, pg_dsn: str) -> None:
    cfg = demo_config("http://127.0.0.1:9", str(tmp_path / "k.db"))
    plain = write_config(tmp_path, cfg, None, "plain.toml")
    got = run_kabar("--config", str(plain), "worker")
    assert got.returncode == 2 and got.stderr.startswith("kabar: error: no cluster configured"), got.stderr
    bad = write_config(tmp_path, cfg, "mysql://u@h/db", "bad.toml")
    got = run_kabar("--config", str(bad), "cluster", "init")
    assert got.returncode == 2 and got.stderr.count("\n") == 1 and "postgresql://" in got.stderr, got.stderr
    got = run_kabar("--config", str(plain), "cluster", "init",
                    env=kabar_env(KABAR_CLUSTER_DSN="postgresql://u@127.0.0.1:1/db"))
    assert got.returncode == 1 and got.stderr.count("\n") == 1, got.stderr
    assert got.stderr.startswith("kabar: error: cannot connect to PostgreSQL"), got.stderr
    fresh = write_config(tmp_path, cfg, pg_dsn, "fresh.toml")
    for argv in (("worker",), ("daemon",), ("crawl",)):
        got = run_kabar("--config", str(fresh), *argv)
        assert got.returncode == 1, (argv, got.stderr)
        assert got.stderr.strip().splitlines() == [
            "kabar: error: the cluster's PostgreSQL database is not initialised: run `kabar cluster init`"], got.stderr
    assert not (tmp_path / "k.db").exists()


def test_cluster_init_is_idempotent(tmp_path: Path, pg_dsn: str) -> None:
    cfg = write_config(tmp_path, demo_config("http://127.0.0.1:9", str(tmp_path / "k.db")), pg_dsn)
    first = run_kabar("--config", str(cfg), "cluster", "init")
    assert first.returncode == 0 and "queue schema created" in first.stdout, first.stderr
    again = run_kabar("--config", str(cfg), "cluster", "init")
    assert again.returncode == 0 and "queue schema present, kabar tables present" in again.stdout, again.stderr


def _init(dsn: str) -> None:
    from scraper.cluster.app import init_cluster

    init_cluster(dsn)


def _remote_crawl(dsn: str, config: Config, name: str) -> Any:
    """One run of ``name`` as a worker runs it: RemoteRun as store and recorder, results into PostgreSQL."""
    from scraper.cluster.remote import HostGate, RemoteRun, SharedRobots
    from scraper.pipeline import crawl_source
    from storage import pg_queue
    from storage.pg_conn import PgLink
    from storage.store import Store

    link = PgLink(dsn)
    key, created = link.run(lambda c: pg_queue.open_run(c, name, "test"))
    assert created
    attempt = link.run(lambda c: pg_queue.next_attempt(c, key))
    assert attempt == 1
    run = RemoteRun(link, key, attempt)
    stop = threading.Event()
    gate = HostGate(dsn, concurrency=config.http.per_host_concurrency, lease_s=30, stop=stop)
    try:
        summary = crawl_source(config.source(name), config, cast(Store, run), stop=stop, recorder=run,
                               host_gate=gate, robots=SharedRobots(config.http.user_agent, link))
    finally:
        gate.close()
        link.close()
    return key, summary


def test_remote_run_and_writer_store_what_a_local_crawl_stores(tmp_path: Path, pg_dsn: str) -> None:
    from scraper.cluster.writer import Writer
    from scraper.pipeline import crawl_source
    from storage import pg_queue
    from storage.pg_conn import connect
    from storage.store import Store

    _init(pg_dsn)
    site = DemoSite.load()
    with serve_demo(site) as base:
        config = demo_config(base, str(tmp_path / "cluster.db"))
        key, worker_summary = _remote_crawl(pg_dsn, config, BANTENPOS)
        assert not (tmp_path / "cluster.db").exists()      # the worker side never opens it
        with Store.open(str(tmp_path / "cluster.db")) as store:
            writer = Writer(store, pg_dsn, gone_after=config.http.gone_after)
            assert writer.drain() > 0
            writer.close()
        with Store.open(str(tmp_path / "local.db")) as local:
            local_summary = crawl_source(config.source(BANTENPOS), config, local)
        conn = connect(pg_dsn)
        row = pg_queue.run_row(conn, key)
        assert row is not None and row["state"] == "written"
        counts = row["summary"]["counts"]
        assert counts == local_summary.counts(), (counts, local_summary.counts())
        assert worker_summary.counts()["fetched"] == counts["fetched"]
        # the writer mirrored the frontier: a second remote run re-checks with validators (304s)
        key2, _ = _remote_crawl(pg_dsn, config, BANTENPOS)
        with Store.open(str(tmp_path / "cluster.db")) as store:
            Writer(store, pg_dsn, gone_after=config.http.gone_after).drain()
        robots = [r for r in site.request_log() if r.path == "/robots.txt"]
        assert len(robots) == 2    # the local crawl's and the first remote run's: the second one shared it
        again = pg_queue.run_row(conn, key2)
        assert again is not None and again["summary"]["counts"]["new"] == 0
        assert again["summary"]["counts"]["unchanged"] == counts["new"]
        conn.close()
    for db in ("cluster.db", "local.db"):
        with sqlite3.connect(tmp_path / db) as c:
            titles = sorted(r[0] for r in c.execute("SELECT url FROM articles"))
        assert len(titles) == local_summary.new
        assert len(set(titles)) == len(titles)


def test_host_gate_spaces_requests_across_gates(pg_dsn: str) -> None:
    from scraper.cluster.remote import HostGate

    _init(pg_dsn)
    stop = threading.Event()
    gates = [HostGate(pg_dsn, concurrency=1, lease_s=10, stop=stop) for _ in range(2)]
    starts: list[tuple[float, float]] = []
    lock = threading.Lock()

    def use(gate: HostGate) -> None:
        for _ in range(4):
            with gate("http://127.0.0.1:8080/x", 0.2):
                t0 = time.monotonic()
                time.sleep(0.01)
                with lock:
                    starts.append((t0, time.monotonic()))

    threads = [threading.Thread(target=use, args=(g,)) for g in gates]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g in gates:
        g.close()
    starts.sort()
    gaps = [b[0] - a[1] for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 8 and min(gaps) >= 0.2 - 0.01, gaps


def test_a_link_reconnects_when_postgresql_drops_it(pg_dsn: str) -> None:
    """A PostgreSQL restart ends every connection; workers and the writer reconnect and go on."""
    from storage.pg_conn import PgLink, connect

    link = PgLink(pg_dsn)
    pid = link.run(lambda c: c.execute("SELECT pg_backend_pid()").fetchone()[0])
    admin = connect(pg_dsn)
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    again = link.run(lambda c: c.execute("SELECT pg_backend_pid()").fetchone()[0])
    assert again != pid
    link.close()
