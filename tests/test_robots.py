"""RobotsCache: RFC 9309 status rules, redirects, caching and Crawl-delay, over a fake fetch function."""

from __future__ import annotations

import threading

import pytest

from scraper.errors import FetchError
from scraper.robots import RobotsCache, RobotsResponse, product_token, robots_url

UA = "kabar/0.1 (+https://example.org/kabar)"
ROBOTS = b"""User-agent: *
Disallow: /private/
Crawl-delay: 2

User-agent: kabar
Disallow: /tag/
Allow: /tag/open
Crawl-delay: 7

Sitemap: https://news.example/sitemap.xml
Sitemap: /news-sitemap.xml
"""


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


class FakeFetch:
    """Answers by URL; records every URL asked for."""

    def __init__(self, answers: dict[str, RobotsResponse | Exception]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, url: str) -> RobotsResponse:
        self.calls.append(url)
        answer = self.answers.get(url, RobotsResponse(404))
        if isinstance(answer, Exception):
            raise answer
        return answer


def make(answers: dict[str, RobotsResponse | Exception]) -> tuple[RobotsCache, FakeFetch, Clock]:
    clock = Clock()
    return RobotsCache(UA, clock=clock), FakeFetch(answers), clock


def test_product_token_and_robots_url() -> None:
    assert product_token(UA) == "kabar"
    assert product_token("  MyBot ") == "MyBot"
    assert robots_url("https://News.example:8443/a/b?c=1#f") == "https://News.example:8443/robots.txt"


def test_rules_for_our_product_token_group() -> None:
    cache, fetch, _ = make({"https://news.example/robots.txt": RobotsResponse(200, ROBOTS)})
    rules = cache.rules("https://news.example/2024/01/a", fetch)
    tok = cache.token
    assert rules.ok
    assert not rules.allows("https://news.example/tag/politik", tok)
    assert rules.allows("https://news.example/tag/open", tok)
    assert rules.allows("https://news.example/private/x", tok)   # the kabar group replaces the * group
    assert rules.crawl_delay == 7.0
    assert rules.sitemaps == ("https://news.example/sitemap.xml", "https://news.example/news-sitemap.xml")
    assert cache.sitemaps("news.example:443") == list(rules.sitemaps)
    assert cache.sitemaps("other.example:443") == []


def test_star_group_applies_to_other_agents() -> None:
    cache = RobotsCache("SomeBot/2.0", clock=Clock())
    fetch = FakeFetch({"https://news.example/robots.txt": RobotsResponse(200, ROBOTS)})
    rules = cache.rules("https://news.example/", fetch)
    assert not rules.allows("https://news.example/private/x", cache.token)
    assert rules.crawl_delay == 2.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_4xx_allows_everything(status: int) -> None:
    cache, fetch, _ = make({"http://a.example/robots.txt": RobotsResponse(status, b"Disallow: /")})
    rules = cache.rules("http://a.example/x", fetch)
    assert rules.ok and rules.allows("http://a.example/anything", cache.token)
    assert rules.crawl_delay is None and rules.sitemaps == ()


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_5xx_and_429_disallow_the_host(status: int) -> None:
    cache, fetch, _ = make({"http://a.example/robots.txt": RobotsResponse(status)})
    rules = cache.rules("http://a.example/x", fetch)
    assert not rules.ok
    assert rules.unreachable == f"robots.txt unavailable (HTTP {status})" and not rules.no_answer
    assert not rules.allows("http://a.example/x", cache.token)
    assert cache.sitemaps("a.example:80") == []


def test_unreachable_robots_disallows_with_reason() -> None:
    cache, fetch, _ = make({"http://a.example/robots.txt": FetchError("cannot connect: refused")})
    rules = cache.rules("http://a.example/x", fetch)
    assert rules.unreachable == "cannot connect: refused" and rules.no_answer
    assert not rules.allows("http://a.example/", cache.token)


def test_cached_per_host_and_port() -> None:
    cache, fetch, _ = make({"http://a.example/robots.txt": RobotsResponse(200, b"User-agent: *\nDisallow: /x")})
    cache.rules("http://a.example/1", fetch)
    cache.rules("http://A.example:80/2", fetch)
    cache.rules("http://a.example:8080/3", fetch)   # another port: another robots.txt
    cache.rules("https://a.example/4", fetch)        # another scheme/port too
    assert fetch.calls == ["http://a.example/robots.txt", "http://a.example:8080/robots.txt",
                           "https://a.example/robots.txt"]


def test_good_answer_cached_at_most_24h() -> None:
    cache, fetch, clock = make({"http://a.example/robots.txt": RobotsResponse(200, b"")})
    cache.rules("http://a.example/", fetch)
    clock.now += 24 * 3600 - 1
    cache.rules("http://a.example/", fetch)
    assert len(fetch.calls) == 1
    clock.now += 2
    cache.rules("http://a.example/", fetch)
    assert len(fetch.calls) == 2


