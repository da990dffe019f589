"""robots.txt per host:port, parsed by Protego (Scrapy's parser), with the rules of RFC 9309.

* 2xx: the file's rules for our user agent's product token (``kabar`` from ``kabar/0.1 (+...)``).
* 4xx (except 429): "unavailable", everything is allowed.
* 5xx, 429, or no answer at all (DNS, refused, timeout): "unreachable", the whole host is treated as
  disallowed for this run.
* 3xx: followed, at most 5 hops, within the same host or to another allowed host. More hops, an off-site or
  non-http(s) target count as "unavailable" (allow all), as RFC 9309 2.3.1.2 permits.

Good answers (2xx and 4xx) are cached for at most 24 hours. Failures are cached only until
:meth:`RobotsCache.forget_failures` (the fetcher of one run owns its cache by default, so a failure never
outlives the run). One lock per host key makes sure two threads never both download the same robots.txt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from protego import Protego

from scraper.errors import FetchError
from scraper.urls import HTTP_SCHEMES, host_allowed, host_key

__all__ = [
    "DEFAULT_TTL",
    "MAX_ROBOTS_BYTES",
    "MAX_ROBOTS_REDIRECTS",
    "RobotsCache",
    "RobotsResponse",
    "RobotsRules",
    "product_token",
    "robots_url",
]

logger = logging.getLogger(__name__)

DEFAULT_TTL = 24 * 3600.0
MAX_ROBOTS_REDIRECTS = 5
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 2.5: parse at least 500 KiB; the rest is ignored


@dataclass(frozen=True)
class RobotsResponse:
    """One HTTP answer to a robots.txt request (redirects are not followed by the caller)."""

    status: int
    body: bytes = b""
    location: str | None = None


# Fetches one URL without following redirects; raises FetchError when no answer came back.
RobotsFetch = Callable[[str], RobotsResponse]


@dataclass(frozen=True)
class RobotsRules:
    """What robots.txt of one host says. ``unreachable`` is the reason when the host is off limits."""

    host_key: str
    fetched_at: float
    parser: Protego | None = None           # None: everything allowed (no usable file)
    unreachable: str | None = None          # set: everything disallowed for this run
    no_answer: bool = False                 # unreachable because no HTTP answer came (DNS, refused, timeout)
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """A good answer (cacheable for 24 h), as opposed to an unreachable robots.txt."""
        return self.unreachable is None

    def allows(self, url: str, token: str) -> bool:
        if self.unreachable is not None:
            return False
        if self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, token))


def product_token(user_agent: str) -> str:
    """RFC 9309 matches groups against the product token: ``kabar`` for ``kabar/0.1 (+https://...)``."""
    token = user_agent.strip().split("/", 1)[0].split(None, 1)
    return token[0] if token else user_agent


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc}/robots.txt"


class RobotsCache:
    """robots.txt answers per host:port. Thread-safe; the clock is injectable (monotonic seconds)."""

    def __init__(self, user_agent: str, *, clock: Callable[[], float] = time.monotonic,
                 ttl: float = DEFAULT_TTL) -> None:
        self.user_agent = user_agent
        self.token = product_token(user_agent)
        self._clock = clock
        self._ttl = ttl
        self._entries: dict[str, RobotsRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    # -- queries -------------------------------------------------------------------------------------

    def rules(self, url: str, fetch: RobotsFetch, allowed_domains: tuple[str, ...] = ()) -> RobotsRules:
        """The rules for ``url``'s host, downloading robots.txt through ``fetch`` when not cached."""
        key = host_key(url)
        entry = self._fresh(key)
        if entry is not None:
            return entry
        with self._lock_for(key):
            entry = self._fresh(key)  # another thread may have fetched it while we waited
            if entry is None:
                entry = self._download(url, key, fetch, allowed_domains)
                self._entries[key] = entry
            return entry

    def cached(self, key: str) -> RobotsRules | None:
        """The cached answer for a host key, fresh or not yet expired, without fetching."""
        return self._fresh(key)

    def sitemaps(self, key: str) -> list[str]:
        """``Sitemap:`` URLs of a host's robots.txt (empty when unknown or unreachable)."""
        entry = self._fresh(key)
        return list(entry.sitemaps) if entry is not None else []

    def forget_failures(self) -> None:
        """Drop the unreachable answers so the next run asks those hosts again."""
        with self._guard:
            for key in [k for k, e in self._entries.items() if not e.ok]:
                del self._entries[key]

    # -- internals -----------------------------------------------------------------------------------

    def _fresh(self, key: str) -> RobotsRules | None:
        entry = self._entries.get(key)
        if entry is not None and self._clock() - entry.fetched_at < self._ttl:
            return entry
        return None

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    def _download(self, url: str, key: str, fetch: RobotsFetch,
                  allowed_domains: tuple[str, ...]) -> RobotsRules:
        current = robots_url(url)
        origin_host = urlsplit(current).hostname or ""
        domains = tuple(allowed_domains) + (origin_host,)
        for _hop in range(MAX_ROBOTS_REDIRECTS + 1):
            try:
                resp = fetch(current)
            except FetchError as exc:
                return self._unreachable(key, str(exc), no_answer=True)
            status = resp.status
            if 200 <= status < 300:
                return self._parse(key, resp.body, current)
            if status in (301, 302, 303, 307, 308) and resp.location:
                target = urljoin(current, resp.location.strip())
                if urlsplit(target).scheme.lower() not in HTTP_SCHEMES or not host_allowed(target, domains):
                    logger.info("robots.txt of %s redirects off-site to %s: treated as absent", key, target)
                    return self._allow_all(key)
                current = target
                continue
            if status == 429 or status >= 500:
                return self._unreachable(key, f"robots.txt unavailable (HTTP {status})")
            if 400 <= status < 500 or 300 <= status < 400:
                return self._allow_all(key)
            return self._unreachable(key, f"robots.txt unavailable (HTTP {status})")
        logger.info("robots.txt of %s: more than %d redirects, treated as absent", key, MAX_ROBOTS_REDIRECTS)
        return self._allow_all(key)

    def _parse(self, key: str, body: bytes, base: str) -> RobotsRules:
        text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
        parser = Protego.parse(text)
        delay = parser.crawl_delay(self.token)
        return RobotsRules(host_key=key, fetched_at=self._clock(), parser=parser,
                           crawl_delay=float(delay) if delay is not None else None,
                           sitemaps=tuple(dict.fromkeys(urljoin(base, s.strip()) for s in parser.sitemaps)))

    def _allow_all(self, key: str) -> RobotsRules:
        return RobotsRules(host_key=key, fetched_at=self._clock())

    def _unreachable(self, key: str, reason: str, *, no_answer: bool = False) -> RobotsRules:
        """``reason``: ``robots.txt unavailable (HTTP 503)``, or the fetch error when no answer came."""
        logger.warning("robots.txt of %s: %s: host treated as disallowed for this run", key, reason)
        return RobotsRules(host_key=key, fetched_at=self._clock(), unreachable=reason, no_answer=no_answer)
