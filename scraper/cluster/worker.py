"""``kabar worker``: run "crawl this source" jobs until SIGTERM/SIGINT, never opening the SQLite file.

Each job is one :func:`scraper.pipeline.crawl_source` call with a :class:`~scraper.cluster.remote.RemoteRun`
as its store and recorder and a :class:`~scraper.cluster.remote.HostGate` around every request. The first
SIGTERM/SIGINT stops the procrastinate worker (no new job) and the runs in hand (their in-flight pages
finish and are posted): each is abandoned, its job goes back to the queue (:class:`RunAbandoned`) and
another worker runs it. A second signal exits at once with 130; a SIGKILLed worker's job is found by its
missing heartbeat and retried (:func:`scraper.cluster.app.retry_stalled`). When PostgreSQL goes away the
procrastinate worker stops; this loop starts it again with backoff.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import socket
import threading
import time
from typing import Any, cast

import procrastinate

from scraper.cluster.app import RunAbandoned, check_ready, make_app, retry_stalled
from scraper.cluster.remote import HostGate, RemoteRun, SharedRobots
from scraper.config import Config
from scraper.errors import ConfigError
from storage import pg_queue
from storage.pg_conn import PgLink
from storage.store import Store

log = logging.getLogger(__name__)

BEAT_S = 2.0            # kabar_workers heartbeat
LEASE_EXTRA_S = 10.0    # a request's host lease lasts its timeout and this much


@dataclasses.dataclass
class _Worker:
    config: Config
    dsn: str
    name: str
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    running: dict[str, str] = dataclasses.field(default_factory=dict)    # run key -> source
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


_WORKER: _Worker | None = None


def _watch(context: procrastinate.JobContext, worker: _Worker, run: RemoteRun, stop: threading.Event,
           done: threading.Event) -> None:
    """Stop the run when the worker stops or procrastinate asks the job to abort."""
    while not done.wait(0.2):
        if worker.stop.is_set() or context.should_abort():
            run.final = False
            stop.set()
            return


def run_job(context: procrastinate.JobContext, source_name: str, run_key: str, *,
            max_pages: int | None = None) -> str:
    """The body of ``kabar.crawl_source``: one run of ``source_name`` for the run ``run_key``."""
    from scraper.pipeline import crawl_source

    worker = _WORKER
    if worker is None:
        raise RuntimeError("kabar.crawl_source runs only inside `kabar worker`")
    link = PgLink(worker.dsn, stop=worker.stop)
    attempt = link.run(lambda c: pg_queue.next_attempt(c, run_key))
    if attempt is None:
        link.close()
        return "run already written"
    run = RemoteRun(link, run_key, attempt)
    stop, done = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_watch, args=(context, worker, run, stop, done), daemon=True)
    watcher.start()
    with worker.lock:
        worker.running[run_key] = source_name
    config = worker.config
    gate = HostGate(worker.dsn, concurrency=config.http.per_host_concurrency, stop=stop,
                    lease_s=float(config.http.timeout) + LEASE_EXTRA_S)
    try:
        try:
            source = config.source(source_name)
        except ConfigError as exc:
            run.start_run(source_name)
            run.finish_run(attempt, "failed", {}, error=f"not in this worker's config: {exc}")
            return "failed"
        log.info("%s: run %s attempt %d started", source_name, run_key, attempt, extra={"source": source_name})
        summary = crawl_source(source, config, cast(Store, run), max_pages=max_pages, stop=stop, recorder=run,
                               host_gate=gate, robots=SharedRobots(config.http.user_agent, link))
    finally:
        done.set()
        gate.close()
        link.close()
        with worker.lock:
            worker.running.pop(run_key, None)
    if run.finished is not None and not run.finished["final"]:
        log.warning("%s: run %s abandoned (worker stopping); back in the queue", source_name, run_key,
                    extra={"source": source_name})
        raise RunAbandoned(run_key)
    log.info("%s: run %s attempt %d %s", source_name, run_key, attempt, summary.status,
             extra={"source": source_name})
    return summary.status


def _beat(worker: _Worker, link: PgLink, state: str) -> None:
    with worker.lock:
        running = dict(worker.running)
    link.run(lambda c: pg_queue.worker_beat(c, worker.name, socket.gethostname(), os.getpid(), state,
                                            ", ".join(sorted(running.values())) or None,
                                            ", ".join(sorted(running)) or None))


def _beats(worker: _Worker, link: PgLink) -> None:
    while not worker.stop.wait(BEAT_S):
        try:
            _beat(worker, link, "running")
        except Exception:
            log.debug("worker heartbeat failed", exc_info=True)


async def _serve(worker: _Worker, concurrency: int) -> None:
    """The procrastinate worker, started again with backoff when it ends without a stop (PostgreSQL lost)."""
    loop = asyncio.get_running_loop()
    current: list[asyncio.Task[Any]] = []
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals > 1:
            os.write(2, b"kabar: second signal, exiting at once\n")
            os._exit(130)
        os.write(2, b"kabar: stopping: abandoning the runs in hand (signal again to exit now)\n")
        worker.stop.set()
        for task in current:
            task.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    stall = worker.config.cluster.stall_timeout
    delay = 0.5
    while not worker.stop.is_set():
        app = make_app(worker.dsn)
        started = time.monotonic()
        try:
            async with app.open_async():
                await retry_stalled(app, stall)
                task = asyncio.create_task(app.run_worker_async(
                    queues=["kabar"], concurrency=concurrency, name=worker.name, install_signal_handlers=False,
                    update_heartbeat_interval=max(0.5, stall / 4), stalled_worker_timeout=stall,
                    fetch_job_polling_interval=1.0, delete_jobs="successful"))
                current[:] = [task]
                await task
        except asyncio.CancelledError:
            if not worker.stop.is_set():
                raise
        except Exception as exc:
            log.warning("queue worker stopped: %s", " ".join(str(exc).split())[:200])
        if worker.stop.is_set():
            break
        delay = 0.5 if time.monotonic() - started > 30 else min(delay * 2, 10.0)
        log.warning("queue worker ended; starting again in %.1fs", delay)
        await asyncio.sleep(delay)


def run_worker(config: Config, dsn: str, *, concurrency: int = 1) -> int:
    """``kabar worker``: serve until a signal; 0. Raises :class:`ClusterError` when the cluster cannot be
    used at start (unreachable, not initialised)."""
    global _WORKER
    check_ready(dsn)
    worker = _WORKER = _Worker(config, dsn, f"{socket.gethostname()}:{os.getpid()}")
    link = PgLink(dsn, stop=worker.stop)
    _beat(worker, link, "running")
    beats = threading.Thread(target=_beats, args=(worker, link), name="kabar-worker-beat", daemon=True)
    beats.start()
    log.info("worker %s started: concurrency %d", worker.name, concurrency)
    try:
        asyncio.run(_serve(worker, concurrency))
    finally:
        worker.stop.set()
        beats.join(timeout=BEAT_S * 2)
        try:
            _beat(worker, PgLink(dsn, give_up_after=5.0), "stopped")
        except Exception:
            log.debug("could not record the worker's stop", exc_info=True)
        link.close()
        _WORKER = None
    log.info("worker %s stopped", worker.name)
    return 0
