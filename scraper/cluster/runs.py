"""Requesting runs of sources from the cluster and waiting until the writer has committed them.

A run is complete when the writer has committed its last result (``kabar_runs.state = 'written'``); the
daemon's next run of that source starts only after that, so no two runs of a source overlap. The daemon
(:func:`daemon_crawl`) and ``kabar crawl`` (:func:`crawl_via_cluster`) both go through :func:`request_run`
and :func:`wait_run`; whichever process holds the database's writer lock also runs the
:class:`~scraper.cluster.writer.Writer` (:class:`WriterStore`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import procrastinate

from scraper.cluster.app import defer_run, make_app
from scraper.cluster.writer import StallWatch, Writer, serve_in_thread
from scraper.config import Config, SourceConfig
from scraper.pipeline import RunSummary
from storage import pg_queue
from storage.pg_conn import PgLink
from storage.store import Store

log = logging.getLogger(__name__)

POLL_S = 0.2
ENDED_JOB = {None, "failed", "cancelled", "aborted", "succeeded"}
DRAIN_QUIET_S = 1.5    # a stopping writer applies results until none came for this long ...
DRAIN_MAX_S = 5.0      # ... or this long in all
LOST_AFTER_S = 3.0   # a job over this long with no result waiting and the run not written: lost
STOPPED_WAITING = ("the waiting process stopped before the cluster finished the run: its results wait in "
                   "PostgreSQL for the writer")


class Cluster:
    """A process's handle on the cluster: a PostgreSQL link and the procrastinate app (opened)."""

    def __init__(self, dsn: str, *, stop: threading.Event | None = None) -> None:
        self.dsn = dsn
        self.link = PgLink(dsn, stop=stop)
        self.app: procrastinate.App = make_app(dsn)
        self.app.open()
        self._lock = threading.Lock()
        self._max_pages: dict[str, int | None] = {}
        self._ended: dict[str, float] = {}     # run key -> since when its job is over, no result waiting
        self._lost: set[str] = set()

    def close(self) -> None:
        self.app.close()
        self.link.close()

    def request_run(self, source: str, requested_by: str, *, max_pages: int | None = None) -> str:
        """The open run of ``source`` (a new one, its job deferred, when there is none)."""
        key, created = self.link.run(lambda c: pg_queue.open_run(c, source, requested_by))
        if created:
            self._max_pages[key] = max_pages
            self._defer(source, key)
        else:
            log.info("%s: joining the run already open (%s)", source, key, extra={"source": source})
        return key

    def _defer(self, source: str, key: str) -> None:
        with self._lock:      # the app's sync connector: one thread at a time
            job_id = defer_run(self.app, source, key, max_pages=self._max_pages.get(key))
        if job_id is not None:
            self.link.run(lambda c: pg_queue.set_job(c, key, job_id))

    def poll_run(self, source: str, key: str) -> dict[str, Any] | None:
        """The run's summary once written, else None (one look).

        A run without a job (its requester died before deferring it) gets one; a run whose job is over
        without a final result (failed for good, or lost) is closed by posting a ``lost`` message for the
        writer, which records it failed."""
        row = self.link.run(lambda c: pg_queue.run_row(c, key))
        if row is None:
            raise RuntimeError(f"run {key} vanished from kabar_runs")
        if row["state"] == "written":
            self._ended.pop(key, None)
            return dict(row["summary"] or {})
        if row["job_id"] is None:
            self._defer(source, key)
        elif row["job_status"] in ENDED_JOB and not self.link.run(lambda c: pg_queue.pending_for(c, key)):
            since = self._ended.setdefault(key, time.monotonic())
            if time.monotonic() - since > LOST_AFTER_S and key not in self._lost:
                self._lost.add(key)
                status = row["job_status"] or "done"
                self.link.run(lambda c: pg_queue.post(c, key, 0, "lost", {
                    "source": source, "reason": f"the run's job ended ({status}) without its last result"}))
        else:
            self._ended.pop(key, None)
        return None

    def wait_run(self, source: str, key: str, stop: threading.Event,
                 writer_alive: Callable[[], bool] = lambda: True) -> dict[str, Any] | None:
        """The run's summary once written; None when ``stop`` is set (or the writer died) first."""
        while not stop.is_set() and writer_alive():
            got = self.poll_run(source, key)
            if got is not None:
                return got
            stop.wait(POLL_S)
        return None


def summary_of(source: str, got: dict[str, Any] | None) -> RunSummary:
    """A :class:`RunSummary` from the writer's summary of a run (None: stopped waiting)."""
    if got is None:
        return RunSummary(source=source, status="interrupted", reason=STOPPED_WAITING)
    s = RunSummary(source=source, run_id=got.get("run_id"), status=str(got.get("status") or "failed"),
                   reason=got.get("error"), finished_at=got.get("finished_at"))
    for key, value in (got.get("counts") or {}).items():
        if hasattr(s, key):
            setattr(s, key, int(value))
    return s


class WriterStore(Store):
    """The writer's store: :meth:`attach` starts the cluster writer and stalled-job watch on it; ``close``
    stops them first (what is not applied yet waits in PostgreSQL)."""

    _writer: Writer | None = None
    _thread: threading.Thread | None = None
    _watch: StallWatch | None = None
    _writer_stop: threading.Event | None = None
    _drain_on_close = False

    def attach(self, dsn: str, config: Config, *, drain_on_close: bool = False) -> WriterStore:
        """Start the writer; ``drain_on_close``: :meth:`close` applies what stopping workers still post."""
        self._drain_on_close = drain_on_close
        self._writer_stop = threading.Event()
        self._writer = Writer(self, dsn, gone_after=config.http.gone_after, stop=self._writer_stop)
        mirrored = self._writer.mirror_all()
        log.info("cluster writer started (%d frontier rows mirrored to PostgreSQL)", mirrored)
        self._thread = serve_in_thread(self._writer, self._writer_stop)
        self._watch = StallWatch(dsn, config.cluster.stall_timeout).start()
        return self

    def writer_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        if self._writer_stop is not None:
            self._writer_stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            if self._writer is not None and self._drain_on_close and not self._thread.is_alive():
                self._drain(self._writer)
        if self._watch is not None:
            self._watch.close()
        if self._writer is not None:
            self._writer.close()
        super().close()


    @staticmethod
    def _drain(writer: Writer) -> None:
        """Apply what the workers post while they stop too (their runs' last pages and ends), until
        :data:`DRAIN_QUIET_S` pass without a result or :data:`DRAIN_MAX_S` in all; the rest waits."""
        started = quiet_since = time.monotonic()
        try:
            while time.monotonic() - started < DRAIN_MAX_S and time.monotonic() - quiet_since < DRAIN_QUIET_S:
                if writer.cycle():
                    quiet_since = time.monotonic()
                else:
                    time.sleep(POLL_S)
        except Exception:
            log.warning("results left in PostgreSQL for the next writer", exc_info=True)


def daemon_crawl(cluster: Cluster) -> Callable[..., RunSummary]:
    """The daemon's crawl function in a cluster: request the run, wait until the writer committed it."""

    def crawl(source: SourceConfig, config: Config, store: Any, *, stop: threading.Event,
              **_: Any) -> RunSummary:
        key = cluster.request_run(source.name, "kabar daemon")
        alive = store.writer_alive if isinstance(store, WriterStore) else (lambda: True)
        return summary_of(source.name, cluster.wait_run(source.name, key, stop, alive))

    return crawl
