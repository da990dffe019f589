"""Parse + judge: is a parsed page an article, which URL keys it, and its :class:`ArticleRecord`.

Pure functions of an :class:`~scraper.article.Article` and the source's scope, run wherever the page was
parsed (a crawl thread, the parse worker process): :func:`verdict` is the whole step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from scraper.article import Article
from scraper.discover import is_article_url
from scraper.pagetype import looks_like_article
from scraper.parse import NO_BODY_WARNING
from scraper.urls import host_allowed
from storage.records import ArticleRecord, PageVerdict
from storage.store import prepare_article
from storage.urls import canonical_url

MIN_ARTICLE_CHARS = 200      # shorter bodies of pages that do not declare themselves articles are not ones


@dataclass(frozen=True)
class Scope:
    """What the verdict needs to know of the source (picklable: the parse worker gets it once)."""

    source: str
    allowed_domains: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None     # the source's article_pattern, compiled


def parser_failure(article: Article) -> str | None:
    """The parser's own report of a crash (it never raises; it says so in ``warnings``)."""
    return next((w for w in article.warnings if w.startswith("parser error")), None)


def not_article_reason(article: Article, min_chars: int = MIN_ARTICLE_CHARS) -> str | None:
    """Why a parsed page is not an article (None when it is one).

    A page that declares itself an article (``declared_type``: JSON-LD article type or ``og:type``) with a
    title and a non-empty body is one at any length: breaking-news items are that short. The text floor
    only applies to pages that declare nothing; an empty body is never an article. Past those, the page-type
    model (:mod:`scraper.pagetype`) tells articles from listing, forum, product, service, documentation
    and collection pages, whatever their length, unless the page has a publication time and the address is
    an article's by the news-URL heuristic (:func:`scraper.discover.is_article_url`).
    """
    if NO_BODY_WARNING in article.warnings:
        return NO_BODY_WARNING
    if not (article.title or "").strip():
        return "no title"
    if not article.segments or not any(seg.paragraphs for seg in article.segments):
        return "no body"
    text_len = sum(len(p) for seg in article.segments for p in seg.paragraphs)
    if text_len < min_chars and not (article.declared_type and text_len):
        return f"too little text ({text_len} characters)"
    # A dated page at an address news sites give articles (a dated path, a read id, a long numeric id, a
    # slug of 4+ words, a WordPress post id): the model does not overrule it. A news crawler loses less
    # storing the odd dated long-slug page that is no story than skipping stories whose page is plain.
    if article.published_at and is_article_url(article.url or ""):
        return None
    article_like, p = looks_like_article(article)
    if not article_like:
        return f"a listing, forum, product or service page by its shape (article probability {p:.2f})"
    return None


def judge(article: Article) -> tuple[str, str] | None:
    """(outcome, reason) when a parsed page is not stored: a parser crash or not an article."""
    crash = parser_failure(article)
    if crash is not None:
        return "failed", f"unparseable: {crash}"
    reason = not_article_reason(article)
    if reason is not None:
        return "skipped", f"not an article: {reason}"
    return None


def unparseable(exc: Exception) -> tuple[str, str]:
    """(outcome, reason) of a page the parser raised on."""
    return "failed", f"unparseable: {type(exc).__name__}: {exc}"


def article_canonical(article: Article, final_url: str, allowed_domains: tuple[str, ...],
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
    canonical = article_canonical(article, final_url, allowed_domains, pattern)
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
        removed=[(r.kind, r.text) for r in article.removed],
    )


def verdict(article: Article, scope: Scope, requested_url: str, final_url: str, aliases: tuple[str, ...] = (),
            *, prepare: bool = False, parse_s: float = 0.0) -> PageVerdict:
    """Judge a parsed (and stitched) page and, when it is an article, convert it to its record.

    ``prepare`` also derives what the store would before writing (hashes, story features:
    :func:`storage.store.prepare_article`), so that a parse worker spares the writing process that work.
    """
    not_stored = judge(article)
    if not_stored is not None:
        return PageVerdict(*not_stored, parse_s=parse_s)
    rec = to_record(article, scope.source, requested_url, final_url, scope.allowed_domains, aliases,
                    scope.pattern)
    return PageVerdict(article=prepare_article(rec, features=True) if prepare else rec, parse_s=parse_s)
