"""Discover: the document queue (listings, sections, feeds, sitemaps, robots.txt) and the article candidates.

:class:`Frontier` is plain state, fed by the crawl's worker threads through :func:`read_document` (one
document fetched and read) and :meth:`Frontier.absorb` (its findings taken, on the calling thread): what to
read next under the per-kind limits of :class:`~scraper.options.CrawlOptions`, and the distinct canonical
article URLs found, with their dates and aliases. The links are read by the run's parse worker when
:func:`read_document` is given a ``reader`` (:class:`scraper.parse_worker.ParseService`): a document over
its deadline or memory cap is counted failed like an unreadable one.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scraper import discover
from scraper.config import SourceConfig
from scraper.doc_links import Doc, DocKind, DocResult, read_links
from scraper.errors import FetchError
from scraper.fetch import Fetcher, FetchStopped
from scraper.options import CrawlOptions
from scraper.parse_worker import OverBudget, ParseService, WorkStopped
from scraper.urls import host_allowed
from storage.urls import canonical_url

log = logging.getLogger(__name__)

__all__ = ["Candidate", "Doc", "DocKind", "DocResult", "Frontier", "read_document", "read_links"]


@dataclass
class Candidate:
    url: str                      # canonical URL, the one fetched
    date: str | None = None       # sitemap lastmod / news date / feed date
    aliases: set[str] = field(default_factory=set)
    known: tuple[int, str] | None = None   # (article_id, first_seen_at) from the store
    checked: bool = False                  # ``known`` looked up


def read_document(fetcher: Fetcher, doc: Doc, source: SourceConfig,
                  pattern: re.Pattern[str] | None, reader: ParseService | None = None) -> DocResult:
    """Fetch one discovery document and read its links (a worker thread; never raises), in ``reader``'s
    worker process when given."""
    t0 = time.perf_counter()
    out = DocResult(doc)
    domains = tuple(source.allowed_domains)
    if doc.kind == "robots":
        try:
            out.sitemaps = fetcher.robots_sitemaps(doc.url)
        except Exception:  # robots.txt only offers sitemaps; its problems show on the real requests
            log.debug("no sitemaps from robots.txt of %s", doc.url, exc_info=True)
        out.elapsed = time.perf_counter() - t0
        return out
    try:
        # a sitemap may hold 50,000 URLs: its own size limit, apart from http.max_bytes
        limit = discover.SITEMAP_MAX_BYTES if doc.kind == "sitemap" else None
        res = fetcher.fetch(doc.url, allowed_domains=domains, accept_html_only=False, max_bytes=limit)
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
    problems: list[str] = []
    try:
        if reader is not None:
            out, problems = reader.request("links", doc, res.content, res.final_url)
        else:
            out, problems = read_links(source, pattern, doc, res.content, res.final_url)
    except OverBudget as exc:
        out.error = FetchError(f"{doc.kind} {exc}", url=doc.url, status=res.status)
    except WorkStopped as exc:
        out.error = FetchStopped(str(exc), url=doc.url)
    except Exception:  # discover never raises by contract; belt and braces for the run
        log.debug("could not read %s %s", doc.kind, doc.url, exc_info=True)
    out.status = res.status
    refused = next((p for p in problems if p.startswith("refused")), None)
    if refused is not None:   # a DTD or entity declaration: counted failed, the reason in pages.error
        out.error = FetchError(f"{doc.kind} {refused}", url=doc.url, status=res.status)
    out.elapsed = time.perf_counter() - t0
    return out


class Frontier:
    """The documents still to read and the article candidates found so far (the calling thread only).

    ``known`` is the store's lookup of an article URL (``(article_id, first_seen_at)`` or None).
    """

    def __init__(self, source: SourceConfig, options: CrawlOptions,
                 known: Callable[[str], tuple[int, str] | None]) -> None:
        self.domains = tuple(source.allowed_domains)
        self.known = known
        self.limits = {"sitemap": options.max_sitemaps, "feed": options.max_feeds,
                       "section": options.max_sections}
        self.max_listing_pages = options.max_listing_pages
        self.queue: deque[Doc] = deque()
        self.candidates: dict[str, Candidate] = {}
        self.attempted = 0       # documents fetched (or tried), robots.txt and stopped ones not counted
        self.failed = 0          # ... of which could not be read
        self._seen: set[str] = set()
        self._listing_count: dict[str, int] = {}
        self._counts = dict.fromkeys(self.limits, 0)
        self._seed(source)

    def _seed(self, src: SourceConfig) -> None:
        self._enqueue_all((src.sitemaps, "sitemap"), (src.feeds, "feed"), (src.start_urls, "listing"))
        if not src.sitemaps:   # robots.txt sitemaps are site-wide: only for sources that list none
            for url in dict.fromkeys(f"{urlsplit(u).scheme}://{urlsplit(u).netloc}/robots.txt"
                                     for u in (*src.start_urls, *src.feeds)):
                self.enqueue(url, "robots")

    def enqueue(self, url: str, kind: DocKind, root: str | None = None) -> None:
        """Queue a document unless it was seen, is out of scope or its kind's limit is reached."""
        key = canonical_url(url)
        if key in self._seen or not host_allowed(url, self.domains):
            return
        if kind == "listing":
            r = root or url
            if self._listing_count.get(r, 0) >= self.max_listing_pages:
                return
            self._listing_count[r] = self._listing_count.get(r, 0) + 1
        elif kind in self._counts:
            if self._counts[kind] >= self.limits[kind]:
                log.debug("%s limit reached, %s not read", kind, url)
                return
            self._counts[kind] += 1
        self._seen.add(key)
        self.queue.append(Doc(url, kind, root or url))

    def _enqueue_all(self, *groups: tuple[Iterable[str], DocKind]) -> None:
        for urls, kind in groups:
            for url in urls:
                self.enqueue(url, kind)

    def next_doc(self) -> Doc | None:
        return self.queue.popleft() if self.queue else None

    def add_article(self, url: str, date: str | None) -> bool:
        """Record a candidate; True when its URL is not known to the store."""
        if not host_allowed(url, self.domains):
            return False
        key = canonical_url(url)
        cand = self.candidates.get(key)
        if cand is None:
            cand = self.candidates[key] = Candidate(key, date)
        elif date and (cand.date is None or date > cand.date):
            cand.date = date
        if url != key:
            cand.aliases.add(url)
        if not cand.checked:
            cand.known = self.known(key)
            cand.checked = True
        return cand.known is None

    def absorb(self, res: DocResult) -> int:
        """Take what one document found; returns how many of its article links the store does not know."""
        doc = res.doc
        if doc.kind == "robots":   # a missing robots.txt is normal; it only offers sitemaps
            for url in res.sitemaps:
                self.enqueue(url, "sitemap")
            return 0
        if isinstance(res.error, FetchStopped):
            return 0
        self.attempted += 1
        if res.error is not None:
            self.failed += 1
            return 0
        fresh = sum(1 for url, date in res.articles if self.add_article(url, date))
        self._enqueue_all((res.sitemaps, "sitemap"), (res.feeds, "feed"), (res.sections, "section"))
        # Pagination is followed only while it shows articles we do not have yet: older pages hold older
        # articles, already stored on an earlier run.
        if doc.kind == "listing" and (fresh or not res.articles):
            for url in res.listings:
                self.enqueue(url, "listing", doc.root)
        return fresh

    @property
    def all_failed(self) -> bool:
        """Every document tried failed and nothing was found: the source is unreachable."""
        return bool(self.attempted) and self.failed == self.attempted and not self.candidates
