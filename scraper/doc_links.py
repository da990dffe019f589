"""One discovery document's links: what a fetched listing, section, feed or sitemap points to.

The CPU-bound reading of untrusted bytes (:func:`scraper.discover.links_from_listing`, ``parse_feed``,
``parse_sitemap``), done by the run's parse worker process (:mod:`scraper.parse_worker`): this module
imports no HTTP client, so the worker starts quickly. :mod:`scraper.frontier` fetches the documents and
takes their findings.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from scraper import discover
from scraper.config import SourceConfig
from scraper.errors import FetchError

log = logging.getLogger(__name__)

DocKind = Literal["listing", "section", "feed", "sitemap", "robots"]


@dataclass(frozen=True)
class Doc:
    url: str
    kind: DocKind
    root: str           # the start URL a listing page belongs to (pagination limit), else the URL itself


@dataclass
class DocResult:
    """What reading one document found (or why it could not be read)."""

    doc: Doc
    status: int | None = None
    error: FetchError | None = None
    articles: list[tuple[str, str | None]] = field(default_factory=list)   # (url, date)
    listings: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    elapsed: float = 0.0


def read_links(source: SourceConfig, pattern: re.Pattern[str] | None, doc: Doc, content: bytes,
               base: str) -> tuple[DocResult, list[str]]:
    """What one fetched document links to, and the reader's problems with it (CPU-bound, untrusted input:
    the parse worker's job)."""
    out, problems = DocResult(doc), list[str]()
    _read_links(out, content, base, source, pattern, problems)
    return out, problems


def _read_links(out: DocResult, content: bytes, base: str, source: SourceConfig,
                pattern: re.Pattern[str] | None, problems: list[str]) -> None:
    doc, domains = out.doc, tuple(source.allowed_domains)
    if doc.kind == "sitemap":
        urls, children = discover.parse_sitemap(content, problems)
        out.articles = [(u, d) for u, d in urls if discover.is_article_url(u, pattern)]
        # an index's page, taxonomy and author sitemaps list no articles
        out.sitemaps = [c for c in children if discover.is_article_sitemap(c)]
        if len(out.sitemaps) < len(children):
            log.debug("%s: %d child sitemaps of pages or taxonomies not read", doc.url,
                      len(children) - len(out.sitemaps))
    elif doc.kind == "feed":
        out.articles = [(u, d) for u, d in discover.parse_feed(content, base, problems)
                        if discover.is_article_url(u, pattern, strict=False)]
    else:
        arts, listings = discover.links_from_listing(content, base, article_pattern=pattern,
                                                     allowed_domains=domains)
        out.articles = [(u, None) for u in arts]
        if doc.kind == "listing":
            out.listings = listings
            # a portal's home page stands for the whole portal: its sections are in scope too
            if doc.root == doc.url and urlsplit(doc.url).path in ("", "/"):
                out.sections = discover.section_links(content, base, allowed_domains=domains)
            if not source.feeds:
                out.feeds = [u for u in discover.feed_links(content, base) if "comments" not in u]
