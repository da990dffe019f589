"""One-off crawls of named sources, several at once (``kabar crawl``, ``kabar demo``, tests).

:func:`run_crawl` runs :func:`scraper.pipeline.crawl_source` per source, up to ``[daemon].max_running``
(``kabar crawl --jobs N``) at once over one shared fetcher, under :func:`stop_on_signals`, and returns a :class:`CrawlOutcome`, whose ``exit_code`` is SPEC.md's: 0 every page fetched or deliberately
skipped; 1 some page failed, a source could not be crawled or the database stopped the run; 130
interrupted by SIGINT/SIGTERM (what finished is kept, the run is recorded ``interrupted``).

A crawl command runs inside :func:`crawl_session`: the database's writer lock (:mod:`storage.lock`) is
taken first; while ``kabar daemon`` holds it the crawl is refused, behind another crawl it waits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import FrameType
from typing import NoReturn, Protocol

import httpx

from scraper.config import Config, SourceConfig
from scraper.fetch import Fetcher
from scraper.options import DEFAULT_OPTIONS, CrawlOptions
from scraper.parse_worker import shared_workers, worker_cap
from scraper.pipeline import RunSummary, crawl_source
from storage.lock import WriterLock, WriterLockedError
from storage.store import Store
from storage.util import utcnow_iso

log = logging.getLogger(__name__)

WAIT_POLL_S = 0.2    # how often a crawl waiting behind another one tries the writer lock


@dataclass
class CrawlOutcome:
    summaries: list[RunSummary] = field(default_factory=list)
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        if any(s.status == "failed" or s.failed for s in self.summaries):
            return 1
        return 0


class ProgressSink(Protocol):
    """A progress display for one source: ``("total", n)`` once, then ``(outcome, 1)`` per article URL."""

    def __call__(self, event: str, n: int) -> None: ...

    def close(self) -> None: ...


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _exit_now(signum: int, frame: FrameType | None) -> None:
    # SQLite transactions keep the database valid; nothing else needs cleaning up.
    os.write(2, b"kabar: interrupted again, exiting now\n")
    os._exit(130)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (in-flight writes finish); a second signal exits at once with 130.

    Once a signal came, the exit-at-once handler stays installed until the process ends (a second signal
    after the block, while the summary prints, must not meet the default handler: exit 143); without a
    signal the previous handlers come back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signalled = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if signalled.is_set() or stop.is_set():
            _exit_now(signum, frame)
        signalled.set()
        stop.set()
        os.write(2, b"\nkabar: stopping: finishing the pages in flight (signal again to exit now)\n")

    previous = {sig: signal.signal(sig, handler) for sig in _SIGNALS}
    try:
        yield
    finally:
        if not signalled.is_set():
            for sig, old in previous.items():
                signal.signal(sig, old)
        if signalled.is_set():      # also a signal handled between the check and the restore
            for sig in _SIGNALS:
                signal.signal(sig, _exit_now)


def exit_after_signal(code: int) -> NoReturn:
    """End a process that a signal stopped, now, with ``code``: the interpreter's own shutdown puts the
    default signal handlers back early, so a second signal during it would end the process with 143
    (SIGTERM) instead of 130. Output is flushed first; the database is already closed."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def open_store(path: str) -> Store:
    """The store a one-off crawl writes to; runs a crashed process left ``running`` become ``interrupted``
    (call it holding the writer lock: then every ``running`` row is a dead process's)."""
    store = Store.open(path)
    store.recover_interrupted_runs()
    return store


@dataclass(frozen=True)
class Session:
    """A one-off crawl's hold on the database: the store and the options its runs use."""

    store: Store
    options: CrawlOptions


def take_writer_lock(db_path: str, command: str, *, stop: threading.Event,
                     announce: Callable[[str], None]) -> tuple[WriterLock | None, str | None]:
    """The writer lock of a one-off crawl of ``db_path``, and since when the crawl it waited for held it
    (None: taken at once).

    Refused (:class:`storage.lock.WriterLockedError`, one line naming it) while ``kabar daemon`` holds it;
    behind another crawl it waits, saying so once through ``announce``, until that one ends. No lock when
    ``stop`` is set while waiting.
    """
    waited_since: str | None = None
    while True:
        try:
            return WriterLock.acquire(db_path, command=command, wait=0), waited_since
        except WriterLockedError as exc:
            if exc.owner is not None and exc.owner.is_daemon:
                raise WriterLockedError(db_path, exc.owner, hint="stop it to crawl by hand") from None
            if waited_since is None:
                # what the holder fetched since it took the lock need not be fetched again
                waited_since = exc.owner.since if exc.owner is not None else utcnow_iso()
                announce(f"kabar: waiting: {exc}; this crawl starts when it ends")
        if stop.wait(WAIT_POLL_S):
            return None, waited_since


