"""Plan: which discovered article URLs this run fetches, in which order, with which validators."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from scraper.frontier import Candidate
from storage.records import PageState
from storage.util import format_time


@dataclass(frozen=True)
class Job:
    """One article URL to fetch, with what the store knows of it (conditional GET, unchanged 304s)."""

    url: str
    aliases: tuple[str, ...]
    etag: str | None = None
    last_modified: str | None = None
    previous_hash: str | None = None
    known: bool = False


def plan(candidates: Iterable[Candidate], max_pages: int, *, recheck_days: float,
         article_for_url: Callable[[str], tuple[int, str] | None],
         page_state: Callable[[str], PageState | None], now: datetime | None = None,
         gone: Mapping[str, str | None] | None = None, fresh_since: str | None = None) -> list[Job]:
    """New URLs (newest first), then known ones whose lastmod moved, then recently first seen ones.

    ``article_for_url`` and ``page_state`` are the store's lookups (asked only for candidates discovery
    did not look up already). ``gone``: the URLs that answered 404/410 ``http.gone_after`` times in a row,
    each with the time of its last answer; one is left out (not fetched, not counted) unless its sitemap
    lastmod is newer than that answer. A known URL fetched at or after ``fresh_since`` (a stored time) is
    not fetched again. At most ``max_pages`` jobs.
    """
    # newest first (sort is stable, so undated ones keep discovery order, after the dated ones)
    ordered = sorted(candidates, key=lambda c: c.date or "", reverse=True)
    recheck_after = format_time((now or datetime.now(UTC)) - timedelta(days=recheck_days))
    new: list[Job] = []
    changed: list[Job] = []
    recent: list[Job] = []
    for cand in ordered:
        if gone and cand.url in gone and not _moved(cand.date, gone[cand.url]):
            continue
        aliases = tuple(sorted(cand.aliases))
        known = cand.known if cand.checked else article_for_url(cand.url)
        if known is None:
            if len(new) < max_pages:
                new.append(Job(cand.url, aliases))
            continue
        _article_id, first_seen = known
        state = page_state(cand.url)
        fetched_at = state.fetched_at if state else None
        if fresh_since is not None and fetched_at is not None and fetched_at >= fresh_since:
            continue
        if _moved(cand.date, fetched_at):
            bucket = changed
        elif first_seen and first_seen > recheck_after:
            bucket = recent
        else:
            continue
        bucket.append(Job(cand.url, aliases, etag=state.etag if state else None,
                          last_modified=state.last_modified if state else None,
                          previous_hash=state.content_hash if state else None, known=True))
    return (new + changed + recent)[:max_pages]


def _moved(lastmod: str | None, fetched_at: str | None) -> bool:
    """The sitemap's lastmod is newer than our last fetch (or we never fetched the URL)."""
    return bool(lastmod) and (fetched_at is None or str(lastmod) > fetched_at)
