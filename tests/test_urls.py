from __future__ import annotations

import pytest

from scraper.urls import absolutize, host_allowed, host_key


@pytest.mark.parametrize("url, expected", [
    ("https://fam68.example/a", True),
    ("http://fam68.example:8080/a", True),          # ports ignored
    ("https://WWW.Fam68.Example/a", True),          # case-insensitive, subdomain
    ("https://m.news.fam68.example./a", True),      # trailing dot
    ("https://evilfam68.example/a", False),         # not a subdomain, only a suffix
    ("https://fam68.example.evil.test/a", False),
    ("ftp://fam68.example/a", False),               # http/https only
    ("javascript:alert(1)", False),
    ("https:///nohost", False),
    ("http://fam68.example:notaport/", False),
])
def test_host_allowed(url: str, expected: bool) -> None:
    assert host_allowed(url, ("fam68.example",)) is expected


def test_host_allowed_idn_both_spellings() -> None:
    assert host_allowed("https://bücher.example/x", ("xn--bcher-kva.example",))
    assert host_allowed("https://www.xn--bcher-kva.example/x", ("BÜCHER.example",))
    assert not host_allowed("https://bucher.example/x", ("bücher.example",))


def test_host_allowed_entry_with_port_or_scheme() -> None:
    assert host_allowed("http://127.0.0.1:5000/a", ("127.0.0.1:8000",))
    assert host_allowed("http://news.example/a", ("https://news.example/",))
    assert not host_allowed("http://127.0.0.2/a", ("127.0.0.1",))
    assert not host_allowed("http://news.example/a", ())


@pytest.mark.parametrize("url, key", [
    ("https://Example.com/x", "example.com:443"),
    ("http://example.com/x", "example.com:80"),
    ("http://example.com:80/x", "example.com:80"),
    ("http://127.0.0.1:8123/", "127.0.0.1:8123"),
    ("https://example.com:8443", "example.com:8443"),
    ("http://[::1]:9000/x", "[::1]:9000"),
    ("http://bücher.example/", "xn--bcher-kva.example:80"),
])
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


def test_host_key_distinguishes_ports_and_schemes() -> None:
    assert host_key("http://a.example/") != host_key("https://a.example/")
    assert host_key("http://a.example:81/") != host_key("http://a.example/")


@pytest.mark.parametrize("href, expected", [
    ("/2024/05/berita", "https://fam68.example/2024/05/berita"),
    ("berita?id=3#komentar", "https://fam68.example/kanal/berita?id=3"),
    ("//cdn.example/x", "https://cdn.example/x"),
    ("  HTTP://Other.example  ", "http://Other.example/"),
    ("/a\n/b\t", "https://fam68.example/a/b"),
    ("#top", None),
    ("", None),
    ("   ", None),
    ("javascript:void(0)", None),
    ("JavaScript:void(0)", None),
    ("mailto:redaksi@fam68.example", None),
    ("tel:+62211234", None),
    ("data:text/html,hi", None),
    ("ftp://fam68.example/file", None),
    ("http://[bad/", None),
])
def test_absolutize(href: str, expected: str | None) -> None:
    assert absolutize("https://fam68.example/kanal/index.html", href) == expected
