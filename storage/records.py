"""Plain records passed into and out of the store. The scraper converts its ``Article`` at the boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from storage.store import PreparedArticle

Outcome = Literal["new", "updated", "unchanged", "duplicate"]

#: The summary counts of a run, in the order of the ``runs`` columns and of every summary table.
RUN_COUNTS = ("discovered", "fetched", "new", "updated", "unchanged", "duplicate", "skipped", "failed")


@dataclass
class ArticleRecord:
    """One parsed article as the store takes it.

    ``url`` is the URL the page was fetched from (after redirects); ``canonical_url`` the page's canonical
    (already canonicalised with :func:`storage.urls.canonical_url`); ``aliases`` further URLs that led to
    it (the requested URL before redirects, AMP or tracking variants). ``segments`` are
    ``(headline, paragraphs)`` pairs; ``removed`` the ``(kind, text)`` blocks the cleaner took out.
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
    #: ``(kind, text)`` of each block the cleaner removed, in page order (stored in ``removed_blocks``; not
    #: part of the content hash)
    removed: list[tuple[str, str]] = field(default_factory=list)

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


@dataclass(frozen=True)
class PageVerdict:
    """What parsing and judging one fetched page decided: the parse worker's answer, pickled as is.

    ``outcome`` None: ``article`` is to be stored (an :class:`ArticleRecord`, or a ``PreparedArticle`` when
    the worker also derived its hashes and story features); ``"skipped"`` (not an article) or ``"failed"``
    (unparseable): ``reason`` says why. ``multipage``: the first page of a multi-page article, left to the
    process that fetches its further pages (no article, no outcome). ``parse_s``: CPU seconds spent.
    """

    outcome: str | None = None
    reason: str | None = None
    article: ArticleRecord | PreparedArticle | None = None
    multipage: bool = False
    parse_s: float = 0.0


@dataclass(frozen=True)
class PageOutcome:
    """One article URL fetched, parsed and judged, ready for the single writer (plain, picklable data).

    The seam between the fetch side (fetch + parse + prepare: any thread, process or machine) and the
    store (:func:`storage.outcome.apply_outcome`). ``page`` is the fetch state to record (its ``error`` is
    ``reason``); ``outcome`` is ``"skipped"`` or ``"failed"`` when the fetch side decided, None when the store
    decides: ``article`` saved (new, updated, unchanged, duplicate) or, with ``not_modified`` (a 304), the
    stored article touched (unchanged). ``status`` is the HTTP status (also in ``page``); ``fetch_s`` and
    ``parse_s`` the seconds spent fetching and parsing.
    """

    page: PageUpdate
    outcome: str | None = None
    reason: str | None = None
    article: ArticleRecord | PreparedArticle | None = None
    not_modified: bool = False
    fetch_s: float = 0.0
    parse_s: float = 0.0

    @property
    def url(self) -> str:
        return self.page.url

    @property
    def status(self) -> int | None:
        return self.page.status
