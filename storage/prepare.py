"""What saving an article derives before it touches the database, in any process.

:func:`prepare_article` computes an :class:`ArticleRecord`'s canonical URL, URL forms, content hash and
(on request) story features: pure and picklable, so the crawl's parse worker or the prepare worker of
:meth:`storage.store.Store.save_many` computes it off the writing process. :func:`prepared` is that
worker's parent side: records in, prepared articles out, in order, with bounded look-ahead.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.records import ArticleRecord
from storage.urls import canonical_url

if TYPE_CHECKING:
    from storage.story_store import Prepared as PreparedStory

logger = logging.getLogger(__name__)

PREPARE_CHUNK = 16              # records per message to the prepare worker (Store.save_many)
WORKER_ENTRY = "storage.prepare:serve"


@dataclass
class PreparedArticle:
    """What saving a record derives before it touches the database: pure and picklable, so a worker
    process can compute it (:meth:`Store.save_many`, the crawl's parse worker)."""

    record: ArticleRecord
    canonical: str                      # the canonical URL the article is keyed by
    urls: set[str]                      # every URL form it was seen under
    content_hash: str
    story: PreparedStory | None = None  # computed on first need when absent

    def story_prepared(self) -> PreparedStory:
        if self.story is None:
            from storage import story_store

            self.story = story_store.prepare(self.record.title, self.record.segments)
        return self.story

    def derived(self) -> tuple[str, set[str], str, PreparedStory | None]:
        """Everything but the record (what a worker sends back to the process that has the record)."""
        return self.canonical, self.urls, self.content_hash, self.story


def prepare_article(rec: ArticleRecord, *, features: bool = False) -> PreparedArticle:
    """Canonical URL, URL forms and content hash of ``rec``; with ``features`` also its story
    (:func:`storage.story_store.prepare`; needed only when the article turns out new or changed)."""
    from storage import dedupe

    canonical = cached_canonical((rec.canonical_url or rec.url).strip())
    urls = url_forms([rec.url, rec.canonical_url, *rec.aliases])
    urls.discard("")
    prep = PreparedArticle(rec, canonical, urls, dedupe.content_hash(rec.title, rec.segments))
    if features:
        prep.story_prepared()
    return prep


cached_canonical = functools.lru_cache(maxsize=8192)(canonical_url)


def url_forms(urls: Iterable[str]) -> set[str]:
    """Each URL as given and canonicalised."""
    out: set[str] = set()
    for url in urls:
        if url:
            url = url.strip()
            out.add(url)
            out.add(cached_canonical(url))
    return out


# ---- the prepare worker ------------------------------------------------------------------------------
def prepared(records: Iterable[ArticleRecord], *, parallel: bool,
             window: int) -> Generator[ArticleRecord | PreparedArticle, None, None]:
    """``records`` in order, prepared by a worker process ``PREPARE_CHUNK`` per message and up to
    ``window`` ahead; without ``parallel``, or when the worker cannot start or dies, the records themselves
    (the caller prepares them). Close the generator to stop the worker."""
    from storage import worker

    helper: worker.ChildWorker | None = None
    if parallel:
        try:
            helper = worker.ChildWorker(WORKER_ENTRY, None, name="kabar-prepare")
        except OSError:
            logger.warning("could not start the prepare worker; preparing in this process", exc_info=True)
    try:
        pending: deque[tuple[list[ArticleRecord], Future[Any] | None]] = deque()
        for chunk in _chunks(records, PREPARE_CHUNK):
            fut = None
            if helper is not None:
                try:
                    fut = helper.submit(chunk)
                except worker.WorkerGone:
                    logger.warning("the prepare worker exited; preparing in this process")
                    helper.close()
                    helper = None
            pending.append((chunk, fut))
            if len(pending) * PREPARE_CHUNK >= window:
                yield from _answers(*pending.popleft())
        while pending:
            yield from _answers(*pending.popleft())
    finally:
        if helper is not None:
            helper.close()


def _answers(chunk: list[ArticleRecord], fut: Future[Any] | None) -> list[ArticleRecord | PreparedArticle]:
    """The worker's answers for ``chunk`` as PreparedArticles, or the records themselves (to be prepared
    by the caller) when the worker failed."""
    if fut is None:
        return list(chunk)
    try:
        answers = fut.result()
    except Exception:
        logger.debug("prepare worker failed; preparing here", exc_info=True)
        return list(chunk)
    return [PreparedArticle(rec, *derived) for rec, derived in zip(chunk, answers, strict=True)]


def _chunks(items: Iterable[ArticleRecord], size: int) -> Iterator[list[ArticleRecord]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _prepare_remote(chunk: list[ArticleRecord]) -> list[tuple[Any, ...]]:
    return [prepare_article(rec, features=True).derived() for rec in chunk]


def serve() -> None:
    """The prepare worker's main (``WORKER_ENTRY``)."""
    from storage import worker

    worker.serve(lambda _setup: _prepare_remote)
