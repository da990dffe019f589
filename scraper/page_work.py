"""Fetch + parse + prepare one article URL: a :class:`~scraper.plan.Job` in, a ``PageOutcome`` out.

The fetch side of the crawl's seam: it may run in any thread (the crawl's worker pool), in any process,
later on any machine; it writes nothing. What it returns, a :class:`~storage.records.PageOutcome` (plain,
picklable data), is recorded by the single writer with :func:`storage.outcome.apply_outcome`. The pages are
parsed by the run's parse worker (:class:`~scraper.parse_worker.ParseService`), within its per-document
deadline and memory cap: a page over it fails with the reason (``parse timeout after 30 s``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time

from scraper.article import Article
from scraper.errors import FetchError
from scraper.fetch import Fetcher, FetchStopped
from scraper.pages import fetch_and_stitch
from scraper.parse_worker import (
    FetchedPage,
    OverBudget,
    ParseService,
    ParseSetup,
    StitchFailed,
    WorkStopped,
    parse_and_judge,
    parse_page,
)
from scraper.plan import Job
from scraper.rules import MAX_NEXT_PAGES
from storage.records import PageOutcome, PageUpdate, PageVerdict
from storage.urls import canonical_url

log = logging.getLogger(__name__)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class PageWork:
    """Fetch, parse and judge article URLs of one source (thread-safe: the Fetcher keeps politeness)."""

    def __init__(self, fetcher: Fetcher, setup: ParseSetup, *, max_next_pages: int = MAX_NEXT_PAGES,
                 parser: ParseService | None = None) -> None:
        self.fetcher = fetcher
        self.setup = setup
        self.source = setup.scope.source
        self.domains = setup.scope.allowed_domains
        self.max_next_pages = max_next_pages
        self.parser = parser      # the run's parse worker; None: parse in this thread

    def process(self, job: Job) -> PageOutcome | None:
        """The outcome of one article URL (never raises); None when the stop event came before the
        request was sent (not fetched, not counted)."""
        t0 = time.perf_counter()
        try:
            res = self.fetcher.fetch(job.url, allowed_domains=self.domains, etag=job.etag,
                                     last_modified=job.last_modified)
        except FetchStopped:
            return None
        except FetchError as exc:
            return PageOutcome(PageUpdate(job.url, self.source, exc.status, error=str(exc)), exc.outcome,
                               str(exc), fetch_s=time.perf_counter() - t0)
        except Exception as exc:
            log.debug("unexpected error fetching %s", job.url, exc_info=True)
            reason = f"unexpected error: {type(exc).__name__}: {exc}"
            return PageOutcome(PageUpdate(job.url, self.source, None, error=reason), "failed", reason,
                               fetch_s=time.perf_counter() - t0)
        fetch_s = time.perf_counter() - t0
        if res.not_modified:
            page = PageUpdate(job.url, self.source, res.status, res.etag or job.etag,
                              res.last_modified or job.last_modified, job.previous_hash)
            return PageOutcome(page, not_modified=True, fetch_s=fetch_s)
        fetched = FetchedPage(res.content, res.final_url, res.charset, job.url, job.aliases)
        further = _FurtherPages(self, job.url)
        try:
            answer = self._parse(fetched, further)
        except WorkStopped:
            return None   # stopped while its page was parsed: not counted, fetched again next run
        page = PageUpdate(job.url, self.source, res.status, res.etag, res.last_modified,
                          content_hash(res.content), answer.reason)
        return PageOutcome(page, answer.outcome, answer.reason, answer.article,
                           fetch_s=fetch_s + further.fetch_s, parse_s=answer.parse_s)

    def _parse(self, fetched: FetchedPage, further: _FurtherPages) -> PageVerdict:
        answer: PageVerdict | None = None
        if self.parser is not None:
            try:
                answer = self.parser.request("page", fetched)
            except OverBudget as exc:
                return PageVerdict("failed", str(exc))
        if answer is None or answer.multipage:   # no worker, or a multi-page article: stitched here
            t1 = time.perf_counter()
            parse = self.parser.parse if self.parser is not None else None
            answer = parse_and_judge(fetched, self.setup, parse=parse,
                                     stitch=functools.partial(self._stitch, further=further))
            answer = PageVerdict(answer.outcome, answer.reason, answer.article,
                                 parse_s=time.perf_counter() - t1 - further.fetch_s)
        return answer
    def _stitch(self, first: Article, further: _FurtherPages) -> Article:
        """The whole multi-page article, stitched as ``kabar parse URL`` stitches it."""
        return fetch_and_stitch(first, further, key=canonical_url, max_pages=self.max_next_pages)


class _FurtherPages:
    """``fetch(url)`` for :func:`fetch_and_stitch`: fetch and parse one further page of an article.

    A page that cannot be fetched fails the whole article (:class:`StitchFailed`, naming the page); the URL
    asked for before a redirect is not fetched again.
    """

    def __init__(self, work: PageWork, requested_url: str) -> None:
        self.work = work
        self.requested_url = requested_url
        self.page = 1              # pages had so far, the first included
        self.fetch_s = 0.0

    def __call__(self, url: str) -> Article | None:
        if canonical_url(url) == canonical_url(self.requested_url):
            return None
        work = self.work
        t0 = time.perf_counter()
        try:
            got = work.fetcher.fetch(url, allowed_domains=work.domains)
        except FetchError as exc:
            raise StitchFailed(f"page {self.page + 1} ({url}): {exc}") from exc
        finally:
            self.fetch_s += time.perf_counter() - t0
        self.page += 1
        page = FetchedPage(got.content, got.final_url, got.charset, url)
        if work.parser is not None:
            return work.parser.parse(page)    # OverBudget fails the whole article (parse_and_judge)
        return parse_page(page, work.setup.profile)
