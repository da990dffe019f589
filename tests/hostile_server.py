"""A hostile news site on 127.0.0.1: every way a server can hurt a crawler, behind real sockets.

Used by the fault tests (``tests/test_faults_*.py``) and reusable from benches::

    from hostile_server import HostileServer          # tests/ is on sys.path under pytest
    with HostileServer() as srv:
        srv.base_url                  # "http://127.0.0.1:PORT"
        srv.url(srv.paths["trickle"]) # a route by name
        srv.log                       # [RequestRecord(method, path, headers, time), ...]

The server is a ``ThreadingHTTPServer`` bound to 127.0.0.1, port 0 (the OS picks one), one thread per
connection, HTTP/1.0 (bodies without a length end when the connection closes). Routes that never end (the
trickle, the endless body, the gzip bomb) stop when the client goes away or when the server stops.

Routes (all article-looking paths ``/2025/01/<name>/``, listed by ``/`` and ``/sitemap.xml`` so one crawl of
the source touches every one of them): see :data:`ROUTES` for the name, the behaviour and the outcome
SPEC.md asks a crawler to count. Other hosts (``evil.invalid``, ``127.0.0.2``) and ``file://`` only ever
appear as links and ``Location`` headers: nothing here serves or contacts another address.

``robots.txt`` answers 200 (``Allow: /`` plus the sitemap); ``robots_failures = n`` makes the next ``n``
robots.txt requests answer 500 (``robots_failures = -1``: always 500). ``/sitemap-bomb.xml.gz`` is a gzip
*file* (``application/gzip``, no Content-Encoding) of 64 KB whose XML inflates to 64 MB, above the 50 MB a
sitemap may have.
"""

from __future__ import annotations

import email.utils
import functools
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from helpers import article_html

__all__ = [
    "ARTICLE_PREFIX",
    "EVIL_HOST",
    "ROUTES",
    "SITEMAP_BOMB_PATH",
    "UNRESOLVABLE_HOST",
    "HostileServer",
    "RequestRecord",
    "Route",
    "good_article_paths",
]

ARTICLE_PREFIX = "/2025/01/"
EVIL_HOST = "evil.invalid"
UNRESOLVABLE_HOST = "nowhere.invalid"   # only ever "resolved" by a MockTransport that raises ConnectError
TRICKLE_INTERVAL = 0.5                  # seconds between the bytes of the slow-loris body
STREAM_CAP = 8 * 1024 ** 3              # endless bodies end after 8 GB even if a client keeps reading
BIG_PAGE_BYTES = 20 * 1024 * 1024
SITEMAP_BOMB_PATH = "/sitemap-bomb.xml.gz"   # a .xml.gz file (not Content-Encoding): 64 KB that inflate to 64 MB
SITEMAP_BOMB_INFLATED = 64 * 1024 * 1024
DEEP_DIVS = 100_000

_PLACES = ("Serang", "Cilegon", "Pandeglang", "Lebak", "Tangerang", "Bogor", "Depok", "Bekasi", "Karawang",
           "Sukabumi", "Cianjur", "Garut", "Tasikmalaya", "Ciamis", "Banjar", "Cirebon")
_TOPICS = ("perbaikan jalan desa", "vaksinasi anak sekolah", "pasar murah jelang Ramadan",
           "pelatihan UMKM digital", "penanganan banjir musiman", "beasiswa pelajar berprestasi",
           "razia kendaraan bermotor", "pembangunan jembatan gantung", "festival budaya daerah",
           "penyaluran bantuan sosial", "rehabilitasi sekolah dasar", "pengelolaan sampah terpadu")


@dataclass(frozen=True)
class RequestRecord:
    """One request the server received (before it answered)."""

    method: str
    path: str                   # the request target as sent (path and query)
    headers: dict[str, str]     # lower-case names
    time: float                 # time.monotonic() when the request line was read


@dataclass(frozen=True)
class Route:
    """A named route: what it does and what SPEC.md says a crawler must count for it."""

    name: str
    outcome: str                # "new" | "failed" | "skipped" | "any" (survive; counted with a reason)
    reason: str                 # regex (case-insensitive) the pages.error must match; "" for "new"
    what: str
    isolated: bool = False      # left out of the all-routes crawl: it can stop the host or the whole run


