"""The writer's end of the crawl: one :class:`~storage.records.PageOutcome` in, one transaction, one count out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Container
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from storage import runs
from storage.records import ArticleRecord, PageOutcome
from storage.store import PreparedArticle, Store, prepare_article
from storage.urls import canonical_url

logger = logging.getLogger(__name__)

_VARIANT_PREFIXES = ("www.", "m.", "amp.")


class Counted(NamedTuple):
    """Where one outcome counts: its summary column, and why when the store changed the fetch side's
    reason (a URL become gone)."""

    column: str
    reason: str | None = None


def gone_reason(answers: int) -> str:
    """``pages.error`` (and the log's reason) of an article URL counted ``skipped`` as gone."""
    return f"gone after {answers} answers 404/410"


def apply_outcome(store: Store, outcome: PageOutcome, *, direct: Container[str] = frozenset(),
                  gone_after: int | None = None) -> str:
    """Record ``outcome`` in one transaction and return the summary column it counts in (:func:`record`)."""
    return record(store, outcome, direct=direct, gone_after=gone_after).column


def record(store: Store, outcome: PageOutcome, *, direct: Container[str] = frozenset(),
           gone_after: int | None = None) -> Counted:
    """Record ``outcome`` in one transaction and return where it counts.

    A page the fetch side did not store (``skipped``/``failed``) leaves its fetch state; a 404/410 that
    makes ``gone_after`` consecutive ones counts ``skipped`` as gone instead of ``failed``
    (:func:`gone_reason`; None: never gone); a 304 touches the stored article (``unchanged``); an article
    is saved by the store's rules (new, updated, unchanged, duplicate), keyed by its own URL when its
    canonical cannot take over (:func:`own_key_if_taken`; ``direct``: the URLs this run fetches directly,
    its plan). A :class:`~storage.errors.StorageError` propagates and leaves nothing of this outcome.
    """
    if outcome.outcome is not None:
        if gone_after is not None and outcome.outcome == "failed" and outcome.status in runs.GONE_STATUSES:
            return _record_gone_answer(store, outcome, gone_after)
        store.record_outcome(outcome.page)
        return Counted(outcome.outcome)
    if outcome.not_modified:
        store.record_outcome(outcome.page, touch=True)
        return Counted("unchanged")
    if outcome.article is None:
        raise ValueError(f"outcome for {outcome.url} has neither an outcome nor an article")
    article = own_key_if_taken(store, outcome.article, direct)
    saved = store.record_outcome(outcome.page, article=article)
    assert saved is not None
    return Counted(saved.outcome)


def _record_gone_answer(store: Store, outcome: PageOutcome, gone_after: int) -> Counted:
    """A 404/410 for an article URL: ``failed``, or ``skipped`` when it makes ``gone_after`` in a row."""
    with store.transaction() as conn:
        answers = runs.gone_answers(conn, outcome.url) + 1
        if answers < gone_after:
            store.record_outcome(outcome.page)
            return Counted("failed")
        reason = gone_reason(answers)
        store.record_outcome(dataclasses.replace(outcome.page, error=reason))
        return Counted("skipped", reason)


def gone_pages(store: Store, source: str, gone_after: int) -> dict[str, str | None]:
    """The gone URLs of ``source`` (``gone_after`` consecutive 404/410 answers or more), each with the time
    of its last answer: the plan fetches one again only when its sitemap lastmod is newer."""
    with store.transaction() as conn:
        return runs.gone_pages(conn, source, gone_after)


def _variant_key(url: str) -> str:
    """``url``'s canonical form with a www./m./amp. host prefix dropped: the variants of one page."""
    parts = urlsplit(canonical_url(url))
    host = parts.netloc
    for prefix in _VARIANT_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix):]
            break
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def _fetched_directly(store: Store, url: str, direct: Container[str]) -> bool:
    if url in direct:
        return True
    state = store.page_state(url)
    return state is not None and state.error is None and state.status is not None and 200 <= state.status < 400


def own_key_if_taken(store: Store, item: ArticleRecord | PreparedArticle,
                     direct: Container[str] = frozenset()) -> ArticleRecord | PreparedArticle:
    """``item`` keyed by the URL it was fetched from when its canonical names another page that is (or
    is to be) fetched directly under that URL: a page never becomes a revision of another article by
    declaring it its canonical (issue #14's canonical hijack). Same content then makes it an alias of
    that article (``duplicate``), other content its own article. AMP, ``m.`` and ``www.`` variants of the
    page's own URL, and canonicals nobody fetches directly (syndicated copies), keep folding in.
    """
    rec = item.record if isinstance(item, PreparedArticle) else item
    declared = rec.canonical_url
    if not declared or declared == rec.url:    # the common case, without canonicalising on the writer
        return item
    own = canonical_url(rec.url)
    if declared == own or _variant_key(declared) == _variant_key(rec.url):
        return item
    if not _fetched_directly(store, declared, direct):
        return item
    logger.info("%s declares %s as its canonical, fetched directly: stored under its own URL", rec.url,
                declared, extra={"source": rec.source, "url": rec.url})
    aliases = [u for u in rec.aliases if u != own and canonical_url(u) != declared]
    keyed = dataclasses.replace(rec, canonical_url=own, aliases=aliases)
    if isinstance(item, PreparedArticle):
        prep = prepare_article(keyed)
        prep.story = item.story            # same title and text: same story
        return prep
    return keyed
