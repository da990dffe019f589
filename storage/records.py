"""Plain records passed into and out of the store. The scraper converts its ``Article`` at the boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["new", "updated", "unchanged", "duplicate"]

#: The summary counts of a run, in the order of the ``runs`` columns and of every summary table.
RUN_COUNTS = ("discovered", "fetched", "new", "updated", "unchanged", "duplicate", "skipped", "failed")


@dataclass
class ArticleRecord:
    """One parsed article as the store takes it.

    ``url`` is the URL the page was fetched from (after redirects); ``canonical_url`` the page's canonical
    (already canonicalised with :func:`storage.urls.canonical_url`); ``aliases`` further URLs that led to
    it (the requested URL before redirects, AMP or tracking variants). ``segments`` are
    ``(headline, paragraphs)`` pairs.
    """

    source: str
    url: str
    canonical_url: str
    title: str
    segments: list[tuple[str | None, list[str]]]
    published_at: str | None = None
    modified_at: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    lang: str | None = None
    image: str | None = None
    dateline: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        lines: list[str] = []
        for headline, paragraphs in self.segments:
            if headline:
                lines.append(headline)
            lines.extend(paragraphs)
        return "\n".join(lines)


@dataclass(frozen=True)
class SaveResult:
    outcome: Outcome
    article_id: int
    cluster_id: int
    revision: int


@dataclass(frozen=True)
class PageState:
    """Fetch state of one URL (a row of ``pages``)."""

    url: str
    source: str
    status: int | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    fetched_at: str | None
    error: str | None


@dataclass(frozen=True)
class PageUpdate:
    """The fetch state one answer leaves for ``url`` (see :meth:`storage.store.Store.record_outcome`).

    Validators and hash left None keep their stored values; status and error are replaced."""

    url: str
    source: str
    status: int | None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    error: str | None = None
