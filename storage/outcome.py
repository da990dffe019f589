"""The writer's end of the crawl: one :class:`~storage.records.PageOutcome` in, one transaction, one count out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Container
from urllib.parse import urlsplit, urlunsplit

from storage.records import ArticleRecord, PageOutcome
from storage.store import PreparedArticle, Store, prepare_article
from storage.urls import canonical_url

logger = logging.getLogger(__name__)

_VARIANT_PREFIXES = ("www.", "m.", "amp.")


def apply_outcome(store: Store, outcome: PageOutcome, *, direct: Container[str] = frozenset()) -> str:
    """Record ``outcome`` in one transaction and return the summary column it counts in.

    A page the fetch side did not store (``skipped``/``failed``) leaves its fetch state; a 304 touches the
    stored article (``unchanged``); an article is saved by the store's rules (new, updated, unchanged,
    duplicate), keyed by its own URL when its canonical cannot take over (:func:`own_key_if_taken`;
    ``direct``: the URLs this run fetches directly, its plan). A :class:`~storage.errors.StorageError`
    propagates and leaves nothing of this outcome.
    """
    if outcome.outcome is not None:
        store.record_outcome(outcome.page)
        return outcome.outcome
    if outcome.not_modified:
        store.record_outcome(outcome.page, touch=True)
        return "unchanged"
    if outcome.article is None:
        raise ValueError(f"outcome for {outcome.url} has neither an outcome nor an article")
    article = own_key_if_taken(store, outcome.article, direct)
    saved = store.record_outcome(outcome.page, article=article)
    assert saved is not None
    return saved.outcome


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
        prep.features = item.features      # same title and text: same story features
        return prep
    return keyed
