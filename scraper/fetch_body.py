"""Reading one response body within limits: content types, size caps, gzip/deflate, a total deadline.

* :func:`read_body` reads a 2xx body as a stream: at most ``limit`` raw bytes and ``limit`` decompressed
  bytes (gzip/deflate are decoded here, so a gzip bomb is cut off after ``limit`` bytes of output), under the
  attempt's deadline; :func:`drain` reads a small non-2xx body so the connection can be reused.
* :func:`deadline_transport` is httpx's default transport whose sockets obey a total deadline per attempt
  (:func:`arm_deadline` / :func:`disarm_deadline`, per thread): httpx's own timeouts are per socket operation.
* :func:`parse_content_type` and :func:`sniff` decide what a body is.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpcore
import httpx

from scraper.errors import FetchError, TooLargeError

__all__ = [
    "FEED_TYPES",
    "HTML_TYPES",
    "AttemptTimeout",
    "arm_deadline",
    "deadline_transport",
    "disarm_deadline",
    "drain",
    "one_line",
    "parse_content_type",
    "read_body",
    "sniff",
]

# Content types a page fetch accepts; feeds and sitemaps (accept_html_only=False) accept FEED_TYPES too.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({
    "application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    "text/plain", "application/gzip", "application/x-gzip",
})
# Types that say nothing: the body decides (sniffed after reading). octet-stream only for feeds/sitemaps.
SNIFF_HTML_ONLY = frozenset({""})
SNIFF_FEEDS = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_DRAIN_BYTES = 64 * 1024  # small error/redirect bodies are read so the connection can be reused
_GZIP = 16 + zlib.MAX_WBITS
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class AttemptTimeout(Exception):
    """The total deadline of one attempt passed."""


class _Overflow(Exception):
    """More than the allowed bytes came out of a decoder."""


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_content_type(value: str) -> tuple[str, str | None]:
    mime, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset":
            charset = val.strip().strip("\"'").strip() or None
    return mime.strip().lower(), charset


def sniff(body: bytes, allow_gzip: bool) -> str | None:
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


def read_body(response: httpx.Response, deadline: float, limit: int, truncate: bool, url: str,
              clock: Callable[[], float]) -> bytes:
    """The decompressed body: more than ``limit`` raw or decompressed bytes raise :class:`TooLargeError`
    (``truncate``: the first ``limit`` bytes are kept instead); past ``deadline`` (on ``clock``),
    :class:`AttemptTimeout`."""
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
            raise FetchError(one_line(f"unsupported content-encoding: {enc}"), url=url,
                             status=response.status_code)
    decoders = [_Inflater(enc, limit) for enc in reversed(encodings)]
    chunks: list[bytes] = []
    raw = 0
    try:
        for chunk in response.iter_raw():
            if clock() > deadline:
                raise AttemptTimeout
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
        raise FetchError(one_line(f"invalid {encodings[0]} body: {exc}"), url=url,
                         status=response.status_code) from None
    return b"".join(chunks)


def drain(response: httpx.Response, deadline: float, clock: Callable[[], float]) -> None:
    """Read a small non-2xx body so the connection stays reusable; give up quietly otherwise."""
    if response.is_stream_consumed:
        return
    total = 0
    try:
        for chunk in response.iter_raw():
            total += len(chunk)
            if total > _DRAIN_BYTES or clock() > deadline:
                return
    except httpx.HTTPError:
        return


# -- a total deadline on real sockets --------------------------------------------------------------------
# httpx's timeouts are per socket operation: a server that sends one header byte every half second never
# trips them. Every socket read/write of the real transport is capped by what is left of the calling
# thread's deadline for the current attempt (sync httpx does its I/O in the calling thread).
_deadline = threading.local()


def arm_deadline(seconds: float) -> None:
    """Socket I/O of this thread must end within ``seconds`` from now (until :func:`disarm_deadline`)."""
    _deadline.value = time.monotonic() + seconds


def disarm_deadline() -> None:
    _deadline.value = None


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


def deadline_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's default transport whose sockets obey the per-attempt deadline."""
    transport = httpx.HTTPTransport(limits=limits)
    pool = transport._pool  # httpx exposes no network_backend parameter; the pool keeps it here
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport
