"""Parse + judge one fetched page, and read discovery documents, in a worker process with a budget.

Every run reads its untrusted documents (article pages and their further pages, listings, feeds, sitemaps)
in one worker process (:class:`storage.worker.ChildWorker`, started on the run's first document), so that
the crawling process only fetches and stores: CPU-bound parsing holds the GIL (``re`` and selectolax keep
it), which would stall the daemon's other sources, its heartbeat and its signal handling, and would take
its CPU from the writing thread, the bottleneck of a large run. Each document has a deadline
(``CrawlOptions.parse_timeout``) and the worker's address space a cap (``parse_memory_mb``): on overrun the
worker is killed, the document fails with a reason (``parse timeout after 30 s``) and the next document
gets a new worker. When no worker can start at all, the crawl parses in its own threads (logged once).
The runs of one ``kabar crawl`` share their workers past one per spare core (:class:`WorkerPool`).

The worker gets a :class:`WorkerSetup` once (and each further run's setup under its key, ``bind``),
then one request per document, by the key of its run's setup: a page is answered with a
:class:`~storage.records.PageVerdict` (a picklable dataclass): the article's record with what the store
derives before writing (hashes, story features, computed there so that the writing thread does not), or
why the page is not stored. The first page of a multi-page article comes back as ``multipage``: the whole
article is then stitched where its further pages are fetched, each page parsed by the worker.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import itertools
import logging
import os
import pickle
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scraper.article import Article
from scraper.config import ParseProfile, SourceConfig
from scraper.doc_links import read_links
from scraper.parse import parse_html
from scraper.record import Scope, unparseable, verdict
from storage import worker
from storage.records import PageVerdict

log = logging.getLogger(__name__)

ENTRY = "scraper.parse_worker:main"
STOP_GRACE = 2.0    # seconds a document being read when the crawl is stopped may still take


@dataclass(frozen=True)
class ParseSetup:
    """What every page of one source is parsed and judged with (sent to the worker once)."""

    scope: Scope
    profile: ParseProfile | None = None


@dataclass(frozen=True)
class FetchedPage:
    """One fetched page to parse: its bytes and the URLs it was asked for and answered at."""

    content: bytes
    final_url: str
    charset: str | None
    requested_url: str
    aliases: tuple[str, ...] = ()


class StitchFailed(Exception):
    """A further page of a multi-page article could not be had: the article fails with this reason."""


class OverBudget(Exception):
    """A document ran past its deadline or its memory cap (or killed the worker): it fails with this reason."""


class WorkStopped(Exception):
    """The crawl's stop event came while a document was being read: the worker was killed, nothing counted."""


# parse: one page's bytes -> its Article (here, or in the worker)
Parse = Callable[[FetchedPage], Article]


def parse_page(page: FetchedPage, profile: ParseProfile | None) -> Article:
    return parse_html(page.content, page.final_url, profile=profile, charset=page.charset)


# Stitch: the parsed first page -> the whole article (fetches and parses its further pages), or None to
# leave a multi-page article to the process that can fetch.
Stitch = Callable[[Article], Article]


def parse_and_judge(page: FetchedPage, setup: ParseSetup, *, prepare: bool = False,
                    stitch: Stitch | None = None, parse: Parse | None = None) -> PageVerdict:
    """Parse ``page`` (with ``parse``, default here), stitch its further pages (with ``stitch``), judge it
    and convert it (never raises but :class:`WorkStopped`)."""
    t0 = time.process_time()
    try:
        article = parse(page) if parse is not None else parse_page(page, setup.profile)
        if article.next_pages:
            if stitch is None:
                return PageVerdict(multipage=True, parse_s=time.process_time() - t0)
            article = stitch(article)
        decided = verdict(article, setup.scope, page.requested_url, page.final_url, page.aliases, prepare=prepare)
        return dataclasses.replace(decided, parse_s=time.process_time() - t0)   # judging and preparing too
    except (StitchFailed, OverBudget) as exc:
        return PageVerdict("failed", str(exc), parse_s=time.process_time() - t0)
    except MemoryError:
        return PageVerdict("failed", "parse over the memory limit", parse_s=time.process_time() - t0)
    except WorkStopped:
        raise
    except Exception as exc:
        log.debug("unparseable page %s", page.requested_url, exc_info=True)
        return PageVerdict(*unparseable(exc), parse_s=time.process_time() - t0)


