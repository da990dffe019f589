"""``kabar daemon``: every source on its schedule, until SIGTERM/SIGINT.

The daemon is APScheduler 3 wiring around the same :func:`scraper.pipeline.crawl_source` that
``kabar crawl`` uses; *when* a source runs is decided by the pure policy of :mod:`scraper.schedule` and
kept in the database, never in APScheduler's memory:

* at start the daemon reads each source's row of ``sources`` and applies the catch-up rule
  (:func:`scraper.schedule.first_run`), then arms **one date job per source**;
* a run writes ``last_run_at``/``last_status = running`` as it starts; when it ends the daemon computes the
  next time (:func:`scraper.schedule.after_run`: adaptive interval, failure back-off, jitter), writes
  ``next_run_at``/``interval_s``/``last_status``/``consecutive_failures`` and re-arms the job — after the
  run, so a source never overlaps itself (``max_instances=1`` and ``coalesce`` on top);
* ``[daemon].max_running`` is the size of the executor's thread pool;
* a crawl that raises is logged and recorded as a failed run; the other sources are not affected.

Stopping: the first SIGTERM/SIGINT stops the scheduler (no new run starts), sets the ``stop`` event of the
in-flight ``crawl_source`` calls (which finish their in-flight writes and record the run ``interrupted``)
and waits up to ``[daemon].stop_timeout``; then the heartbeat is marked ``stopped``, the database closed
and :meth:`Daemon.run` returns 0. A second signal exits at once with 130 (SQLite transactions keep the
database valid). SIGHUP reloads the config file: added, removed and changed sources are rescheduled; an
invalid file is logged and the old config kept.

Health: the main thread writes the ``daemon_heartbeat`` row every ``heartbeat`` seconds (pid, state,
sources running); :func:`check_health` (``kabar stats --health``) fails when it is older than three
beats or the daemon is not running.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import random
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, Protocol

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from scraper.config import Config, SourceConfig
from scraper.errors import ConfigError, KabarError, StorageError
from scraper.schedule import (
    Plan,
    Policy,
    Rand,
    SourceState,
    after_run,
    first_run,
    format_time,
    on_schedule_change,
    parse_time,
    policy_for,
)

logger = logging.getLogger(__name__)

#: Seconds between two heartbeat writes (``kabar daemon --heartbeat``).
DEFAULT_HEARTBEAT_S = 30.0
#: A heartbeat older than this many beats means the daemon is stalled.
STALE_BEATS = 3
#: Consecutive heartbeat writes that may fail (database unusable) before the daemon gives up with exit 1.
MAX_HEARTBEAT_FAILURES = 5
#: Finished runs kept in memory (:attr:`Daemon.history`).
HISTORY_SIZE = 1000
#: The summary counters of a run, in the order of the ``runs`` table.
COUNT_FIELDS = ("discovered", "fetched", "new", "updated", "unchanged", "duplicate", "skipped", "failed")

EXIT_OK = 0
EXIT_FATAL = 1
EXIT_SECOND_SIGNAL = 130


class StoreLike(Protocol):
    """The part of :class:`storage.store.Store` the daemon uses."""

    def close(self) -> None: ...
    def recover_interrupted_runs(self) -> int: ...
    def ensure_sources(self, names: Iterable[str]) -> Any: ...
    def update_source(self, name: str, **fields: Any) -> Any: ...
    def sources(self) -> list[dict[str, Any]]: ...


CrawlFn = Callable[..., Any]
OpenStore = Callable[[str], StoreLike]


def _default_open_store(path: str) -> StoreLike:
    from storage.store import Store

    store: StoreLike = Store.open(path)
    return store


def _default_crawl(source: SourceConfig, config: Config, store: Any, **kwargs: Any) -> Any:
    from scraper.pipeline import crawl_source

    return crawl_source(source, config, store, **kwargs)


def _utcnow() -> datetime:
    return datetime.now(UTC)


_malloc_trim: Callable[[int], int] | None = None
_malloc_trim_looked_up = False


def release_free_memory() -> bool:
    """Hand the heap memory freed by finished runs back to the OS (glibc ``malloc_trim``); False elsewhere.

    Each run's fetch and parse threads leave freed blocks spread over glibc's per-thread arenas; without a
    trim the resident size of a long-lived daemon creeps up (by a few MiB an hour) although nothing leaks.
    """
    global _malloc_trim, _malloc_trim_looked_up
    if not _malloc_trim_looked_up:
        _malloc_trim_looked_up = True
        try:
            import ctypes
            import ctypes.util

            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            fn = libc.malloc_trim
            fn.argtypes = [ctypes.c_size_t]
            fn.restype = ctypes.c_int
            _malloc_trim = fn
        except (OSError, AttributeError):
            _malloc_trim = None
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True


def job_id(name: str) -> str:
    return f"source:{name}"


@dataclass
class _Slot:
    """The daemon's view of one source: its config, its policy and the state last stored for it."""

    source: SourceConfig
    policy: Policy
    state: SourceState
    removed: bool = False
    next_plan: Plan | None = None
    generation: int = 0        # new (daemon-wide unique) at every arming; a job of an older one does nothing
    runs: int = 0


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


