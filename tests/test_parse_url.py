"""``kabar parse URL`` as a library: the Fetcher's rules hold (robots.txt, max_bytes), further pages are stitched
breadth-first and de-duplicated by canonical URL (httpx.MockTransport, no sockets); fetch_and_stitch's rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import httpx
import pytest

from scraper.article import Article, Segment
from scraper.config import HttpConfig
from scraper.errors import FetchError, RobotsDisallowedError, TooLargeError
from scraper.fetch import Fetcher
from scraper.pages import fetch_and_stitch
from scraper.parse_url import parse_url

BASE = "https://news.example/berita/banjir"
P1 = ("Dinas Perhubungan menutup sementara ruas jalan utama menuju pelabuhan pada Sabtu pagi karena genangan "
      "air setinggi lutut orang dewasa belum juga surut sejak hujan lebat kemarin sore.")
P2 = ("Warga di tiga kelurahan diminta menyiapkan tas siaga berisi dokumen penting, obat-obatan dan pakaian, "
      "sementara posko pengungsian dibuka di gedung olahraga milik pemerintah kota.")
P3 = ("Menurut perkiraan cuaca, curah hujan tinggi masih akan terjadi hingga pekan depan, sehingga petugas "
      "meminta pengendara menghindari jalur rawan banjir di sepanjang pesisir utara.")


def page(body: str, links: str) -> bytes:
    return (f"<html lang='id'><head><meta charset='utf-8'><title>Banjir Rendam Lebak</title></head><body>"
            f"<article><h1>Banjir Rendam Lebak</h1><div class='entry-content'>{body}</div>"
            f"<div class='pagination'>{links}</div></article></body></html>").encode()


class Site:
    """Routes by path and query; records every request."""

    def __init__(self, routes: dict[str, bytes], robots: str = "") -> None:
        self.routes = routes
        self.robots = robots
        self.requested: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode()
        self.requested.append(target)
        if target == "/robots.txt":
            if not self.robots:
                return httpx.Response(404)
            return httpx.Response(200, headers={"Content-Type": "text/plain"}, content=self.robots.encode())
        body = self.routes.get(target)
        if body is None:
            return httpx.Response(404)
        return httpx.Response(200, headers={"Content-Type": "text/html; charset=utf-8"}, content=body)

    def pages(self) -> list[str]:
        return [t for t in self.requested if t != "/robots.txt"]


def fetcher(site: Site, **http: object) -> Fetcher:
    cfg = dataclasses.replace(HttpConfig(), per_host_delay=0.0, retries=0, **http)
    return Fetcher(cfg, transport=httpx.MockTransport(site), sleep=lambda s: None)


ROUTES = {
    # page 1 lists pages 2 and 3; page 2 lists page 3 again with a tracking parameter and page 1 with one
    "/berita/banjir": page(f"<p>{P1}</p>", "<a href='/berita/banjir?page=2'>2</a>"
                                           "<a href='/berita/banjir?page=3'>3</a>"),
    "/berita/banjir?page=2": page(f"<p>{P2}</p>", "<a href='/berita/banjir?utm_source=x'>1</a>"
                                                  "<a href='/berita/banjir?page=3&utm_source=feed'>3</a>"),
    "/berita/banjir?page=3": page(f"<p>{P3}</p>", "<a href='/berita/banjir'>1</a>"),
}


def test_further_pages_are_stitched_once_each_by_canonical_url() -> None:
    site = Site(ROUTES)
    with fetcher(site) as f:
        art = parse_url(BASE, f)
    assert site.pages() == ["/berita/banjir", "/berita/banjir?page=2", "/berita/banjir?page=3"]
    assert art.pages == 3 and art.next_pages == [] and art.path is None
    assert [p for s in art.segments for p in s.paragraphs] == [P1, P2, P3]
    assert art.url == BASE


def test_robots_txt_disallow_is_obeyed_for_the_page() -> None:
    site = Site(ROUTES, robots="User-agent: *\nDisallow: /berita/\n")
    with fetcher(site) as f, pytest.raises(RobotsDisallowedError):
        parse_url(BASE, f)
    assert site.pages() == []


def test_robots_txt_disallow_is_obeyed_for_a_further_page() -> None:
    site = Site(ROUTES, robots="User-agent: *\nDisallow: /berita/banjir?page=3\n")
    with fetcher(site) as f:
        art = parse_url(BASE, f)
    assert site.pages() == ["/berita/banjir", "/berita/banjir?page=2"]
    assert art.pages == 2
    assert any(w.startswith(f"further page {BASE}?page=3 not fetched") for w in art.warnings)


def test_max_bytes_is_enforced() -> None:
    big = page("".join(f"<p>{P1}</p>" for _ in range(40)), "")
    site = Site({"/berita/banjir": big})
    with fetcher(site, max_bytes=len(big) // 2) as f, pytest.raises(TooLargeError):
        parse_url(BASE, f)


def test_further_pages_stay_on_the_first_pages_host() -> None:
    routes = {"/berita/banjir": page(f"<p>{P1}</p>", "<a href='https://other.example/berita/banjir?page=2'>2</a>")}
    site = Site(routes)
    with fetcher(site) as f:
        art = parse_url(BASE, f)
    assert site.pages() == ["/berita/banjir"] and art.pages == 1


# ---------------------------------------------------------------------------------------------------
# fetch_and_stitch over a dictionary of parsed pages
# ---------------------------------------------------------------------------------------------------

def art(url: str, text: str, next_pages: list[str] | None = None, canonical: str | None = None) -> Article:
    return Article(url=url, canonical_url=canonical or url, segments=[Segment(None, [text])],
                   next_pages=list(next_pages or []))


def recorder(pages: dict[str, Article]) -> tuple[list[str], Callable[[str], Article | None]]:
    asked: list[str] = []

    def fetch(url: str) -> Article | None:
        asked.append(url)
        return pages.get(url)
    return asked, fetch


def test_breadth_first_with_a_key_and_the_first_pages_own_urls_seen() -> None:
    first = art("u1", "one", ["u2", "U3"], canonical="c1")
    pages = {"u2": art("u2", "two", ["u4", "u3", "C1"]), "U3": art("U3", "three", ["u5"]),
             "u4": art("u4", "four"), "u5": art("u5", "five")}
    asked, fetch = recorder(pages)
    out = fetch_and_stitch(first, fetch, key=str.lower)
    assert asked == ["u2", "U3", "u4", "u5"]          # u3 is U3, C1 is the first page's canonical
    assert out.pages == 5 and out.next_pages == []
    assert out.segments[0].paragraphs == ["one", "two", "three", "four", "five"]


def test_raw_urls_by_default_and_max_pages() -> None:
    first = art("u1", "one", [f"u{i}" for i in range(2, 9)])
    pages = {f"u{i}": art(f"u{i}", f"p{i}") for i in range(2, 9)}
    asked, fetch = recorder(pages)
    out = fetch_and_stitch(first, fetch, max_pages=3)
    assert asked == ["u2", "u3", "u4"] and out.pages == 4


def test_a_page_fetch_returns_none_for_is_skipped() -> None:
    first = art("u1", "one", ["gone", "u2"])
    asked, fetch = recorder({"u2": art("u2", "two")})
    out = fetch_and_stitch(first, fetch, max_pages=1)
    assert asked == ["gone", "u2"] and out.pages == 2      # a skipped page does not count


def test_nothing_fetched_gives_the_first_page_back() -> None:
    first = art("u1", "one", ["gone"])
    asked, fetch = recorder({})
    assert fetch_and_stitch(first, fetch) is first and asked == ["gone"]
    lone = art("u1", "one")
    assert fetch_and_stitch(lone, fetch) is lone


def test_an_error_from_fetch_propagates() -> None:
    def fetch(url: str) -> Article | None:
        raise FetchError("HTTP 500", url=url, status=500)
    with pytest.raises(FetchError):
        fetch_and_stitch(art("u1", "one", ["u2"]), fetch)
