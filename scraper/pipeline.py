"""crawl_source(): the one place that calls discover, fetch, parse and store.

One run of one source, used by ``kabar crawl``, ``kabar demo`` and the daemon::

    discover  listings (+ pagination), feeds (+ <link rel=alternate>), sitemaps (+ robots.txt, indexes)
       |      -> distinct canonical article URLs (``discovered``)
    plan      new URLs (up to max_pages), then known ones to re-check conditionally: sitemap lastmod newer
       |      than our last fetch, or first seen less than http.recheck_days ago
    fetch+parse   worker threads (the Fetcher keeps per-host politeness); multi-page articles stitched
                  (runs of 200+ articles parse in one worker process, off the crawling process's GIL)
       |
    store     the calling thread only, one article at a time as results complete, each committed at
              once (bulk runs: Store.batch(), each article atomic, committed with its neighbours within 0.1 s)

Each article URL lands in exactly one summary column: new, updated, unchanged, duplicate (the store's
answer), skipped (deliberately not stored) or failed. Listing, feed and sitemap documents that cannot be read
are counted in ``failed`` (or ``skipped`` when robots.txt forbids them) too, so that a broken source shows.
A :class:`~scraper.errors.FetchError` or a parser crash only costs its URL; a
:class:`~scraper.errors.StorageError` stops the run (it is recorded ``failed`` when still possible) and
propagates.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from scraper import discover
from scraper.article import Article
from scraper.config import Config, ParseProfile, SourceConfig
from scraper.errors import FetchError, StorageError
from scraper.fetch import Fetcher, FetchResult, FetchStopped
from scraper.pages import merge_pages
from scraper.parse import NO_BODY_WARNING, parse_html
from scraper.urls import host_allowed
from storage import worker
from storage.records import ArticleRecord
from storage.store import PreparedArticle, Store, prepare_article
from storage.urls import canonical_url
from storage.util import format_time

log = logging.getLogger(__name__)

# ---- limits (per run) ----------------------------------------------------------------------------
MAX_LISTING_PAGES = 5        # pages read per start URL, the start page included
MAX_SITEMAPS = 50            # sitemap documents (indexes and children) read per run
MAX_FEEDS = 10               # feed documents read per run (configured and announced)
MAX_SECTIONS = 30            # section front pages (/kategori/<name>/) read per run, first page only
MAX_NEXT_PAGES = 20          # further pages of one multi-page article
MAX_ERRORS_KEPT = 50         # RunSummary.errors keeps the first ones
MIN_ARTICLE_CHARS = 200      # shorter bodies are "not an article"
BULK_JOBS = 200              # runs with this many articles to fetch write in batches ...
BATCH_SECONDS = 0.1          # ... where a stored article waits at most this long for its commit
PARSE_PROCESS_JOBS = 200     # runs with this many articles to fetch parse them in one worker process

Status = Literal["ok", "failed", "interrupted"]
OUTCOMES = ("new", "updated", "unchanged", "duplicate", "skipped", "failed")

# Progress callback: ("total", n) once the plan is known, then (outcome, 1) for every article URL done.
Progress = Callable[[str, int], None]


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
    # seconds: discover (wall), fetch and parse (summed over worker threads), store (calling thread), total
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("discover", "fetch", "parse", "store", "total"), 0.0))

    def counts(self) -> dict[str, int]:
        return {"discovered": self.discovered, "fetched": self.fetched,
                **{name: getattr(self, name) for name in OUTCOMES}}

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(message)


# ---- discovery -----------------------------------------------------------------------------------

DocKind = Literal["listing", "section", "feed", "sitemap", "robots"]


@dataclass(frozen=True)
class _Doc:
    url: str
    kind: DocKind
    root: str           # the start URL a listing page belongs to (pagination limit), else the URL itself


@dataclass
class _DocResult:
    doc: _Doc
    status: int | None = None
    error: FetchError | None = None
    articles: list[tuple[str, str | None]] = field(default_factory=list)   # (url, date)
    listings: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    elapsed: float = 0.0


@dataclass
class _Candidate:
    url: str                      # canonical URL, the one fetched
    date: str | None = None       # sitemap lastmod / news date / feed date
    aliases: set[str] = field(default_factory=set)
    known: tuple[int, str] | None = None   # (article_id, first_seen_at) from the store
    checked: bool = False                  # ``known`` looked up


# ---- article work --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Job:
    url: str
    aliases: tuple[str, ...]
    etag: str | None = None
    last_modified: str | None = None
    previous_hash: str | None = None
    known: bool = False


@dataclass
class _ArticleResult:
    job: _Job
    outcome: str | None = None    # set for skipped/failed decided in the worker
    reason: str | None = None
    status: int | None = None
    result: FetchResult | None = None
    record: ArticleRecord | PreparedArticle | None = None
    content_hash: str | None = None
    fetch_s: float = 0.0
    parse_s: float = 0.0
    stopped: bool = False         # FetchStopped: nothing was sent


def _content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _parser_failure(article: Article) -> str | None:
    """The parser's own report of a crash (it never raises; it says so in ``warnings``)."""
    return next((w for w in article.warnings if w.startswith("parser error")), None)


