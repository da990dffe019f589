"""Discovery on the shapes real plugins emit: fixtures/formats/ (written by hand in those shapes).

Yoast SEO (index with the XSL processing instruction, post/page/category sitemaps with ``image:image``
children, the generator comment after the root), WordPress core (``wp-sitemap.xml`` and
``wp-sitemap-posts-post-1.xml``, one line each), Rank Math (``sitemap_index.xml``, dates in the site's
offset), a Google News sitemap, WordPress RSS2 and Atom (``/feed/``, ``/feed/atom/``: ``<updated>`` before
``<published>``, ``rel=replies`` links), Blogger Atom (``rel=replies/edit/self`` links), an Atom feed with
``xml:base`` and relative links, and a portal RSS feed with ``WIB`` / ``+0700`` dates and a relative link.
Each test states the exact URLs and dates discovery yields.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from scraper.discover import is_article_url, parse_feed, parse_sitemap

FORMATS = Path(__file__).resolve().parent.parent / "fixtures" / "formats"
FAM = "https://fam68.example"
PASAR = f"{FAM}/2025/12/01/pasar-rau-ditata-ulang-pedagang-dipindah/"
JEMBATAN = f"{FAM}/2025/11/30/jembatan-cibanten-diperbaiki-akhir-tahun/"
ROB = f"{FAM}/2025/12/01/banjir-rob-karangantu-surut/"
LEBAK = f"{FAM}/2025/11/29/sekolah-darurat-di-lebak/"


def _read(name: str) -> bytes:
    return (FORMATS / name).read_bytes()


def _sitemap(name: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    problems: list[str] = []
    out = parse_sitemap(_read(name), problems)
    assert problems == []
    return out


def _feed(name: str, base_url: str | None) -> list[tuple[str, str | None]]:
    problems: list[str] = []
    out = parse_feed(_read(name), base_url, problems)
    assert problems == []
    return out


# ---- sitemaps ----------------------------------------------------------------------------------------

def test_yoast_index_children_newest_first() -> None:
    assert _sitemap("yoast-sitemap_index.xml") == ([], [
        f"{FAM}/post-sitemap2.xml", f"{FAM}/category-sitemap.xml", f"{FAM}/author-sitemap.xml",
        f"{FAM}/page-sitemap.xml", f"{FAM}/post-sitemap.xml"])


def test_yoast_post_sitemap_gives_pages_never_their_images() -> None:
    assert _sitemap("yoast-post-sitemap2.xml") == ([
        (JEMBATAN, "2025-11-30T09:12:44+00:00"),
        (PASAR, "2025-12-01T07:05:00+00:00"),
        (ROB, "2025-12-01T04:30:00+00:00"),
    ], [])


def test_yoast_page_and_category_sitemaps_hold_no_article() -> None:
    urls, _ = _sitemap("yoast-page-sitemap.xml")
    assert urls == [(f"{FAM}/", "2025-12-01T07:05:00+00:00"),
                    (f"{FAM}/redaksi/", "2025-03-14T02:00:11+00:00"),
                    (f"{FAM}/pedoman-media-siber/", "2024-01-09T03:22:50+00:00")]
    cats, _ = _sitemap("yoast-category-sitemap.xml")
    assert [u for u, _ in cats] == [f"{FAM}/category/daerah/", f"{FAM}/category/hukum-kriminal/"]
    # what the pipeline keeps of them (sitemap URLs go through the strict heuristic)
    assert [u for u, _ in urls + cats if is_article_url(u)] == []


def test_wordpress_core_sitemaps() -> None:
    assert _sitemap("wp-sitemap.xml") == ([], [
        f"{FAM}/wp-sitemap-posts-post-1.xml", f"{FAM}/wp-sitemap-posts-page-1.xml",
        f"{FAM}/wp-sitemap-taxonomies-category-1.xml", f"{FAM}/wp-sitemap-users-1.xml"])
    assert _sitemap("wp-sitemap-posts-post-1.xml") == ([
        (PASAR, "2025-12-01T07:05:00+00:00"),
        (JEMBATAN, "2025-11-30T09:12:44+00:00"),
        (LEBAK, "2025-11-29T01:00:00+00:00"),
    ], [])


def test_rank_math_index_and_post_sitemap_in_site_offset() -> None:
    pb = "https://portalbanten.example"
    assert _sitemap("rankmath-sitemap_index.xml") == ([], [
        f"{pb}/post-sitemap2.xml", f"{pb}/category-sitemap.xml", f"{pb}/page-sitemap.xml",
        f"{pb}/post-sitemap1.xml"])
    urls, _ = _sitemap("rankmath-post-sitemap2.xml")
    assert urls == [(f"{pb}/pemkot-serang-buka-lowongan-ppk-2026/", "2025-12-01T07:05:00+00:00"),
                    (f"{pb}/harga-cabai-di-pandeglang-turun/", "2025-11-30T13:15:00+00:00")]
    assert all(is_article_url(u) for u, _ in urls)


def test_google_news_sitemap_publication_date_stands_in_for_lastmod() -> None:
    assert _sitemap("google-news-sitemap.xml") == ([
        (PASAR, "2025-12-01T07:00:00+00:00"),     # news:publication_date 14:00 WIB (no lastmod)
        (ROB, "2025-12-01T04:30:00+00:00"),       # lastmod wins over news:publication_date
    ], [])


def test_yoast_sitemap_gzipped() -> None:
    assert parse_sitemap(gzip.compress(_read("yoast-post-sitemap2.xml"))) == _sitemap("yoast-post-sitemap2.xml")


def test_broken_yoast_sitemap_keeps_the_rules() -> None:
    """A raw '&' makes the document unreadable for expat: the scanner reads it with the same rules."""
    broken = _read("yoast-post-sitemap2.xml").replace(b"banjir-rob-karangantu-surut/", b"banjir-rob?a=1&b=2")
    problems: list[str] = []
    urls, children = parse_sitemap(broken, problems)
    assert children == [] and len(problems) == 1 and problems[0].startswith("broken: ")
    assert urls == [(JEMBATAN, "2025-11-30T09:12:44+00:00"), (PASAR, "2025-12-01T07:05:00+00:00"),
                    (f"{FAM}/2025/12/01/banjir-rob?a=1&b=2", "2025-12-01T04:30:00+00:00")]


def test_loc_outside_an_entry_or_in_another_namespace_is_not_a_page() -> None:
    doc = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:video="http://www.google.com/'
           b'schemas/sitemap-video/1.1" xmlns:x="urn:x"><loc>https://x.example/stray/</loc>'
           b"<url><loc>https://x.example/a-b-c-d/</loc><x:loc>https://x.example/other-ns/</x:loc>"
           b"<video:video><video:content_loc>https://x.example/v.mp4</video:content_loc>"
           b"<video:player_loc>https://x.example/player</video:player_loc></video:video></url></urlset>")
    assert parse_sitemap(doc) == ([("https://x.example/a-b-c-d/", None)], [])
    assert parse_sitemap(doc + b"<broken") == ([("https://x.example/a-b-c-d/", None)], [])


def test_sitemap_url_cap() -> None:
    from scraper.discover import SITEMAP_MAX_URLS

    entries = "".join(f"<url><loc>https://x.example/{i}-a-b-c/</loc></url>" for i in range(SITEMAP_MAX_URLS + 5))
    problems: list[str] = []
    urls, _ = parse_sitemap(f"<urlset>{entries}</urlset>", problems)
    assert len(urls) == SITEMAP_MAX_URLS and urls[-1][0] == f"https://x.example/{SITEMAP_MAX_URLS - 1}-a-b-c/"
    assert problems == [f"truncated: more than {SITEMAP_MAX_URLS} URLs"]


# ---- feeds -------------------------------------------------------------------------------------------

def test_wordpress_rss2() -> None:
    assert _feed("wordpress-rss2.xml", f"{FAM}/feed/") == [
        (PASAR, "2025-12-01T07:00:00+00:00"), (JEMBATAN, "2025-11-30T09:12:44+00:00")]


def test_wordpress_atom_takes_published_although_updated_comes_first() -> None:
    assert _feed("wordpress-atom.xml", f"{FAM}/feed/atom/") == [
        (PASAR, "2025-12-01T07:00:00+00:00"), (JEMBATAN, "2025-11-30T09:12:44+00:00")]


def test_blogger_atom_takes_the_alternate_link_only() -> None:
    blog = "https://kabarcikeusik.blogspot.com"
    assert _feed("blogger-atom.xml", f"{blog}/feeds/posts/default") == [
        (f"{blog}/2025/12/panen-padi-gadu-dimulai.html", "2025-12-01T07:00:00+00:00"),
        (f"{blog}/2025/11/musyawarah-desa-bahas-dana-desa-2026.html", "2025-11-29T01:30:00+00:00"),
    ]


def test_atom_xml_base_and_relative_links() -> None:
    assert _feed("atom-xml-base.xml", f"{FAM}/feed/pilihan/") == [
        (LEBAK, "2025-11-29T01:00:00+00:00"),
        (f"{FAM}/kolom/banten-setelah-hujan/", "2025-11-30T23:00:00+00:00"),   # entry's own xml:base
    ]


def test_rss_dates_in_wib_and_a_relative_link() -> None:
    ps = "https://portalserang.example"
    assert _feed("portal-rss-wib.xml", f"{ps}/rss/terbaru") == [
        (f"{ps}/read/2025/12/01/88121/gubernur-tinjau-banjir-di-pandeglang", "2025-12-01T07:00:00+00:00"),
        (f"{ps}/read/2025/12/01/88119/harga-beras-stabil-jelang-natal", "2025-12-01T04:30:00+00:00"),
        (f"{ps}/read/2025/12/01/88117/jadwal-kapal-merak-bakauheni-berubah", "2025-12-01T02:05:00+00:00"),
    ]
    # without the feed's URL a relative link cannot be resolved: that item is left out
    assert len(parse_feed(_read("portal-rss-wib.xml"))) == 2


@pytest.mark.parametrize("name,base", [("wordpress-rss2.xml", f"{FAM}/feed/"),
                                       ("portal-rss-wib.xml", "https://portalserang.example/rss/terbaru"),
                                       ("wordpress-atom.xml", f"{FAM}/feed/atom/")])
def test_broken_feed_read_by_the_scanner_gives_the_same_items(name: str, base: str) -> None:
    """The same feed made unreadable for expat (a raw '&' in the channel title) yields the same items."""
    good = _feed(name, base)
    broken = _read(name).replace(b"<title>", b"<title>A & B ", 1).replace(b'<title type="text">', b"<title>A & B", 1)
    problems: list[str] = []
    assert parse_feed(broken, base, problems) == good
    assert problems == ["broken: not well-formed XML, read with the scanner"]


def test_feed_item_cap_keeps_the_first_items() -> None:
    from scraper.discover import FEED_MAX_ITEMS

    items = "".join(f"<item><link>https://x.example/{i}-a-b-c/</link></item>" for i in range(FEED_MAX_ITEMS + 50))
    problems: list[str] = []
    out = parse_feed(f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>", None, problems)
    assert [u for u, _ in out] == [f"https://x.example/{i}-a-b-c/" for i in range(FEED_MAX_ITEMS)]
    assert problems and problems[0].startswith("truncated: ")