# --------------------------------------------------------------------------------------------------
# heartbeat


HEARTBEAT_TABLE = "daemon_heartbeat"


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    host: str
    state: str                 # running | stopping | stopped
    started_at: datetime
    beat_at: datetime
    interval_s: float
    running: str               # comma-separated names of the sources crawling at the last beat


def _connect(path: str, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        from pathlib import Path

        uri = Path(path).resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=5.0, isolation_level=None)
    else:
        conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def write_heartbeat(conn: sqlite3.Connection, hb: Heartbeat) -> None:
    conn.execute(
        f"""INSERT INTO {HEARTBEAT_TABLE} (id, pid, host, state, started_at, beat_at, interval_s, running)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, state = excluded.state,
                started_at = excluded.started_at, beat_at = excluded.beat_at,
                interval_s = excluded.interval_s, running = excluded.running""",
        (hb.pid, hb.host, hb.state, format_time(hb.started_at), format_time(hb.beat_at), hb.interval_s,
         hb.running),
    )


def read_heartbeat(db_path: str) -> Heartbeat | None:
    """The heartbeat row of ``db_path`` (opened read-only), or None when no daemon ever wrote one.

    Raises :class:`StorageError` when the database cannot be opened.
    """
    if not os.path.exists(db_path):
        raise StorageError(f"{db_path}: no such database")
    try:
        conn = _connect(db_path, readonly=True)
        try:
            row = conn.execute(
                f"SELECT pid, host, state, started_at, beat_at, interval_s, running FROM {HEARTBEAT_TABLE} "
                "WHERE id = 1").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise StorageError(f"{db_path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{db_path}: {exc}") from exc
    if row is None:
        return None
    started, beat = parse_time(row[3]), parse_time(row[4])
    assert started is not None and beat is not None
    return Heartbeat(pid=int(row[0]), host=str(row[1] or ""), state=str(row[2]), started_at=started,
                     beat_at=beat, interval_s=float(row[5]), running=str(row[6] or ""))


@dataclass(frozen=True)
class Health:
    ok: bool
    message: str
    heartbeat: Heartbeat | None
    age_s: float | None


def check_health(db_path: str, *, max_age_s: float | None = None, now: datetime | None = None) -> Health:
    """Is a daemon alive on ``db_path``? Healthy means: state ``running`` and a heartbeat younger than
    ``max_age_s`` (default: :data:`STALE_BEATS` heartbeat intervals)."""
    hb = read_heartbeat(db_path)
    if hb is None:
        return Health(False, "no daemon heartbeat in this database", None, None)
    now = now or _utcnow()
    age = (now - hb.beat_at).total_seconds()
    limit = max_age_s if max_age_s is not None else STALE_BEATS * hb.interval_s
    where = f"pid {hb.pid}" + (f" on {hb.host}" if hb.host else "")
    if hb.state != "running":
        return Health(False, f"daemon {where} is {hb.state} (last heartbeat {age:.0f}s ago)", hb, age)
    if age > limit:
        return Health(False, f"daemon {where} is stalled: last heartbeat {age:.0f}s ago (limit {limit:.0f}s)",
                      hb, age)
    running = f", crawling {hb.running}" if hb.running else ""
    return Health(True, f"daemon {where} is running: last heartbeat {age:.0f}s ago{running}", hb, age)


# --------------------------------------------------------------------------------------------------
# the daemon


