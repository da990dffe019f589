"""crawl_source(): one run of one source, as the sequence discover -> plan -> fetch -> parse+judge -> store.

Used by ``kabar crawl``, ``kabar demo`` and the daemon. Each step is a module with plain data in and out::

    discover      scraper.frontier: listings (+ pagination), feeds (+ <link rel=alternate>), sitemaps
       |          (+ robots.txt, indexes) -> distinct canonical article URLs (Candidate, ``discovered``)
    plan          scraper.plan: new URLs (up to max_pages), then known ones to re-check conditionally:
       |          sitemap lastmod newer than our last fetch, or first seen less than http.recheck_days ago;
       |          URLs gone (http.gone_after 404/410 answers in a row) left out until their lastmod moves
    fetch         scraper.page_work: worker threads (the Fetcher keeps per-host politeness); further pages
       |          of multi-page articles fetched and stitched
    parse+judge   scraper.parse_worker, scraper.record: is it an article, its canonical URL, its record
       |          (in the run's parse worker process, off the crawling process's GIL, with a deadline and a
       |          memory cap per document; discovery documents are read there too)
    store         storage.outcome.apply_outcome: the calling thread only, one PageOutcome (page state +
                  article) per transaction as results complete (bulk runs: Store.batch(), each outcome
                  atomic, committed with its neighbours within 0.1 s)

Each article URL lands in exactly one summary column: new, updated, unchanged, duplicate (the store's
answer), skipped (deliberately not stored) or failed. Listing, feed and sitemap documents that cannot be read
are counted in ``failed`` (or ``skipped`` when robots.txt forbids them) too, so that a broken source shows;
why a run failed or was interrupted is its ``reason`` (``runs.error``).
A :class:`~scraper.errors.FetchError` or a parser crash only costs its URL; a
:class:`~scraper.errors.StorageError` stops the run (it is recorded ``failed`` when still possible) and
propagates. The run's limits travel in one :class:`~scraper.options.CrawlOptions`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from scraper.config import Config, HttpConfig, SourceConfig
from scraper.errors import StorageError
from scraper.fetch import Fetcher, FetchStopped
from scraper.frontier import Candidate, DocResult, Frontier, read_document
from scraper.options import DEFAULT_OPTIONS, CrawlOptions
from scraper.page_work import PageWork
from scraper.parse_worker import ParseService, ParseSetup, WorkerSetup
from scraper.plan import Job, plan
from scraper.politeness import HostGate
from scraper.record import Scope
from scraper.robots import RobotsCache
from scraper.taskpool import TaskPool
from scraper.urls import host_key
from storage.outcome import Counted, gone_pages, record
from storage.records import RUN_COUNTS, PageOutcome, PageUpdate
from storage.store import Store
from storage.util import utcnow_iso

log = logging.getLogger(__name__)

Status = Literal["ok", "failed", "interrupted"]
OUTCOMES = RUN_COUNTS[2:]    # new, updated, unchanged, duplicate, skipped, failed: one per article URL

# Progress callback: ("total", n) once the plan is known, then (outcome, 1) for every article URL done.
Progress = Callable[[str, int], None]


class Recorder(Protocol):
    """Where a run's article outcomes go instead of ``store`` (a cluster worker: to the writer, through
    PostgreSQL); :func:`storage.outcome.record` and :func:`storage.outcome.gone_pages` otherwise."""

    def record(self, outcome: PageOutcome, *, direct: frozenset[str], gone_after: int) -> Counted: ...

    def gone_pages(self, source: str, gone_after: int) -> dict[str, str | None]: ...


@dataclass
class RunSummary:
    """What one run did. The counts are the columns of the ``runs`` row and of the summary table."""

    source: str
    run_id: int | None = None
    status: str = "running"
    discovered: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    reason: str | None = None          # why the run failed or was interrupted (runs.error)
    started_at: str | None = None      # the runs row's times (storage.util.format_time)
    finished_at: str | None = None
    # seconds: discover (wall), fetch and parse (summed over worker threads), store (calling thread), total
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("discover", "fetch", "parse", "store", "total"), 0.0))
    max_errors: int = field(default=DEFAULT_OPTIONS.max_errors_kept, repr=False, compare=False)

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in RUN_COUNTS}

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def error(self, message: str) -> None:
        if len(self.errors) < self.max_errors:
            self.errors.append(message)


class _Run:
    """State of one crawl_source() call: the steps' wiring, the counting and the logging."""

    def __init__(self, source: SourceConfig, config: Config, store: Store, *, max_pages: int | None,
                 stop: threading.Event, transport: httpx.BaseTransport | None,
                 progress: Progress | None, options: CrawlOptions, recorder: Recorder | None = None,
                 host_gate: HostGate | None = None, robots: RobotsCache | None = None,
                 fetcher: Fetcher | None = None) -> None:
        self.source = source
        self.recorder = recorder
        self.config = config
        self.store = store
        self.options = options
        self.max_pages = max_pages if max_pages is not None else source.max_pages
        self.stop = stop
        self.progress = progress
        self.pattern = re.compile(source.article_pattern) if source.article_pattern else None
        self.owns_fetcher = fetcher is None     # a shared one (several sources at once) is its owner's
        self.fetcher = fetcher if fetcher is not None else Fetcher(
            config.http, transport=transport, stop=stop, host_gate=host_gate, robots=robots)
        self.workers = run_threads(source, config.http)
        self.summary = RunSummary(source=source.name, max_errors=options.max_errors_kept)
        scope = Scope(source.name, tuple(source.allowed_domains), self.pattern)
        setup = ParseSetup(scope, source.parse)
        self.reader = ParseService(WorkerSetup(setup, source, options.parse_timeout, options.parse_memory_mb,
                                               options.parse_hook), stop=stop, in_worker=options.parse_in_worker)
        self.work = PageWork(self.fetcher, setup, max_next_pages=options.max_next_pages, parser=self.reader)

    # -- counting and logging ----------------------------------------------------------------------

    def _extra(self, url: str, outcome: str, **more: Any) -> dict[str, Any]:
        return {"source": self.source.name, "run_id": self.summary.run_id, "url": url, "outcome": outcome,
                **more}

    def _count(self, url: str, outcome: str, reason: str | None = None, status: int | None = None) -> None:
        self.summary.add(outcome)
        if outcome == "failed":
            self.summary.error(f"{url}: {reason}")
        # the line's fields are only gathered for a line that is written (once per article: it shows)
        if log.isEnabledFor(logging.WARNING if outcome == "failed" else logging.INFO):
            extra = self._extra(url, outcome, status=status, reason=reason)
            if outcome == "failed":
                log.warning("failed %s: %s", url, reason, extra=extra)
            elif outcome == "skipped":
                log.info("skipped %s: %s", url, reason, extra=extra)
            else:
                log.info("%s %s", outcome, url, extra=extra)
        if self.progress is not None:
            self.progress(outcome, 1)

    def _count_document(self, res: DocResult) -> None:
        """A listing, feed or sitemap that could not be read counts too (a broken source shows)."""
        doc, err = res.doc, res.error
        assert err is not None
        self.summary.add(err.outcome)
        reason = f"{doc.kind}: {err}"
        extra = self._extra(doc.url, err.outcome, status=res.status, reason=reason)
        if err.outcome == "failed":
            log.warning("failed %s %s: %s", doc.kind, doc.url, err, extra=extra)
            self.summary.error(f"{doc.url}: {reason}")
        else:
            log.info("skipped %s %s: %s", doc.kind, doc.url, err, extra=extra)

    # -- the bounded worker loop -------------------------------------------------------------------

    def _run_pool(self, pool: TaskPool, tasks: Callable[[], Iterator[Callable[[], Any]]],
                  handle: Callable[[Any], None]) -> None:
        """Run the tasks with at most 2 x workers in flight; ``handle`` each result on this thread.

        ``tasks()`` is asked again when its iterator runs dry (discovery finds documents as it goes); on
        ``stop`` no new task starts, those in flight finish and are handled.
        """
        in_flight = 0
        limit = 2 * self.workers
        source_iter = tasks()
        while True:
            while not self.stop.is_set() and in_flight < limit:
                task = next(source_iter, None)
                if task is None:
                    source_iter = tasks()
                    task = next(source_iter, None)
                if task is None:
                    break
                pool.submit(task)
                in_flight += 1
            if not in_flight:
                return
            result = pool.result()
            in_flight -= 1
            handle(result)

    # -- discover ------------------------------------------------------------------------------------

    def discover(self, pool: TaskPool) -> Frontier:
        frontier = Frontier(self.source, self.options, self.store.article_for_url)

        def documents() -> Iterator[Callable[[], DocResult]]:
            while (doc := frontier.next_doc()) is not None:
                yield functools.partial(read_document, self.fetcher, doc, self.source, self.pattern, self.reader)

        self._run_pool(pool, documents, functools.partial(self._on_document, frontier))
        if frontier.all_failed:
            self.summary.status = "failed"
            self.summary.reason = _unreachable_reason(frontier.attempted, self.summary.errors)
        return frontier

    def _on_document(self, frontier: Frontier, res: DocResult) -> None:
        doc, err = res.doc, res.error
        read = doc.kind != "robots" and not isinstance(err, FetchStopped)
        if read:
            self.store.record_outcome(PageUpdate(doc.url, self.source.name, res.status,
                                                 error=str(err) if err else None))
        fresh = frontier.absorb(res)
        if not read:
            return
        if err is not None:
            self._count_document(res)
            return
        log.info("%s %s: %d article links (%d unknown)", doc.kind, doc.url, len(res.articles), fresh,
                 extra=self._extra(doc.url, "discovered", elapsed=round(res.elapsed, 3)))

    # -- store ---------------------------------------------------------------------------------------

    def store_outcome(self, outcome: PageOutcome | None, direct: frozenset[str] = frozenset()) -> None:
        """Write one article URL's outcome (calling thread only). StorageError propagates."""
        if outcome is None:
            return   # the stop event came before the request was sent: not fetched, not counted
        t0 = time.perf_counter()
        s = self.summary
        s.fetched += 1
        s.timings["fetch"] += outcome.fetch_s
        s.timings["parse"] += outcome.parse_s
        try:
            counted = self.recorder.record(outcome, direct=direct, gone_after=self.config.http.gone_after) \
                if self.recorder else record(self.store, outcome, direct=direct, gone_after=self.config.http.gone_after)
            self._count(outcome.url, counted.column, counted.reason or outcome.reason, outcome.status)
        finally:
            s.timings["store"] += time.perf_counter() - t0

    # -- the run -----------------------------------------------------------------------------------------

    def _fetch_and_store(self, pool: TaskPool, jobs: list[Job]) -> None:
        """Fetch, parse, judge and store the planned jobs (fetch side in the pool, store on this thread)."""
        opts = self.options
        tasks = (functools.partial(self.work.process, j) for j in jobs)
        # Every outcome is committed as soon as it is written, except in a bulk run (an initial crawl): there
        # writes share short transactions (each outcome still atomic on its own, committed within
        # batch_seconds), and a SIGKILL loses at most that much work, which the next run fetches again.
        bulk = len(jobs) >= opts.bulk_jobs
        with self.store.batch(max_seconds=opts.batch_seconds) if bulk else contextlib.nullcontext():
            direct = frozenset(j.url for j in jobs)   # a page's canonical cannot take one of these over
            self._run_pool(pool, lambda: tasks, functools.partial(self.store_outcome, direct=direct))

    def run(self) -> RunSummary:
        s = self.summary
        started = time.perf_counter()
        s.started_at = utcnow_iso()
        s.run_id = self.store.start_run(self.source.name, now=s.started_at)
        pool = TaskPool(self.workers, f"kabar-{self.source.name}")
        try:
            self.reader.start()   # the parse worker's start-up overlaps the first fetches
            t0 = time.perf_counter()
            candidates: dict[str, Candidate] = self.discover(pool).candidates
            s.discovered = len(candidates)
            s.timings["discover"] = time.perf_counter() - t0
            jobs = [] if self.stop.is_set() else plan(
                candidates.values(), self.max_pages, recheck_days=self.config.http.recheck_days,
                article_for_url=self.store.article_for_url, page_state=self.store.page_state,
                gone=(self.recorder.gone_pages if self.recorder else functools.partial(gone_pages, self.store))(
                    self.source.name, self.config.http.gone_after),
                fresh_since=self.options.fresh_since)
            del candidates
            log.info("%s: %d article URLs discovered, %d to fetch", self.source.name, s.discovered,
                     len(jobs), extra={"source": self.source.name, "run_id": s.run_id})
            if self.progress is not None:
                self.progress("total", len(jobs))
            self._fetch_and_store(pool, jobs)
        except BaseException as exc:
            self._abort(exc, started)
            raise
        finally:
            pool.close()
            self.reader.close()
            if self.owns_fetcher:
                self.fetcher.close()
        if self.stop.is_set():
            s.status = "interrupted"
            s.reason = STOPPED_REASON
        elif s.status != "failed":
            s.status = "ok"
        s.timings["total"] = time.perf_counter() - started
        s.finished_at = utcnow_iso()
        self.store.finish_run(s.run_id, s.status, s.counts(), now=s.finished_at, error=s.reason)
        log.info("%s: run %s %s: %s", self.source.name, s.run_id, s.status,
                 " ".join(f"{k}={v}" for k, v in s.counts().items()),
                 extra={"source": self.source.name, "run_id": s.run_id, "counts": s.counts()})
        return s

    def _abort(self, exc: BaseException, started: float) -> None:
        """StorageError: nothing more can be written. Anything else is a bug; either way the run ends here
        and is recorded (best effort) so that it does not stay "running"."""
        s = self.summary
        s.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        s.timings["total"] = time.perf_counter() - started
        s.reason = _abort_reason(exc)
        if not isinstance(exc, StorageError):
            log.error("%s: run aborted by an unexpected error", self.source.name, exc_info=True)
        try:
            assert s.run_id is not None   # start_run() came before the run could abort
            s.finished_at = utcnow_iso()
            self.store.finish_run(s.run_id, s.status, s.counts(), now=s.finished_at, error=s.reason)
        except Exception:
            log.debug("could not record the aborted run", exc_info=True)


