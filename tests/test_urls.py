from __future__ import annotations

import httpx
import pytest

from scraper.urls import absolutize, host_allowed, host_key, normalize_host
from storage.urls import MAX_URL_CHARS, canonical_url, idna_host


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


# ---- canonical URLs (storage.urls) -------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),     # IDN host and its punycode
    ("https://BÜCHER.Example./a", "https://xn--bcher-kva.example/a"),
    ("https://faß.example/a", "https://xn--fa-hia.example/a"),           # IDNA 2008 keeps ß
    ("https://ｆａｍ６８.example/a", "https://fam68.example/a"),         # UTS #46 maps full-width forms
    ("https://x.example/berita%2Dbanten", "https://x.example/berita-banten"),   # %2D and -
    ("https://x.example/kaf%c3%a9", "https://x.example/kafé"),           # é and %C3%A9
    ("https://x.example/?q=caf%C3%A9", "https://x.example/?q=café"),
    ("https://x.example/a/../b/", "https://x.example/b/"),               # dot segments
    ("https://x.example/a/./%2E%2E/b/", "https://x.example/b/"),
    ("https://x.example/%7Eredaksi", "https://x.example/~redaksi"),
    ("https://x.example/a?q=a%20b", "https://x.example/a?q=a+b"),
    ("https://x.example/a?b=2&a=1", "https://x.example/a?a=1&b=2"),      # query sorted
    ("https://x.example/a#komentar", "https://x.example/a"),             # fragment dropped
    ("HTTPS://X.EXAMPLE:443/a", "https://x.example/a"),                  # default port, case
    ("http://[::0:1]:80/a", "http://[::1]/a"),
])
def test_canonical_url_pairs_share_one_key(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)


@pytest.mark.parametrize("url, key", [
    ("http://[::1]:8080/", "http://[::1]:8080/"),                        # IPv6 stays bracketed
    ("https://faß.example/", "https://xn--fa-hia.example/"),
    ("https://x.example/a/../b/", "https://x.example/b/"),
    ("https://x.example/kafé", "https://x.example/kaf%C3%A9"),
    ("https://amp.x.example/2025/11/berita/amp/?amp=1", "https://x.example/2025/11/berita/"),
    ("https://x.example/berita.amp.html", "https://x.example/berita.html"),
    ("https://x.example/berita/?id=3&utm_source=fb&fbclid=1", "https://x.example/berita/?id=3"),
    ("https://x.example", "https://x.example/"),
    ("http://x.example:8080/a", "http://x.example:8080/a"),
    ("http://x.example:notaport/a", "http://x.example/a"),
    ("https://x.example/a?q=a%2Bb", "https://x.example/a?q=a%2Bb"),      # an encoded + is not a space
    ("https://x.example/a%2Fb", "https://x.example/a%2Fb"),              # an encoded / is not a separator
    ("https://x.example/a?x;y=1", "https://x.example/a?x%3By=1"),        # ; is data, as before
    ("https://x.example/a?q=%E9", "https://x.example/a?q=%E9"),          # non-UTF-8 bytes kept
    ("mailto:redaksi@x.example", "mailto:redaksi@x.example"),
    ("http://[bad/", "http://[bad/"),
])
def test_canonical_url_keys(url: str, key: str) -> None:
    assert canonical_url(url) == key
    assert canonical_url(key) == key   # a key is its own key


@pytest.mark.parametrize("param", ["srsltid", "gad_source", "gbraid", "wbraid", "ttclid", "_hsenc", "mkt_tok",
                                   "utm_campaign", "gclid", "fbclid", "amp", "SRSLTID"])
def test_canonical_url_drops_tracking_parameters(param: str) -> None:
    assert canonical_url(f"https://x.example/a?id=7&{param}=abc") == "https://x.example/a?id=7"


def test_different_pages_keep_different_keys() -> None:
    assert canonical_url("https://fass.example/a") != canonical_url("https://faß.example/a")
    assert canonical_url("https://x.example/a?q=a+b") != canonical_url("https://x.example/a?q=a%2Bb")
    assert canonical_url("https://x.example/a/b") != canonical_url("https://x.example/a%2Fb")
    assert canonical_url("https://x.example/a?id=1") != canonical_url("https://x.example/a?id=2")
    assert canonical_url("http://x.example/a") != canonical_url("https://x.example/a")


def test_over_long_urls_are_not_canonicalised_nor_followed() -> None:
    long_url = "https://fam68.example/" + "a" * MAX_URL_CHARS + "?utm_source=x"
    assert canonical_url("  " + long_url + " ") == long_url            # returned as is, stripped
    assert not host_allowed(long_url, ("fam68.example",))
    ok = "https://fam68.example/" + "a" * (MAX_URL_CHARS - 40)
    assert host_allowed(ok, ("fam68.example",)) and canonical_url(ok) == ok


def test_idna_host_mapping() -> None:
    assert idna_host("FAß.Example.") == "xn--fa-hia.example"
    assert idna_host("www.例え。jp") == "www.xn--r8jz45g.jp"
    assert idna_host("a_b.bücher.example") == "a_b.xn--bcher-kva.example"   # a non-LDH label kept
    assert idna_host("☃.example") == "☃.example"                          # refused by IDNA 2008: kept
    assert idna_host("Fam68.EXAMPLE") == "fam68.example"


def test_host_allowed_uses_idna_2008() -> None:
    assert not host_allowed("https://faß.example/a", ("fass.example",))
    assert not host_allowed("https://fass.example/a", ("faß.example",))
    assert host_allowed("https://faß.example/a", ("xn--fa-hia.example",))
    assert host_allowed("https://www.xn--fa-hia.example/a", ("FAß.example",))
    assert host_key("https://faß.example/") == "xn--fa-hia.example:443"


@pytest.mark.parametrize("host", ["faß.example", "BÜCHER.example", "www.例え.jp", "fam68.example"])
def test_host_mapping_is_the_one_httpx_requests(host: str) -> None:
    assert httpx.URL(f"https://{host}/").raw_host.decode("ascii") == normalize_host(host)


def test_same_site_compares_idna_2008_hosts() -> None:
    from scraper.urls import same_site

    assert same_site("https://www.bücher.example/a", "https://xn--bcher-kva.example/b")
    assert not same_site("https://faß.example/a", "https://fass.example/a")
    assert same_site("https://m.fam68.example/a", "https://fam68.example/b")
    assert not same_site("http://[bad/", "https://fam68.example/")


def test_percent_encoded_dot_segments_resolve_like_dots() -> None:
    from scraper.urls import absolutize
    from storage.urls import remove_dot_segments
    assert remove_dot_segments("/category/%2E%2E/berita-satu/") == "/berita-satu/"
    assert remove_dot_segments("/a/%2e/b/") == "/a/b/"
    assert canonical_url("https://portal.example/category/%2E%2E/berita-satu/") == \
        canonical_url("https://portal.example/berita-satu/")
    assert absolutize("https://portal.example/x/", "../category/%2E%2E/berita-satu/") == \
        "https://portal.example/berita-satu/"


def test_plain_paths_take_the_fast_path_with_the_same_keys() -> None:
    """A path of unreserved characters and no query skips w3lib: the key is what w3lib would give."""
    for url in ("https://Fam68.Example:443/2025/11/berita-satu/", "http://fam68.example/a/./b/../c",
                "https://fam68.example/amp/berita/amp/", "https://fam68.example"):
        slow = canonical_url(url.replace("fam68", "fam68", 1) + "?utm_source=x")   # a query: the w3lib path
        assert canonical_url(url) == slow
