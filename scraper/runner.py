"""One supervised run of one source, as the daemon runs it: never raises, always records.

:func:`supervise_run` writes ``last_run_at``/``last_status = running``, calls the crawl, turns whatever it
returned or raised into a status and counts, asks :func:`scraper.schedule.after_run` for the next time, writes
that to the ``sources`` row and logs the one line per run that ``kabar daemon`` prints. Locking, arming and
the daemon's bookkeeping stay in :mod:`scraper.daemon`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from scraper.config import Config, SourceConfig
from scraper.schedule import Plan, Policy, Rand, SourceState, after_run
from storage import runs
from storage.records import RUN_COUNTS
from storage.util import format_time

# the daemon's log lines keep one logger name (`kabar daemon` output, log filters, tests)
logger = logging.getLogger("scraper.daemon")

CrawlFn = Callable[..., Any]


class StoreLike(Protocol):
    """The part of :class:`storage.store.Store` the daemon uses."""

    def close(self) -> None: ...
    def recover_interrupted_runs(self) -> int: ...
    def ensure_sources(self, names: Iterable[str]) -> Any: ...
    def update_source(self, name: str, **fields: Any) -> Any: ...
    def sources(self) -> list[dict[str, Any]]: ...
    def transaction(self) -> AbstractContextManager[Any]: ...


@dataclass
class RunRecord:
    """One finished run, as the daemon saw it (kept in memory for tests and logs)."""

    source: str
    run_id: int | None
    status: str
    started: datetime
    finished: datetime
    counts: dict[str, int] = field(default_factory=dict)
    next_run_at: datetime | None = None


def counts_of(summary: Any) -> dict[str, int]:
    """The summary counters of a RunSummary-like object, in :data:`storage.records.RUN_COUNTS` order."""
    return {k: int(getattr(summary, k, 0) or 0) for k in RUN_COUNTS}


def save_state(store: StoreLike, name: str, **fields: Any) -> None:
    """Write scheduling fields of a source; a failure is logged, never raised (the daemon goes on)."""
    try:
        store.update_source(name, **fields)
    except Exception:
        logger.exception("%s: could not record the schedule in the database", name, extra={"source": name})


def _crawl_once(name: str, source: SourceConfig, config: Config, store: StoreLike, crawl: CrawlFn,
                stop: threading.Event) -> tuple[str, int | None, dict[str, int], str | None]:
    """Call the crawl; its (status, run id, counts, reason). An exception is logged and counts as ``failed``;
    the reason is why a run failed or was interrupted (None when ok or unknown)."""
    try:
        summary = crawl(source, config, store, stop=stop)
        status = str(getattr(summary, "status", "failed"))
        run_id = getattr(summary, "run_id", None)
        counts = counts_of(summary)
        errors = list(getattr(summary, "errors", []) or [])
    except Exception as exc:
        logger.error("%s: run raised %s: %s", name, type(exc).__name__, exc, exc_info=True,
                     extra={"source": name, "status": "failed", "reason": type(exc).__name__})
        return "failed", None, {}, " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
    reason = None
    if status == "failed" and errors:
        reason = " ".join("; ".join(str(e) for e in errors[:3]).split())[:500]
        logger.warning("%s: run %s failed: %s", name, run_id, "; ".join(errors[:3]),
                       extra={"source": name, "run_id": run_id, "status": status})
    elif status == "interrupted":
        reason = "stopped before the run ended (stop signal or daemon shutdown)"
    return status, run_id, counts, reason


def note_reason(store: StoreLike, name: str, run_id: int | None, reason: str) -> None:
    """Record why a run failed or was interrupted in ``runs.error`` (kept when the crawl recorded one);
    a failure is logged, never raised."""
    try:
        with store.transaction() as conn:
            runs.note_run_error(conn, name, run_id, reason)
    except Exception:
        logger.debug("%s: could not record why run %s ended", name, run_id, exc_info=True)


def supervise_run(source: SourceConfig, config: Config, store: StoreLike, state: SourceState, *,
                  crawl: CrawlFn, stop: threading.Event, policy: Callable[[], Policy],
                  now: Callable[[], datetime], rand: Rand) -> tuple[RunRecord, Plan]:
    """Run ``source`` once and record it. ``policy`` is read after the run (a reload may change it)."""
    name = source.name
    started = now()
    t0 = time.monotonic()
    save_state(store, name, last_run_at=format_time(started), last_status="running")
    logger.info("%s: run started", name, extra={"source": name})
    status, run_id, counts, reason = _crawl_once(name, source, config, store, crawl, stop)
    if reason is not None:
        note_reason(store, name, run_id, reason)
    finished = now()
    elapsed = time.monotonic() - t0
    plan = after_run(policy(), state, status=status, new=counts.get("new", 0), started=started, now=finished,
                     rand=rand)
    save_state(store, name, last_status=status, next_run_at=format_time(plan.next_run_at),
               interval_s=round(plan.interval_s, 3), consecutive_failures=plan.consecutive_failures)
    counts_txt = " ".join(f"{k}={v}" for k, v in counts.items() if v)
    log = logger.warning if status == "failed" else logger.info
    log("%s: run %s %s in %.1fs%s; next in %.1fs (%s)", name, run_id if run_id is not None else "-", status,
        elapsed, f" ({counts_txt})" if counts_txt else "", plan.delay_s(finished), plan.reason,
        extra={"source": name, "run_id": run_id, "status": status, "counts": counts,
               "elapsed": round(elapsed, 3), "reason": plan.reason})
    return RunRecord(name, run_id, status, started, finished, counts, plan.next_run_at), plan
