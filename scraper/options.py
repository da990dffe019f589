"""The crawl's per-run limits, in one frozen object handed to :func:`scraper.pipeline.crawl_source`."""

from __future__ import annotations

from dataclasses import dataclass

from scraper import rules


@dataclass(frozen=True)
class CrawlOptions:
    """Limits of one run of one source (the defaults are what ``kabar crawl`` and the daemon use).

    Documents: ``max_listing_pages`` per start URL (the start page included), ``max_sitemaps`` (indexes and
    children), ``max_feeds`` (configured and announced) and ``max_sections`` (section front pages, first page
    only) per run; ``max_next_pages`` further pages of one multi-page article; ``max_errors_kept`` messages
    in :attr:`RunSummary.errors`. A run with ``bulk_jobs`` articles to fetch writes in batches, each stored
    article committed within ``batch_seconds``. ``fresh_since`` (a stored time): known articles fetched since
    then are not fetched again (a crawl that waited for another one's writer lock skips what that one
    fetched meanwhile).

    The budget of one untrusted document: every run reads its pages, listings, feeds and sitemaps in a
    worker process (``parse_in_worker``; False parses in the crawling threads, as when no worker can start),
    ``parse_timeout`` seconds per document and ``parse_memory_mb`` of address space (None: no cap); on
    overrun the worker is killed and restarted and the document recorded failed. ``parse_hook``
    (``"module:function"``, tests only) is called once in each worker before its first document.
    """

    max_listing_pages: int = 5
    max_sitemaps: int = 50
    max_feeds: int = 10
    max_sections: int = 30
    max_next_pages: int = rules.MAX_NEXT_PAGES
    max_errors_kept: int = 50
    bulk_jobs: int = 200
    batch_seconds: float = 0.1
    parse_in_worker: bool = True
    parse_timeout: float = 30.0
    parse_memory_mb: int | None = 1024
    parse_hook: str | None = None
    fresh_since: str | None = None


DEFAULT_OPTIONS = CrawlOptions()
