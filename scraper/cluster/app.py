"""The procrastinate app of a kabar cluster and its one task, ``kabar.crawl_source``.

A job is "crawl this source once" with the run's key: deferred with a **queueing lock** and a **lock** named
after the source (never two waiting jobs of one source, never two running), retried by procrastinate's own
retry strategy when a worker abandons it at shutdown (:class:`RunAbandoned`), and by its **stalled-job**
recovery when a worker stops beating (:func:`retry_stalled`).
"""

from __future__ import annotations

import logging
from typing import Any

import procrastinate
from procrastinate import exceptions as pexc

from storage import pg_schema
from storage.pg_conn import BadDsnError, ClusterError, connect

log = logging.getLogger(__name__)

TASK = "kabar.crawl_source"
QUEUE = "kabar"
MAX_ATTEMPTS = 20


class RunAbandoned(Exception):
    """The worker stopped (SIGTERM) before the run ended: the job goes back to the queue."""


def _crawl_task(context: procrastinate.JobContext, source: str, run_key: str, max_pages: int | None = None) -> str:
    from scraper.cluster.worker import run_job

    return run_job(context, source, run_key, max_pages=max_pages)


def make_app(dsn: str) -> procrastinate.App:
    """An app on ``dsn`` with kabar's task registered (open it before use)."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))
    app.task(name=TASK, queue=QUEUE, pass_context=True,
             retry=procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS, wait=1,
                                               retry_exceptions=[RunAbandoned, ClusterError]))(_crawl_task)
    return app


def lock_of(source: str) -> str:
    return f"kabar-source:{source}"


def defer_run(app: procrastinate.App, source: str, run_key: str, *, max_pages: int | None = None) -> int | None:
    """Queue the job of a run; None when a job of ``source`` is already waiting (the queueing lock)."""
    try:
        return app.configure_task(TASK, queue=QUEUE, lock=lock_of(source),
                                  queueing_lock=lock_of(source)).defer(source=source, run_key=run_key,
                                                                     max_pages=max_pages)
    except pexc.AlreadyEnqueued:
        log.info("%s: a job is already waiting in the queue", source, extra={"source": source})
        return None


async def retry_stalled(app: procrastinate.App, stall_timeout: float) -> int:
    """Put back in the queue the jobs of workers silent for ``stall_timeout`` seconds; how many."""
    jobs = list(await app.job_manager.get_stalled_jobs(task_name=TASK, seconds_since_heartbeat=stall_timeout))
    for job in jobs:
        log.warning("job %s (%s) stalled: its worker stopped beating; retried", job.id,
                    job.task_kwargs.get("source"), extra={"source": job.task_kwargs.get("source")})
        await app.job_manager.retry_job(job)
    return len(jobs)


def check_ready(dsn: str) -> None:
    """Connect once and check the schema: one-line :class:`ClusterError` (unreachable, not initialised)."""
    conn = connect(dsn)
    try:
        pg_schema.require_schema(conn)
    finally:
        conn.close()


def init_cluster(dsn: str) -> dict[str, Any]:
    """Create (or complete) the queue schema and kabar's tables; idempotent. What was done."""
    conn = connect(dsn)
    try:
        conn.execute("SELECT pg_advisory_lock(hashtext('kabar cluster init'))")
        try:
            queue_created = False
            if not pg_schema.queue_schema_present(conn):
                app = make_app(dsn)
                with app.open():
                    app.schema_manager.apply_schema()
                queue_created = True
            kabar_changed = pg_schema.init_schema(conn)
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('kabar cluster init'))")
    except BadDsnError:
        raise
    except Exception as exc:
        if isinstance(exc, ClusterError):
            raise
        raise ClusterError(f"kabar cluster init failed: {' '.join(str(exc).split())[:300]}") from None
    finally:
        conn.close()
    return {"queue_schema": "created" if queue_created else "present",
            "kabar_tables": "created or upgraded" if kabar_changed else "present"}