def test_failure_kept_for_the_run_and_forgotten_after() -> None:
    cache, fetch, _ = make({"http://a.example/robots.txt": RobotsResponse(503),
                            "http://b.example/robots.txt": RobotsResponse(200, b"")})
    assert not cache.rules("http://a.example/", fetch).ok
    assert cache.rules("http://b.example/", fetch).ok
    assert not cache.rules("http://a.example/", fetch).ok
    assert fetch.calls.count("http://a.example/robots.txt") == 1
    cache.forget_failures()  # a new run
    fetch.answers["http://a.example/robots.txt"] = RobotsResponse(200, b"")
    assert cache.rules("http://a.example/", fetch).ok
    assert cache.rules("http://b.example/", fetch).ok
    assert fetch.calls.count("http://a.example/robots.txt") == 2
    assert fetch.calls.count("http://b.example/robots.txt") == 1   # good answers survive forget_failures


def test_redirect_within_host_and_to_allowed_host_followed() -> None:
    body = b"User-agent: *\nDisallow: /secret"
    cache, fetch, _ = make({
        "https://a.example/robots.txt": RobotsResponse(301, location="/robots-live.txt"),
        "https://a.example/robots-live.txt": RobotsResponse(302, location="https://cdn.a.example/r.txt"),
        "https://cdn.a.example/r.txt": RobotsResponse(200, body),
    })
    rules = cache.rules("https://a.example/page", fetch, ("a.example",))
    assert not rules.allows("https://a.example/secret", cache.token)
    assert rules.host_key == "a.example:443"
    assert len(fetch.calls) == 3


def test_redirect_off_site_means_no_robots() -> None:
    cache, fetch, _ = make({
        "https://a.example/robots.txt": RobotsResponse(301, location="https://evil.example/robots.txt"),
        "https://evil.example/robots.txt": RobotsResponse(200, b"User-agent: *\nDisallow: /"),
    })
    rules = cache.rules("https://a.example/page", fetch, ("a.example",))
    assert rules.ok and rules.allows("https://a.example/page", cache.token)
    assert fetch.calls == ["https://a.example/robots.txt"]


def test_more_than_five_redirects_means_no_robots() -> None:
    answers: dict[str, RobotsResponse | Exception] = {
        "http://a.example/robots.txt": RobotsResponse(302, location="/r1"),
    }
    for i in range(1, 10):
        answers[f"http://a.example/r{i}"] = RobotsResponse(302, location=f"/r{i + 1}")
    answers["http://a.example/r5"] = RobotsResponse(302, location="/final")
    answers["http://a.example/final"] = RobotsResponse(200, b"User-agent: *\nDisallow: /")
    cache, fetch, _ = make(answers)
    rules = cache.rules("http://a.example/x", fetch)
    assert len(fetch.calls) == 6   # the original and five redirects, the sixth is not followed
    assert rules.ok and rules.allows("http://a.example/x", cache.token)

    answers["http://a.example/r4"] = RobotsResponse(302, location="/final")   # exactly five hops
    cache2 = RobotsCache(UA, clock=Clock())
    fetch2 = FakeFetch(answers)
    assert not cache2.rules("http://a.example/x", fetch2).allows("http://a.example/x", cache2.token)
    assert fetch2.calls[-1] == "http://a.example/final"


def test_bom_and_garbage() -> None:
    cache, fetch, _ = make({
        "http://a.example/robots.txt": RobotsResponse(200, b"\xef\xbb\xbfUser-agent: *\nDisallow: /a\n"),
        "http://b.example/robots.txt": RobotsResponse(200, b"\x00\xff<html>not robots</html>"),
    })
    assert not cache.rules("http://a.example/", fetch).allows("http://a.example/a", cache.token)
    assert cache.rules("http://b.example/", fetch).allows("http://b.example/a", cache.token)


def test_two_threads_download_robots_once() -> None:
    gate = threading.Barrier(2, timeout=0.5)
    calls: list[str] = []

    def slow_fetch(url: str) -> RobotsResponse:
        calls.append(url)
        try:  # without the per-host lock the second thread would arrive here and trip the barrier
            gate.wait()
        except threading.BrokenBarrierError:
            pass
        return RobotsResponse(200, b"User-agent: *\nDisallow: /x")

    cache = RobotsCache(UA, clock=Clock())
    start = threading.Barrier(2)
    results = []

    def worker() -> None:
        start.wait()
        results.append(cache.rules("http://a.example/p", slow_fetch).allows("http://a.example/x", "kabar"))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert calls == ["http://a.example/robots.txt"]
    assert results == [False, False]