ROUTES: tuple[Route, ...] = (
    Route("trickle", "failed", r"timed out", "slow-loris: headers, then one byte every 0.5 s forever"),
    Route("trickle-headers", "failed", r"timed out",
          "slow-loris in the headers: the status line, then one header byte every 0.5 s forever",
          isolated=True),
    Route("endless", "failed", r"larger than|too large", "an endless body without Content-Length"),
    Route("gzip-bomb", "failed", r"decompress|larger than|too large",
          "Content-Encoding: gzip that inflates to gigabytes (streamed, never held in memory)"),
    Route("redirect-loop", "failed", r"loop", "a -> b -> a"),
    Route("redirect-hops", "failed", r"too many redirects", "11 redirects in a row, then a good article"),
    Route("redirect-evil", "skipped", r"off-site", "302 to http://evil.invalid/..."),
    Route("redirect-other-ip", "skipped", r"off-site", "302 to http://127.0.0.2:PORT/... (never served)"),
    Route("redirect-userinfo", "skipped", r"off-site", "302 to http://127.0.0.1@evil.invalid/..."),
    Route("redirect-file", "skipped", r"non-http", "302 to file:///etc/passwd"),
    Route("retry-after-429", "new", "", "429 Retry-After: 1 once, then a good article"),
    Route("retry-after-503-date", "new", "", "503 with an HTTP-date Retry-After 2 s ahead once, then good"),
    Route("always-429", "failed", r"429", "429 Retry-After: 1 on every request"),
    Route("retry-after-long", "failed", r"retry-after", "503 Retry-After: 3600, above max_retry_after",
          isolated=True),
    Route("burst-500-1", "new", "", "500 once, then a good article"),
    Route("burst-500-5", "failed", r"500", "500 five times, then a good article"),
    Route("reset-mid-body", "failed", r"connect|peer|reset|closed|incomplete|protocol|read",
          "headers and 4 KB of a 64 KB body, then a TCP reset (SO_LINGER 0)"),
    Route("wrong-type-pdf", "skipped", r"not html", "Content-Type: application/pdf"),
    Route("wrong-type-png", "skipped", r"not html", "Content-Type: image/png"),
    Route("lying-charset", "new", "", "header says iso-8859-1, the body is UTF-8 Indonesian text"),
    Route("invalid-utf8", "new", "", "charset=utf-8 with stray invalid bytes"),
    Route("big-20mb", "failed", r"larger than|too large", "a 20 MB page with Content-Length"),
    Route("big-20mb-unannounced", "failed", r"larger than|too large", "a 20 MB page without Content-Length"),
    Route("deep-divs", "new", "", "a good article followed by 100,000 nested <div>s"),
    Route("deep-divs-around", "any", r".", "the article inside 100,000 nested <div>s"),
    Route("nul-bytes", "new", "", "a good article with NUL bytes inside its text"),
    Route("empty-200", "skipped", r"not an article|empty|no title|no body", "200, text/html, empty body"),
    Route("not-found", "failed", r"404", "404"),
)
ROUTE_BY_NAME = {r.name: r for r in ROUTES}


def _paragraphs(seed: int) -> list[str]:
    place = _PLACES[seed % len(_PLACES)]
    topic = _TOPICS[(seed * 5) % len(_TOPICS)]
    n = 120 + 17 * seed
    return [
        f"Pemerintah Kabupaten {place} memulai program {topic} yang menjangkau {n} keluarga di "
        f"{3 + seed % 7} kecamatan, kata kepala dinas kepada wartawan pada hari Senin (nomor {seed}).",
        f"Anggaran sebesar Rp {n * 13} juta disiapkan untuk tahap pertama, dan warga {place} diminta "
        f"mendaftar melalui kantor desa masing-masing sebelum akhir bulan ini.",
        f"Program serupa pada tahun lalu diikuti oleh {n // 2} peserta dan dinilai berhasil oleh DPRD "
        f"{place}, sehingga cakupannya diperluas tahun ini.",
    ]


def good_article_paths(n: int) -> list[str]:
    return [f"{ARTICLE_PREFIX}berita-{i:02d}/" for i in range(n)]


def _good_page(seed: int, title: str | None = None) -> bytes:
    place = _PLACES[seed % len(_PLACES)]
    topic = _TOPICS[(seed * 5) % len(_TOPICS)]
    return article_html(title or f"{place} Mulai Program {topic.title()} Nomor {seed}",
                        _paragraphs(seed)).encode("utf-8")