def _not_article_reason(article: Article) -> str | None:
    """Why a parsed page is not an article (None when it is one)."""
    if NO_BODY_WARNING in article.warnings:
        return NO_BODY_WARNING
    if not (article.title or "").strip():
        return "no title"
    if not article.segments or not any(seg.paragraphs for seg in article.segments):
        return "no body"
    text_len = sum(len(p) for seg in article.segments for p in seg.paragraphs)
    if text_len < MIN_ARTICLE_CHARS:
        return f"too little text ({text_len} characters)"
    return None


def _article_canonical(article: Article, final_url: str, allowed_domains: tuple[str, ...],
                       pattern: re.Pattern[str] | None = None) -> str:
    """The page's own canonical when it is believable, else the URL it was fetched from.

    A canonical link outside this source (another site, or a URL its ``article_pattern`` rejects:
    syndicated copies may point at the original) or to the home page of a deeper URL is ignored: the copy
    is its own article, grouped with the original by the store's clustering.
    """
    declared = article.canonical_url
    if declared:
        parts = urlsplit(declared)
        if (parts.scheme in ("http", "https") and host_allowed(declared, allowed_domains)
                and (pattern is None or pattern.search(declared))
                and not (parts.path in ("", "/") and urlsplit(final_url).path not in ("", "/"))):
            return canonical_url(declared)
    return canonical_url(final_url)


def to_record(article: Article, source: str, requested_url: str, final_url: str,
              allowed_domains: tuple[str, ...], aliases: tuple[str, ...] = (),
              pattern: re.Pattern[str] | None = None) -> ArticleRecord:
    """Convert a parsed Article into the store's ArticleRecord (the scraper/storage boundary)."""
    canonical = _article_canonical(article, final_url, allowed_domains, pattern)
    alias_list = [u for u in dict.fromkeys((requested_url, final_url, *aliases)) if u != canonical]
    return ArticleRecord(
        source=source,
        url=final_url,
        canonical_url=canonical,
        title=(article.title or "").strip(),
        segments=[(seg.headline, list(seg.paragraphs)) for seg in article.segments],
        published_at=article.published_at,
        modified_at=article.modified_at,
        authors=list(article.authors),
        section=article.section,
        tags=list(article.tags),
        lang=article.lang,
        image=article.image,
        dateline=article.dateline,
        aliases=alias_list,
    )


def _judge(article: Article) -> tuple[str, str] | None:
    """(outcome, reason) when a parsed page is not stored: a parser crash or not an article."""
    crash = _parser_failure(article)
    if crash is not None:
        return "failed", f"unparseable: {crash}"
    reason = _not_article_reason(article)
    if reason is not None:
        return "skipped", f"not an article: {reason}"
    return None


