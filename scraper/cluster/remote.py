"""A worker's side of one run: what :func:`scraper.pipeline.crawl_source` asks of the store, in PostgreSQL.

:class:`RemoteRun` stands in for the :class:`storage.store.Store` of a one-machine crawl: its lookups
(known article URLs, fetch state, gone pages) read the frontier mirror (:mod:`storage.pg_frontier`), and
what a crawl would write (the run's start and end, each document's fetch state, each article outcome with
its prepared article) is posted to the writer (:mod:`storage.pg_queue`). It never touches SQLite. The
counts it returns are provisional: the writer counts each outcome again as it stores it, and its counts
are the run's.

:class:`HostGate` holds a PostgreSQL lease per host:port around every request (:mod:`storage.pg_hosts`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from scraper.politeness import FetchStopped
from scraper.robots import RobotsCache, RobotsFetch, RobotsResponse, RobotsRules
from storage import pg_frontier, pg_hosts, pg_queue
from storage.outcome import Counted
from storage.pg_conn import ClusterError, PgLink
from storage.prepare import prepare_article
from storage.records import RUN_COUNTS, ArticleRecord, PageOutcome, PageState, PageUpdate

log = logging.getLogger(__name__)

OUTCOME_COLUMNS = RUN_COUNTS[2:]
ROBOTS_SHARED_S = 3600.0     # how long one worker's robots.txt answer serves every worker


class RemoteRun:
    """The store and recorder of one run on a worker (its calling thread only)."""

    def __init__(self, link: PgLink, run_key: str, attempt: int) -> None:
        self.link = link
        self.run_key = run_key
        self.attempt = attempt
        self.provisional = dict.fromkeys(OUTCOME_COLUMNS, 0)   # article outcomes as counted here
        self.final = True          # False: the run is abandoned, the job retried elsewhere
        self.finished: dict[str, Any] | None = None

    def _post(self, kind: str, payload: Any) -> None:
        self.link.run(lambda c: pg_queue.post(c, self.run_key, self.attempt, kind, payload))

    # -- what the crawl reads ------------------------------------------------------------------------

    def article_for_url(self, url: str) -> tuple[int, str] | None:
        return self.link.run(lambda c: pg_frontier.article_for_url(c, url))

    def page_state(self, url: str) -> PageState | None:
        return self.link.run(lambda c: pg_frontier.page_state(c, url))

    def gone_pages(self, source: str, gone_after: int) -> dict[str, str | None]:
        return self.link.run(lambda c: pg_frontier.gone_pages(c, source, gone_after))

    # -- what the crawl writes -----------------------------------------------------------------------

    def start_run(self, source: str, *, now: str | None = None) -> int:
        self._post("start", {"source": source, "started_at": now})
        return self.attempt

    def record_outcome(self, page: PageUpdate, **_: Any) -> None:
        """A listing's, feed's or sitemap's fetch state (article outcomes go through :meth:`record`)."""
        self._post("doc", page)

    def record(self, outcome: PageOutcome, *, direct: frozenset[str], gone_after: int) -> Counted:
        """Post one article outcome, its article prepared here (the archive-independent part)."""
        article = outcome.article
        declared_direct = False
        if isinstance(article, ArticleRecord):
            declared_direct = bool(article.canonical_url) and article.canonical_url in direct
            outcome = PageOutcome(outcome.page, outcome.outcome, outcome.reason,
                                  prepare_article(article, features=True), outcome.not_modified,
                                  outcome.fetch_s, outcome.parse_s)
        self._post("page", {"outcome": outcome, "declared_direct": declared_direct})
        if outcome.outcome is not None:
            column = outcome.outcome
        elif outcome.not_modified:
            column = "unchanged"
        else:
            column = "updated" if self.article_for_url(outcome.url) else "new"
        self.provisional[column] += 1
        return Counted(column)

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, int], *, now: str | None = None,
                   error: str | None = None) -> None:
        """The run's end: the worker's counts of documents (what is not an article outcome) travel too."""
        docs = {k: int(counts.get(k, 0)) - self.provisional.get(k, 0) for k in OUTCOME_COLUMNS}
        self.finished = {"status": status, "discovered": int(counts.get("discovered", 0)),
                         "fetched": int(counts.get("fetched", 0)), "documents": docs, "finished_at": now,
                         "error": error, "final": self.final}
        self._post("finish", self.finished)

    def batch(self, **_: Any) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class SharedRobots(RobotsCache):
    """A run's robots.txt cache whose answers come from, and go to, ``kabar_robots``: one worker's
    request serves the whole cluster for :data:`ROBOTS_SHARED_S`. Failures (no answer, 5xx, 429) are not
    shared: each run asks again, as on one machine."""

    def __init__(self, user_agent: str, link: PgLink) -> None:
        super().__init__(user_agent)
        self.link = link

    def rules(self, url: str, fetch: RobotsFetch, allowed_domains: tuple[str, ...] = ()) -> RobotsRules:
        def shared(robots_url: str) -> RobotsResponse:
            got = self.link.run(lambda c: pg_frontier.robots_answer(c, robots_url, ROBOTS_SHARED_S))
            if got is not None:
                return RobotsResponse(*got)
            resp = fetch(robots_url)
            if resp.status < 500 and resp.status != 429:
                self.link.run(lambda c: pg_frontier.save_robots_answer(c, robots_url, resp.status, resp.body,
                                                                       resp.location))
            return resp

        return super().rules(url, shared, allowed_domains)


def host_key(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


class HostGate:
    """``gate(url, delay)``: a context holding a cluster-wide lease on the URL's host:port (thread-safe)."""

    def __init__(self, dsn: str, *, concurrency: int, lease_s: float, stop: threading.Event,
                 margin: float = 0.0) -> None:
        self.link = PgLink(dsn, stop=stop)
        self.concurrency = max(1, concurrency)
        self.lease_s = lease_s
        self.stop = stop
        self.margin = margin

    @contextlib.contextmanager
    def __call__(self, url: str, delay: float) -> Iterator[None]:
        host = host_key(url)
        token = uuid.uuid4().hex
        while True:
            if self.stop.is_set():
                raise FetchStopped("stopped before the request was sent", url=url)
            wait = self.link.run(lambda c: pg_hosts.try_acquire(
                c, host, token, delay=delay + self.margin, concurrency=self.concurrency, lease_s=self.lease_s))
            if wait is None:
                break
            if self.stop.wait(min(max(wait, 0.005), 1.0)):
                raise FetchStopped("stopped before the request was sent", url=url)
        try:
            yield
        finally:
            try:
                self.link.run(lambda c: pg_hosts.release(c, host, token))
            except ClusterError as exc:    # stopped while PostgreSQL is away: the lease expires by itself
                log.debug("could not release the lease on %s: %s", host, exc)

    def close(self) -> None:
        self.link.close()
