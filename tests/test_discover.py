"""Discovery over hand-built listings, feeds, sitemaps and garbage."""

from __future__ import annotations

import gzip

import pytest

from scraper import discover
from scraper.discover import (
    feed_links,
    is_article_url,
    is_pagination_url,
    links_from_listing,
    parse_feed,
    parse_sitemap,
    section_links,
    sitemaps_from_robots,
)
from scraper.sitemaps import utc_date

BASE = "https://fam68.example/"

LISTING = """<!doctype html><html><head>
<link rel="next" href="/page/2/">
<link rel="alternate" type="application/rss+xml" title="FAM68 Feed" href="/feed/">
<link rel="alternate" type="application/atom+xml" href="https://fam68.example/feed/atom/">
<link rel="alternate" hreflang="en" href="/en/">
<link rel="stylesheet" href="/style.css">
</head><body>
<nav><a href="/">Beranda</a> <a href="/category/daerah/">Daerah</a> <a href="/tag/imigrasi/">#imigrasi</a>
<a href="/author/redaksi/">Redaksi</a> <a href="/about-us/">Tentang</a> <a href="/search?q=banten">Cari</a>
<a href="/feed/">RSS</a> <a href="/wp-admin/">admin</a></nav>
<article><h2><a href="/2025/11/imigrasi-banten-perangi-tppo/">Imigrasi Banten</a></h2>
<a href="/2025/11/imigrasi-banten-perangi-tppo/#comments">3 komentar</a>
<a href="https://www.facebook.com/sharer/sharer.php?u=https://fam68.example/2025/11/x/">Share</a>
<a href="https://wa.me/?text=x">WA</a>
<img src="/wp-content/uploads/2025/11/foto-banten.jpg"></article>
<article><a href="/read/123456/kapolda-banten">Kapolda</a></article>
<article><a href="https://fam68.example/ciseeng-bogor-dilanda-angin-kencang-puluhan-bangunan-rusak/">Ciseeng</a></article>
<article><a href="/berita/banjir-bogor.html">Banjir</a></article>
<article><a href="//fam68.example/nasional/d-7654321/judul">Detik-style id</a></article>
<article><a href="https://other.example/2025/11/off-site-story-here/">elsewhere</a></article>
<article><a href="https://m.fam68.example/2025/11/mobile-subdomain-story/">mobile</a></article>
<a href="javascript:void(0)">js</a> <a href="mailto:redaksi@fam68.example">mail</a>
<div class="pagination"><a href="/page/2/">2</a> <a href="/page/3/">3</a>
<a href="/category/daerah/page/2/">daerah 2</a></div>
</body></html>"""


def test_listing_finds_articles_and_pagination() -> None:
    articles, listings = links_from_listing(LISTING, BASE, allowed_domains=("fam68.example",))
    assert articles == [
        "https://fam68.example/2025/11/imigrasi-banten-perangi-tppo/",
        "https://fam68.example/read/123456/kapolda-banten",
        "https://fam68.example/ciseeng-bogor-dilanda-angin-kencang-puluhan-bangunan-rusak/",
        "https://fam68.example/berita/banjir-bogor.html",
        "https://fam68.example/nasional/d-7654321/judul",
        "https://m.fam68.example/2025/11/mobile-subdomain-story/",
    ]
    # pagination of this listing only; the category's own pagination belongs to another listing
    assert listings == ["https://fam68.example/page/2/", "https://fam68.example/page/3/"]


def test_listing_with_article_pattern() -> None:
    articles, _ = links_from_listing(LISTING, BASE, article_pattern=r"/\d{4}/\d{2}/",
                                     allowed_domains=("fam68.example",))
    assert articles == ["https://fam68.example/2025/11/imigrasi-banten-perangi-tppo/",
                        "https://m.fam68.example/2025/11/mobile-subdomain-story/"]