def _unparseable(exc: Exception) -> tuple[str, str]:
    """(outcome, reason) of a page the parser raised on."""
    return "failed", f"unparseable: {type(exc).__name__}: {exc}"


# ---- the parse worker process --------------------------------------------------------------------
# A bulk run parses in one worker process (storage.worker.ChildWorker), so that the crawling process only
# fetches and stores: under the GIL parsing would take its CPU from the writing thread, the bottleneck of a
# large run. The worker gets the run's constants once and then (bytes, URLs) per page, and answers in order
# with plain tuples (cheap to pickle): ("record", ArticleRecord fields, prepared, seconds) where prepared is
# what the store derives before writing (hashes, story features: storage.store.prepare_article, computed
# here so the writing thread does not), (outcome, reason, seconds) for a page not stored, or
# ("pages", Article, seconds) for the first page of a multi-page article, which the crawling process
# stitches (it fetches the further pages).

_worker_setup: tuple[str, ParseProfile | None, tuple[str, ...], re.Pattern[str] | None] | None = None


def _setup_worker(setup: tuple[Any, ...]) -> Callable[..., tuple[Any, ...]]:
    global _worker_setup
    source, profile, domains, pattern = setup
    _worker_setup = (source, profile, domains, re.compile(pattern) if pattern else None)
    return _parse_in_worker


def _worker_main() -> None:
    """The parse worker's main (``ChildWorker("scraper.pipeline:_worker_main", ...)``)."""
    worker.serve(_setup_worker)


def _parse_in_worker(content: bytes, final_url: str, charset: str | None, requested_url: str,
                     aliases: tuple[str, ...]) -> tuple[Any, ...]:
    assert _worker_setup is not None
    source, profile, domains, pattern = _worker_setup
    t0 = time.process_time()
    try:
        article = parse_html(content, final_url, profile=profile, charset=charset)
        if article.next_pages:
            return "pages", article, time.process_time() - t0
        verdict = _judge(article)
        if verdict is not None:
            return (*verdict, time.process_time() - t0)
        rec = to_record(article, source, requested_url, final_url, domains, aliases, pattern)
        prepared = prepare_article(rec, features=True).derived()
        return ("record", (rec.url, rec.canonical_url, rec.title, rec.segments, rec.published_at,
                           rec.modified_at, rec.authors, rec.section, rec.tags, rec.lang, rec.image,
                           rec.dateline, rec.aliases), prepared, time.process_time() - t0)
    except Exception as exc:
        return (*_unparseable(exc), time.process_time() - t0)


