"""Parse + judge one fetched page, here or in the parse worker process of a bulk run.

A bulk run parses in one worker process (:class:`storage.worker.ChildWorker`), so that the crawling
process only fetches and stores: under the GIL parsing would take its CPU from the writing thread, the
bottleneck of a large run. The worker gets a :class:`ParseSetup` once, then ``(bytes, URLs)`` per page, and
answers each with a :class:`~storage.records.PageVerdict` (a picklable dataclass): the article's record
with what the store derives before writing (hashes, story features, computed there so that the writing
thread does not), or why the page is not stored. The first page of a multi-page article comes back as
``multipage``: the whole article is then parsed where its further pages are fetched.
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from scraper.article import Article
from scraper.config import ParseProfile
from scraper.parse import parse_html
from scraper.record import Scope, unparseable, verdict
from storage import worker
from storage.records import PageVerdict

log = logging.getLogger(__name__)

ENTRY = "scraper.parse_worker:main"


@dataclass(frozen=True)
class ParseSetup:
    """What every page of one source is parsed and judged with (sent to the worker once)."""

    scope: Scope
    profile: ParseProfile | None = None


@dataclass(frozen=True)
class FetchedPage:
    """One fetched page to parse: its bytes and the URLs it was asked for and answered at."""

    content: bytes
    final_url: str
    charset: str | None
    requested_url: str
    aliases: tuple[str, ...] = ()


class StitchFailed(Exception):
    """A further page of a multi-page article could not be had: the article fails with this reason."""


# Stitch: the parsed first page -> the whole article (fetches and parses its further pages), or None to
# leave a multi-page article to the process that can fetch.
Stitch = Callable[[Article], Article]


def parse_and_judge(page: FetchedPage, setup: ParseSetup, *, prepare: bool = False,
                    stitch: Stitch | None = None) -> PageVerdict:
    """Parse ``page``, stitch its further pages (with ``stitch``), judge it and convert it (never raises)."""
    t0 = time.process_time()
    try:
        article = parse_html(page.content, page.final_url, profile=setup.profile, charset=page.charset)
        if article.next_pages:
            if stitch is None:
                return PageVerdict(multipage=True, parse_s=time.process_time() - t0)
            article = stitch(article)
        decided = verdict(article, setup.scope, page.requested_url, page.final_url, page.aliases, prepare=prepare)
        return dataclasses.replace(decided, parse_s=time.process_time() - t0)   # judging and preparing too
    except StitchFailed as exc:
        return PageVerdict("failed", str(exc), parse_s=time.process_time() - t0)
    except Exception as exc:
        log.debug("unparseable page %s", page.requested_url, exc_info=True)
        return PageVerdict(*unparseable(exc), parse_s=time.process_time() - t0)


# ---- the worker process ---------------------------------------------------------------------------

def _serve_setup(setup: ParseSetup) -> Callable[[FetchedPage], PageVerdict]:
    def handle(page: FetchedPage) -> PageVerdict:
        return parse_and_judge(page, setup, prepare=True)
    return handle


def main() -> None:
    """The parse worker's main (``ChildWorker(ENTRY, setup)``)."""
    worker.serve(_serve_setup)


class ParseProcess:
    """The crawling process's end of the parse worker (thread-safe; each caller waits for its answer)."""

    def __init__(self, child: worker.ChildWorker) -> None:
        self.child = child

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        """The child process (tests, diagnostics)."""
        return self.child.proc

    def parse(self, page: FetchedPage) -> PageVerdict | None:
        """The worker's verdict on ``page``; None when the worker is gone (killed, out of memory): the caller
        parses in its own process then."""
        try:
            answer: PageVerdict = self.child.call(page)
        except Exception:
            log.debug("parse worker unavailable for %s; parsing here", page.requested_url, exc_info=True)
            return None
        return answer

    def close(self) -> None:
        self.child.close()


def start_parse_process(setup: ParseSetup) -> ParseProcess | None:
    """Start a parse worker for ``setup``; None (logged) when it cannot start: the crawl parses itself."""
    try:
        return ParseProcess(worker.ChildWorker(ENTRY, setup, name="kabar-parse"))
    except (OSError, ValueError):
        log.warning("%s: could not start the parse worker; parsing in the crawling process",
                    setup.scope.source, exc_info=True, extra={"source": setup.scope.source})
        return None