def test_listing_without_allowed_domains_still_drops_social_links() -> None:
    articles, _ = links_from_listing(LISTING, BASE)
    assert "https://other.example/2025/11/off-site-story-here/" in articles
    assert not any("facebook" in u or "wa.me" in u for u in articles)


def test_listing_pagination_from_a_later_page_and_query_pages() -> None:
    html = """<a href="/kanal/daerah?page=3">3</a><a href="/kanal/daerah?page=1">1</a>
    <a href="/kanal/nasional?page=2">other listing</a><a rel="next" href="/kanal/daerah?page=3">next</a>"""
    _, listings = links_from_listing(html, "https://x.example/kanal/daerah?page=2")
    assert listings == ["https://x.example/kanal/daerah?page=3", "https://x.example/kanal/daerah?page=1"]


def test_listing_respects_base_href() -> None:
    html = '<head><base href="https://fam68.example/arsip/"></head><a href="berita-satu-dua-tiga-empat">x</a>'
    articles, _ = links_from_listing(html, "https://fam68.example/index.php")
    assert articles == ["https://fam68.example/arsip/berita-satu-dua-tiga-empat"]


@pytest.mark.parametrize("garbage", [b"", b"\x00\xff\xfe garbage \x00", "<<<>>>", b"<html><a href=", "\ud800"])
def test_listing_garbage_gives_nothing(garbage: bytes | str) -> None:
    assert links_from_listing(garbage, BASE) == ([], [])
    assert feed_links(garbage, BASE) == []


@pytest.mark.parametrize("url", [
    "https://x.id/2025/11/20/imigrasi-banten",
    "https://x.id/read/2015/11/05/481/1244264/sering-depresi",
    "https://x.id/berita/546646/prototype",
    "https://x.id/read/2436773/tri-indonesia",
    "https://x.id/nasional/daerah/16/02/15/o2l07x284-marcella-zalianty",
    "https://x.id/showbiz/brandon-salim-makin-dekat-82f43b.html",
    "https://x.id/imigrasi-banten-dan-polda-kerja-sama/",
    "https://x.id/news/12345678",
    "https://x.id/?p=152480",                          # WordPress plain permalinks
    "https://x.id/index.php?p=7547",
    "https://x.id/berita/nasional/64ed404cd0a22/ulasan-bmkg-soal-gempa?page=2",   # a later page of an article
])
def test_article_heuristic_accepts_news_urls(url: str) -> None:
    assert is_article_url(url)


@pytest.mark.parametrize("url", [
    "https://x.id/", "https://x.id/category/daerah/", "https://x.id/kategori/nasional-dan-daerah-lain/",
    "https://x.id/tag/imigrasi-banten-dan-polda/", "https://x.id/author/redaksi/", "https://x.id/page/2/",
    "https://x.id/2025/11/20/", "https://x.id/2025/11/", "https://x.id/search?q=banten",
    "https://x.id/feed/", "https://x.id/wp-admin/post.php", "https://x.id/wp-content/uploads/2025/11/a-b-c-d.jpg",
    "https://x.id/about-us/", "https://x.id/berita.html", "https://x.id/index.html",
    "https://x.id/imigrasi-banten-dan-polda/?share=twitter", "https://twitter.com/intent/tweet-a-b-c-d",
    "ftp://x.id/2025/11/a-story", "https://x.id/sitemap.xml",
    "https://x.id/?page_id=12", "https://x.id/?p=draft", "https://x.id/?s=banten&p=2", "https://x.id/tag/x/?p=3",
    "https://x.id/kategori/berita-daerah-banten?page=2", "https://x.id/2025/11/20/some-long-story/page/2/",
])
def test_article_heuristic_rejects_non_articles(url: str) -> None:
    assert not is_article_url(url)


def test_article_pattern_sees_plain_permalinks_and_article_pages() -> None:
    assert is_article_url("https://x.id/?p=12", r"\?p=\d+$")
    assert not is_article_url("https://x.id/?p=12", r"/berita/")
    assert is_article_url("https://x.id/berita/satu?page=2", r"/berita/[a-z]+")
    assert not is_article_url("https://x.id/kanal?page=2", r"/berita/[a-z]+")