# Indonesian text with non-ASCII characters, for the charset routes.
LYING_TITLE = "Kafé Rakyat di Serang – Harga Kopi Turun 10 %"
LYING_PARAGRAPHS = [
    "Kafé rakyat di alun-alun Serang kini menjual kopi tubruk seharga Rp 5.000 – separuh harga tahun "
    "lalu – berkat subsidi pemerintah kota, kata pengelola kafé kepada wartawan.",
    "Pengunjung menyambut baik kebijakan itu; “harganya pas untuk pelajar”, ujar Siti, seorang "
    "mahasiswi yang setiap hari mampir sepulang kuliah bersama teman-temannya.",
    "Pemerintah kota berencana membuka tiga kafé serupa di Cilegon dan Pandeglang sebelum akhir tahun, "
    "dengan anggaran yang sudah disetujui DPRD pada pekan lalu.",
]
INVALID_UTF8_TITLE = "Warga Lebak Gotong Royong Bersihkan Sungai Ciujung"


def _invalid_utf8_page() -> bytes:
    page = article_html(INVALID_UTF8_TITLE, _paragraphs(41)).encode("utf-8")
    # stray bytes that are not UTF-8, inside the text of the second paragraph
    return page.replace(b"Anggaran sebesar", b"Anggaran \xff\xfe sebesar \xc3\x28", 1)


def _nul_page() -> bytes:
    page = article_html("Nelayan Pandeglang Terima Bantuan Perahu Motor", _paragraphs(43)).encode("utf-8")
    return page.replace(b"Anggaran sebesar", b"Anggaran\x00 sebesar\x00\x00", 1).replace(b"<h2>", b"\x00<h2>", 1)


def _deep_page(around: bool) -> bytes:
    good = (_good_page(79, "Dinas Sosial Depok Salurkan Paket Sembako") if around
            else _good_page(47, "Dinas Kesehatan Bogor Gelar Posyandu Keliling"))
    head, _, rest = good.partition(b"<body>")
    inner, _, tail = rest.rpartition(b"</body>")
    opening, closing = b"<div>" * DEEP_DIVS, b"</div>" * DEEP_DIVS
    if around:
        return head + b"<body>" + opening + inner + closing + b"</body>" + tail
    return head + b"<body>" + inner + opening + b"x" + closing + b"</body>" + tail


@functools.cache
def _sitemap_bomb() -> bytes:
    """A gzip file whose XML is one <loc> followed by 64 MB of spaces (made once, ~0.7 s, ~64 KB)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [comp.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         b"<url><loc>http://127.0.0.1/2025/01/dari-bom/</loc></url>")]
    block = b" " * (1024 * 1024)
    for _ in range(SITEMAP_BOMB_INFLATED // len(block)):
        out.append(comp.compress(block))
    out.append(comp.compress(b"</urlset>"))
    out.append(comp.flush())
    return b"".join(out)


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


class _Stopped(Exception):
    """The server is stopping (or the client went away): end an endless body."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "hostile/1.0"
    sys_version = ""
    timeout = 30
    srv: HostileServer   # set on the subclass HostileServer makes

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.srv._record(self)
        try:
            self.srv._dispatch(self)
        except (BrokenPipeError, ConnectionResetError, _Stopped, TimeoutError):
            self.close_connection = True

    do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        return None

    # -- small writers ------------------------------------------------------------------------------

    def send(self, status: int, body: bytes = b"", ctype: str | None = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None, length: bool = True) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send(status, b"", ctype="text/html", headers={"Location": location})

    def stream(self, chunks: Iterator[bytes], *, ctype: str = "text/html; charset=utf-8",
               headers: dict[str, str] | None = None) -> None:
        self.send(200, b"", ctype=ctype, headers=headers, length=False)
        for chunk in chunks:
            if self.srv._stop.is_set():
                raise _Stopped
            self.wfile.write(chunk)


