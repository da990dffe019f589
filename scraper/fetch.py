"""Polite, bounded HTTP fetching over one shared ``httpx.Client`` (the transport is injectable).

One :class:`Fetcher` serves a whole run from several threads. For every URL, and again for every redirect
hop, it:

1. checks the host against ``allowed_domains`` and robots.txt (``http.respect_robots``; see
   ``scraper/robots.py``): a 5xx robots.txt closes the host for the run (URLs *skipped*); a robots.txt
   that gives no answer at all (DNS, refused, timeout; retried like any request) closes it too, and its
   URLs count as *failed* because the host is down;
2. waits for its turn on the host (``host:port``): at most ``per_host_concurrency`` requests in flight,
   ``per_host_delay`` seconds between request starts (robots.txt ``Crawl-delay`` wins when larger), no
   request while the host is paused by a ``Retry-After``; and at most ``concurrency`` requests in flight in
   total;
3. sends one GET with the configured User-Agent, ``Accept-Encoding: gzip, deflate`` and, when given,
   ``If-None-Match`` / ``If-Modified-Since``;
4. reads the body as a stream under a total deadline of ``timeout`` seconds (connect to last byte) and
   ``max_bytes`` for the raw and for the decompressed bytes, decompressing gzip/deflate itself so a gzip
   bomb is cut off after ``max_bytes`` of output;
5. retries 5xx, 429, timeouts and connection errors up to ``retries`` extra times: after ``Retry-After``
   (429/503; seconds or HTTP-date; above ``max_retry_after`` the URL fails at once, given up for this run)
   or else after an exponential backoff ``backoff_base * 2**attempt`` with equal jitter,
   capped at ``backoff_max``. Other 4xx are never retried.

Redirects are followed by hand: at most 10 hops, never to a host outside ``allowed_domains`` or to a
non-http(s) scheme (both *skipped*), a URL seen twice in the chain is a loop (*failed*).

Every failure is a :class:`scraper.errors.FetchError` whose one-line message lands in ``pages.error`` and
whose ``outcome`` (``failed`` / ``skipped``) names the run summary column.

Politeness, backoff and the stop event (step 2, the waits of step 5) live in ``scraper/politeness.py``; the
body limits, decompression and the per-attempt deadline (step 4) in ``scraper/fetch_body.py``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from scraper.config import HttpConfig
from scraper.errors import (
    FetchError,
    NotHtmlError,
    RedirectError,
    RetryAfterTooLongError,
    RobotsDisallowedError,
    TooLargeError,
)
from scraper.fetch_body import (
    FEED_TYPES,
    HTML_TYPES,
    SNIFF_FEEDS,
    SNIFF_HTML_ONLY,
    AttemptTimeout,
    arm_deadline,
    deadline_transport,
    disarm_deadline,
    drain,
    parse_content_type,
    read_body,
    sniff,
)
from scraper.fetch_body import one_line as _one_line
from scraper.politeness import FetchStopped, HostGate, Politeness, parse_retry_after
from scraper.robots import MAX_ROBOTS_BYTES, RobotsCache, RobotsResponse
from scraper.urls import HTTP_SCHEMES, host_allowed, host_key

__all__ = [
    "ACCEPT_ENCODING",
    "FEED_TYPES",
    "HTML_TYPES",
    "MAX_REDIRECTS",
    "FetchResult",
    "FetchStopped",
    "Fetcher",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
ACCEPT_ENCODING = "gzip, deflate"
_ACCEPT_HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_ACCEPT_ANY = "application/xml,application/rss+xml,application/atom+xml,text/html;q=0.9,*/*;q=0.5"
# httpx builds a redirect request for every 3xx even with follow_redirects=False, and raises on a hostile
# Location (``javascript:``, bad ports) before we see the response. A response hook moves the header here
# so httpx sees no redirect and we judge the Location ourselves.
_LOCATION = "x-kabar-location"


@dataclass
class FetchResult:
    """A fetched page. ``not_modified`` (a 304) means ``content`` is empty and the stored copy is current."""

    url: str                         # as asked for
    final_url: str                   # after redirects
    status: int
    content: bytes                   # decompressed body, raw bytes (decode_html turns it into text)
    charset: str | None              # from the Content-Type header, if any
    content_type: str                # lower-case MIME type; sniffed when the header was missing
    etag: str | None
    last_modified: str | None
    not_modified: bool = False
    redirects: list[str] = field(default_factory=list)  # URLs that answered with a redirect, in order
    elapsed: float = 0.0             # seconds for the whole fetch, waits and retries included


@dataclass(slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes | None = None
    content_type: str = ""
    charset: str | None = None


def _skipped(message: str, url: str) -> FetchError:
    exc = FetchError(_one_line(message), url=url)
    exc.outcome = "skipped"
    return exc


def _defrag(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _header_text(value: str) -> str:
    """httpx decodes header bytes as latin-1; a UTF-8 Location is restored."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class _NoCookies(httpx.Cookies):
    """News pages are public: no cookie jar, so every request stands alone (and skips the jar's cost)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _Client(httpx.Client):
    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        pass


_NO_COOKIES = _NoCookies()


class Fetcher:
    """Thread-safe polite fetcher. Make one per run; ``close()`` it (or use it as a context manager).

    ``sleep``, ``clock`` (monotonic seconds), ``rand`` (jitter in [0, 1)) and ``wall`` (epoch seconds, for
    an HTTP-date ``Retry-After`` without a ``Date`` header) are injectable so tests are instant and exact.
    ``robots`` lets a long-lived caller share a :class:`RobotsCache` between runs (it must then call
    ``forget_failures()`` when a run starts). When ``stop`` is set no new request starts: waits (for a
    host or global slot, a delay, a backoff) end early, the flag is checked again just before sending, and
    the fetch raises :class:`FetchStopped` (nothing was sent); with ``stop`` and the default ``sleep``, waits
    use ``stop.wait`` so they wake up at once. Requests already sent finish.
    """

    def __init__(self, http: HttpConfig, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], object] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 rand: Callable[[], float] = random.random, wall: Callable[[], float] = time.time,
                 robots: RobotsCache | None = None, stop: threading.Event | None = None,
                 host_gate: HostGate | None = None) -> None:
        self.http = http
        self._polite = Politeness(http, sleep=sleep, clock=clock, rand=rand, stop=stop, gate=host_gate)
        self._clock = clock
        self._wall = wall
        self._timeout = float(http.timeout)
        self._max_bytes = int(http.max_bytes)
        self._robots = robots if robots is not None else RobotsCache(http.user_agent, clock=clock)
        self._token = self._robots.token
        keepalive = max(20, 2 * http.concurrency)
        timeout = httpx.Timeout(self._timeout)  # per socket operation; the total per attempt: arm_deadline
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=keepalive)
        self._client = _Client(
            transport=transport if transport is not None else deadline_transport(limits),
            follow_redirects=False,
            timeout=timeout,
            limits=limits,
            event_hooks={"response": [_hide_location]},
        )
        # Requests are built here rather than by client.build_request (which merges URL, headers, cookies
        # and params on every call): on loopback that bookkeeping is a visible share of each request.
        self._base_headers = {"User-Agent": http.user_agent, "Accept-Encoding": ACCEPT_ENCODING,
                              "Connection": "keep-alive"}
        self._timeout_ext = timeout.as_dict()
        self._robots_headers = {"Accept": "text/plain,*/*;q=0.5"}
        if logging.getLogger("httpx").level == logging.NOTSET:
            # httpx logs every request at INFO; a crawl logs its own outcomes.
            logging.getLogger("httpx").setLevel(logging.WARNING)

    # -- public API ----------------------------------------------------------------------------------

    def fetch(self, url: str, *, allowed_domains: tuple[str, ...], etag: str | None = None,
              last_modified: str | None = None, accept_html_only: bool = True,
              max_bytes: int | None = None) -> FetchResult:
        """GET ``url`` politely; raises a :class:`FetchError` subclass when it cannot be had.

        An empty ``allowed_domains`` means the host of ``url`` (and its subdomains). ``max_bytes`` caps the
        raw and the decompressed body of this fetch (None: ``http.max_bytes``), e.g. for sitemaps.
        """
        started = self._clock()
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
            raise _skipped(f"not an http(s) URL: {url}", url)
        domains = tuple(allowed_domains) or (parts.hostname,)
        limit = self._max_bytes if max_bytes is None else int(max_bytes)
        current = _defrag(url)
        if not host_allowed(current, domains):
            raise _skipped(f"off-site URL ({parts.hostname} is not in allowed_domains)", url)

        headers = {"Accept": _ACCEPT_HTML if accept_html_only else _ACCEPT_ANY}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        redirects: list[str] = []
        seen = {current}
        while True:
            if self.http.respect_robots:
                self._check_robots(current, domains, hop=bool(redirects))
            answer = self._request(current, headers, accept_html_only, limit)
            status = answer.status
            if status in REDIRECT_STATUSES and _LOCATION in answer.headers:
                target = _redirect_target(current, answer.headers[_LOCATION], domains, url, status)
                if target in seen:
                    raise RedirectError("redirect loop", url=url, status=status)
                if len(redirects) >= MAX_REDIRECTS:
                    raise RedirectError(f"too many redirects (more than {MAX_REDIRECTS})", url=url,
                                        status=status)
                redirects.append(current)
                seen.add(target)
                current = target
                continue
            if status == 304:
                if not (etag or last_modified):
                    raise FetchError("HTTP 304 to a request that was not conditional", url=url, status=304)
                return FetchResult(
                    url=url, final_url=current, status=304, content=b"", charset=None, content_type="",
                    etag=answer.headers.get("etag") or etag,
                    last_modified=answer.headers.get("last-modified") or last_modified,
                    not_modified=True, redirects=redirects, elapsed=self._clock() - started)
            if 200 <= status < 300 and answer.body is not None:
                return FetchResult(
                    url=url, final_url=current, status=status, content=answer.body, charset=answer.charset,
                    content_type=answer.content_type, etag=answer.headers.get("etag"),
                    last_modified=answer.headers.get("last-modified"), not_modified=False,
                    redirects=redirects, elapsed=self._clock() - started)
            if 300 <= status < 400:
                raise FetchError(f"HTTP {status} without a usable Location", url=url, status=status)
            raise FetchError(f"HTTP {status}", url=url, status=status)

    def robots_sitemaps(self, url: str) -> list[str]:
        """``Sitemap:`` URLs from the robots.txt of ``url``'s host (fetched if needed, even when
        ``respect_robots`` is off, since it only serves discovery)."""
        host = urlsplit(url).hostname or ""
        return list(self._robots.rules(url, self._fetch_robots, (host,)).sitemaps)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- robots --------------------------------------------------------------------------------------

    def _check_robots(self, url: str, domains: tuple[str, ...], *, hop: bool) -> None:
        rules = self._robots.rules(url, self._fetch_robots, domains)
        if rules.unreachable is not None:
            self._polite.check_stop(url)
            if rules.no_answer:
                # The host itself is down (DNS, refused, timeout): a failure, not a deliberate skip.
                exc = RobotsDisallowedError(_one_line(
                    f"{rules.unreachable}; robots.txt unreachable, host treated as disallowed for this run"),
                    url=url)
                exc.outcome = "failed"
                raise exc
            raise RobotsDisallowedError(f"{rules.unreachable}: host treated as disallowed for this run",
                                        url=url)
        if rules.crawl_delay is not None:
            self._polite.apply_crawl_delay(rules.host_key, rules.crawl_delay)
        if not rules.allows(url, self._token):
            msg = "disallowed by robots.txt"
            raise RobotsDisallowedError(_one_line(f"{msg}: redirect to {url}") if hop else msg, url=url)

    def _fetch_robots(self, url: str) -> RobotsResponse:
        """One robots.txt request for RobotsCache (redirects not followed). Timeouts and connection
        errors are retried like any request; an HTTP status, 5xx included, is returned as it came."""
        limit = min(self._max_bytes, MAX_ROBOTS_BYTES)
        slot = self._polite.slot(host_key(url))
        retries = max(0, int(self.http.retries))
        attempt = 0
        while True:
            with self._polite.turn(slot, url):
                try:
                    answer = self._attempt(url, self._robots_headers, None, limit, truncate=True)
                    break
                except AttemptTimeout:
                    failure = f"timed out after {self._timeout:g}s"
                except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                    raise FetchError(_transport_message(exc), url=url) from None
                except httpx.TransportError as exc:
                    failure = _transport_message(exc, self._timeout)
            if attempt >= retries:
                raise FetchError(_one_line(failure + (f" (after {attempt + 1} attempts)" if attempt else "")),
                                 url=url)
            self._polite.wait(self._polite.backoff(attempt), url)
            attempt += 1
        location = answer.headers.get(_LOCATION)
        return RobotsResponse(status=answer.status, body=answer.body or b"",
                              location=_header_text(location) if location else None)

    # -- one URL, with retries -------------------------------------------------------------------------

    def _request(self, url: str, headers: dict[str, str], accept_html_only: bool, limit: int) -> _Answer:
        key = host_key(url)
        slot = self._polite.slot(key)
        retries = max(0, int(self.http.retries))
        max_wait = float(self.http.max_retry_after)
        attempt = 0
        while True:
            retry_after: float | None = None
            status: int | None = None
            with self._polite.turn(slot, url):
                try:
                    answer = self._attempt(url, headers, accept_html_only, limit)
                except AttemptTimeout:
                    failure = f"timed out after {self._timeout:g}s"
                except httpx.UnsupportedProtocol as exc:
                    raise FetchError(_transport_message(exc), url=url) from None
                except httpx.TransportError as exc:
                    failure = _transport_message(exc, self._timeout)
                except httpx.InvalidURL as exc:
                    raise FetchError(_one_line(f"invalid URL: {exc}"), url=url) from None
                else:
                    status = answer.status
                    if status < 500 and status != 429:
                        return answer
                    failure = f"HTTP {status}"
                    if status in RETRY_AFTER_STATUSES:
                        retry_after = parse_retry_after(answer.headers.get("retry-after"),
                                                        date=answer.headers.get("date"), wall=self._wall)
                    if retry_after is not None:
                        now = self._clock()
                        if retry_after > max_wait:
                            reason = (f"Retry-After {retry_after:g}s (HTTP {status}) is longer than "
                                      f"max_retry_after {max_wait:g}s: URL given up for this run")
                            raise RetryAfterTooLongError(reason, url=url, status=status)
                        self._polite.pause(slot, now + retry_after)  # for every thread
            if attempt >= retries:
                if attempt:
                    failure += f" (after {attempt + 1} attempts)"
                raise FetchError(_one_line(failure), url=url, status=status)
            if retry_after is None:
                delay = self._polite.backoff(attempt)
                logger.debug("retrying %s in %.2fs after %s", url, delay, failure)
                self._polite.wait(delay, url)
            else:
                logger.debug("retrying %s after Retry-After %gs (%s)", url, retry_after, failure)
            attempt += 1

    def _attempt(self, url: str, headers: dict[str, str], accept_html_only: bool | None, limit: int,
                 truncate: bool = False) -> _Answer:
        """One GET. Reads the body only for a 2xx (``accept_html_only`` None: any content type)."""
        deadline = self._clock() + self._timeout
        timeouts = dict(self._timeout_ext)
        request = httpx.Request("GET", url, headers={**self._base_headers, **headers},
                                extensions={"timeout": timeouts})
        arm_deadline(self._timeout)
        try:
            response = self._client.send(request, stream=True)
        except BaseException:
            disarm_deadline()
            raise
        try:
            remaining = deadline - self._clock()
            if remaining < 0:
                raise AttemptTimeout
            # httpcore reads the body's read timeout when the body starts: only what is left may be waited.
            timeouts["read"] = max(0.001, min(self._timeout, remaining))
            status = response.status_code
            answer = _Answer(status, response.headers)
            if not 200 <= status < 300:
                drain(response, deadline, self._clock)
                return answer
            mime, charset = parse_content_type(response.headers.get("content-type", ""))
            answer.charset = charset
            sniff_types = SNIFF_HTML_ONLY if accept_html_only else SNIFF_FEEDS
            if accept_html_only is not None and mime not in sniff_types and mime not in HTML_TYPES and (
                    accept_html_only or not (mime in FEED_TYPES or mime.endswith("+xml"))):
                raise NotHtmlError(_one_line(f"not HTML ({mime})"), url=url, status=status)
            if not truncate:
                length = response.headers.get("content-length", "")
                if length.strip().isdigit() and int(length) > limit:
                    raise TooLargeError(f"response larger than {limit} bytes", url=url, status=status)
            body = read_body(response, deadline, limit, truncate, url, self._clock)
            if accept_html_only is not None and mime in sniff_types:
                sniffed = sniff(body, allow_gzip=not accept_html_only)
                if sniffed is None:
                    what = f"({mime}, " if mime else "(no Content-Type, "
                    raise NotHtmlError(f"not HTML {what}body is not markup)", url=url, status=status)
                mime = sniffed
            answer.body = body
            answer.content_type = mime
            return answer
        finally:
            disarm_deadline()
            response.close()

def _redirect_target(current: str, location: str, domains: tuple[str, ...], url: str, status: int) -> str:
    """The checked, defragmented target of a redirect (RedirectError when it may not be followed)."""
    location = _header_text(location).strip()
    try:
        target = urljoin(current, location)
        parts = urlsplit(target)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise RedirectError(_one_line(f"redirect to an invalid URL: {location} ({exc})"), url=url,
                            status=status) from None
    if parts.scheme.lower() not in HTTP_SCHEMES:
        raise RedirectError(_one_line(f"non-http(s) redirect to {target}"), url=url, status=status,
                            outcome="skipped")
    if not parts.hostname or not host_allowed(target, domains):
        raise RedirectError(_one_line(f"off-site redirect to {parts.hostname or target}"), url=url,
                            status=status, outcome="skipped")
    return _defrag(target)


def _hide_location(response: httpx.Response) -> None:
    if "location" in response.headers:
        response.headers[_LOCATION] = response.headers["location"]
        del response.headers["location"]


def _transport_message(exc: Exception, timeout: float = 0.0) -> str:
    """One line for a transport failure: ``cannot connect: ...``, ``timed out: ...``, ``connection error: ...``."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return _one_line(f"cannot connect: connect timed out ({detail})")
    if isinstance(exc, httpx.ConnectError):
        return _one_line(f"cannot connect: {detail}")
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g}s" if timeout else _one_line(f"timed out: {detail}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return _one_line(f"unsupported URL: {detail}")
    if isinstance(exc, httpx.InvalidURL):
        return _one_line(f"invalid URL: {detail}")
    return _one_line(f"connection error: {type(exc).__name__}: {detail}")
