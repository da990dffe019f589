"""One-off crawls of named sources, one after another (``kabar crawl``, ``kabar demo``, tests).

:func:`run_crawl` runs :func:`scraper.pipeline.crawl_source` per source under :func:`stop_on_signals`
and returns a :class:`CrawlOutcome`, whose ``exit_code`` is SPEC.md's: 0 every page fetched or deliberately
skipped; 1 some page failed, a source could not be crawled or the database stopped the run; 130
interrupted by SIGINT/SIGTERM (what finished is kept, the run is recorded ``interrupted``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Protocol

import httpx

from scraper.config import Config, SourceConfig
from scraper.options import DEFAULT_OPTIONS, CrawlOptions
from scraper.pipeline import RunSummary, crawl_source
from storage.store import Store

log = logging.getLogger(__name__)


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


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (in-flight writes finish); a second signal exits at once with 130."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            # SQLite transactions keep the database valid; nothing else needs cleaning up.
            os.write(2, b"kabar: interrupted again, exiting now\n")
            os._exit(130)
        stop.set()
        os.write(2, b"\nkabar: stopping: finishing the pages in flight (signal again to exit now)\n")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def open_store(path: str) -> Store:
    """The store a one-off crawl writes to; runs a crashed process left ``running`` become ``interrupted``."""
    store = Store.open(path)
    store.recover_interrupted_runs()
    return store


def run_crawl(config: Config, store: Store, sources: Sequence[SourceConfig], *, max_pages: int | None = None,
              transport: httpx.BaseTransport | None = None,
              progress: Callable[[str], ProgressSink] | None = None, stop: threading.Event | None = None,
              options: CrawlOptions = DEFAULT_OPTIONS) -> CrawlOutcome:
    """Crawl ``sources`` one after another into ``store``. A StorageError propagates (exit 1).

    ``progress`` makes a display per source name (the CLI's progress bar); ``stop`` (default: a fresh
    event, set by SIGINT/SIGTERM) ends the crawl early.
    """
    stop = stop or threading.Event()
    outcome = CrawlOutcome()
    with stop_on_signals(stop):
        for source in sources:
            if stop.is_set():
                break
            sink = progress(source.name) if progress is not None else None
            log.info("crawling %s", source.name, extra={"source": source.name})
            try:
                summary = crawl_source(source, config, store, max_pages=max_pages, stop=stop,
                                       transport=transport, progress=sink, options=options)
            finally:
                if sink is not None:
                    sink.close()
            outcome.summaries.append(summary)
        outcome.interrupted = stop.is_set()
    return outcome