class HostileServer:
    """The hostile site. A context manager: ``with HostileServer() as srv: ...`` serves until the block ends.

    ``articles``: how many good FAM68-style articles ``/`` and the sitemap list besides the hostile routes.
    ``routes``: the hostile route names to serve and list (default: every one of :data:`ROUTES` that is not
    ``isolated``; an isolated route, such as a Retry-After longer than a crawler will wait (a polite crawler
    gives up the whole host) or headers that never end (a crawler without a total deadline hangs), gets a
    server of its own).
    ``extra_links``: absolute URLs to list on ``/`` and in the sitemap too (e.g. a second server's route,
    or a host that does not resolve).
    """

    def __init__(self, *, articles: int = 6, routes: Iterable[str] | None = None,
                 extra_links: Iterable[str] = ()) -> None:
        self.route_names: tuple[str, ...] = (tuple(routes) if routes is not None
                                             else tuple(r.name for r in ROUTES if not r.isolated))
        unknown = [n for n in self.route_names if n not in ROUTE_BY_NAME]
        if unknown:
            raise ValueError(f"unknown routes: {unknown}")
        self.article_paths = good_article_paths(articles)
        self.paths: dict[str, str] = {name: f"{ARTICLE_PREFIX}{name}/" for name in self.route_names}
        self.extra_links = list(extra_links)
        self.robots_failures = 0
        self._log: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> HostileServer:
        handler = type("HostileHandler", (_Handler,), {"srv": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="hostile-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- for assertions -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def requests_for(self, path: str) -> list[RequestRecord]:
        return [r for r in self.log if urlsplit(r.path).path == path]

    def reset(self) -> None:
        """Forget the request log and the per-route counters (bursts and once-only answers start over)."""
        with self._lock:
            self._log.clear()
            self._counters.clear()

    def route_urls(self) -> dict[str, str]:
        return {name: self.url(path) for name, path in self.paths.items()}

    def links(self) -> list[str]:
        """Every URL ``/`` and the sitemap list: good articles, hostile routes, extra and off-site links."""
        own = [self.url(p) for p in (*self.article_paths, *self.paths.values())]
        offsite = [f"http://{EVIL_HOST}{ARTICLE_PREFIX}dari-luar/",
                   f"http://127.0.0.2:{self.port}{ARTICLE_PREFIX}alamat-lain/",
                   f"http://127.0.0.1@{EVIL_HOST}{ARTICLE_PREFIX}userinfo/",
                   "file:///etc/passwd", f"ftp://127.0.0.1{ARTICLE_PREFIX}ftp-berita/"]
        return own + self.extra_links + offsite

    # -- internals ----------------------------------------------------------------------------------

    def _record(self, h: _Handler) -> None:
        rec = RequestRecord(h.command, h.path, {k.lower(): v for k, v in h.headers.items()}, time.monotonic())
        with self._lock:
            self._log.append(rec)

    def _count(self, key: str) -> int:
        """How many times ``key`` was asked before (0 the first time)."""
        with self._lock:
            n = self._counters.get(key, 0)
            self._counters[key] = n + 1
            return n

    def _dispatch(self, h: _Handler) -> None:
        path = urlsplit(h.path).path
        if path == "/robots.txt":
            return self._robots(h)
        if path == "/":
            return self._listing(h)
        if path == "/sitemap.xml":
            return self._sitemap(h)
        if path == SITEMAP_BOMB_PATH:
            return h.send(200, _sitemap_bomb(), ctype="application/gzip")
        if path in self.article_paths:
            return h.send(200, _good_page(self.article_paths.index(path)))
        if path.startswith(ARTICLE_PREFIX):
            name = path[len(ARTICLE_PREFIX):].strip("/")
            handler = _ROUTE_HANDLERS.get(name)
            if handler is not None and (name in self.route_names or name.startswith(("loop-", "hop-"))):
                return handler(self, h)
        return h.send(404, b"<html><body><h1>404</h1><p>Tidak ditemukan.</p></body></html>")

    def _robots(self, h: _Handler) -> None:
        with self._lock:
            fail = self.robots_failures != 0
            if self.robots_failures > 0:
                self.robots_failures -= 1
        if fail:
            return h.send(500, b"robots.txt is broken today", ctype="text/plain")
        body = f"User-agent: *\nAllow: /\n\nSitemap: {self.base_url}/sitemap.xml\n".encode()
        h.send(200, body, ctype="text/plain")

    def _listing(self, h: _Handler) -> None:
        items = "".join(f'<li><a href="{escape(u, {chr(34): "&quot;"})}">Berita {i}</a></li>'
                        for i, u in enumerate(self.links()))
        items += '<li><a href="javascript:alert(1)">js</a></li><li><a href="mailto:a@b.invalid">mail</a></li>'
        h.send(200, (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Hostile</title></head><body>"
                     f"<h1>Berita terbaru</h1><ul>{items}</ul></body></html>").encode())

    def _sitemap(self, h: _Handler) -> None:
        urls = "".join(f"<url><loc>{escape(u)}</loc></url>" for u in self.links())
        h.send(200, ('<?xml version="1.0" encoding="UTF-8"?><urlset '
                     f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode(),
               ctype="application/xml")


# -- hostile route handlers --------------------------------------------------------------------------

def _trickle(srv: HostileServer, h: _Handler) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"<!DOCTYPE html><html><head><title>Pelan</title></head><body><p>"
        while not srv._stop.wait(TRICKLE_INTERVAL):
            yield b"a"
    h.stream(chunks())


def _trickle_headers(srv: HostileServer, h: _Handler) -> None:
    h.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nX-Pelan: ")
    while not srv._stop.wait(TRICKLE_INTERVAL):
        h.wfile.write(b"a")
    raise _Stopped


def _endless(srv: HostileServer, h: _Handler) -> None:
    block = b"<p>Berita tanpa akhir, paragraf demi paragraf, selamanya.</p>\n" * 1024

    def chunks() -> Iterator[bytes]:
        yield b"<!DOCTYPE html><html><head><title>Tanpa Akhir</title></head><body>"
        sent = 0
        while sent < STREAM_CAP:
            yield block
            sent += len(block)
    h.stream(chunks())


def _gzip_bomb(srv: HostileServer, h: _Handler) -> None:
    block = b" " * (1024 * 1024)

    def chunks() -> Iterator[bytes]:
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        yield comp.compress(b"<!DOCTYPE html><html><head><title>Bom</title></head><body><p>")
        inflated = 0
        while inflated < STREAM_CAP:
            out = comp.compress(block)
            inflated += len(block)
            if out:
                yield out
        yield comp.flush()
    h.stream(chunks(), headers={"Content-Encoding": "gzip"})


def _redirect_loop(srv: HostileServer, h: _Handler) -> None:
    h.redirect(f"{ARTICLE_PREFIX}loop-b/")


def _loop_b(srv: HostileServer, h: _Handler) -> None:
    h.redirect(f"{ARTICLE_PREFIX}redirect-loop/", status=301)


def _redirect_hops(srv: HostileServer, h: _Handler) -> None:
    h.redirect(f"{ARTICLE_PREFIX}hop-10/")


def _hop(n: int) -> Callable[[HostileServer, _Handler], None]:
    def answer(srv: HostileServer, h: _Handler) -> None:
        if n == 0:
            return h.send(200, _good_page(53, "Akhir Rantai Pengalihan"))
        h.redirect(f"{ARTICLE_PREFIX}hop-{n - 1}/", status=307 if n % 2 else 302)
    return answer


def _redirect_evil(srv: HostileServer, h: _Handler) -> None:
    h.redirect(f"http://{EVIL_HOST}{ARTICLE_PREFIX}curian/")


def _redirect_other_ip(srv: HostileServer, h: _Handler) -> None:
    h.redirect(f"http://127.0.0.2:{srv.port}{ARTICLE_PREFIX}curian/")


def _redirect_userinfo(srv: HostileServer, h: _Handler) -> None:
    h.redirect(f"http://127.0.0.1@{EVIL_HOST}{ARTICLE_PREFIX}curian/")


def _redirect_file(srv: HostileServer, h: _Handler) -> None:
    h.redirect("file:///etc/passwd", status=301)


def _retry_after_429(srv: HostileServer, h: _Handler) -> None:
    if srv._count("retry-after-429") == 0:
        return h.send(429, b"slow down", ctype="text/plain", headers={"Retry-After": "1"})
    h.send(200, _good_page(61, "Bupati Lebak Resmikan Puskesmas Baru"))


def _retry_after_503_date(srv: HostileServer, h: _Handler) -> None:
    if srv._count("retry-after-503-date") == 0:
        now = time.time()
        return h.send(503, b"maintenance", ctype="text/plain",
                      headers={"Date": _http_date(now), "Retry-After": _http_date(now + 2)})
    h.send(200, _good_page(67, "Gubernur Banten Tinjau Pelabuhan Merak"))


def _always_429(srv: HostileServer, h: _Handler) -> None:
    h.send(429, b"slow down", ctype="text/plain", headers={"Retry-After": "1"})


def _retry_after_long(srv: HostileServer, h: _Handler) -> None:
    h.send(503, b"come back tomorrow", ctype="text/plain", headers={"Retry-After": "3600"})


def _burst(failures: int, seed: int) -> Callable[[HostileServer, _Handler], None]:
    def answer(srv: HostileServer, h: _Handler) -> None:
        if srv._count(f"burst-500-{failures}") < failures:
            return h.send(500, b"<html><body>Internal Server Error</body></html>")
        h.send(200, _good_page(seed, f"Rantai Pasok Beras {_PLACES[seed % len(_PLACES)]} Pulih Nomor {seed}"))
    return answer


def _reset_mid_body(srv: HostileServer, h: _Handler) -> None:
    body = _good_page(71) * 8
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(64 * 1024))
    h.end_headers()
    h.wfile.write(body[:4096])
    h.wfile.flush()
    # SO_LINGER on, 0 s: close() sends a RST instead of a FIN
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def _wrong_type(ctype: str, body: bytes) -> Callable[[HostileServer, _Handler], None]:
    def answer(srv: HostileServer, h: _Handler) -> None:
        h.send(200, body, ctype=ctype)
    return answer


def _lying_charset(srv: HostileServer, h: _Handler) -> None:
    page = article_html(LYING_TITLE, LYING_PARAGRAPHS, charset_meta=False).encode("utf-8")
    h.send(200, page, ctype="text/html; charset=iso-8859-1")


def _invalid_utf8(srv: HostileServer, h: _Handler) -> None:
    h.send(200, _invalid_utf8_page())


def _big(announced: bool) -> Callable[[HostileServer, _Handler], None]:
    def answer(srv: HostileServer, h: _Handler) -> None:
        block = b"<p>" + b"Halaman raksasa. " * 4000 + b"</p>\n"

        def chunks() -> Iterator[bytes]:
            sent = 0
            while sent < BIG_PAGE_BYTES:
                piece = block[: BIG_PAGE_BYTES - sent]
                sent += len(piece)
                yield piece
        headers = {"Content-Length": str(BIG_PAGE_BYTES)} if announced else None
        h.stream(chunks(), headers=headers)
    return answer


def _deep(around: bool) -> Callable[[HostileServer, _Handler], None]:
    page = _deep_page(around)

    def answer(srv: HostileServer, h: _Handler) -> None:
        h.send(200, page)
    return answer


def _nul(srv: HostileServer, h: _Handler) -> None:
    h.send(200, _nul_page())


def _empty(srv: HostileServer, h: _Handler) -> None:
    h.send(200, b"")


def _not_found(srv: HostileServer, h: _Handler) -> None:
    h.send(404, b"<html><body><h1>404</h1></body></html>")


_ROUTE_HANDLERS: dict[str, Callable[[HostileServer, _Handler], None]] = {
    "trickle": _trickle,
    "trickle-headers": _trickle_headers,
    "endless": _endless,
    "gzip-bomb": _gzip_bomb,
    "redirect-loop": _redirect_loop,
    "loop-b": _loop_b,
    "redirect-hops": _redirect_hops,
    **{f"hop-{n}": _hop(n) for n in range(11)},
    "redirect-evil": _redirect_evil,
    "redirect-other-ip": _redirect_other_ip,
    "redirect-userinfo": _redirect_userinfo,
    "redirect-file": _redirect_file,
    "retry-after-429": _retry_after_429,
    "retry-after-503-date": _retry_after_503_date,
    "always-429": _always_429,
    "retry-after-long": _retry_after_long,
    "burst-500-1": _burst(1, 59),
    "burst-500-5": _burst(5, 73),
    "reset-mid-body": _reset_mid_body,
    "wrong-type-pdf": _wrong_type("application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
    "wrong-type-png": _wrong_type("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64),
    "lying-charset": _lying_charset,
    "invalid-utf8": _invalid_utf8,
    "big-20mb": _big(True),
    "big-20mb-unannounced": _big(False),
    "deep-divs": _deep(False),
    "deep-divs-around": _deep(True),
    "nul-bytes": _nul,
    "empty-200": _empty,
    "not-found": _not_found,
}