@contextlib.contextmanager
def crawl_session(db_path: str, command: str, *, stop: threading.Event, announce: Callable[[str], None],
                  options: CrawlOptions = DEFAULT_OPTIONS) -> Iterator[Session | None]:
    """What a one-off crawl command runs inside: signals handled (:func:`stop_on_signals`), the writer lock
    taken (:func:`take_writer_lock`), the store opened and recovered (:func:`open_store`); all let go at
    the end. Yields None when stopped while waiting for the lock.

    After waiting behind another crawl, the session's options skip the known articles fetched meanwhile
    (``fresh_since``): two crawls at once never fetch an article twice.
    """
    with stop_on_signals(stop):
        lock, waited_since = take_writer_lock(db_path, command, stop=stop, announce=announce)
        if lock is None:
            yield None
            return
        try:
            store = open_store(db_path)
            try:
                yield Session(store, dataclasses.replace(options, fresh_since=waited_since)
                              if waited_since else options)
            finally:
                store.close()
        finally:
            lock.release()


def run_crawl(config: Config, store: Store, sources: Sequence[SourceConfig], *, max_pages: int | None = None,
              transport: httpx.BaseTransport | None = None,
              progress: Callable[[str], ProgressSink] | None = None, stop: threading.Event | None = None,
              options: CrawlOptions = DEFAULT_OPTIONS, jobs: int | None = None) -> CrawlOutcome:
    """Crawl ``sources`` into ``store``, up to ``jobs`` of them at once (default ``[daemon].max_running``).

    Every source is one :func:`crawl_source` run (one ``runs`` row) on a thread of its own; they share one
    :class:`~scraper.fetch.Fetcher` (per-host politeness, robots.txt and the global ``http.concurrency``
    hold across sources), the store (its lock serialises their writes) and the process's idle parse
    workers. A source that fails does not stop the others. ``progress`` makes a display per source name
    when its run starts (the CLI's progress board); ``stop`` (default: a fresh event, set by
    SIGINT/SIGTERM) ends the crawl early: runs in progress finish their in-flight writes and are recorded
    ``interrupted``, sources not started yet are left out. The summaries come in ``sources`` order.
    A StorageError (or a bug) in one run stops the others and propagates once they ended (exit 1).
    """
    stop = stop or threading.Event()
    jobs = max(1, min(jobs or config.daemon.max_running, len(sources) or 1))
    outcome = CrawlOutcome()
    with stop_on_signals(stop), shared_workers(max_idle=jobs, max_workers=worker_cap(jobs)), \
            Fetcher(config.http, transport=transport, stop=stop) as fetcher:
        def one(source: SourceConfig) -> RunSummary | None:
            if stop.is_set():
                return None         # stopped before this source's turn came: no run
            sink = progress(source.name) if progress is not None else None
            log.info("crawling %s", source.name, extra={"source": source.name})
            try:
                return crawl_source(source, config, store, max_pages=max_pages, stop=stop, progress=sink,
                                    options=options, fetcher=fetcher)
            finally:
                if sink is not None:
                    sink.close()

        outcome.summaries = _each(sources, jobs, one, stop)
        outcome.interrupted = stop.is_set()
    return outcome


def _each(sources: Sequence[SourceConfig], jobs: int, one: Callable[[SourceConfig], RunSummary | None],
          stop: threading.Event) -> list[RunSummary]:
    """``one(source)`` for every source, ``jobs`` at a time, in threads; the summaries in ``sources`` order.

    The calling (main) thread only waits, in short steps, so that it handles signals at once. The first
    exception sets ``stop`` (the other runs end early) and is raised when all have ended.
    """
    done_: dict[int, RunSummary] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="kabar-source") as pool:
        pending = {pool.submit(one, source): i for i, source in enumerate(sources)}
        while pending:
            finished, _ = wait(pending, timeout=WAIT_POLL_S, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = pending.pop(fut)
                try:
                    summary = fut.result()
                except BaseException as exc:
                    if failure is None:
                        failure = exc
                        stop.set()
                    continue
                if summary is not None:
                    done_[i] = summary
    if failure is not None:
        raise failure
    return [done_[i] for i in sorted(done_)]