def run_threads(source: SourceConfig, http: HttpConfig) -> int:
    """The worker threads of one run: enough to keep every host slot of the source's hosts busy
    (``per_host_concurrency`` per host of its start URLs, feeds and sitemaps) and two more waiting on the
    parse worker, never more than ``http.concurrency``. More threads only wait, for a host slot or the
    parse worker, and cost the crawling process CPU: in the two-host bench, 16 threads per source took
    ~8% more of it than 10, at no gain."""
    hosts = {host_key(url) for url in (*source.start_urls, *source.feeds, *source.sitemaps)}
    return max(1, min(http.concurrency, http.per_host_concurrency * max(1, len(hosts)) + 2))


STOPPED_REASON = "stopped before the end (signal or daemon stop): finished pages kept"
MAX_REASON_CHARS = 500


def _unreachable_reason(attempted: int, errors: list[str]) -> str:
    """runs.error of a source none of whose listings, feeds and sitemaps could be read."""
    first = f": first {errors[0]}" if errors else ""
    return _cap(f"source could not be crawled: {attempted} of {attempted} listings, feeds and sitemaps "
                f"failed{first}")


def _abort_reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (KeyboardInterrupt)"
    if isinstance(exc, StorageError):
        return _cap(f"database: {exc}")
    return _cap(f"unexpected error: {type(exc).__name__}: {exc}")