class Daemon:
    """Runs the selected sources of ``config`` on their schedules against the database at ``db_path``.

    ``crawl`` (default :func:`scraper.pipeline.crawl_source`), ``open_store`` (default
    :meth:`storage.store.Store.open`), ``reload_config`` (SIGHUP), ``now`` and ``rand`` are injectable so the
    loop can be tested with a fake crawl function.
    """

    def __init__(self, config: Config, db_path: str, *, names: Sequence[str] = (),
                 crawl: CrawlFn | None = None, open_store: OpenStore | None = None,
                 reload_config: Callable[[], Config] | None = None,
                 heartbeat_s: float = DEFAULT_HEARTBEAT_S, now: Callable[[], datetime] = _utcnow,
                 rand: Rand = random.random) -> None:
        self._config = config
        self._db_path = db_path
        self._names = tuple(names)
        self._crawl = crawl or _default_crawl
        self._open_store = open_store or _default_open_store
        self._reload_config = reload_config
        self._heartbeat_s = heartbeat_s
        self._now = now
        self._rand = rand

        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._slots: dict[str, _Slot] = {}
        # names of the sources crawling now; by name, not slot, so that a source removed and re-added by two
        # reloads while its old run goes on still never overlaps itself
        self._busy: set[str] = set()
        self._finished_runs = 0
        self._wake = threading.Event()
        self._generations = itertools.count(1)
        self._to_arm: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        self._stopping = threading.Event()       # no new run may start
        self._stop_crawls = threading.Event()    # passed to crawl_source as ``stop``
        self._reload_requested = threading.Event()
        self._signals = 0
        self._started_at = now()
        self._store: StoreLike | None = None
        self._hb_conn: sqlite3.Connection | None = None
        self._hb_failures = 0
        self._main_busy = False
        self._scheduler: BackgroundScheduler | None = None
        self.history: deque[RunRecord] = deque(maxlen=HISTORY_SIZE)

    # ---- public API ---------------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self._config

    def scheduled(self) -> dict[str, datetime | None]:
        """Each source's next planned run (None while it runs)."""
        with self._lock:
            return {n: (s.next_plan.next_run_at if s.next_plan and n not in self._busy else None)
                    for n, s in self._slots.items()}

    def request_stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def request_reload(self) -> None:
        self._reload_requested.set()
        self._wake.set()

    def run(self, *, install_signals: bool = True, ready: threading.Event | None = None) -> int:
        """Start, serve until stopped, shut down. Returns the exit code (0 clean stop, 1 fatal).

        Raises :class:`ConfigError` (no source to run) and :class:`StorageError` (database unusable at
        start) before anything is scheduled.
        """
        self._start()
        if install_signals:
            self._install_signals()
        if ready is not None:
            ready.set()
        code = EXIT_OK
        try:
            code = self._serve()
        finally:
            self._shutdown()
        return code

    # ---- start-up -----------------------------------------------------------------------------------

    def _selected(self, config: Config) -> tuple[SourceConfig, ...]:
        sources = config.select_sources(self._names)
        if not sources:
            raise ConfigError(config.path, "sources", "no sources configured: the daemon has nothing to run")
        return sources

    def _start(self) -> None:
        sources = self._selected(self._config)
        store = self._open_store(self._db_path)
        self._store = store
        try:
            recovered = store.recover_interrupted_runs()
            if recovered:
                logger.warning("%d run(s) left running by a stopped process recorded as interrupted", recovered)
            store.ensure_sources([s.name for s in sources])
            rows = {r["name"]: r for r in store.sources()}
            self._hb_conn = _connect(self._db_path, readonly=False)
            self._beat("running")
        except BaseException:
            self._close_main()
            raise

        dcfg = self._config.daemon
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=dcfg.max_running)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler.add_listener(self._on_job_event,
                                     EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES
                                     | EVENT_JOB_MISSED)
        now = self._now()
        with self._lock:
            for src in sources:
                slot = _Slot(src, policy_for(src, dcfg), SourceState.from_row(rows.get(src.name)))
                self._slots[src.name] = slot
                plan = first_run(slot.policy, slot.state, now, self._rand)
                self._plan(slot, plan, now, store)
        self._arm_pending()
        self._scheduler.start()
        logger.info("daemon started: %d source(s), max_running=%d, pid %d", len(sources), dcfg.max_running,
                    os.getpid())

    def _plan(self, slot: _Slot, plan: Plan, now: datetime, store: StoreLike | None) -> None:
        """Store ``plan`` for ``slot`` and queue the arming of its job (caller holds the lock)."""
        name = slot.source.name
        slot.next_plan = plan
        slot.state = SourceState(last_run_at=slot.state.last_run_at, next_run_at=plan.next_run_at,
                                 interval_s=plan.interval_s, last_status=slot.state.last_status,
                                 consecutive_failures=plan.consecutive_failures)
        if store is not None:
            self._save_state(store, name, next_run_at=format_time(plan.next_run_at),
                             interval_s=round(plan.interval_s, 3),
                             consecutive_failures=plan.consecutive_failures)
        logger.info("%s: next run %s (%s, in %.1fs)", name, format_time(plan.next_run_at), plan.reason,
                    plan.delay_s(now), extra={"source": name, "reason": plan.reason})
        self._to_arm.put((name, 0))
        self._wake.set()

    def _arm_pending(self) -> None:
        """Arm the jobs queued by runs that ended and by (re)planning. Main thread only.

        Jobs are added and removed only here, never from a listener or a job: APScheduler may call a
        listener from its own thread while it holds its job-store lock (a job that ends before its
        submission returns), and it removes a fired date job only after the submission, so an arming from
        there could deadlock or be removed again.
        """
        while True:
            try:
                name, code = self._to_arm.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                slot = self._slots.get(name)
                if slot is None or slot.removed or name in self._busy or self._stopping.is_set():
                    continue  # a running source is queued again when its run ends
                if code == EVENT_JOB_MAX_INSTANCES and slot.next_plan is not None:
                    # fired while an older instance still held the executor (a re-arm during a saturated
                    # pool): try again shortly, keeping the plan
                    retry = self._now() + timedelta(seconds=1.0)
                    slot.next_plan = Plan(max(retry, slot.next_plan.next_run_at), slot.next_plan.interval_s,
                                          slot.next_plan.consecutive_failures, "retry")
                elif slot.next_plan is None or code not in (0, EVENT_JOB_EXECUTED):
                    # the job was skipped or failed outside its guarded body (should not happen): never
                    # drop the source, try again in one interval
                    logger.error("%s: job event %s; re-arming", name, code, extra={"source": name})
                    interval = slot.state.interval_s or 60.0
                    slot.next_plan = Plan(self._now() + timedelta(seconds=interval), interval,
                                          slot.state.consecutive_failures, "rearm")
                slot.generation = next(self._generations)
                when, generation = slot.next_plan.next_run_at, slot.generation
            self._arm(name, when, generation)

    def _arm(self, name: str, when: datetime, generation: int) -> None:
        assert self._scheduler is not None
        jid = job_id(name)
        try:
            self._scheduler.remove_job(jid)
        except JobLookupError:
            pass
        self._scheduler.add_job(self._run_source, trigger=DateTrigger(run_date=when), args=[name, generation],
                                id=jid, name=name)

    def _save_state(self, store: StoreLike, name: str, **fields: Any) -> None:
        try:
            store.update_source(name, **fields)
        except Exception:
            logger.exception("%s: could not record the schedule in the database", name,
                             extra={"source": name})

    # ---- one run --------------------------------------------------------------------------------------

    def _run_source(self, name: str, generation: int) -> None:
        """The job of one source. Never raises: every failure is logged and recorded."""
        with self._lock:
            slot = self._slots.get(name)
            if (slot is None or slot.removed or self._stopping.is_set() or name in self._busy
                    or generation != slot.generation):
                return
            self._busy.add(name)
            slot.next_plan = None
            source, state, config = slot.source, slot.state, self._config
        started = self._now()
        t0 = time.monotonic()
        status, new, run_id = "failed", 0, None
        counts: dict[str, int] = {}
        store = self._store
        try:
            assert store is not None, "the daemon is not started"
            self._save_state(store, name, last_run_at=format_time(started), last_status="running")
            logger.info("%s: run started", name, extra={"source": name})
            summary = self._crawl(source, config, store, stop=self._stop_crawls)
            status = str(getattr(summary, "status", "failed"))
            run_id = getattr(summary, "run_id", None)
            counts = counts_of(summary)
            new = counts["new"]
            errors = list(getattr(summary, "errors", []) or [])
            if status == "failed" and errors:
                logger.warning("%s: run %s failed: %s", name, run_id, "; ".join(errors[:3]),
                               extra={"source": name, "run_id": run_id, "status": status})
        except Exception as exc:
            status = "failed"
            logger.error("%s: run raised %s: %s", name, type(exc).__name__, exc, exc_info=True,
                         extra={"source": name, "status": status, "reason": type(exc).__name__})
        finished = self._now()
        elapsed = time.monotonic() - t0
        with self._lock:
            policy = slot.policy  # a SIGHUP during the run may have changed it
        plan = after_run(policy, state, status=status, new=new, started=started, now=finished, rand=self._rand)
        fields = dict(last_status=status, next_run_at=format_time(plan.next_run_at),
                      interval_s=round(plan.interval_s, 3), consecutive_failures=plan.consecutive_failures)
        if store is not None:
            self._save_state(store, name, **fields)
        counts_txt = " ".join(f"{k}={v}" for k, v in counts.items() if v)
        log = logger.warning if status == "failed" else logger.info
        log("%s: run %s %s in %.1fs%s; next in %.1fs (%s)", name, run_id if run_id is not None else "-", status,
            elapsed, f" ({counts_txt})" if counts_txt else "", plan.delay_s(finished), plan.reason,
            extra={"source": name, "run_id": run_id, "status": status, "counts": counts,
                   "elapsed": round(elapsed, 3), "reason": plan.reason})
        with self._lock:
            slot.state = SourceState(last_run_at=started, next_run_at=plan.next_run_at,
                                     interval_s=plan.interval_s, last_status=status,
                                     consecutive_failures=plan.consecutive_failures)
            self._busy.discard(name)
            self._finished_runs += 1
            slot.runs += 1
            self.history.append(RunRecord(name, run_id, status, started, finished, counts, plan.next_run_at))
            if not slot.removed:
                slot.next_plan = plan
            self._idle.notify_all()
        # the job is re-armed by the main thread once the executor has released this instance

    def _on_job_event(self, event: JobEvent) -> None:
        """A source's job ended (or was skipped): hand it to the main thread for re-arming.

        Takes no lock: APScheduler may call this from its own thread while it holds its job-store lock.
        """
        jid = getattr(event, "job_id", "")
        if jid.startswith("source:"):
            self._to_arm.put((jid[len("source:"):], event.code))
            self._wake.set()

    # ---- main loop ------------------------------------------------------------------------------------

    def _serve(self) -> int:
        next_beat = time.monotonic() + self._heartbeat_s
        trimmed_at = 0
        while True:
            self._wake.wait(timeout=max(0.0, next_beat - time.monotonic()))
            self._wake.clear()
            if self._stopping.is_set():
                return EXIT_OK
            if self._reload_requested.is_set():
                self._reload_requested.clear()
                self._reload()
            self._arm_pending()
            if time.monotonic() >= next_beat:
                if self._scheduler is None or not self._scheduler.running:
                    logger.critical("the scheduler stopped unexpectedly")
                    return EXIT_FATAL
                if not self._beat("running"):
                    return EXIT_FATAL
                next_beat = time.monotonic() + self._heartbeat_s
                with self._lock:
                    finished = self._finished_runs
                if finished != trimmed_at:   # runs ended since the last beat: give their garbage back
                    release_free_memory()
                    trimmed_at = finished

    def _beat(self, state: str) -> bool:
        """Write the heartbeat row; False after too many failures in a row (database unusable)."""
        if self._hb_conn is None:
            return True
        with self._lock:
            running = ",".join(sorted(self._busy))
        hb = Heartbeat(os.getpid(), socket.gethostname(), state, self._started_at, self._now(),
                       self._heartbeat_s, running)
        self._main_busy = True
        try:
            write_heartbeat(self._hb_conn, hb)
            self._hb_failures = 0
            return True
        except sqlite3.Error as exc:
            self._hb_failures += 1
            if "no such table" in str(exc):
                raise StorageError(f"{self._db_path}: {exc} (the database was not migrated)") from exc
            logger.error("heartbeat write failed (%d in a row): %s", self._hb_failures, exc)
            return self._hb_failures < MAX_HEARTBEAT_FAILURES
        finally:
            self._main_busy = False

    # ---- reload ---------------------------------------------------------------------------------------

    def _reload(self) -> None:
        if self._reload_config is None:
            logger.warning("SIGHUP: no config file to reload")
            return
        try:
            new = self._reload_config()
            sources = self._selected(new)
        except KabarError as exc:
            logger.error("config reload failed, keeping the old config: %s", exc)
            return
        except Exception as exc:  # a reload must never kill the daemon
            logger.exception("config reload failed, keeping the old config: %s", exc)
            return
        old = self._config
        if new.daemon.max_running != old.daemon.max_running:
            logger.warning("[daemon].max_running changed to %d: takes effect at the next restart",
                           new.daemon.max_running)
        if new.storage.path != old.storage.path:
            logger.warning("[storage].path changed: takes effect at the next restart")
        store = self._store
        assert store is not None
        now = self._now()
        wanted = {s.name: s for s in sources}
        added: list[str] = []
        removed: list[str] = []
        changed: list[str] = []
        self._main_busy = True
        try:
            new_names = [n for n in wanted if n not in self._slots]
            if new_names:
                store.ensure_sources(new_names)
            rows = {r["name"]: r for r in store.sources()} if new_names else {}
            with self._lock:
                self._config = new
                for name in list(self._slots):
                    if name not in wanted:
                        self._slots.pop(name).removed = True   # its job, if it fires, does nothing
                        removed.append(name)
                for name, src in wanted.items():
                    policy = policy_for(src, new.daemon)
                    slot = self._slots.get(name)
                    if slot is None:
                        slot = _Slot(src, policy, SourceState.from_row(rows.get(name)))
                        self._slots[name] = slot
                        self._plan(slot, first_run(policy, slot.state, now, self._rand), now, store)
                        added.append(name)
                        continue
                    if slot.source == src and slot.policy == policy:
                        continue
                    changed.append(name)
                    old_policy = slot.policy
                    slot.source, slot.policy = src, policy
                    if policy != old_policy:
                        if (policy.interval_s, policy.cron) != (old_policy.interval_s, old_policy.cron):
                            slot.state = on_schedule_change(policy, slot.state, now)
                        if name not in self._busy:
                            self._plan(slot, first_run(policy, slot.state, now, self._rand), now, store)
        finally:
            self._main_busy = False
        assert self._scheduler is not None
        for name in removed:
            try:
                self._scheduler.remove_job(job_id(name))
            except JobLookupError:
                pass
        logger.warning("config reloaded: %d source(s); added %s, removed %s, changed %s", len(wanted),
                       ", ".join(added) or "none", ", ".join(removed) or "none", ", ".join(changed) or "none")

    # ---- stopping -------------------------------------------------------------------------------------

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, self._on_sighup)

    def _on_sighup(self, signum: int, frame: FrameType | None) -> None:
        self.request_reload()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals == 1:
            self.request_stop()
            return
        # Second signal: leave now. The shared store may be inside a crawl thread's transaction, so it is not
        # closed; SQLite rolls back whatever was not committed when the database is next opened.
        try:
            sys.stderr.write("kabar: second signal, exiting at once\n")
            if not self._main_busy and self._hb_conn is not None:
                self._hb_conn.close()
            for handler in logging.getLogger().handlers:
                handler.flush()
        finally:
            os._exit(EXIT_SECOND_SIGNAL)

    def _shutdown(self) -> None:
        self._stopping.set()
        self._stop_crawls.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        timeout = self._config.daemon.stop_timeout
        deadline = time.monotonic() + timeout
        with self._lock:
            busy = sorted(self._busy)
        if busy:
            logger.warning("stopping: waiting up to %.0fs for %s", timeout, ", ".join(busy))
            self._beat("stopping")
        with self._lock:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._idle.wait(timeout=left)
            stuck = sorted(self._busy)
        if stuck:
            logger.error("stop_timeout reached: abandoning %s (recorded as interrupted)", ", ".join(stuck))
            self._abandon(stuck)
        self._beat("stopped")
        self._close_main()
        logger.info("daemon stopped")
        if stuck:
            # the abandoned crawl threads cannot be joined: leave without waiting for them
            logging.shutdown()
            sys.stdout.flush()
            os._exit(EXIT_OK)

    def _abandon(self, names: list[str]) -> None:
        """Record runs that did not finish within stop_timeout as interrupted, and make them due again."""
        store, conn = self._store, self._hb_conn
        now = format_time(self._now())
        for name in names:
            if store is not None:
                self._save_state(store, name, last_status="interrupted", next_run_at=now)
            if conn is not None:
                # the crawl thread still owns its run row; a source never overlaps itself, so its only
                # running row is the abandoned one
                try:
                    conn.execute("UPDATE runs SET status = 'interrupted', finished_at = ? "
                                 "WHERE source = ? AND status = 'running'", (now, name))
                except sqlite3.Error as exc:
                    logger.error("%s: could not record the run as interrupted: %s", name, exc)

    def _close_main(self) -> None:
        conn, self._hb_conn = self._hb_conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
        store, self._store = self._store, None
        if store is not None:
            try:
                store.close()
            except Exception:
                logger.exception("closing the database failed")


def counts_of(summary: Any) -> dict[str, int]:
    """The summary counters of a RunSummary-like object."""
    return {k: int(getattr(summary, k, 0) or 0) for k in COUNT_FIELDS}
