"""``kabar daemon``: every source on its schedule, until SIGTERM/SIGINT.

The daemon is APScheduler 3 wiring around the same :func:`scraper.pipeline.crawl_source` that
``kabar crawl`` uses; *when* a source runs is decided by the pure policy of :mod:`scraper.schedule` and
kept in the database, never in APScheduler's memory:

* at start the daemon reads each source's row of ``sources`` and applies the catch-up rule
  (:func:`scraper.schedule.first_run`), then arms **one date job per source** (the table of sources and
  these decisions: :mod:`scraper.roster`);
* a run (:func:`scraper.runner.supervise_run`) writes ``last_run_at``/``last_status = running`` as it
  starts; when it ends it computes the next time (:func:`scraper.schedule.after_run`: adaptive interval,
  failure back-off, jitter; a cron source's next fire time), writes ``next_run_at``/``interval_s``/
  ``last_status``/``consecutive_failures``, and the main thread re-arms the job — after the run, so a
  source never overlaps itself (``max_instances=1`` and ``coalesce`` on top);
* ``[daemon].max_running`` is the size of the executor's thread pool;
* a crawl that raises is logged and recorded as a failed run; the other sources are not affected.

Stopping: the first SIGTERM/SIGINT stops the scheduler (no new run starts), sets the ``stop`` event of the
in-flight ``crawl_source`` calls (which finish their in-flight writes and record the run ``interrupted``)
and waits up to ``[daemon].stop_timeout``; then the heartbeat is marked ``stopped``, the database closed
and :meth:`Daemon.run` returns 0. A second signal exits at once with 130 (SQLite transactions keep the
database valid). SIGHUP reloads the config file: added, removed and changed sources are rescheduled; an
invalid file is logged and the old config kept.

One writer per database: :meth:`Daemon.run` takes the writer lock (:class:`storage.lock.WriterLock`) before
it opens the database and holds it until it exits, so a second daemon (or a ``kabar crawl``) on the same
database is refused with one line naming this one, and recovery at start marks ``interrupted`` only runs of
dead processes.

Health: the main thread writes the ``daemon_heartbeat`` row (:mod:`storage.heartbeat`) every ``heartbeat``
seconds (pid, state, sources running); :func:`scraper.health.check_health` (``kabar stats --health``)
fails when it is older than three beats or the daemon is not running.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from scraper.config import Config, SourceConfig
from scraper.errors import ConfigError, KabarError, StorageError
from scraper.roster import Roster
from scraper.runner import CrawlFn, RunRecord, StoreLike, save_state, supervise_run
from scraper.schedule import Rand, SourceState
from scraper.timer import JobTimer
from storage.heartbeat import HeartbeatWriter, NotMigratedError
from storage.lock import WriterLock
from storage.util import format_time, utcnow_iso

logger = logging.getLogger(__name__)

#: Seconds between two heartbeat writes (``kabar daemon --heartbeat``).
DEFAULT_HEARTBEAT_S = 30.0
#: Consecutive heartbeat writes that may fail (database unusable) before the daemon gives up with exit 1.
MAX_HEARTBEAT_FAILURES = 5

EXIT_OK = 0
EXIT_FATAL = 1
EXIT_SECOND_SIGNAL = 130

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


class _Beats:
    """The heartbeat of this daemon process: its ``daemon_heartbeat`` row, over its own connection."""

    def __init__(self, interval_s: float, now: Callable[[], datetime]) -> None:
        self.interval_s = interval_s
        self._now = now
        self._started_at = now()
        self._writer: HeartbeatWriter | None = None
        self._failures = 0
        self.busy = False          # the main thread is inside a write (a second signal must not close)

    def open(self, db_path: str) -> None:
        self._writer = HeartbeatWriter(db_path)

    def beat(self, state: str, running: Sequence[str]) -> bool:
        """Write the heartbeat row; False after too many failures in a row (database unusable).

        Raises :class:`storage.heartbeat.NotMigratedError` when the table is missing.
        """
        writer = self._writer
        if writer is None:
            return True
        self.busy = True
        try:
            writer.write(pid=os.getpid(), host=socket.gethostname(), state=state,
                         started_at=format_time(self._started_at), beat_at=format_time(self._now()),
                         interval_s=self.interval_s, running=",".join(running))
            self._failures = 0
            return True
        except NotMigratedError:
            self._failures += 1
            raise
        except StorageError as exc:
            self._failures += 1
            logger.error("heartbeat write failed (%d in a row): %s", self._failures, exc)
            return self._failures < MAX_HEARTBEAT_FAILURES
        finally:
            self.busy = False

    def interrupt_running(self, name: str) -> None:
        """Close the run row of a crawl abandoned after stop_timeout (its thread still owns the store)."""
        if self._writer is None:
            return
        try:
            self._writer.interrupt_running(name)
        except StorageError as exc:
            logger.error("%s: could not record the run as interrupted: %s", name, exc)

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None and not self.busy:
            try:
                writer.close()
            except Exception:
                pass


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
        self._db_path = db_path
        self._names = tuple(names)
        self._crawl = crawl or _default_crawl
        self._open_store = open_store or _default_open_store
        self._reload_config = reload_config
        self._now = now
        self._rand = rand

        self._wake = threading.Event()
        self._roster = Roster(config, now=now, rand=rand, wake=self._wake.set)
        self._stopping = threading.Event()       # no new run may start
        self._stop_crawls = threading.Event()    # passed to crawl_source as ``stop``
        self._reload_requested = threading.Event()
        self._signals = 0
        self._store: StoreLike | None = None
        self._beats = _Beats(heartbeat_s, now)
        self._main_busy = False
        self._timer: JobTimer | None = None
        self._writer_lock: WriterLock | None = None

    # ---- public API ---------------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self._roster.config

    @property
    def history(self) -> deque[RunRecord]:
        """The finished runs (the last :data:`scraper.roster.HISTORY_SIZE`)."""
        return self._roster.history

    def scheduled(self) -> dict[str, datetime | None]:
        """Each source's next planned run (None while it runs)."""
        return self._roster.scheduled()

    @property
    def signalled(self) -> bool:
        """Whether a SIGTERM/SIGINT stopped the daemon."""
        return self._signals > 0

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
        if install_signals:     # before the start: a signal during a long migration stops, never kills
            self._install_signals()
        self._start()
        if ready is not None:
            ready.set()
        code = EXIT_OK
        # Runs keep their parse workers for the next runs; each running source has its own (never shared:
        # a source's document that spins to its deadline must not hold up another source's pages).
        from scraper.parse_worker import shared_workers

        try:
            with shared_workers():
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
        config = self._roster.config
        sources = self._selected(config)
        # one writer per database, for the daemon's lifetime: a second daemon (or a crawl) is refused
        self._writer_lock = WriterLock.acquire(self._db_path, command="kabar daemon", wait=0)
        try:
            store = self._open_store(self._db_path)
        except BaseException:
            self._close_main()
            raise
        self._store = store
        try:
            recovered = store.recover_interrupted_runs()
            if recovered:
                logger.warning("%d run(s) left running by a stopped process recorded as interrupted", recovered)
            store.ensure_sources([s.name for s in sources])
            rows = {r["name"]: r for r in store.sources()}
            self._beats.open(self._db_path)
            self._beat("running")
        except BaseException:
            self._close_main()
            raise

        max_running = config.daemon.max_running
        self._timer = JobTimer(max_running, self._run_source, self._roster.queue_arm)
        now = self._now()
        for src in sources:
            self._roster.add(src, SourceState.from_row(rows.get(src.name)), now, store)
        self._arm_pending()
        self._timer.start()
        logger.info("daemon started: %d source(s), max_running=%d, pid %d", len(sources), max_running,
                    os.getpid())

    # ---- arming ---------------------------------------------------------------------------------------

    def _arm_pending(self) -> None:
        """Arm the jobs queued by runs that ended and by (re)planning. Main thread only.

        Jobs are added and removed only here, never from a listener or a job: APScheduler may call a
        listener from its own thread while it holds its job-store lock (a job that ends before its
        submission returns), and it removes a fired date job only after the submission, so an arming from
        there could deadlock or be removed again.
        """
        assert self._timer is not None
        for name, when, generation in self._roster.armings(self._stopping):
            self._timer.arm(name, when, generation)

    def _run_source(self, name: str, generation: int) -> None:
        """The job of one source. Never raises: every failure is logged and recorded."""
        store = self._store
        if store is None:
            return
        claim = self._roster.claim(name, generation, self._stopping)
        if claim is None:
            return
        slot = claim.slot
        record, plan = supervise_run(claim.source, claim.config, store, claim.state, crawl=self._crawl,
                                     stop=self._stop_crawls, policy=lambda: self._roster.policy_of(slot),
                                     now=self._now, rand=self._rand)
        self._roster.finish(slot, record, plan)
        # the job is re-armed by the main thread once the executor has released this instance

    # ---- main loop ------------------------------------------------------------------------------------

    def _serve(self) -> int:
        next_beat = time.monotonic() + self._beats.interval_s
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
                if self._timer is None or not self._timer.running:
                    logger.critical("the scheduler stopped unexpectedly")
                    return EXIT_FATAL
                if not self._beat("running"):
                    return EXIT_FATAL
                next_beat = time.monotonic() + self._beats.interval_s
                finished = self._roster.finished_runs
                if finished != trimmed_at:   # runs ended since the last beat: give their garbage back
                    release_free_memory()
                    trimmed_at = finished

    def _beat(self, state: str) -> bool:
        return self._beats.beat(state, self._roster.busy())

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
        old = self._roster.config
        if new.daemon.max_running != old.daemon.max_running:
            logger.warning("[daemon].max_running changed to %d: takes effect at the next restart",
                           new.daemon.max_running)
        if new.storage.path != old.storage.path:
            logger.warning("[storage].path changed: takes effect at the next restart")
        store = self._store
        assert store is not None and self._timer is not None
        known = set(self._roster.scheduled())
        self._main_busy = True
        try:
            new_names = [s.name for s in sources if s.name not in known]
            if new_names:
                store.ensure_sources(new_names)
            rows = {r["name"]: r for r in store.sources()} if new_names else {}
            changes = self._roster.apply(new, sources, rows, self._now(), store)
        finally:
            self._main_busy = False
        for name in changes.removed:
            self._timer.remove(name)
        logger.warning("config reloaded: %d source(s); added %s, removed %s, changed %s", len(sources),
                       ", ".join(changes.added) or "none", ", ".join(changes.removed) or "none",
                       ", ".join(changes.changed) or "none")

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
            if not self._main_busy:
                self._beats.close()
            for handler in logging.getLogger().handlers:
                handler.flush()
        finally:
            os._exit(EXIT_SECOND_SIGNAL)

    def _shutdown(self) -> None:
        self._stopping.set()
        self._stop_crawls.set()
        if self._timer is not None:
            self._timer.shutdown()
        timeout = self._roster.config.daemon.stop_timeout
        deadline = time.monotonic() + timeout
        busy = self._roster.busy()
        if busy:
            logger.warning("stopping: waiting up to %.0fs for %s", timeout, ", ".join(busy))
            self._beat("stopping")
        stuck = self._roster.wait_idle(deadline)
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
        store = self._store
        now = utcnow_iso()
        for name in names:
            if store is not None:
                save_state(store, name, last_status="interrupted", next_run_at=now)
            self._beats.interrupt_running(name)

    def _close_main(self) -> None:
        self._beats.close()
        store, self._store = self._store, None
        if store is not None:
            try:
                store.close()
            except Exception:
                logger.exception("closing the database failed")
        writer_lock, self._writer_lock = self._writer_lock, None
        if writer_lock is not None:
            writer_lock.release()