def _cap(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - 1] + "…"


def crawl_source(source: SourceConfig, config: Config, store: Store, *, max_pages: int | None = None,
                 stop: threading.Event | None = None, transport: httpx.BaseTransport | None = None,
                 progress: Progress | None = None, options: CrawlOptions = DEFAULT_OPTIONS,
                 recorder: Recorder | None = None, host_gate: HostGate | None = None,
                 robots: RobotsCache | None = None, fetcher: Fetcher | None = None) -> RunSummary:
    """Crawl one source once into ``store`` and return what happened (one ``runs`` row per call).

    ``max_pages`` overrides ``source.max_pages`` (article fetches; listings, feeds, sitemaps and further
    pages of multi-page articles are not counted). When ``stop`` is set no new fetch starts, results in
    flight are written and the run is recorded ``interrupted``. ``transport`` is handed to the Fetcher
    (tests use ``httpx.MockTransport``); ``fetcher`` instead is a Fetcher shared with the runs of other
    sources going on at the same time (:func:`scraper.crawl.run_crawl`: per-host politeness and the global
    ``concurrency`` then hold across them; made with the same ``stop``; not closed here). ``progress``
    receives ``("total", n)`` once the plan is known and ``(outcome, 1)`` for each article URL finished.
    ``options`` holds the run's limits. A cluster worker passes a ``recorder`` (its article outcomes go to
    the writer), a ``host_gate`` (politeness across every worker: :class:`scraper.politeness.HostGate`) and
    its ``robots`` cache (the cluster's answers). Raises :class:`StorageError` when the database cannot be
    written (the run is recorded ``failed`` when possible).
    """
    run = _Run(source, config, store, max_pages=max_pages, stop=stop or threading.Event(),
               transport=transport, progress=progress, options=options, recorder=recorder,
               host_gate=host_gate, robots=robots, fetcher=fetcher)
    return run.run()