# ---- the worker process ---------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerSetup:
    """What the worker of one run is started with: the page setup, the source (discovery documents), the
    budget (``timeout`` seconds per document, ``max_memory_mb`` address space) and a test-only ``hook``
    (``"module:function"`` called once in the worker before its first request)."""

    parse: ParseSetup
    source: SourceConfig | None = None
    timeout: float | None = 30.0
    max_memory_mb: int | None = 1024
    hook: str | None = None


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (it is sent to the parent), else a RuntimeError saying the same."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _handler(setup: WorkerSetup) -> Callable[..., tuple[bool, Any]]:
    """``handle(op, key, *args) -> (True, answer) | (False, exception)``: the requests of the runs using
    the worker, each by its key (``0``: the setup it was started with). ``bind`` gives a run's setup its
    key (a worker kept between runs or shared by runs at once, :class:`WorkerPool`), ``unbind`` drops it."""
    setups = {0: setup}

    def handle(op: str, key: int, *args: Any) -> tuple[bool, Any]:
        if op == "bind":
            setups[key] = args[0]
            return True, None
        if op == "unbind":
            setups.pop(key, None)
            return True, None
        now = setups.get(key)
        if now is None:       # never read a document with another run's setup
            return False, RuntimeError(f"no setup bound under key {key}")
        try:
            if op == "page":
                return True, parse_and_judge(args[0], now.parse, prepare=True)
            if op == "article":
                return True, parse_page(args[0], now.parse.profile)
            if op == "links":
                assert now.source is not None
                return True, read_links(now.source, now.parse.scope.pattern, *args)
            raise ValueError(f"unknown request {op!r}")
        except MemoryError:
            return False, OverBudget(f"parse over the memory limit ({now.max_memory_mb} MB)")
        except Exception as exc:
            return False, _portable(exc)
    return handle


def _serve_setup(setup: WorkerSetup) -> Callable[..., tuple[bool, Any]]:
    if setup.hook:
        module, func = setup.hook.split(":")
        getattr(importlib.import_module(module), func)()
    return _handler(setup)


def main() -> None:
    """The parse worker's main (``ChildWorker(ENTRY, setup)``)."""
    worker.serve(_serve_setup)


class ParseProcess:
    """One started worker process (the crawling process's end; thread-safe): the keys of the run setups it
    has been given (``bind``) and how many runs use it now (:class:`WorkerPool`)."""

    def __init__(self, child: worker.ChildWorker, setup: WorkerSetup) -> None:
        self.child = child
        self.setup = setup
        self.users = 0
        self._keys = {0}
        self._keys_lock = threading.Lock()

    def bind(self, key: int, setup: WorkerSetup) -> None:
        """Give the worker the setup of the run with ``key`` (once per key and process)."""
        with self._keys_lock:
            if key in self._keys:
                return
        self.request("bind", key, setup)
        with self._keys_lock:
            self._keys.add(key)

    def unbind(self, key: int) -> None:
        """The run with ``key`` is done with the worker (its setup is dropped there; a dead worker: nothing)."""
        with self._keys_lock:
            if key not in self._keys or key == 0:
                return
            self._keys.discard(key)
        with contextlib.suppress(worker.WorkerGone):
            self.request("unbind", key)

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        """The child process (tests, diagnostics)."""
        return self.child.proc

    def request(self, op: str, *args: Any, cancel: threading.Event | None = None) -> tuple[bool, Any]:
        """The worker's answer; raises :class:`storage.worker.WorkerGone` (and its kinds) as the child does."""
        answer: tuple[bool, Any] = self.child.call(op, *args, timeout=self.setup.timeout, cancel=cancel,
                                                   cancel_grace=STOP_GRACE)
        return answer

    def parse(self, page: FetchedPage) -> PageVerdict:
        """The worker's verdict on ``page`` (no deadline enforced here beyond the setup's)."""
        ok, value = self.request("page", 0, page)
        if not ok:
            raise value
        verdict_: PageVerdict = value
        return verdict_

    def close(self) -> None:
        self.child.close()


