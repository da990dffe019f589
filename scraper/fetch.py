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
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
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
# Content types a page fetch accepts; feeds and sitemaps (accept_html_only=False) accept FEED_TYPES too.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({
    "application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    "text/plain", "application/gzip", "application/x-gzip",
})
# Types that say nothing: the body decides (sniffed after reading). octet-stream only for feeds/sitemaps.
_SNIFF_HTML_ONLY = frozenset({""})
_SNIFF_FEEDS = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_ACCEPT_HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_ACCEPT_ANY = "application/xml,application/rss+xml,application/atom+xml,text/html;q=0.9,*/*;q=0.5"
_DRAIN_BYTES = 64 * 1024  # small error/redirect bodies are read so the connection can be reused
_GZIP = 16 + zlib.MAX_WBITS
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
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


class FetchStopped(FetchError):
    """The ``stop`` event was set while the fetch was waiting for its turn: no request was sent."""

    outcome = "skipped"


class _AttemptTimeout(Exception):
    """The total deadline of one attempt passed."""


class _Overflow(Exception):
    """More than the allowed bytes came out of a decoder."""


@dataclass(slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes | None = None
    content_type: str = ""
    charset: str | None = None


class _Slot:
    """Politeness state of one host:port."""

    __slots__ = ("delay", "last_start", "lock", "paused_until", "sem")

    def __init__(self, concurrency: int, delay: float) -> None:
        self.sem = threading.Semaphore(max(1, concurrency))
        self.lock = threading.Lock()
        self.delay = delay
        self.last_start = -math.inf
        self.paused_until = -math.inf

    def ready_at(self) -> float:
        return max(self.last_start + self.delay, self.paused_until)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def _parse_content_type(value: str) -> tuple[str, str | None]:
    mime, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset":
            charset = val.strip().strip("\"'").strip() or None
    return mime.strip().lower(), charset


def _sniff(body: bytes, allow_gzip: bool) -> str | None:
    """The type of a body whose Content-Type said nothing: markup, or (feeds only) a gzip file."""
    if allow_gzip and body[:2] == b"\x1f\x8b":
        return "application/gzip"
    head = body[:1024]
    if head.startswith(_BOMS[1:]):
        text = head.decode("utf-16", errors="ignore").lstrip()
    else:
        text = head.removeprefix(_BOMS[0]).decode("latin-1").lstrip()
    if not text.startswith("<"):
        return None
    low = text[:200].lower()
    if low.startswith(("<?xml", "<rss", "<feed", "<urlset", "<sitemapindex", "<rdf")):
        return "application/xml"
    return "text/html"


def parse_retry_after(value: str | None, *, date: str | None = None,
                      wall: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    An HTTP-date is measured from the response's ``Date`` header when there is one (the server's own
    clock, immune to skew), else from ``wall()``. A date in the past gives 0. Unparseable gives None.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    when = _http_date(value)
    if when is None:
        return None
    ref = _http_date(date) if date else None
    return max(0.0, when - (ref if ref is not None else wall()))


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


class _Inflater:
    """Incremental gzip/deflate decoder that never produces more than ``limit`` bytes in total."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.gzip = encoding in ("gzip", "x-gzip")
        self.limit = limit
        self.total = 0
        self._d = zlib.decompressobj(_GZIP) if self.gzip else None
        self._pending = b""   # deflate: the first two bytes decide between zlib-wrapped and raw
        self._members = 0     # gzip members finished (servers may concatenate several)

    def feed(self, data: bytes) -> bytes:
        if self._d is None:
            data = self._pending + data
            if len(data) < 2:
                self._pending = data
                return b""
            self._pending = b""
            zlib_wrapped = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._d = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        d = self._d
        out: list[bytes] = []
        while data:
            if d.eof:
                if not self.gzip:
                    break  # bytes after the end of a deflate stream are ignored
                self._members += 1
                d = self._d = zlib.decompressobj(_GZIP)
            try:
                chunk = d.decompress(data, self.limit - self.total + 1)
            except zlib.error:
                if self._members:  # padding or garbage after a complete gzip member
                    break
                raise
            self.total += len(chunk)
            if self.total > self.limit:
                raise _Overflow
            out.append(chunk)
            data = d.unused_data if d.eof else d.unconsumed_tail
        return b"".join(out)

    def finish(self) -> bytes:
        if self._d is None:
            return b""
        tail = self._d.flush()
        self.total += len(tail)
        if self.total > self.limit:
            raise _Overflow
        return tail


# -- a total deadline on real sockets --------------------------------------------------------------------
# httpx's timeouts are per socket operation: a server that sends one header byte every half second never
# trips them. Every socket read/write of the real transport is capped by what is left of the calling
# thread's deadline for the current attempt (sync httpx does its I/O in the calling thread).
_deadline = threading.local()


def _capped(timeout: float | None, exc: type[Exception]) -> float | None:
    deadline: float | None = getattr(_deadline, "value", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise exc("total timeout of the attempt exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                     _capped(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(
            host, port, timeout=_capped(timeout, httpcore.ConnectTimeout), local_address=local_address,
            socket_options=socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(
            path, timeout=_capped(timeout, httpcore.ConnectTimeout), socket_options=socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _deadline_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's default transport whose sockets obey the per-attempt deadline."""
    transport = httpx.HTTPTransport(limits=limits)
    pool = transport._pool  # httpx exposes no network_backend parameter; the pool keeps it here
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


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
    ``forget_failures()`` when a run starts). When ``stop`` is set, waits end early and the fetch raises
    :class:`FetchStopped` (nothing was sent); with ``stop`` and the default ``sleep``, waits use
    ``stop.wait`` so they wake up at once.
    """

    def __init__(self, http: HttpConfig, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], object] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 rand: Callable[[], float] = random.random, wall: Callable[[], float] = time.time,
                 robots: RobotsCache | None = None, stop: threading.Event | None = None) -> None:
        self.http = http
        self._stop = stop
        self._sleep: Callable[[float], object] = stop.wait if (stop is not None and sleep is time.sleep) \
            else sleep
        self._clock = clock
        self._rand = rand
        self._wall = wall
        self._timeout = float(http.timeout)
        self._max_bytes = int(http.max_bytes)
        self._robots = robots if robots is not None else RobotsCache(http.user_agent, clock=clock)
        self._token = self._robots.token
        self._global = threading.Semaphore(max(1, http.concurrency))
        self._slots: dict[str, _Slot] = {}
        self._slots_lock = threading.Lock()
        self._capped_delay_warned: set[str] = set()
        keepalive = max(20, 2 * http.concurrency)
        timeout = httpx.Timeout(self._timeout)  # per socket operation; the total per attempt: _deadline
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=keepalive)
        self._client = _Client(
            transport=transport if transport is not None else _deadline_transport(limits),
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
              last_modified: str | None = None, accept_html_only: bool = True) -> FetchResult:
        """GET ``url`` politely; raises a :class:`FetchError` subclass when it cannot be had.

        An empty ``allowed_domains`` means the host of ``url`` (and its subdomains).
        """
        started = self._clock()
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
            raise _skipped(f"not an http(s) URL: {url}", url)
        domains = tuple(allowed_domains) or (parts.hostname,)
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
            answer = self._request(current, headers, accept_html_only)
            status = answer.status
            if status in REDIRECT_STATUSES and _LOCATION in answer.headers:
                target = self._redirect_target(current, answer.headers[_LOCATION], domains, url, status)
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

    # -- redirects and robots ------------------------------------------------------------------------

    def _redirect_target(self, current: str, location: str, domains: tuple[str, ...], url: str,
                         status: int) -> str:
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

    def _check_robots(self, url: str, domains: tuple[str, ...], *, hop: bool) -> None:
        rules = self._robots.rules(url, self._fetch_robots, domains)
        if rules.unreachable is not None:
            if self._stop is not None and self._stop.is_set():
                raise FetchStopped("stopped before the request was sent", url=url)
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
            self._apply_crawl_delay(rules.host_key, rules.crawl_delay)
        if not rules.allows(url, self._token):
            msg = "disallowed by robots.txt"
            raise RobotsDisallowedError(_one_line(f"{msg}: redirect to {url}") if hop else msg, url=url)

    def _apply_crawl_delay(self, key: str, crawl_delay: float) -> None:
        cap = float(self.http.max_retry_after)
        if crawl_delay > cap and key not in self._capped_delay_warned:
            self._capped_delay_warned.add(key)
            logger.warning("robots.txt of %s asks for Crawl-delay %gs; waiting %gs (http.max_retry_after)",
                           key, crawl_delay, cap)
        slot = self._slot(key)
        slot.delay = max(float(self.http.per_host_delay), min(crawl_delay, cap))

    def _fetch_robots(self, url: str) -> RobotsResponse:
        """One robots.txt request for RobotsCache (redirects not followed). Timeouts and connection
        errors are retried like any request; an HTTP status, 5xx included, is returned as it came."""
        limit = min(self._max_bytes, MAX_ROBOTS_BYTES)
        slot = self._slot(host_key(url))
        retries = max(0, int(self.http.retries))
        attempt = 0
        while True:
            with self._turn(slot, url):
                try:
                    answer = self._attempt(url, self._robots_headers, None, limit, truncate=True)
                    break
                except _AttemptTimeout:
                    failure = f"timed out after {self._timeout:g}s"
                except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                    raise FetchError(_transport_message(exc), url=url) from None
                except httpx.TransportError as exc:
                    failure = _transport_message(exc, self._timeout)
            if attempt >= retries:
                raise FetchError(_one_line(failure + (f" (after {attempt + 1} attempts)" if attempt else "")),
                                 url=url)
            self._wait(self._backoff(attempt), url)
            attempt += 1
        location = answer.headers.get(_LOCATION)
        return RobotsResponse(status=answer.status, body=answer.body or b"",
                              location=_header_text(location) if location else None)

    # -- politeness ----------------------------------------------------------------------------------

    def _slot(self, key: str) -> _Slot:
        slot = self._slots.get(key)
        if slot is None:
            with self._slots_lock:
                slot = self._slots.get(key)
                if slot is None:
                    slot = self._slots[key] = _Slot(self.http.per_host_concurrency,
                                                    float(self.http.per_host_delay))
        return slot

    def _wait(self, seconds: float, url: str) -> None:
        if self._stop is not None and self._stop.is_set():
            raise FetchStopped("stopped before the request was sent", url=url)
        self._sleep(seconds)
        if self._stop is not None and self._stop.is_set():
            raise FetchStopped("stopped before the request was sent", url=url)

    @contextmanager
    def _turn(self, slot: _Slot, url: str = "") -> Iterator[None]:
        """Hold a host slot and a global slot, started no earlier than the host's delay and pause allow."""
        slot.sem.acquire()
        try:
            while True:
                with slot.lock:
                    wait = slot.ready_at() - self._clock()
                if wait > 0:
                    self._wait(wait, url)
                    continue
                self._global.acquire()
                with slot.lock:  # re-check: another thread of this host may have started meanwhile
                    now = self._clock()
                    if slot.ready_at() <= now:
                        slot.last_start = now
                        break
                self._global.release()
            try:
                yield
            finally:
                self._global.release()
        finally:
            slot.sem.release()

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half the step fixed, half random, capped."""
        step = min(float(self.http.backoff_max), float(self.http.backoff_base) * (2 ** attempt))
        return step / 2 + self._rand() * step / 2

    # -- one URL, with retries -------------------------------------------------------------------------

    def _request(self, url: str, headers: dict[str, str], accept_html_only: bool) -> _Answer:
        key = host_key(url)
        slot = self._slot(key)
        retries = max(0, int(self.http.retries))
        max_wait = float(self.http.max_retry_after)
        attempt = 0
        while True:
            retry_after: float | None = None
            status: int | None = None
            with self._turn(slot, url):
                try:
                    answer = self._attempt(url, headers, accept_html_only, self._max_bytes)
                except _AttemptTimeout:
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
                        with slot.lock:  # pauses the host for every thread
                            slot.paused_until = max(slot.paused_until, now + retry_after)
            if attempt >= retries:
                if attempt:
                    failure += f" (after {attempt + 1} attempts)"
                raise FetchError(_one_line(failure), url=url, status=status)
            if retry_after is None:
                delay = self._backoff(attempt)
                logger.debug("retrying %s in %.2fs after %s", url, delay, failure)
                self._wait(delay, url)
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
        _deadline.value = time.monotonic() + self._timeout
        try:
            response = self._client.send(request, stream=True)
        except BaseException:
            _deadline.value = None
            raise
        try:
            remaining = deadline - self._clock()
            if remaining < 0:
                raise _AttemptTimeout
            # httpcore reads the body's read timeout when the body starts: only what is left may be waited.
            timeouts["read"] = max(0.001, min(self._timeout, remaining))
            status = response.status_code
            answer = _Answer(status, response.headers)
            if not 200 <= status < 300:
                self._drain(response, deadline)
                return answer
            mime, charset = _parse_content_type(response.headers.get("content-type", ""))
            answer.charset = charset
            sniff_types = _SNIFF_HTML_ONLY if accept_html_only else _SNIFF_FEEDS
            if accept_html_only is not None and mime not in sniff_types and mime not in HTML_TYPES and (
                    accept_html_only or not (mime in FEED_TYPES or mime.endswith("+xml"))):
                raise NotHtmlError(_one_line(f"not HTML ({mime})"), url=url, status=status)
            if not truncate:
                length = response.headers.get("content-length", "")
                if length.strip().isdigit() and int(length) > limit:
                    raise TooLargeError(f"response larger than {limit} bytes", url=url, status=status)
            body = self._read_body(response, deadline, limit, truncate, url)
            if accept_html_only is not None and mime in sniff_types:
                sniffed = _sniff(body, allow_gzip=not accept_html_only)
                if sniffed is None:
                    what = f"({mime}, " if mime else "(no Content-Type, "
                    raise NotHtmlError(f"not HTML {what}body is not markup)", url=url, status=status)
                mime = sniffed
            answer.body = body
            answer.content_type = mime
            return answer
        finally:
            _deadline.value = None
            response.close()

    def _read_body(self, response: httpx.Response, deadline: float, limit: int, truncate: bool,
                   url: str) -> bytes:
        if response.is_stream_consumed:
            # A transport (MockTransport, a test double) handed over an already-read, already-decoded body.
            body = response.content
            if len(body) > limit and not truncate:
                raise TooLargeError(f"response larger than {limit} bytes", url=url, status=response.status_code)
            return body[:limit]
        encodings = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
        encodings = [e for e in encodings if e and e != "identity"]
        for enc in encodings:
            if enc not in ("gzip", "x-gzip", "deflate"):
                raise FetchError(_one_line(f"unsupported content-encoding: {enc}"), url=url,
                                 status=response.status_code)
        decoders = [_Inflater(enc, limit) for enc in reversed(encodings)]
        chunks: list[bytes] = []
        raw = 0
        try:
            for chunk in response.iter_raw():
                if self._clock() > deadline:
                    raise _AttemptTimeout
                raw += len(chunk)
                if raw > limit:
                    if truncate:
                        chunk = chunk[: len(chunk) - (raw - limit)]
                    else:
                        raise TooLargeError(f"response larger than {limit} bytes", url=url,
                                            status=response.status_code)
                for dec in decoders:
                    chunk = dec.feed(chunk)
                if chunk:
                    chunks.append(chunk)
                if raw >= limit and truncate:
                    break
            for i, dec in enumerate(decoders):
                tail = dec.finish()
                for later in decoders[i + 1:]:
                    tail = later.feed(tail)
                if tail:
                    chunks.append(tail)
        except _Overflow:
            if not truncate:
                raise TooLargeError(f"response larger than {limit} bytes (decompressed)", url=url,
                                    status=response.status_code) from None
        except zlib.error as exc:
            raise FetchError(_one_line(f"invalid {encodings[0]} body: {exc}"), url=url,
                             status=response.status_code) from None
        return b"".join(chunks)

    def _drain(self, response: httpx.Response, deadline: float) -> None:
        """Read a small non-2xx body so the connection stays reusable; give up quietly otherwise."""
        if response.is_stream_consumed:
            return
        total = 0
        try:
            for chunk in response.iter_raw():
                total += len(chunk)
                if total > _DRAIN_BYTES or self._clock() > deadline:
                    return
        except httpx.HTTPError:
            return


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
