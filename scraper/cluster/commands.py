"""What ``kabar crawl``, ``kabar daemon`` and ``kabar stats`` do when ``[cluster]`` is configured.

* :func:`crawl` — request the named sources' runs, wait until they are written and return the usual
  :class:`~scraper.crawl.CrawlOutcome`. The holder of the database's writer lock writes: while the daemon
  (or another cluster crawl) holds it this crawl only waits; otherwise it takes the lock and runs the
  writer itself until its runs are written. There is never a second SQLite writer.
* :func:`make_daemon` — the daemon as on one machine (schedules, catch-up, backoff, one run per source
  at a time), its crawl function requesting runs from the cluster and its store running the writer.
* :func:`stats` — the workers (alive, current source, last heartbeat) and the queue depth.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

from scraper.cluster.app import check_ready
from scraper.cluster.runs import Cluster, WriterStore, daemon_crawl, summary_of
from scraper.config import Config, SourceConfig
from scraper.crawl import CrawlOutcome, stop_on_signals
from scraper.daemon import Daemon
from storage import pg_queue
from storage.lock import WriterLock, WriterLockedError
from storage.pg_conn import connect

LOCK_POLL_S = 0.5


def crawl(config: Config, db_path: str, dsn: str, sources: Sequence[SourceConfig], *, stop: threading.Event,
          announce: Callable[[str], None], max_pages: int | None = None) -> CrawlOutcome:
    """``kabar crawl SOURCE...`` through the cluster (see the module docstring)."""
    check_ready(dsn)
    cluster = Cluster(dsn)
    lock: WriterLock | None = None
    store: WriterStore | None = None
    with stop_on_signals(stop):
        try:
            keys = [(s.name, cluster.request_run(s.name, "kabar crawl", max_pages=max_pages)) for s in sources]
            results: dict[str, dict[str, Any]] = {}
            announced = False
            while len(results) < len(keys) and not stop.is_set():
                if lock is None:
                    try:
                        lock = WriterLock.acquire(db_path, command="kabar crawl (cluster writer)", wait=0)
                        store = cast(WriterStore, WriterStore.open(db_path)).attach(dsn, config)
                    except WriterLockedError as exc:
                        if not announced:
                            announce(f"kabar: waiting: {exc}; it writes this crawl's results")
                            announced = True
                for name, key in keys:
                    if key not in results:
                        got = cluster.poll_run(name, key)
                        if got is not None:
                            results[key] = got
                if store is not None and not store.writer_alive():
                    break
                stop.wait(LOCK_POLL_S if lock is None else 0.2)
        finally:
            if store is not None:
                store.close()
            if lock is not None:
                lock.release()
            cluster.close()
    summaries = [summary_of(name, results.get(key)) for name, key in keys]
    return CrawlOutcome(summaries, interrupted=stop.is_set())


def make_daemon(config: Config, db_path: str, dsn: str, **kwargs: Any) -> tuple[Daemon, Cluster]:
    """The daemon of a cluster: it schedules the sources as jobs and is the only SQLite writer."""
    check_ready(dsn)
    cluster = Cluster(dsn)
    config = dataclasses.replace(config, daemon=dataclasses.replace(config.daemon,
                                                                     max_running=config.cluster.max_running))

    def open_store(path: str) -> WriterStore:
        return cast(WriterStore, WriterStore.open(path)).attach(dsn, config, drain_on_close=True)

    return Daemon(config, db_path, crawl=daemon_crawl(cluster), open_store=open_store, **kwargs), cluster


def stats(dsn: str, stall_timeout: float) -> dict[str, Any]:
    """The cluster's workers and queue depth (a worker is alive when it beat within ``stall_timeout``)."""
    conn = connect(dsn)
    try:
        from storage.pg_schema import require_schema

        require_schema(conn)
        return {"workers": pg_queue.workers(conn, stall_timeout), "queue": pg_queue.queue_depth(conn),
                "open_runs": [{"run_key": k, "source": s} for k, s in pg_queue.open_runs(conn)]}
    finally:
        conn.close()