def start_parse_process(setup: WorkerSetup) -> ParseProcess | None:
    """Start a parse worker for ``setup``; None (logged) when it cannot start: the crawl parses itself."""
    try:
        mem = setup.max_memory_mb * 1024 * 1024 if setup.max_memory_mb else None
        child = worker.ChildWorker(ENTRY, setup, name="kabar-parse", max_memory=mem, deadline=setup.timeout)
        return ParseProcess(child, setup)
    except (OSError, ValueError):
        log.warning("%s: could not start the parse worker; parsing in the crawling process",
                    setup.parse.scope.source, exc_info=True, extra={"source": setup.parse.scope.source})
        return None


class ParseService:
    """The run's reader of untrusted documents: its worker started on the first request, restarted after a
    kill; in-process when no worker can start (or ``in_worker`` is False). Thread-safe.

    :meth:`request` raises :class:`OverBudget` for a document over its deadline or one that killed the
    worker twice (once may be a kill from outside: the document is asked again of a new worker), and
    :class:`WorkStopped` when ``stop`` has been set for :data:`STOP_GRACE` seconds while it waits (the
    worker is killed: a stop is not held up by a stuck document).
    """

    def __init__(self, setup: WorkerSetup, *, stop: threading.Event | None = None, in_worker: bool = True) -> None:
        self.setup = setup
        self.key = next(_KEYS)    # this run's setup in a worker shared with other runs
        self.stop = stop
        self._lock = threading.Lock()
        self._proc: ParseProcess | None = None
        self._in_process = not in_worker
        self._handle = _handler(setup)
        self.started = 0          # worker processes started (diagnostics, tests)

    def _current(self) -> ParseProcess | None:
        with self._lock:
            if self._in_process:
                return None
            proc = self._proc
            if proc is not None and proc.child.alive:
                return proc
            if proc is not None and self.stop is not None and self.stop.is_set():
                raise WorkStopped("stopped")     # no new worker for a stopped crawl
            if proc is not None and _pool is not None:
                _pool.drop(proc)
            self._proc = _pool.take(self.setup) if _pool is not None else start_parse_process(self.setup)
            self.started += 1
            if self._proc is None:
                self._in_process = True
            new = self._proc
        if proc is not None:
            proc.close()          # the dead one: reaped, its pipes closed
        return new

    def request(self, op: str, *args: Any) -> Any:
        """The answer to ``op`` (``page``, ``article``, ``links``); the document's own errors are raised."""
        deaths = attempts = 0
        while True:
            proc = self._current()
            if proc is None:
                ok, value = self._handle(op, 0, *args)
                break
            try:
                proc.bind(self.key, self.setup)
                ok, value = proc.request(op, self.key, *args, cancel=self.stop)
                break
            except worker.WorkerTimeout:
                raise OverBudget(f"parse timeout after {self.setup.timeout:g} s") from None
            except worker.WorkerCancelled:
                raise WorkStopped("stopped while parsing") from None
            except worker.WorkerKilled:
                deaths += 1       # once may be another's doing (a kill from outside); twice is the document
                if deaths >= 2:
                    raise OverBudget(f"parse worker died (exit {proc.proc.returncode}; memory limit "
                                     f"{self.setup.max_memory_mb} MB)") from None
            except worker.WorkerGone:
                attempts += 1     # queued behind a document that killed the worker: ask the new one
                if self.stop is not None and self.stop.is_set():
                    raise WorkStopped("stopped while parsing") from None
                if not proc.child.ready:
                    self._give_up(proc)
                elif attempts >= 3:
                    raise OverBudget("parse worker unavailable") from None
        if not ok:
            raise value
        return value

    def start(self) -> None:
        """Start the worker now (its start-up then overlaps the run's first fetches)."""
        self._current()

    def _give_up(self, proc: ParseProcess) -> None:
        """A worker that died before it was set up: no worker will do better; parse here (logged once)."""
        with self._lock:
            if self._in_process:
                return
            self._in_process = True
        log.warning("%s: the parse worker exited at start-up (exit %s); parsing in the crawling process",
                    self.setup.parse.scope.source, proc.proc.returncode,
                    extra={"source": self.setup.parse.scope.source})

    def parse(self, page: FetchedPage) -> Article:
        article: Article = self.request("article", page)
        return article

    def close(self) -> None:
        """End the run's use of the worker: back to the process's :class:`WorkerPool` when there is one
        (and the worker is alive), else asked to leave."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._in_process = True
        if proc is not None:
            proc.unbind(self.key)
            if not (_pool is not None and _pool.give(proc)):
                proc.close()


def _budget(setup: WorkerSetup) -> tuple[float | None, int | None, str | None]:
    return setup.timeout, setup.max_memory_mb, setup.hook


class WorkerPool:
    """The parse workers of a process that runs several sources (``kabar crawl``, the daemon).

    A run takes a worker with its budget (deadline, memory cap, hook) and gives it back when it ends. At
    most ``max_workers`` are in use at once: past that, runs share them (a worker answers its runs' requests
    in turn, each by its run's setup), so that a crawl of many sources at once does not start a process per
    source on a machine with few cores. Workers given back are kept idle for the next runs (at most
    ``max_idle``), so that a run does not pay a worker's start-up. Thread-safe."""

    def __init__(self, max_idle: int = 4, max_workers: int | None = None) -> None:
        self.max_idle = max_idle
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()     # one start at a time: who waits may share what it started
        self._idle: list[ParseProcess] = []
        self._lent: list[ParseProcess] = []

    def take(self, setup: WorkerSetup) -> ParseProcess | None:
        """A live worker with ``setup``'s budget: an idle one, one in use when ``max_workers`` are, else a
        new one; None (logged) when none can start (the run parses in its own process)."""
        with self._start_lock:
            with self._lock:
                self._lent = [p for p in self._lent if p.child.alive]
                budget = _budget(setup)
                proc = next((p for p in self._idle if _budget(p.setup) == budget and p.child.alive), None)
                if proc is not None:
                    self._idle.remove(proc)
                elif self.max_workers is not None and len(self._lent) >= self.max_workers:
                    same = [p for p in self._lent if _budget(p.setup) == budget]
                    proc = min(same, key=lambda p: p.users) if same else None
                if proc is not None:
                    proc.users += 1
                    if proc not in self._lent:
                        self._lent.append(proc)
                    return proc
            proc = start_parse_process(setup)
            if proc is not None:
                with self._lock:
                    proc.users = 1
                    self._lent.append(proc)
            return proc

    def drop(self, proc: ParseProcess) -> None:
        """A run's worker died: it is not lent any more (each of its runs takes another)."""
        with self._lock:
            if proc in self._lent:
                self._lent.remove(proc)

    def give(self, proc: ParseProcess) -> bool:
        """A run is done with ``proc``: kept (for its other runs, or idle for a later run), or False when it
        is dead or the pool is full (the caller closes it)."""
        with self._lock:
            proc.users = max(0, proc.users - 1)
            if proc.users and proc in self._lent and proc.child.alive:
                return True
            if proc in self._lent:
                self._lent.remove(proc)
            if not proc.child.alive or len(self._idle) >= self.max_idle:
                return False
            self._idle.append(proc)
            return True

    def close(self) -> None:
        """The idle workers leave (those in use are their runs' to close: a stuck one is killed there)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for proc in idle:
            proc.close()


_pool: WorkerPool | None = None
_KEYS = itertools.count(1)          # ParseService keys (0: a worker's own start setup)


def worker_cap(runs: int) -> int:
    """Parse workers for ``runs`` sources at once: one per source, but no more than the cores left beside
    the crawling process (which fetches and writes), and at least one."""
    return max(1, min(runs, (os.cpu_count() or 2) - 1))


@contextlib.contextmanager
def shared_workers(max_idle: int = 4, max_workers: int | None = None) -> Iterator[WorkerPool]:
    """Within this block, runs of this process take their parse workers from one :class:`WorkerPool`
    (shared past ``max_workers`` in use; kept for the next runs); they all leave at its end."""
    global _pool
    pool = _pool = WorkerPool(max_idle, max_workers)
    try:
        yield pool
    finally:
        _pool = None
        pool.close()