class _Run:
    """State of one crawl_source() call."""

    def __init__(self, source: SourceConfig, config: Config, store: Store, *, max_pages: int | None,
                 stop: threading.Event, transport: httpx.BaseTransport | None,
                 progress: Progress | None) -> None:
        self.source = source
        self.config = config
        self.store = store
        self.max_pages = max_pages if max_pages is not None else source.max_pages
        self.stop = stop
        self.progress = progress
        self.domains = tuple(source.allowed_domains)
        self.pattern = re.compile(source.article_pattern) if source.article_pattern else None
        self.fetcher = Fetcher(config.http, transport=transport, stop=stop)
        self.workers = max(1, config.http.concurrency)
        self.summary = RunSummary(source=source.name)
        self.parser: worker.ChildWorker | None = None   # the parse worker of a bulk run

    def _start_parser(self) -> None:
        src = self.source
        try:
            self.parser = worker.ChildWorker("scraper.pipeline:_worker_main",
                                             (src.name, src.parse, self.domains, src.article_pattern),
                                             name="kabar-parse")
        except (OSError, ValueError):   # no worker: this process parses, as in a small run
            log.warning("%s: could not start the parse worker; parsing in the crawling process", src.name,
                        exc_info=True, extra={"source": src.name})

    # -- logging helpers ---------------------------------------------------------------------------

    def _extra(self, url: str, outcome: str, **more: Any) -> dict[str, Any]:
        return {"source": self.source.name, "run_id": self.summary.run_id, "url": url, "outcome": outcome,
                **more}

    def _count(self, url: str, outcome: str, reason: str | None = None, status: int | None = None) -> None:
        self.summary.add(outcome)
        extra = self._extra(url, outcome, status=status, reason=reason)
        if outcome == "failed":
            log.warning("failed %s: %s", url, reason, extra=extra)
            self.summary.error(f"{url}: {reason}")
        elif outcome == "skipped":
            log.info("skipped %s: %s", url, reason, extra=extra)
        else:
            log.info("%s %s", outcome, url, extra=extra)
        if self.progress is not None:
            self.progress(outcome, 1)

    # -- the bounded worker loop -------------------------------------------------------------------

    def _run_pool(self, pool: ThreadPoolExecutor, tasks: Iterator[Callable[[], Any]],
                  handle: Callable[[Any], None], feed: Callable[[], Iterator[Callable[[], Any]]] | None = None
                  ) -> None:
        """Run ``tasks`` with at most 2 x workers in flight; ``handle`` each result on this thread.

        ``feed`` is asked for more tasks when ``tasks`` runs dry (discovery finds documents as it goes).
        On ``stop`` no new task starts; those in flight finish and are handled.
        """
        pending: set[Future[Any]] = set()
        limit = 2 * self.workers
        source_iter = tasks
        while True:
            while not self.stop.is_set() and len(pending) < limit:
                task = next(source_iter, None)
                if task is None and feed is not None:
                    source_iter = feed()
                    task = next(source_iter, None)
                if task is None:
                    break
                pending.add(pool.submit(task))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                handle(fut.result())

    # -- discovery ---------------------------------------------------------------------------------

    def _fetch_doc(self, doc: _Doc) -> _DocResult:
        t0 = time.perf_counter()
        out = _DocResult(doc)
        if doc.kind == "robots":
            try:
                out.sitemaps = self.fetcher.robots_sitemaps(doc.url)
            except Exception:  # robots.txt only offers sitemaps; its problems show on the real requests
                log.debug("no sitemaps from robots.txt of %s", doc.url, exc_info=True)
            out.elapsed = time.perf_counter() - t0
            return out
        try:
            res = self.fetcher.fetch(doc.url, allowed_domains=self.domains, accept_html_only=False)
        except FetchError as exc:
            out.error = exc
            out.status = exc.status
            out.elapsed = time.perf_counter() - t0
            return out
        except Exception as exc:  # a bug or an unexpected transport error must not end the run
            log.debug("unexpected error fetching %s", doc.url, exc_info=True)
            out.error = FetchError(f"unexpected error: {type(exc).__name__}: {exc}", url=doc.url)
            out.elapsed = time.perf_counter() - t0
            return out
        out.status = res.status
        base = res.final_url
        try:
            if doc.kind == "sitemap":
                urls, children = discover.parse_sitemap(res.content)
                out.articles = [(u, d) for u, d in urls if discover.is_article_url(u, self.pattern)]
                out.sitemaps = children
            elif doc.kind == "feed":
                out.articles = [(u, d) for u, d in discover.parse_feed(res.content)
                                if discover.is_article_url(u, self.pattern, strict=False)]
            else:
                arts, listings = discover.links_from_listing(
                    res.content, base, article_pattern=self.pattern, allowed_domains=self.domains)
                out.articles = [(u, None) for u in arts]
                if doc.kind == "listing":
                    out.listings = listings
                    # a portal's home page stands for the whole portal: its sections are in scope too
                    if doc.root == doc.url and urlsplit(doc.url).path in ("", "/"):
                        out.sections = discover.section_links(res.content, base, allowed_domains=self.domains)
                if doc.kind == "listing" and not self.source.feeds:
                    out.feeds = [u for u in discover.feed_links(res.content, base) if "comments" not in u]
        except Exception:  # discover never raises by contract; belt and braces for the run
            log.debug("could not read %s %s", doc.kind, doc.url, exc_info=True)
        out.elapsed = time.perf_counter() - t0
        return out

    def discover(self, pool: ThreadPoolExecutor) -> dict[str, _Candidate]:
        src = self.source
        candidates: dict[str, _Candidate] = {}
        queue: list[_Doc] = []
        seen_docs: set[str] = set()
        listing_count: dict[str, int] = {}
        counts = {"sitemap": 0, "feed": 0, "section": 0}
        attempted = 0
        failed_docs = 0

        def enqueue(url: str, kind: DocKind, root: str | None = None) -> None:
            key = canonical_url(url)
            if key in seen_docs or not host_allowed(url, self.domains):
                return
            if kind == "listing":
                r = root or url
                if listing_count.get(r, 0) >= MAX_LISTING_PAGES:
                    return
                listing_count[r] = listing_count.get(r, 0) + 1
            elif kind in counts:
                limit = {"sitemap": MAX_SITEMAPS, "feed": MAX_FEEDS, "section": MAX_SECTIONS}[kind]
                if counts[kind] >= limit:
                    log.debug("%s limit reached, %s not read", kind, url)
                    return
                counts[kind] += 1
            seen_docs.add(key)
            queue.append(_Doc(url, kind, root or url))

        for url in src.sitemaps:
            enqueue(url, "sitemap")
        for url in src.feeds:
            enqueue(url, "feed")
        for url in src.start_urls:
            enqueue(url, "listing")
        if not src.sitemaps:   # robots.txt sitemaps are site-wide: only for sources that list none
            for url in dict.fromkeys(f"{urlsplit(u).scheme}://{urlsplit(u).netloc}/robots.txt"
                                     for u in (*src.start_urls, *src.feeds)):
                enqueue(url, "robots")

        def add_article(url: str, date: str | None) -> bool:
            """Record a candidate; True when its URL is not known to the store."""
            if not host_allowed(url, self.domains):
                return False
            key = canonical_url(url)
            cand = candidates.get(key)
            if cand is None:
                cand = candidates[key] = _Candidate(key, date)
            elif date and (cand.date is None or date > cand.date):
                cand.date = date
            if url != key:
                cand.aliases.add(url)
            if not cand.checked:
                cand.known = self.store.article_for_url(key)
                cand.checked = True
            return cand.known is None

        def handle(res: _DocResult) -> None:
            nonlocal attempted, failed_docs
            doc = res.doc
            if doc.kind == "robots":   # a missing robots.txt is normal; it only offers sitemaps
                for url in res.sitemaps:
                    enqueue(url, "sitemap")
                return
            if isinstance(res.error, FetchStopped):
                return
            attempted += 1
            self.store.record_page(doc.url, self.source.name, status=res.status,
                                   error=str(res.error) if res.error else None)
            if res.error is not None:
                failed_docs += 1
                outcome = res.error.outcome
                self.summary.add(outcome)
                reason = f"{doc.kind}: {res.error}"
                extra = self._extra(doc.url, outcome, status=res.status, reason=reason)
                if outcome == "failed":
                    log.warning("failed %s %s: %s", doc.kind, doc.url, res.error, extra=extra)
                    self.summary.error(f"{doc.url}: {reason}")
                else:
                    log.info("skipped %s %s: %s", doc.kind, doc.url, res.error, extra=extra)
                return
            fresh = 0
            for url, date in res.articles:
                if add_article(url, date):
                    fresh += 1
            log.info("%s %s: %d article links (%d unknown)", doc.kind, doc.url, len(res.articles), fresh,
                     extra=self._extra(doc.url, "discovered", elapsed=round(res.elapsed, 3)))
            for url in res.sitemaps:
                enqueue(url, "sitemap")
            for url in res.feeds:
                enqueue(url, "feed")
            for url in res.sections:
                enqueue(url, "section")
            # Pagination is followed only while it shows articles we do not have yet: older pages hold
            # older articles, already stored on an earlier run.
            if doc.kind == "listing" and (fresh or not res.articles):
                for url in res.listings:
                    enqueue(url, "listing", doc.root)

        def drain() -> Iterator[Callable[[], _DocResult]]:
            while queue:
                yield functools.partial(self._fetch_doc, queue.pop(0))

        self._run_pool(pool, drain(), handle, feed=drain)
        if attempted and failed_docs == attempted and not candidates:
            self.summary.status = "failed"
        return candidates

    # -- planning ------------------------------------------------------------------------------------

    def plan(self, candidates: dict[str, _Candidate]) -> list[_Job]:
        """New URLs (newest first), then known ones whose lastmod moved, then recently first seen ones."""
        # newest first (sort is stable, so undated ones keep discovery order, after the dated ones)
        ordered = sorted(candidates.values(), key=lambda c: c.date or "", reverse=True)
        recheck_after = format_time(datetime.now(UTC) - timedelta(days=self.config.http.recheck_days))
        new: list[_Job] = []
        changed: list[_Job] = []
        recent: list[_Job] = []
        for cand in ordered:
            aliases = tuple(sorted(cand.aliases))
            known = cand.known if cand.checked else self.store.article_for_url(cand.url)
            if known is None:
                if len(new) < self.max_pages:
                    new.append(_Job(cand.url, aliases))
                continue
            _article_id, first_seen = known
            state = self.store.page_state(cand.url)
            fetched_at = state.fetched_at if state else None
            if cand.date and (fetched_at is None or cand.date > fetched_at):
                bucket = changed
            elif first_seen and first_seen > recheck_after:
                bucket = recent
            else:
                continue
            bucket.append(_Job(cand.url, aliases, etag=state.etag if state else None,
                               last_modified=state.last_modified if state else None,
                               previous_hash=state.content_hash if state else None, known=True))
        return (new + changed + recent)[: self.max_pages]

    # -- one article -----------------------------------------------------------------------------------

    def fetch_article(self, job: _Job) -> _ArticleResult:
        """Fetch, parse and convert one article URL (runs in a worker thread; never raises)."""
        out = _ArticleResult(job)
        t0 = time.perf_counter()
        try:
            res = self.fetcher.fetch(job.url, allowed_domains=self.domains, etag=job.etag,
                                     last_modified=job.last_modified)
        except FetchError as exc:
            out.outcome, out.reason, out.status = exc.outcome, str(exc), exc.status
            out.stopped = isinstance(exc, FetchStopped)
            out.fetch_s = time.perf_counter() - t0
            return out
        except Exception as exc:
            log.debug("unexpected error fetching %s", job.url, exc_info=True)
            out.outcome, out.reason = "failed", f"unexpected error: {type(exc).__name__}: {exc}"
            out.fetch_s = time.perf_counter() - t0
            return out
        out.fetch_s = time.perf_counter() - t0
        out.result, out.status = res, res.status
        if res.not_modified:
            return out
        out.content_hash = _content_hash(res.content)
        if self.parser is not None and self._parse_elsewhere(out, res):
            return out
        t1 = time.perf_counter()
        try:
            self._finish(parse_html(res.content, res.final_url, profile=self.source.parse,
                                    charset=res.charset), out, res)
        except Exception as exc:
            log.debug("unparseable page %s", job.url, exc_info=True)
            out.outcome, out.reason = _unparseable(exc)
        finally:
            out.parse_s += time.perf_counter() - t1
        return out

    def _finish(self, article: Article, out: _ArticleResult, res: FetchResult) -> None:
        """Stitch, judge and convert a parsed first page (in this process)."""
        if article.next_pages:
            article = self._stitch(article, out)
            if out.outcome is not None:
                return
        verdict = _judge(article)
        if verdict is not None:
            out.outcome, out.reason = verdict
            return
        out.record = to_record(article, self.source.name, out.job.url, res.final_url, self.domains,
                               out.job.aliases, self.pattern)

    def _parse_elsewhere(self, out: _ArticleResult, res: FetchResult) -> bool:
        """Parse in the worker process; this thread waits for the answer (in-flight work stays bounded).

        False when the worker is gone (killed, out of memory): the caller parses in this process.
        """
        assert self.parser is not None
        job = out.job
        try:
            answer = self.parser.call(res.content, res.final_url, res.charset, job.url, job.aliases)
        except Exception:
            log.debug("parse worker unavailable for %s; parsing here", job.url, exc_info=True)
            return False
        kind, value, seconds = answer[0], answer[1], answer[-1]
        out.parse_s += seconds
        if kind == "record":
            out.record = PreparedArticle(ArticleRecord(self.source.name, *value), *answer[2])
        elif kind == "pages":
            t1 = time.perf_counter()
            try:
                self._finish(value, out, res)
            except Exception as exc:
                log.debug("unparseable page %s", job.url, exc_info=True)
                out.outcome, out.reason = _unparseable(exc)
            finally:
                out.parse_s += time.perf_counter() - t1
        else:
            out.outcome, out.reason = kind, value
        return True

    def _stitch(self, first: Article, out: _ArticleResult) -> Article:
        """Fetch and parse the further pages of a multi-page article; a failed page fails the article."""
        rest: list[Article] = []
        seen = {canonical_url(out.job.url)}
        if out.result is not None:
            seen.add(canonical_url(out.result.final_url))
        queue = list(first.next_pages)
        while queue and len(rest) < MAX_NEXT_PAGES:
            url = queue.pop(0)
            key = canonical_url(url)
            if key in seen:
                continue
            seen.add(key)
            t0 = time.perf_counter()
            try:
                res = self.fetcher.fetch(url, allowed_domains=self.domains)
            except FetchError as exc:
                out.fetch_s += time.perf_counter() - t0
                out.outcome, out.reason = "failed", f"page {len(rest) + 2} ({url}): {exc}"
                return first
            out.fetch_s += time.perf_counter() - t0
            page = parse_html(res.content, res.final_url, profile=self.source.parse, charset=res.charset)
            rest.append(page)
            queue.extend(u for u in page.next_pages if canonical_url(u) not in seen)
        return merge_pages(first, rest) if rest else first

    def store_result(self, r: _ArticleResult) -> None:
        """Write one article result (calling thread only). StorageError propagates."""
        if r.outcome == "skipped" and r.reason is not None and r.stopped:
            return   # the stop event came before the request was sent: not fetched, not counted
        t0 = time.perf_counter()
        job, name = r.job, self.source.name
        self.summary.fetched += 1
        self.summary.timings["fetch"] += r.fetch_s
        self.summary.timings["parse"] += r.parse_s
        res = r.result
        try:
            if r.outcome is not None:   # fetch error, not an article, unparseable
                self.store.record_page(job.url, name, status=r.status,
                                       etag=res.etag if res else None,
                                       last_modified=res.last_modified if res else None,
                                       content_hash=r.content_hash, error=r.reason)
                self._count(job.url, r.outcome, r.reason, r.status)
                return
            assert res is not None
            if res.not_modified:
                article_id = self.store.touch_url(job.url)
                self.store.record_page(job.url, name, status=res.status,
                                       etag=res.etag or job.etag,
                                       last_modified=res.last_modified or job.last_modified,
                                       content_hash=job.previous_hash, error=None)
                if article_id is None:
                    log.debug("304 for %s but no stored article owns it", job.url)
                self._count(job.url, "unchanged", status=res.status)
                return
            assert r.record is not None
            saved = self.store.save_article(r.record)
            self.store.record_page(job.url, name, status=res.status, etag=res.etag,
                                   last_modified=res.last_modified, content_hash=r.content_hash, error=None)
            self._count(job.url, saved.outcome, status=res.status)
        finally:
            self.summary.timings["store"] += time.perf_counter() - t0

    # -- the run -----------------------------------------------------------------------------------------

    def run(self) -> RunSummary:
        s = self.summary
        started = time.perf_counter()
        s.run_id = self.store.start_run(self.source.name)
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=f"kabar-{self.source.name}")
        try:
            t0 = time.perf_counter()
            candidates = self.discover(pool)
            s.discovered = len(candidates)
            s.timings["discover"] = time.perf_counter() - t0
            jobs: list[_Job] = [] if self.stop.is_set() else self.plan(candidates)
            del candidates
            log.info("%s: %d article URLs discovered, %d to fetch", self.source.name, s.discovered,
                     len(jobs), extra={"source": self.source.name, "run_id": s.run_id})
            if self.progress is not None:
                self.progress("total", len(jobs))
            tasks = (functools.partial(self.fetch_article, j) for j in jobs)
            # Every article is committed as soon as it is written, except in a bulk run (an initial crawl):
            # there writes share short transactions (each article still atomic on its own, committed within
            # BATCH_SECONDS), and a SIGKILL loses at most that much work, which the next run fetches again.
            bulk = len(jobs) >= BULK_JOBS
            if len(jobs) >= PARSE_PROCESS_JOBS:
                self._start_parser()
            with self.store.batch(max_seconds=BATCH_SECONDS) if bulk else contextlib.nullcontext():
                self._run_pool(pool, tasks, self.store_result)
        except BaseException as exc:
            # StorageError: nothing more can be written. Anything else is a bug; either way the run ends
            # here and is recorded (best effort) so that it does not stay "running".
            s.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            s.timings["total"] = time.perf_counter() - started
            if not isinstance(exc, StorageError):
                log.error("%s: run aborted by an unexpected error", self.source.name, exc_info=True)
            try:
                self.store.finish_run(s.run_id, s.status, s.counts())
            except Exception:
                log.debug("could not record the aborted run", exc_info=True)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if self.parser is not None:
                self.parser.close()
            self.fetcher.close()
        if self.stop.is_set():
            s.status = "interrupted"
        elif s.status != "failed":
            s.status = "ok"
        s.timings["total"] = time.perf_counter() - started
        self.store.finish_run(s.run_id, s.status, s.counts())
        log.info("%s: run %s %s: %s", self.source.name, s.run_id, s.status,
                 " ".join(f"{k}={v}" for k, v in s.counts().items()),
                 extra={"source": self.source.name, "run_id": s.run_id, "counts": s.counts()})
        return s


def crawl_source(source: SourceConfig, config: Config, store: Store, *, max_pages: int | None = None,
                 stop: threading.Event | None = None, transport: httpx.BaseTransport | None = None,
                 progress: Progress | None = None) -> RunSummary:
    """Crawl one source once into ``store`` and return what happened (one ``runs`` row per call).

    ``max_pages`` overrides ``source.max_pages`` (article fetches; listings, feeds, sitemaps and further
    pages of multi-page articles are not counted). When ``stop`` is set no new fetch starts, results in
    flight are written and the run is recorded ``interrupted``. ``transport`` is handed to the Fetcher
    (tests use ``httpx.MockTransport``). ``progress`` receives ``("total", n)`` once the plan is known and
    ``(outcome, 1)`` for each article URL finished. Raises :class:`StorageError` when the database cannot
    be written (the run is recorded ``failed`` when possible).
    """
    run = _Run(source, config, store, max_pages=max_pages, stop=stop or threading.Event(),
               transport=transport, progress=progress)
    return run.run()
