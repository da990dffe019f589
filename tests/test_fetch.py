"""Fetcher rules, each over httpx.MockTransport with a fake clock and a recording sleep (no sockets, no waits)."""

from __future__ import annotations

import dataclasses
import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from scraper.config import HttpConfig
from scraper.errors import (
    FetchError,
    NotHtmlError,
    RedirectError,
    RetryAfterTooLongError,
    RobotsDisallowedError,
    TooLargeError,
)
from scraper.fetch import Fetcher, FetchStopped, parse_retry_after

UA = "kabar-test/1.0 (+https://example.org/kabar)"
HTML = b"<!doctype html><html><head><title>t</title></head><body><p>Halo</p></body></html>"
SITE = ("news.example",)


class FakeTime:
    """A monotonic clock that only moves when the code sleeps (or a test handler advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(round(seconds, 6))
            self.now += seconds


class Site:
    """A MockTransport handler: routes by URL (path for news.example), records every request."""

    def __init__(self, routes: dict[str, Any] | None = None) -> None:
        self.routes: dict[str, Any] = dict(routes or {})
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        url = str(request.url)
        route = self.routes.get(url)
        if route is None and request.url.host == "news.example":
            route = self.routes.get(request.url.raw_path.decode())
        if route is None:
            route = R(404) if request.url.path == "/robots.txt" else html()
        if isinstance(route, list):   # one answer per call, the last one repeats
            route = route.pop(0) if len(route) > 1 else route[0]
        return route(request)

    def urls(self, path: str | None = None) -> list[str]:
        return [str(r.url) for r in self.requests if path is None or r.url.path == path]

    def pages(self) -> list[str]:
        return [str(r.url) for r in self.requests if r.url.path != "/robots.txt"]


Handler = Callable[[httpx.Request], httpx.Response]


def R(status: int = 200, *, headers: Any = None, content: bytes = b"", text: str | None = None) -> Handler:
    """A route answering with a fresh streamed response each time, as a real transport does."""
    body = text.encode() if text is not None else content

    def respond(request: httpx.Request) -> httpx.Response:
        h = httpx.Headers(headers or {})
        if "content-length" not in h:
            h["Content-Length"] = str(len(body))
        return httpx.Response(status, headers=h, stream=httpx.ByteStream(body))
    return respond


def html(status: int = 200, body: bytes = HTML, **headers: str) -> Handler:
    h = {"Content-Type": "text/html; charset=utf-8"}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    return R(status, headers=h, content=body)


def make(site: Site, ft: FakeTime | None = None, rand: Callable[[], float] = lambda: 0.5,
         **http: Any) -> tuple[Fetcher, FakeTime]:
    ft = ft or FakeTime()
    defaults: dict[str, Any] = dict(user_agent=UA, per_host_delay=0.0, respect_robots=False, retries=3,
                                    backoff_base=0.5, backoff_max=30.0, timeout=10.0, max_bytes=100_000)
    defaults.update(http)
    cfg = dataclasses.replace(HttpConfig(), **defaults)
    fetcher = Fetcher(cfg, transport=httpx.MockTransport(site), sleep=ft.sleep, clock=ft.clock, rand=rand,
                      wall=lambda: 1_700_000_000.0)
    return fetcher, ft


# -- basics ------------------------------------------------------------------------------------------

def test_fetch_returns_result_and_sends_headers() -> None:
    site = Site({"/a": html(etag='"v1"', last_modified="Wed, 01 May 2024 10:00:00 GMT")})
    f, ft = make(site)
    r = f.fetch("https://news.example/a#comments", allowed_domains=SITE)
    assert r.url == "https://news.example/a#comments"
    assert r.final_url == "https://news.example/a"
    assert (r.status, r.content, r.charset, r.content_type) == (200, HTML, "utf-8", "text/html")
    assert (r.etag, r.last_modified, r.not_modified, r.redirects) == (
        '"v1"', "Wed, 01 May 2024 10:00:00 GMT", False, [])
    assert r.elapsed == 0.0 and ft.sleeps == []
    req = site.requests[0]
    assert req.headers["user-agent"] == UA
    assert req.headers["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in req.headers and "if-modified-since" not in req.headers
    f.close()


def test_user_agent_also_on_robots_request() -> None:
    site = Site({"/robots.txt": R(200, text="User-agent: *\nAllow: /")})
    f, _ = make(site, respect_robots=True)
    f.fetch("https://news.example/a", allowed_domains=SITE)
    assert site.urls() == ["https://news.example/robots.txt", "https://news.example/a"]
    assert all(r.headers["user-agent"] == UA for r in site.requests)


def test_conditional_get_304() -> None:
    site = Site({"/a": R(304, headers={"ETag": '"v2"'})})
    f, _ = make(site)
    r = f.fetch("https://news.example/a", allowed_domains=SITE, etag='"v1"',
                last_modified="Wed, 01 May 2024 10:00:00 GMT")
    req = site.requests[0]
    assert req.headers["if-none-match"] == '"v1"'
    assert req.headers["if-modified-since"] == "Wed, 01 May 2024 10:00:00 GMT"
    assert r.not_modified and r.content == b"" and r.status == 304
    assert r.etag == '"v2"' and r.last_modified == "Wed, 01 May 2024 10:00:00 GMT"


def test_304_without_conditional_request_is_an_error() -> None:
    f, _ = make(Site({"/a": R(304)}))
    with pytest.raises(FetchError, match="not conditional") as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert ei.value.outcome == "failed"


def test_charset_from_header() -> None:
    site = Site({"/a": R(200, headers={"Content-Type": 'text/html; Charset="ISO-8859-1"'},
                                      content=b"<p>caf\xe9</p>")})
    f, _ = make(site)
    r = f.fetch("https://news.example/a", allowed_domains=SITE)
    assert r.charset == "ISO-8859-1" and r.content == b"<p>caf\xe9</p>"
    site.routes["/b"] = R(200, headers={"Content-Type": "text/html"}, content=HTML)
    assert f.fetch("https://news.example/b", allowed_domains=SITE).charset is None


def test_off_site_and_non_http_start_urls_skipped_without_request() -> None:
    site = Site()
    f, _ = make(site)
    with pytest.raises(FetchError, match=r"off-site URL \(other.example") as ei:
        f.fetch("https://other.example/a", allowed_domains=SITE)
    assert ei.value.outcome == "skipped"
    with pytest.raises(FetchError, match="not an http") as ei:
        f.fetch("ftp://news.example/a", allowed_domains=SITE)
    assert ei.value.outcome == "skipped"
    assert site.requests == []


def test_empty_allowed_domains_means_the_url_host() -> None:
    site = Site({"/a": R(302, headers={"Location": "https://elsewhere.example/"})})
    f, _ = make(site)
    assert f.fetch("https://news.example/b", allowed_domains=()).status == 200
    with pytest.raises(RedirectError, match="off-site redirect to elsewhere.example"):
        f.fetch("https://news.example/a", allowed_domains=())


# -- robots.txt ----------------------------------------------------------------------------------------

ROBOTS = "User-agent: *\nDisallow: /private/\n\nSitemap: https://news.example/sitemap.xml\n"


def test_robots_disallow_skips_without_request() -> None:
    site = Site({"/robots.txt": R(200, text=ROBOTS)})
    f, _ = make(site, respect_robots=True)
    with pytest.raises(RobotsDisallowedError) as ei:
        f.fetch("https://news.example/private/x", allowed_domains=SITE)
    assert str(ei.value) == "disallowed by robots.txt" and ei.value.outcome == "skipped"
    f.fetch("https://news.example/public", allowed_domains=SITE)
    assert site.urls() == ["https://news.example/robots.txt", "https://news.example/public"]


def test_robots_5xx_disallows_host_for_the_run() -> None:
    site = Site({"/robots.txt": R(503)})
    f, _ = make(site, respect_robots=True)
    for path in ("/a", "/b"):
        with pytest.raises(RobotsDisallowedError) as ei:
            f.fetch("https://news.example" + path, allowed_domains=SITE)
        assert str(ei.value) == "robots.txt unavailable (HTTP 503): host treated as disallowed for this run"
        assert ei.value.outcome == "skipped"
    assert site.urls() == ["https://news.example/robots.txt"]   # asked once, nothing else fetched
    # the next run (a new Fetcher) asks again
    site.routes["/robots.txt"] = R(200, text=ROBOTS)
    f2, _ = make(site, respect_robots=True)
    assert f2.fetch("https://news.example/a", allowed_domains=SITE).status == 200
    assert site.urls("/robots.txt") == ["https://news.example/robots.txt"] * 2


def test_robots_unreachable_disallows_host() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    site = Site({"/robots.txt": refuse})
    f, ft = make(site, respect_robots=True, retries=2)
    for path in ("/a", "/b"):
        with pytest.raises(RobotsDisallowedError) as ei:
            f.fetch("https://news.example" + path, allowed_domains=SITE)
        assert str(ei.value) == ("cannot connect: [Errno 111] Connection refused (after 3 attempts); "
                                 "robots.txt unreachable, host treated as disallowed for this run")
        assert ei.value.outcome == "failed"   # the host is down: counted failed, not a deliberate skip
    assert site.urls() == ["https://news.example/robots.txt"] * 3   # retried once per run, then cached
    assert ft.sleeps == [0.375, 0.75]


def test_robots_4xx_allows_all_and_respect_robots_off_skips_it() -> None:
    site = Site({"/robots.txt": R(403, text="User-agent: *\nDisallow: /")})
    f, _ = make(site, respect_robots=True)
    assert f.fetch("https://news.example/x", allowed_domains=SITE).status == 200
    site2 = Site({"/robots.txt": R(200, text="User-agent: *\nDisallow: /")})
    f2, _ = make(site2, respect_robots=False)
    assert f2.fetch("https://news.example/x", allowed_domains=SITE).status == 200
    assert site2.urls("/robots.txt") == []


def test_robots_checked_for_redirect_target_host() -> None:
    site = Site({
        "/a": R(301, headers={"Location": "https://m.news.example/private/a"}),
        "https://m.news.example/robots.txt": R(200, text=ROBOTS),
    })
    f, _ = make(site, respect_robots=True)
    with pytest.raises(RobotsDisallowedError, match="disallowed by robots.txt: redirect to "
                                                    "https://m.news.example/private/a"):
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert "https://m.news.example/private/a" not in site.urls()


def test_robots_sitemaps_even_when_not_respecting() -> None:
    site = Site({"/robots.txt": R(200, text=ROBOTS)})
    f, _ = make(site, respect_robots=False)
    assert f.robots_sitemaps("https://news.example/any") == ["https://news.example/sitemap.xml"]
    assert f.robots_sitemaps("https://news.example/other") == ["https://news.example/sitemap.xml"]
    assert site.urls() == ["https://news.example/robots.txt"]


def test_crawl_delay_wins_when_larger() -> None:
    site = Site({"/robots.txt": R(200, text="User-agent: kabar-test\nCrawl-delay: 5\n")})
    f, ft = make(site, respect_robots=True, per_host_delay=1.0)
    for p in ("/a", "/b"):
        f.fetch("https://news.example" + p, allowed_domains=SITE)
    assert ft.sleeps == [5.0, 5.0]   # robots.txt request, 5 s, /a, 5 s, /b


def test_crawl_delay_smaller_than_per_host_delay_ignored() -> None:
    site = Site({"/robots.txt": R(200, text="User-agent: *\nCrawl-delay: 0.5\n")})
    f, ft = make(site, respect_robots=True, per_host_delay=2.0)
    for p in ("/a", "/b"):
        f.fetch("https://news.example" + p, allowed_domains=SITE)
    assert ft.sleeps == [2.0, 2.0]


def test_crawl_delay_capped_at_max_retry_after() -> None:
    site = Site({"/robots.txt": R(200, text="User-agent: *\nCrawl-delay: 86400\n")})
    f, ft = make(site, respect_robots=True, per_host_delay=1.0, max_retry_after=60.0)
    f.fetch("https://news.example/a", allowed_domains=SITE)
    assert ft.sleeps == [60.0]


# -- politeness -----------------------------------------------------------------------------------------

def test_per_host_delay_between_request_starts() -> None:
    site = Site()
    f, ft = make(site, per_host_delay=1.5)
    for p in ("/a", "/b", "/c"):
        f.fetch("https://news.example" + p, allowed_domains=SITE)
    assert ft.sleeps == [1.5, 1.5]
    ft.now += 0.5   # time spent elsewhere counts
    f.fetch("https://news.example/d", allowed_domains=SITE)
    assert ft.sleeps == [1.5, 1.5, 1.0]
    ft.now += 10
    f.fetch("https://news.example/e", allowed_domains=SITE)
    assert ft.sleeps == [1.5, 1.5, 1.0]


def test_delay_is_per_host_and_port() -> None:
    site = Site()
    f, ft = make(site, per_host_delay=3.0)
    doms = ("news.example", "other.example")
    f.fetch("https://news.example/a", allowed_domains=doms)
    f.fetch("https://other.example/a", allowed_domains=doms)
    f.fetch("https://news.example:8443/a", allowed_domains=doms)
    f.fetch("http://news.example/a", allowed_domains=doms)
    assert ft.sleeps == []
    f.fetch("https://news.example/b", allowed_domains=doms)
    assert ft.sleeps == [3.0]


def _concurrency_run(urls: list[str], in_flight_target: int, **http: Any) -> tuple[int, dict[str, int]]:
    """Fetch ``urls`` from one thread each; every request waits at a Barrier of ``in_flight_target`` so the
    limit is really reached; returns the max total and per-host number of requests seen in flight."""
    lock = threading.Lock()
    now = {"total": 0}
    per_host: dict[str, int] = {}
    peak = {"total": 0}
    peak_host: dict[str, int] = {}
    rendezvous = threading.Barrier(in_flight_target, timeout=10)

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        with lock:
            now["total"] += 1
            per_host[host] = per_host.get(host, 0) + 1
            peak["total"] = max(peak["total"], now["total"])
            peak_host[host] = max(peak_host.get(host, 0), per_host[host])
        rendezvous.wait()
        with lock:
            now["total"] -= 1
            per_host[host] -= 1
        return html()(request)

    f, _ = make(Site({u: handler for u in urls}), **http)
    domains = tuple({httpx.URL(u).host for u in urls})
    start = threading.Barrier(len(urls))
    errors: list[BaseException] = []

    def worker(u: str) -> None:
        start.wait()
        try:
            f.fetch(u, allowed_domains=domains)
        except BaseException as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    return peak["total"], peak_host


def test_per_host_concurrency_limit() -> None:
    urls = [f"https://news.example/{i}" for i in range(8)]
    total, per_host = _concurrency_run(urls, 2, per_host_concurrency=2, concurrency=8)
    assert total == 2 and per_host == {"news.example": 2}


def test_global_concurrency_limit() -> None:
    urls = [f"https://h{i}.example/a" for i in range(9)]
    total, per_host = _concurrency_run(urls, 3, per_host_concurrency=2, concurrency=3)
    assert total == 3 and set(per_host.values()) == {1}


def test_retry_after_pauses_the_host_for_everyone() -> None:
    site = Site({"/a": R(429, headers={"Retry-After": "30"})})
    f, ft = make(site, retries=0)
    doms = ("news.example", "other.example")
    with pytest.raises(FetchError, match=r"^HTTP 429$"):
        f.fetch("https://news.example/a", allowed_domains=doms)
    assert ft.sleeps == []
    f.fetch("https://other.example/b", allowed_domains=doms)   # another host is not paused
    assert ft.sleeps == []
    f.fetch("https://news.example/b", allowed_domains=doms)
    assert ft.sleeps == [30.0]


def test_stop_event_ends_waits() -> None:
    stop = threading.Event()
    site = Site()
    ft = FakeTime()
    cfg = dataclasses.replace(HttpConfig(), per_host_delay=5.0, respect_robots=False)

    def sleep(seconds: float) -> None:
        ft.sleep(seconds)
        stop.set()

    f = Fetcher(cfg, transport=httpx.MockTransport(site), sleep=sleep, clock=ft.clock, stop=stop)
    f.fetch("https://news.example/a", allowed_domains=SITE)
    with pytest.raises(FetchStopped) as ei:
        f.fetch("https://news.example/b", allowed_domains=SITE)
    assert ei.value.outcome == "skipped"
    assert site.pages() == ["https://news.example/a"]


def test_no_request_after_stop_even_without_a_wait() -> None:
    # no delay, free slots: the turn is granted at once, and the stop flag is still checked before sending
    stop = threading.Event()
    site = Site()
    cfg = dataclasses.replace(HttpConfig(), per_host_delay=0.0, respect_robots=False)
    f = Fetcher(cfg, transport=httpx.MockTransport(site), stop=stop)
    f.fetch("https://news.example/a", allowed_domains=SITE)
    stop.set()
    with pytest.raises(FetchStopped, match="^stopped before the request was sent$"):
        f.fetch("https://news.example/b", allowed_domains=SITE)
    assert site.pages() == ["https://news.example/a"]


@pytest.mark.parametrize(("per_host", "total"), [(4, 8), (8, 4)], ids=["host-slots-full", "global-slots-full"])
def test_stop_with_four_in_flight_sends_nothing_more(per_host: int, total: int) -> None:
    """4 requests hang on a slow host, 8 more wait for a slot: after stop the waiting ones give up at once
    (not when a slot frees) and, once the 4 finish, nothing more is sent."""
    stop = threading.Event()
    release = threading.Event()
    lock = threading.Lock()
    sent: list[str] = []
    four_in_flight = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            sent.append(request.url.path)
            if len(sent) == 4:
                four_in_flight.set()
        release.wait(20)
        return html()(request)

    cfg = dataclasses.replace(HttpConfig(), per_host_delay=0.0, respect_robots=False, retries=0,
                              per_host_concurrency=per_host, concurrency=total)
    f = Fetcher(cfg, transport=httpx.MockTransport(slow), stop=stop)
    outcomes: dict[int, str] = {}

    def worker(n: int) -> None:
        try:
            f.fetch(f"https://news.example/a{n}", allowed_domains=SITE)
            outcomes[n] = "fetched"
        except FetchStopped:
            outcomes[n] = "stopped"

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    assert four_in_flight.wait(10)
    time.sleep(0.1)            # the other 8 are blocked on a slot by now
    assert len(sent) == 4
    stop.set()
    deadline = time.monotonic() + 2
    while sum(1 for o in outcomes.values() if o == "stopped") < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(outcomes.values()) == ["stopped"] * 8, "waiting fetches must not sleep through a stop"
    release.set()
    for t in threads:
        t.join(10)
    assert sorted(outcomes.values()) == ["fetched"] * 4 + ["stopped"] * 8
    assert len(sent) == 4
    f.close()


def test_stop_during_a_retry_after_pause_sends_no_retry() -> None:
    stop = threading.Event()
    site = Site({"/a": [R(503, headers={"Retry-After": "30"}), html()]})
    cfg = dataclasses.replace(HttpConfig(), per_host_delay=0.0, respect_robots=False, retries=3,
                              max_retry_after=60.0)
    f = Fetcher(cfg, transport=httpx.MockTransport(site), stop=stop)
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(FetchStopped):
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert time.monotonic() - started < 5       # woke up on the stop, not after the 30 s pause
    assert site.pages() == ["https://news.example/a"]


# -- retries ---------------------------------------------------------------------------------------------

def test_503_retry_after_seconds_then_ok() -> None:
    site = Site({"/a": [R(503, headers={"Retry-After": "7"}), html()]})
    f, ft = make(site, per_host_delay=1.0)
    assert f.fetch("https://news.example/a", allowed_domains=SITE).status == 200
    assert ft.sleeps == [7.0] and len(site.requests) == 2


def test_429_retry_after_http_date_measured_from_date_header() -> None:
    site = Site({"/a": [R(429, headers={"Retry-After": "Wed, 01 May 2024 10:00:12 GMT",
                                                     "Date": "Wed, 01 May 2024 10:00:00 GMT"}), html()]})
    f, ft = make(site)
    f.fetch("https://news.example/a", allowed_domains=SITE)
    assert ft.sleeps == [12.0]


def test_parse_retry_after_forms() -> None:
    wall = lambda: 1_700_000_000.0  # noqa: E731  (2023-11-14 22:13:20 UTC)
    assert parse_retry_after("120", wall=wall) == 120.0
    assert parse_retry_after(" 1.5 ", wall=wall) == 1.5
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", wall=wall) == 30.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", wall=wall) == 0.0   # in the past
    assert parse_retry_after("-5", wall=wall) is None
    assert parse_retry_after("soon", wall=wall) is None
    assert parse_retry_after("", wall=wall) is None
    assert parse_retry_after(None, wall=wall) is None


def test_retry_after_too_long_gives_up_the_url_not_the_host() -> None:
    site = Site({"/a": R(503, headers={"Retry-After": "3600"})})
    f, ft = make(site, max_retry_after=120.0)
    with pytest.raises(RetryAfterTooLongError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert ei.value.outcome == "failed" and ei.value.status == 503
    assert "Retry-After 3600s (HTTP 503) is longer than max_retry_after 120s" in str(ei.value)
    assert ft.sleeps == [] and len(site.requests) == 1
    # SPEC: a longer Retry-After gives up on *the URL* for this run; the host's other pages still come
    assert f.fetch("https://news.example/b", allowed_domains=SITE).status == 200
    assert len(site.requests) == 2


def test_429_and_503_without_retry_after_back_off() -> None:
    site = Site({"/a": [R(429), R(503, headers={"Retry-After": "junk"}), html()]})
    f, ft = make(site)
    assert f.fetch("https://news.example/a", allowed_domains=SITE).status == 200
    assert ft.sleeps == [0.375, 0.75]


def test_5xx_retried_with_exponential_backoff_and_equal_jitter() -> None:
    site = Site({"/a": [R(500), R(502), R(500), html()]})
    f, ft = make(site, retries=3, backoff_base=0.5, rand=lambda: 0.5)
    assert f.fetch("https://news.example/a", allowed_domains=SITE).status == 200
    # step = 0.5 * 2**attempt; wait = step/2 + rand*step/2
    assert ft.sleeps == [0.375, 0.75, 1.5]


def test_backoff_capped_and_jitter_range() -> None:
    site = Site({"/a": R(500)})
    f, ft = make(site, retries=3, backoff_base=10.0, backoff_max=15.0, rand=lambda: 0.0)
    with pytest.raises(FetchError, match=r"^HTTP 500 \(after 4 attempts\)$") as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert ei.value.status == 500 and ei.value.outcome == "failed"
    assert ft.sleeps == [5.0, 7.5, 7.5]
    assert len(site.requests) == 4
    f2, ft2 = make(Site({"/a": R(500)}), retries=1, backoff_base=2.0, rand=lambda: 0.999999)
    with pytest.raises(FetchError):
        f2.fetch("https://news.example/a", allowed_domains=SITE)
    assert ft2.sleeps == [pytest.approx(2.0, abs=1e-5)]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_other_4xx_never_retried(status: int) -> None:
    site = Site({"/a": R(status)})
    f, ft = make(site)
    with pytest.raises(FetchError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert str(ei.value) == f"HTTP {status}" and ei.value.status == status
    assert ei.value.outcome == "failed"
    assert len(site.requests) == 1 and ft.sleeps == []


def test_unresolvable_host_retried_then_cannot_connect() -> None:
    def nxdomain(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or\nservice not known", request=request)

    site = Site({"/a": nxdomain})
    f, ft = make(site, retries=2)
    with pytest.raises(FetchError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert str(ei.value) == "cannot connect: [Errno -2] Name or service not known (after 3 attempts)"
    assert ei.value.status is None and "\n" not in str(ei.value)
    assert len(site.requests) == 3 and ft.sleeps == [0.375, 0.75]


def test_timeout_exception_retried() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    site = Site({"/a": [slow, html()]})
    f, ft = make(site)
    assert f.fetch("https://news.example/a", allowed_domains=SITE).content == HTML
    assert ft.sleeps == [0.375]
    site.routes["/b"] = slow
    f2, _ = make(site, retries=1)
    with pytest.raises(FetchError, match=r"^timed out after 10s \(after 2 attempts\)$"):
        f2.fetch("https://news.example/b", allowed_domains=SITE)


def test_read_timeout_shrunk_to_what_is_left_of_the_deadline() -> None:
    ft = FakeTime()
    seen: list[float] = []

    def slow_headers(request: httpx.Request) -> httpx.Response:
        ft.now += 7.5   # headers after 7.5 s of a 10 s budget
        def body() -> Iterator[bytes]:
            seen.append(request.extensions["timeout"]["read"])
            yield HTML
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=body())

    f, _ = make(Site({"/a": slow_headers}), ft, timeout=10.0)
    f.fetch("https://news.example/a", allowed_domains=SITE)
    assert seen == [2.5]
    f.fetch("https://news.example/a", allowed_domains=SITE)
    assert seen == [2.5, 2.5]   # per request, not shrinking a shared setting


def test_reset_mid_body_retried() -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        def body() -> Iterator[bytes]:
            yield b"<html><body>"
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=body())

    site = Site({"/a": [reset, reset, html()]})
    f, ft = make(site)
    assert f.fetch("https://news.example/a", allowed_domains=SITE).content == HTML
    assert len(site.requests) == 3
    site.routes["/b"] = reset
    f2, _ = make(site, retries=1)
    with pytest.raises(FetchError, match=r"^connection error: RemoteProtocolError: peer closed connection "
                                         r".* \(after 2 attempts\)$"):
        f2.fetch("https://news.example/b", allowed_domains=SITE)


# -- total timeout -------------------------------------------------------------------------------------------

def test_trickling_body_cut_at_total_timeout() -> None:
    ft = FakeTime()
    produced = []

    def trickle(request: httpx.Request) -> httpx.Response:
        def body() -> Iterator[bytes]:
            for _ in range(1000):
                ft.now += 3.0   # one byte every 3 s: each read is fast enough, the whole is not
                produced.append(1)
                yield b"x"
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=body())

    f, _ = make(Site({"/a": trickle}), ft, retries=0, timeout=10.0)
    with pytest.raises(FetchError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert str(ei.value) == "timed out after 10s" and ei.value.outcome == "failed"
    assert len(produced) == 4   # 3, 6, 9 s are inside the deadline, the chunk at 12 s is not


def test_slow_headers_count_against_the_timeout_and_are_retried() -> None:
    ft = FakeTime()

    def slow(request: httpx.Request) -> httpx.Response:
        ft.now += 11.0
        return html()(request)

    site = Site({"/a": [slow, html()]})
    f, _ = make(site, ft, retries=1, timeout=10.0)
    assert f.fetch("https://news.example/a", allowed_domains=SITE).status == 200
    assert ft.sleeps == [0.375] and len(site.requests) == 2


# -- max_bytes -------------------------------------------------------------------------------------------------

def test_content_length_above_max_fails_before_reading() -> None:
    read = []

    def big(request: httpx.Request) -> httpx.Response:
        def body() -> Iterator[bytes]:
            read.append(1)
            yield b"x" * 10
        return httpx.Response(200, headers={"Content-Type": "text/html", "Content-Length": "5000"},
                              content=body())

    f, _ = make(Site({"/a": big}), max_bytes=1000)
    with pytest.raises(TooLargeError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert str(ei.value) == "response larger than 1000 bytes" and ei.value.outcome == "failed"
    assert read == []


def endless_route(chunks: list[int], piece: bytes, content_type: str) -> Handler:
    """A route whose body never ends: ``piece`` after ``piece``, each counted in ``chunks``."""
    def endless(request: httpx.Request) -> httpx.Response:
        def body() -> Iterator[bytes]:
            while True:
                chunks.append(1)
                yield piece
        return httpx.Response(200, headers={"Content-Type": content_type}, content=body())
    return endless


def test_endless_body_cut_at_max_bytes() -> None:
    chunks: list[int] = []
    site = Site({"/a": endless_route(chunks, b"<p>" + b"a" * 1021, "text/html")})
    f, _ = make(site, max_bytes=10_240)
    with pytest.raises(TooLargeError, match=r"^response larger than 10240 bytes$"):
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert len(chunks) == 11 and len(site.requests) == 1   # not retried


def test_body_of_exactly_max_bytes_is_fine() -> None:
    body = b"<" + b"p" * 999
    f, _ = make(Site({"/a": html(body=body)}), max_bytes=1000)
    assert f.fetch("https://news.example/a", allowed_domains=SITE).content == body


def test_per_call_max_bytes_overrides_the_configured_limit() -> None:
    body = b"<urlset>" + b"x" * 5000 + b"</urlset>"
    xml = {"Content-Type": "application/xml"}
    site = Site({"/sitemap.xml": R(200, headers=xml, content=body),
                 "/sitemap-gz.xml": R(200, headers={"Content-Type": "application/xml", "Content-Encoding": "gzip"},
                                      content=gzip.compress(body)),
                 "/page": html(body=b"<" + b"p" * 1999)})
    f, _ = make(site, max_bytes=1000)
    url = "https://news.example/sitemap.xml"
    with pytest.raises(TooLargeError, match="^response larger than 1000 bytes$"):
        f.fetch(url, allowed_domains=SITE, accept_html_only=False)
    assert f.fetch(url, allowed_domains=SITE, accept_html_only=False, max_bytes=10_000).content == body
    # a smaller per-call limit applies too (Content-Length seen before reading)
    with pytest.raises(TooLargeError, match="^response larger than 100 bytes$"):
        f.fetch("https://news.example/page", allowed_domains=SITE, max_bytes=100)
    # the limit covers the decompressed bytes: 5 KB of gzip'd x's are tiny raw, too big inflated
    gz = "https://news.example/sitemap-gz.xml"
    assert f.fetch(gz, allowed_domains=SITE, accept_html_only=False, max_bytes=6000).content == body
    assert len(gzip.compress(body)) < 1000
    with pytest.raises(TooLargeError, match=r"^response larger than 4000 bytes \(decompressed\)$"):
        f.fetch(gz, allowed_domains=SITE, accept_html_only=False, max_bytes=4000)
    # the configured limit still holds for the next call
    with pytest.raises(TooLargeError, match="^response larger than 1000 bytes$"):
        f.fetch("https://news.example/page", allowed_domains=SITE)


def test_per_call_max_bytes_applies_to_an_endless_body_after_a_redirect() -> None:
    chunks: list[int] = []
    site = Site({"/old.xml": R(301, headers={"Location": "/new.xml"}),
                 "/new.xml": endless_route(chunks, b"<" + b"a" * 1023, "application/xml")})
    f, _ = make(site, max_bytes=1_000_000)
    with pytest.raises(TooLargeError, match="^response larger than 8192 bytes$"):
        f.fetch("https://news.example/old.xml", allowed_domains=SITE, accept_html_only=False, max_bytes=8192)
    assert len(chunks) == 9


def _endless_gzip() -> Iterator[bytes]:
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * 1_000_000
    while True:
        out = comp.compress(zeros)
        if out:
            yield out


def test_gzip_bomb_cut_by_decompressed_size() -> None:
    raw_chunks = []

    def bomb(request: httpx.Request) -> httpx.Response:
        def body() -> Iterator[bytes]:
            for chunk in _endless_gzip():
                raw_chunks.append(len(chunk))
                yield chunk
        return httpx.Response(200, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                              content=body())

    f, _ = make(Site({"/a": bomb}), max_bytes=1_000_000)
    with pytest.raises(TooLargeError, match=r"^response larger than 1000000 bytes \(decompressed\)$"):
        f.fetch("https://news.example/a", allowed_domains=SITE)
    # ~1 KB of gzip per MB of zeros: the raw limit alone would have let ~1 GB be inflated
    assert sum(raw_chunks) < 20_000


def test_gzip_and_deflate_bodies_decoded() -> None:
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    site = Site({
        "/gz": R(200, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                              content=gzip.compress(HTML)),
        "/multi": R(200, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                                 content=gzip.compress(HTML[:20]) + gzip.compress(HTML[20:])),
        "/zlib": R(200, headers={"Content-Type": "text/html", "Content-Encoding": "deflate"},
                                content=zlib.compress(HTML)),
        "/raw": R(200, headers={"Content-Type": "text/html", "Content-Encoding": "deflate"},
                               content=raw_deflate.compress(HTML) + raw_deflate.flush()),
        "/twice": R(200, headers={"Content-Type": "text/html",
                                               "Content-Encoding": "gzip, identity, gzip"},
                                 content=gzip.compress(gzip.compress(HTML))),
    })
    f, _ = make(site)
    for path in ("/gz", "/multi", "/zlib", "/raw", "/twice"):
        assert f.fetch("https://news.example" + path, allowed_domains=SITE).content == HTML, path


def test_compressed_body_within_raw_but_over_decompressed_limit() -> None:
    body = b"<p>" + b"a" * 5000
    site = Site({"/a": R(200, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                                      content=gzip.compress(body))})
    f, _ = make(site, max_bytes=len(body) - 1)
    with pytest.raises(TooLargeError, match="decompressed"):
        f.fetch("https://news.example/a", allowed_domains=SITE)
    f2, _ = make(site, max_bytes=len(body))
    assert f2.fetch("https://news.example/a", allowed_domains=SITE).content == body


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress"])
def test_unsupported_content_encoding(encoding: str) -> None:
    site = Site({"/a": R(200, headers={"Content-Type": "text/html", "Content-Encoding": encoding},
                                      content=b"\x8b\x00\x80")})
    f, _ = make(site)
    with pytest.raises(FetchError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert str(ei.value) == f"unsupported content-encoding: {encoding}" and ei.value.outcome == "failed"
    assert len(site.requests) == 1


def test_corrupt_gzip_fails_cleanly() -> None:
    site = Site({"/a": R(200, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                                      content=b"\x1f\x8bthis is not gzip at all")})
    f, _ = make(site)
    with pytest.raises(FetchError, match=r"^invalid gzip body: "):
        f.fetch("https://news.example/a", allowed_domains=SITE)


# -- content types ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ctype", ["application/pdf", "image/jpeg", "application/json", "text/plain",
                                   "application/rss+xml", "application/octet-stream"])
def test_non_html_skipped(ctype: str) -> None:
    read = []

    def handler(request: httpx.Request) -> httpx.Response:
        def body() -> Iterator[bytes]:
            read.append(1)
            yield b"<html>"
        return httpx.Response(200, headers={"Content-Type": ctype + "; charset=utf-8"}, content=body())

    f, _ = make(Site({"/a": handler}))
    with pytest.raises(NotHtmlError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert str(ei.value) == f"not HTML ({ctype})" and ei.value.outcome == "skipped"
    assert read == []   # decided on the header, body never read


def test_xhtml_accepted() -> None:
    site = Site({"/a": R(200, headers={"Content-Type": "Application/XHTML+XML"}, content=HTML)})
    f, _ = make(site)
    assert f.fetch("https://news.example/a", allowed_domains=SITE).content_type == "application/xhtml+xml"


@pytest.mark.parametrize("ctype", ["application/rss+xml", "application/atom+xml", "text/xml",
                                   "application/xml", "text/plain", "application/gzip", "application/x-gzip",
                                   "application/vnd.custom+xml", "text/html"])
def test_feed_types_accepted_when_not_html_only(ctype: str) -> None:
    f, _ = make(Site({"/feed": R(200, headers={"Content-Type": ctype}, content=b"<rss/>")}))
    r = f.fetch("https://news.example/feed", allowed_domains=SITE, accept_html_only=False)
    assert r.content == b"<rss/>" and r.content_type == ctype


def test_pdf_skipped_even_for_feeds() -> None:
    f, _ = make(Site({"/feed": R(200, headers={"Content-Type": "application/pdf"}, content=b"%")}))
    with pytest.raises(NotHtmlError, match=r"not HTML \(application/pdf\)"):
        f.fetch("https://news.example/feed", allowed_domains=SITE, accept_html_only=False)


@pytest.mark.parametrize("body, sniffed", [
    (b"<!DOCTYPE html><html></html>", "text/html"),
    (b"\xef\xbb\xbf \n  <html><p>x</p></html>", "text/html"),
    ("\ufeff<html></html>".encode("utf-16-le"), "text/html"),
    (b"<?xml version='1.0'?><rss/>", "application/xml"),
])
def test_missing_content_type_sniffed(body: bytes, sniffed: str) -> None:
    f, _ = make(Site({"/a": R(200, content=body)}))
    r = f.fetch("https://news.example/a", allowed_domains=SITE)
    assert r.content == body and r.content_type == sniffed


def test_missing_content_type_not_markup_skipped() -> None:
    f, _ = make(Site({"/a": R(200, content=b"%PDF-1.7 ...")}))
    with pytest.raises(NotHtmlError, match=r"^not HTML \(no Content-Type, body is not markup\)$"):
        f.fetch("https://news.example/a", allowed_domains=SITE)


def test_octet_stream_gzip_sitemap_accepted_for_feeds() -> None:
    gz = gzip.compress(b"<urlset/>")
    f, _ = make(Site({"/s.xml.gz": R(200, headers={"Content-Type": "application/octet-stream"},
                                                  content=gz)}))
    r = f.fetch("https://news.example/s.xml.gz", allowed_domains=SITE, accept_html_only=False)
    assert r.content == gz and r.content_type == "application/gzip"


# -- redirects ---------------------------------------------------------------------------------------------

def test_redirect_chain_followed_by_hand() -> None:
    site = Site({
        "/old": R(301, headers={"Location": "/mid?x=1#frag"}),
        "/mid?x=1": R(302, headers={"Location": "https://www.news.example/new"}),
        "https://www.news.example/new": html(etag='"n"'),
    })
    f, _ = make(site)
    r = f.fetch("https://news.example/old", allowed_domains=SITE)
    assert r.final_url == "https://www.news.example/new" and r.etag == '"n"'
    assert r.redirects == ["https://news.example/old", "https://news.example/mid?x=1"]
    assert site.urls() == ["https://news.example/old", "https://news.example/mid?x=1",
                           "https://www.news.example/new"]


def test_conditional_headers_kept_across_redirect() -> None:
    site = Site({"/old": R(301, headers={"Location": "/new"}),
                 "/new": R(304)})
    f, _ = make(site)
    r = f.fetch("https://news.example/old", allowed_domains=SITE, etag='"e"')
    assert r.not_modified and r.final_url == "https://news.example/new"
    assert site.requests[1].headers["if-none-match"] == '"e"'


def test_off_site_redirect_skipped_without_request() -> None:
    site = Site({"/a": R(302, headers={"Location": "https://evil.example/x"})})
    f, _ = make(site)
    with pytest.raises(RedirectError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert str(ei.value) == "off-site redirect to evil.example" and ei.value.outcome == "skipped"
    assert site.urls() == ["https://news.example/a"]


@pytest.mark.parametrize("location", ["ftp://news.example/file", "javascript:alert(1)",
                                      "mailto:x@news.example"])
def test_non_http_redirect_skipped(location: str) -> None:
    site = Site({"/a": R(302, headers={"Location": location})})
    f, _ = make(site)
    with pytest.raises(RedirectError, match="^non-http\\(s\\) redirect to ") as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert ei.value.outcome == "skipped" and len(site.requests) == 1


def test_redirect_loop_fails() -> None:
    site = Site({"/a": R(301, headers={"Location": "/b"}),
                 "/b": R(302, headers={"Location": "https://news.example/a#again"})})
    f, _ = make(site)
    with pytest.raises(RedirectError) as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert str(ei.value) == "redirect loop" and ei.value.outcome == "failed"
    assert len(site.requests) == 2


def _chain(n: int) -> Site:
    routes: dict[str, Any] = {f"/r{i}": R(307, headers={"Location": f"/r{i + 1}"}) for i in range(n)}
    routes[f"/r{n}"] = html()
    return Site(routes)


def test_ten_redirects_allowed_eleven_fail() -> None:
    f, _ = make(_chain(10))
    r = f.fetch("https://news.example/r0", allowed_domains=SITE)
    assert r.final_url == "https://news.example/r10" and len(r.redirects) == 10
    site = _chain(11)
    f2, _ = make(site)
    with pytest.raises(RedirectError, match=r"^too many redirects \(more than 10\)$") as ei:
        f2.fetch("https://news.example/r0", allowed_domains=SITE)
    assert ei.value.outcome == "failed" and len(site.requests) == 11


def test_redirect_without_location_fails() -> None:
    f, _ = make(Site({"/a": R(302)}))
    with pytest.raises(FetchError, match=r"^HTTP 302 without a usable Location$"):
        f.fetch("https://news.example/a", allowed_domains=SITE)


def test_utf8_location_restored() -> None:
    site = Site({"/a": R(301, headers=[(b"Location", "/berita/café".encode())])})
    f, _ = make(site)
    r = f.fetch("https://news.example/a", allowed_domains=SITE)
    assert r.final_url == "https://news.example/berita/caf%C3%A9" or r.final_url.endswith("/berita/café")
    assert site.requests[1].url.raw_path == b"/berita/caf%C3%A9"


def test_one_client_reused_and_closed() -> None:
    site = Site()
    f, _ = make(site)
    client = f._client
    f.fetch("https://news.example/a", allowed_domains=SITE)
    f.fetch("https://news.example/b", allowed_domains=SITE)
    assert f._client is client
    with f:
        pass
    assert client.is_closed


def test_redirect_to_invalid_url_fails() -> None:
    site = Site({"/a": R(301, headers={"Location": "http://news.example:99999/x"})})
    f, _ = make(site)
    with pytest.raises(RedirectError, match=r"^redirect to an invalid URL: ") as ei:
        f.fetch("https://news.example/a", allowed_domains=SITE)
    assert ei.value.outcome == "failed"


def test_retry_after_http_date_without_date_header_uses_wall_clock() -> None:
    # make() injects wall = 1_700_000_000 (2023-11-14 22:13:20 UTC)
    site = Site({"/a": [R(503, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:45 GMT"}), html()]})
    f, ft = make(site)
    f.fetch("https://news.example/a", allowed_domains=SITE)
    assert ft.sleeps == [25.0]


def test_pre_read_responses_from_a_mock_transport() -> None:
    """httpx.Response(content=...) arrives already read (and decoded): the limits still apply."""
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gz":
            return httpx.Response(200, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                                  content=gzip.compress(HTML))
        if request.url.path == "/big":
            return httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<" * 2000)
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"Location": "/gz"})
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=HTML)

    cfg = dataclasses.replace(HttpConfig(), per_host_delay=0.0, respect_robots=True, max_bytes=1000)
    with Fetcher(cfg, transport=httpx.MockTransport(handler), sleep=FakeTime().sleep) as f:
        assert f.fetch("https://news.example/a", allowed_domains=SITE).content == HTML
        r = f.fetch("https://news.example/moved", allowed_domains=SITE)
        assert r.content == HTML and r.final_url == "https://news.example/gz"
        with pytest.raises(TooLargeError):
            f.fetch("https://news.example/big", allowed_domains=SITE)