def test_feed_items_need_only_pass_exclusions() -> None:
    assert is_article_url("https://x.id/prototype", strict=False)
    assert not is_article_url("https://x.id/tag/prototype", strict=False)


def test_pagination_detection() -> None:
    assert is_pagination_url("https://x.id/page/2/")
    assert is_pagination_url("https://x.id/category/a/halaman/3")
    assert is_pagination_url("https://x.id/kanal?page=2")
    assert not is_pagination_url("https://x.id/?p=123")
    assert not is_pagination_url("https://x.id/2025/11/some-story/")


def test_feed_links() -> None:
    assert feed_links(LISTING, BASE) == ["https://fam68.example/feed/", "https://fam68.example/feed/atom/"]


RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
<channel><title>FAM68</title><link>https://fam68.example/</link>
<item><title>Satu</title><link>https://fam68.example/2025/11/satu-dua-tiga/</link>
  <pubDate>Thu, 20 Nov 2025 10:00:00 +0700</pubDate><guid isPermaLink="false">p=1</guid></item>
<item><title>Dua</title><link><![CDATA[ https://fam68.example/2025/11/dua/?a=1&b=2 ]]></link></item>
<item><title>Tiga</title><guid>https://fam68.example/2025/11/tiga/</guid></item>
<item><title>Empat</title><link>https://fam68.example/x</link>
  <feedburner:origLink>https://fam68.example/2025/11/empat/</feedburner:origLink></item>
<item><title>no link</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><link href="https://x.example/"/>
<entry><title>A</title><link rel="self" href="https://x.example/self"/>
  <link rel="alternate" type="text/html" href="https://x.example/2025/11/a/"/>
  <published>2025-11-20T03:00:00Z</published><updated>2025-11-21T03:00:00Z</updated></entry>
<entry><title>B</title><link href="https://x.example/2025/11/b/"/><updated>2025-11-22</updated></entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://r.example/"><link>https://r.example/</link></channel>
<item rdf:about="https://r.example/2025/11/r1/"><title>r1</title><link>https://r.example/2025/11/r1/</link>
  <dc:date>2025-11-20T10:00:00+07:00</dc:date></item>
<item rdf:about="https://r.example/2025/11/r2/"><title>r2</title></item>
</rdf:RDF>"""


def test_parse_rss() -> None:
    assert parse_feed(RSS) == [
        ("https://fam68.example/2025/11/satu-dua-tiga/", "2025-11-20T03:00:00+00:00"),
        ("https://fam68.example/2025/11/dua/?a=1&b=2", None),
        ("https://fam68.example/2025/11/tiga/", None),
        ("https://fam68.example/2025/11/empat/", None),
    ]


def test_parse_atom_and_rdf() -> None:
    assert parse_feed(ATOM) == [("https://x.example/2025/11/a/", "2025-11-20T03:00:00+00:00"),
                                ("https://x.example/2025/11/b/", "2025-11-21T17:00:00+00:00")]  # WIB day
    assert parse_feed(RDF) == [("https://r.example/2025/11/r1/", "2025-11-20T03:00:00+00:00"),
                               ("https://r.example/2025/11/r2/", None)]


def test_parse_feed_broken_xml_falls_back_to_regex() -> None:
    broken = (b"<rss><channel><item><title>A & B</title><link>https://x.example/2025/11/a/</link>"
              b"<pubDate>Thu, 20 Nov 2025 10:00:00 GMT</pubDate></item>"
              b"<item><guid>https://x.example/2025/11/b/</guid></item>"
              b"<entry><link rel='alternate' href='https://x.example/2025/11/c/'/></entry><item><link>")
    assert parse_feed(broken) == [("https://x.example/2025/11/a/", "2025-11-20T10:00:00+00:00"),
                                  ("https://x.example/2025/11/b/", None),
                                  ("https://x.example/2025/11/c/", None)]


def test_parse_feed_gzip() -> None:
    assert parse_feed(gzip.compress(RSS))[0][0] == "https://fam68.example/2025/11/satu-dua-tiga/"


@pytest.mark.parametrize("garbage", [b"", b"   ", b"\x1f\x8b broken gzip", b"<html><body>Not a feed</body></html>",
                                     b"\x00\x01\x02", "plain text", b"<rss><item><link>javascript:x</link></item>"])
def test_parse_feed_garbage(garbage: bytes | str) -> None:
    assert parse_feed(garbage) == []


def test_entity_expansion_is_not_performed() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b"<urlset><url><loc>https://x.example/a-b-c-d</loc></url><url><loc>&lol2;</loc></url></urlset>")
    problems: list[str] = []
    # a document with a DTD internal subset is refused whole (it used to be read with its DOCTYPE cut out)
    assert parse_sitemap(bomb, problems) == ([], [])
    assert problems == ["refused: DOCTYPE with an internal subset"]


URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://fam68.example/2025/11/satu/</loc><lastmod>2025-11-20T10:00:00+07:00</lastmod></url>
<url><loc>https://fam68.example/2025/11/dua/</loc>
  <news:news><news:publication><news:name>FAM68</news:name></news:publication>
  <news:publication_date>2025-11-21T08:00:00Z</news:publication_date><news:title>Dua</news:title></news:news>
</url>
<url><loc> https://fam68.example/2025/11/tiga/?a=1&amp;b=2 </loc></url>
<url><loc>https://fam68.example/2025/11/satu/</loc><lastmod>2025-11-22</lastmod></url>
<url><loc>not a url</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://fam68.example/post-sitemap.xml</loc><lastmod>2025-11-20</lastmod></sitemap>
<sitemap><loc>https://fam68.example/news-sitemap.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_parse_urlset_with_news_and_lastmod() -> None:
    urls, children = parse_sitemap(URLSET)
    assert children == []
    assert urls == [
        ("https://fam68.example/2025/11/satu/", "2025-11-21T17:00:00+00:00"),  # the later duplicate wins
        ("https://fam68.example/2025/11/dua/", "2025-11-21T08:00:00+00:00"),
        ("https://fam68.example/2025/11/tiga/?a=1&b=2", None),
    ]


def test_parse_sitemap_index_and_gzip() -> None:
    assert parse_sitemap(INDEX) == ([], ["https://fam68.example/post-sitemap.xml",
                                         "https://fam68.example/news-sitemap.xml.gz"])
    assert parse_sitemap(gzip.compress(URLSET))[0][1][0] == "https://fam68.example/2025/11/dua/"


def test_parse_sitemap_broken_xml_falls_back_to_loc_regex() -> None:
    broken = (b"<urlset><url><loc>https://x.example/a/</loc><lastmod>2025-11-20</lastmod></url>"
              b"<url><loc>https://x.example/b/?x=1&amp;y=2</loc></url><url><loc>https://x.example/c/")
    assert parse_sitemap(broken) == ([("https://x.example/a/", "2025-11-19T17:00:00+00:00"),
                                      ("https://x.example/b/?x=1&y=2", None)], [])
    broken_index = b"<sitemapindex><sitemap><loc>https://x.example/s1.xml</loc></sitemap><sitemap>"
    assert parse_sitemap(broken_index) == ([], ["https://x.example/s1.xml"])


@pytest.mark.parametrize("garbage", [b"", b"\x1f\x8b\x08\x00garbage", b"<html>404 Not Found</html>",
                                     b"\x00\xff", "{}", b"<urlset><url><loc></loc></url></urlset>"])
def test_parse_sitemap_garbage(garbage: bytes | str) -> None:
    assert parse_sitemap(garbage) == ([], [])


def test_sitemaps_from_robots() -> None:
    robots = ("User-agent: *\nDisallow: /wp-admin/\nSitemap: https://x.example/sitemap_index.xml\n"
              "sitemap:https://x.example/news.xml # news\nSITEMAP: /relative.xml\n"
              "Sitemap: https://x.example/sitemap_index.xml\n")
    assert sitemaps_from_robots(robots) == ["https://x.example/sitemap_index.xml", "https://x.example/news.xml"]
    assert sitemaps_from_robots(b"\xff\xfe garbage") == []


@pytest.mark.parametrize("text,expected", [
    ("2025-11-20", "2025-11-19T17:00:00+00:00"),   # a date alone is that day in WIB (parse_date's rule)
    ("2025-11-20T10:00:00+07:00", "2025-11-20T03:00:00+00:00"),
    ("2025-11-20T10:00:00Z", "2025-11-20T10:00:00+00:00"),
    ("Thu, 20 Nov 2025 10:00:00 +0700", "2025-11-20T03:00:00+00:00"),
    ("yesterday", None), ("", None), (None, None),
])
def test_utc_date(text: str | None, expected: str | None) -> None:
    assert utc_date(text) == expected


def test_section_links() -> None:
    html = """<a href="/kategori/hukum/">Hukum</a><a href="/category/daerah/banten/">Banten</a>
    <a href="/kategori/hukum/page/2/">2</a><a href="/tag/imigrasi/">tag</a><a href="/author/redaksi/">a</a>
    <a href="https://other.example/kategori/x/">off</a><a href="/kategori/">all</a>
    <a href="/kanal/olahraga?ref=nav">query</a><a href="/kategori/hukum/">again</a>"""
    assert section_links(html, BASE, allowed_domains=("fam68.example",)) == [
        "https://fam68.example/kategori/hukum/", "https://fam68.example/category/daerah/banten/"]
    assert section_links(b"\x00garbage", BASE) == []


def test_child_sitemaps_newest_first() -> None:
    index = (b"<sitemapindex><sitemap><loc>https://x.example/post-sitemap1.xml</loc><lastmod>2024-01-01</lastmod>"
             b"</sitemap><sitemap><loc>https://x.example/undated.xml</loc></sitemap>"
             b"<sitemap><loc>https://x.example/post-sitemap3.xml</loc><lastmod>2025-11-20T10:00:00+07:00</lastmod>"
             b"</sitemap><sitemap><loc>https://x.example/post-sitemap2.xml</loc><lastmod>2025-01-01</lastmod>"
             b"</sitemap></sitemapindex>")
    expected = ["https://x.example/post-sitemap3.xml", "https://x.example/post-sitemap2.xml",
                "https://x.example/post-sitemap1.xml", "https://x.example/undated.xml"]
    assert parse_sitemap(index) == ([], expected)
    assert parse_sitemap(index + b"<broken")[1] == expected   # the regex fallback orders the same way


@pytest.mark.parametrize(("url", "articles"), [
    ("https://portal.example/post-sitemap.xml", True),
    ("https://portal.example/post-sitemap3.xml", True),
    ("https://portal.example/berita-sitemap.xml", True),        # a custom post type of a portal
    ("https://portal.example/homepage-sitemap.xml", True),
    ("https://portal.example/sitemap-news.xml", True),
    ("https://portal.example/wp-sitemap-posts-post-1.xml", True),
    ("https://portal.example/page-sitemap.xml", False),          # Yoast / Rank Math / AIOSEO
    ("https://portal.example/category-sitemap.xml", False),
    ("https://portal.example/post_tag-sitemap2.xml", False),
    ("https://portal.example/author-sitemap.xml", False),
    ("https://portal.example/attachment-sitemap.xml.gz", False),
    ("https://portal.example/wp-sitemap-posts-page-1.xml", False),  # WordPress core
    ("https://portal.example/wp-sitemap-taxonomies-category-1.xml", False),
    ("https://portal.example/wp-sitemap-users-1.xml", False),
])
def test_child_sitemaps_named_for_pages_or_taxonomies_list_no_articles(url: str, articles: bool) -> None:
    assert discover.is_article_sitemap(url) is articles
