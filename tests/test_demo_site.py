"""The bundled demo site: its data, its pages and its HTTP behaviour, over loopback."""

from __future__ import annotations

import glob
import itertools
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from scraper.config import Config
from scraper.demo import BANTENPOS, FAM68, SECTIONS, DemoSite, demo_config, serve_demo

REPO = Path(__file__).resolve().parent.parent
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DAYS = "Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu"
MONTHS = "Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[DemoSite, str, httpx.Client]]:
    site = DemoSite.load()
    with serve_demo(site) as base, httpx.Client(timeout=10) as client:
        yield site, base, client


def _strip_query(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, p.path, "", ""))


def _shingles(text: str, k: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}


def _jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b)


# ---- package data and content ------------------------------------------------------------------------


def test_package_data_is_found_through_importlib_resources() -> None:
    root = resources.files("scraper").joinpath("demo_site")
    names = {p.name for p in root.iterdir()}
    assert {"articles.txt", "bantenpos.txt", "templates"} <= names
    templates = {p.name for p in root.joinpath("templates").iterdir()}
    assert {"fam68-layout.html", "fam68-article.html", "fam68-amp.html", "bantenpos-layout.html",
            "bantenpos-article.html"} <= templates
    assert "=== " in root.joinpath("articles.txt").read_text(encoding="utf-8")


def test_pyproject_package_data_globs_cover_every_demo_file() -> None:
    pyproject = REPO / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("not running from a source checkout")
    patterns = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]["scraper"]
    shipped: set[str] = set()
    for pat in patterns:
        shipped.update(glob.glob(pat, root_dir=REPO / "scraper", recursive=True))
    on_disk = {str(p.relative_to(REPO / "scraper")) for p in (REPO / "scraper" / "demo_site").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert on_disk and on_disk <= shipped, on_disk - shipped


def test_articles_are_short_news_articles_across_sections() -> None:
    site = DemoSite.load()
    fam = site.published(FAM68)
    assert len(fam) >= 64
    assert len({a.section for a in fam}) >= 5 and {a.section for a in fam} <= set(SECTIONS)
    assert len({a.path for a in site.articles}) == len(site.articles)
    assert len({a.title for a in fam}) == len(fam)
    for art in site.articles:
        assert 150 <= art.word_count() <= 400, (art.slug, art.word_count())
        assert 2 <= len(art.sections) <= 4, art.slug
        assert all(s.headline and len(s.paragraphs) >= 1 for s in art.sections), art.slug
        assert not re.match(r"(FAM68|BANTENPOS)\b", art.lead), "datelines are added when rendering"


def test_stories_are_distinct_and_copies_are_close() -> None:
    site = DemoSite.load()
    fam = site.published(FAM68)
    sh = {a.slug: _shingles(a.text) for a in fam}
    worst = max(_jaccard(sh[a.slug], sh[b.slug]) for a, b in itertools.combinations(fam, 2))
    assert worst < 0.1, "two different demo stories share too much text: the store would cluster them"
    copies = [a for a in site.published(BANTENPOS) if a.origin]
    assert len(copies) >= 8
    assert {a.copy_mode for a in copies} == {"verbatim", "rewrite"}
    for c in copies:
        j = _jaccard(_shingles(c.text), sh[c.origin or ""])
        if c.copy_mode == "verbatim":
            assert j == 1.0
        else:
            assert 0.4 < j < 1.0, (c.slug, j)


def test_variant_counts() -> None:
    site = DemoSite.load()
    fam = site.published(FAM68)
    assert 8 <= sum(a.amp for a in fam) < len(fam)
    assert sum(a.page_break is not None for a in fam) == 1
    assert len(site.published(BANTENPOS)) >= 10
    assert sum(a.draft for a in site.articles) == 1


# ---- listings, feeds, sitemaps, robots ----------------------------------------------------------------


def _listing_links(html: str) -> list[str]:
    tree = LexborHTMLParser(html)
    return [n.attributes["href"] or "" for n in tree.css("article h2.entry-title a, .td_module_10 h3.entry-title a")]


def _next_page(html: str) -> str | None:
    node = LexborHTMLParser(html).css_first('link[rel="next"]')
    return node.attributes["href"] if node else None


def _walk(client: httpx.Client, start: str) -> tuple[list[str], list[str]]:
    pages, links, url = [], [], start
    while url:
        r = client.get(url)
        assert r.status_code == 200, url
        pages.append(url)
        links += _listing_links(r.text)
        url = _next_page(r.text) or ""
    return pages, links


def test_home_listing_paginates_over_every_article(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    pages, links = _walk(client, base + "/")
    assert pages[1] == base + "/page/2/" and len(pages) == -(-len(site.article_urls()) // 10)
    assert len(links) == len(set(links)) == len(site.article_urls())
    assert set(links) == set(site.article_urls())
    home = client.get(base + "/").text
    assert all(u in home for u in site.disallowed_urls())
    assert "/page/2/" in home
    r = client.get(base + "/page/1/")
    assert r.status_code == 301 and r.headers["location"] == base + "/"
    assert client.get(base + f"/page/{len(pages) + 1}/").status_code == 404


def test_category_listings_link_amp_variants(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    seen: list[str] = []
    for slug in SECTIONS:
        _, links = _walk(client, f"{base}/kategori/{slug}/")
        seen += links
    amp = site.amp_urls()
    assert set(amp) <= set(seen)
    assert {amp.get(u, u) for u in seen} == set(site.article_urls())


def test_feed_is_rss_with_tracking_links(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    r = client.get(base + "/feed/")
    assert r.headers["content-type"] == "application/rss+xml; charset=UTF-8"
    root = ET.fromstring(r.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    assert len(items) == 20
    links = [i.findtext("link") or "" for i in items]
    assert all("utm_source=feed" in u and "utm_medium=rss" in u for u in links)
    newest = sorted(site.published(FAM68), key=lambda a: a.published, reverse=True)[:20]
    assert [_strip_query(u) for u in links] == [site.url(a.path) for a in newest]
    dates = [parsedate_to_datetime(i.findtext("pubDate") or "") for i in items]
    assert dates == sorted(dates, reverse=True)
    # a tracking-parameter variant is the same page, whose canonical link drops the parameters
    variant, plain = client.get(links[0]), client.get(_strip_query(links[0]))
    assert variant.content == plain.content
    canon = LexborHTMLParser(variant.text).css_first('link[rel="canonical"]')
    assert canon is not None and canon.attributes["href"] == _strip_query(links[0])


def test_sitemap_index_and_children(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    index = ET.fromstring(client.get(base + "/sitemap_index.xml").content)
    assert index.tag == SM + "sitemapindex"
    children = {s.findtext(SM + "loc"): s.findtext(SM + "lastmod") for s in index.findall(SM + "sitemap")}
    assert {base + "/post-sitemap.xml", base + "/post-sitemap2.xml"} <= set(children)
    locs: list[str] = []
    for child, lastmod in children.items():
        r = client.get(child or "")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
        urlset = ET.fromstring(r.content)
        entries = urlset.findall(SM + "url")
        assert entries
        mods = [datetime.fromisoformat(u.findtext(SM + "lastmod") or "") for u in entries]
        assert datetime.fromisoformat(lastmod or "") == max(mods)
        if "post-sitemap" in (child or ""):
            locs += [u.findtext(SM + "loc") or "" for u in entries]
    assert sorted(locs) == sorted(site.article_urls())
    r = client.get(base + "/sitemap.xml")
    assert r.status_code == 301 and r.headers["location"] == base + "/sitemap_index.xml"


def test_robots_txt(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    r = client.get(base + "/robots.txt")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "Disallow: /wp-admin/" in r.text
    rules = Protego.parse(r.text)
    assert site.disallowed_urls()
    for url in site.disallowed_urls() + [base + "/wp-admin/post.php?post=1"]:
        assert not rules.can_fetch(url, "kabar")
    for url in site.article_urls(FAM68) + site.article_urls(BANTENPOS) + list(site.amp_urls()):
        assert rules.can_fetch(url, "kabar")
    assert set(rules.sitemaps) == {base + "/sitemap_index.xml", base + "/bantenpos/sitemap.xml"}
    # the disallowed link points at a real page: a crawler that ignores robots.txt would store it
    assert client.get(site.disallowed_urls()[0]).status_code == 200
    assert client.get(_strip_query(site.disallowed_urls()[0])).status_code == 404


# ---- article pages ------------------------------------------------------------------------------------


def _meta(tree: LexborHTMLParser, prop: str) -> str | None:
    node = tree.css_first(f'meta[property="{prop}"]') or tree.css_first(f'meta[name="{prop}"]')
    return node.attributes["content"] if node else None


def test_article_page_structure(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    urls = set(site.article_urls())
    for art in site.published(FAM68)[::9]:
        url = site.url(art.path)
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=UTF-8"
        tree = LexborHTMLParser(r.text)
        h1 = tree.css_first("h1.entry-title")
        assert h1 is not None and h1.text(strip=True) == art.title
        canon = tree.css_first('link[rel="canonical"]')
        assert canon is not None and canon.attributes["href"] == url
        assert _meta(tree, "og:url") == url and (_meta(tree, "og:title") or "").startswith(art.title)
        assert _meta(tree, "article:published_time") == art.published.isoformat(timespec="seconds")
        ld = json.loads(tree.css_first('script[type="application/ld+json"]').text())  # type: ignore[union-attr]
        assert ld["@type"] == "NewsArticle" and ld["headline"] == art.title
        assert ld["author"][0]["name"] == art.author
        byline = tree.css_first(".entry-meta").text()  # type: ignore[union-attr]
        assert art.author in byline and re.search(rf"({DAYS}), \d{{1,2}} ({MONTHS}) 2025", byline)
        body = tree.css_first("div.entry-content")
        assert body is not None
        text = body.text()
        paras = [p.text() for p in body.css("p")]
        datelined = [p for p in paras if p.startswith("FAM68 – ")]
        on_page = art.sections[:art.page_break] if art.page_break is not None else art.sections
        assert len(datelined) == 1 + len(on_page)
        assert datelined[0] == "FAM68 – " + art.lead
        for sec in on_page:
            assert sec.headline in text and all(p in text for p in sec.paragraphs)
        assert re.search(r"Baca [Jj]uga ?:", text) and "ADVERTISEMENT" in text
        promo = text.index("Berita Terpercaya :")
        assert promo > text.index(on_page[-1].paragraphs[-1])
        promo_links = [a.attributes["href"] for a in body.css("p a") if a.attributes["href"] in urls]
        assert len(promo_links) >= 3 and url not in promo_links  # Baca juga + Berita Terpercaya
        assert tree.css_first("#secondary") and tree.css_first("#site-navigation") and tree.css_first("#colophon")
        assert re.fullmatch(rf"{re.escape(base)}/\d{{4}}/\d{{2}}/[a-z0-9-]+/", url)


def test_amp_variant_points_to_canonical(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, _, client = served
    for amp_url, canonical in site.amp_urls().items():
        r = client.get(amp_url)
        assert r.status_code == 200
        tree = LexborHTMLParser(r.text)
        assert "amp" in (tree.css_first("html").attributes)  # type: ignore[union-attr]
        canon = tree.css_first('link[rel="canonical"]')
        assert canon is not None and canon.attributes["href"] == canonical
        art = site.article(canonical)
        assert art.lead in r.text and art.sections[-1].paragraphs[-1] in r.text
        normal = LexborHTMLParser(client.get(canonical).text).css_first('link[rel="amphtml"]')
        assert normal is not None and normal.attributes["href"] == amp_url


def test_multi_page_article(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, _, client = served
    (first, rest), = site.multipage_urls().items()
    art = site.article(first)
    assert art.page_break is not None
    p1 = LexborHTMLParser(client.get(first).text)
    p2 = LexborHTMLParser(client.get(rest[0]).text)
    links1 = [a.attributes["href"] for a in p1.css(".entry-content .page-links a")]
    links2 = [a.attributes["href"] for a in p2.css(".entry-content .page-links a")]
    assert links1 == rest and links2 == [first]
    t1, t2 = p1.css_first(".entry-content").text(), p2.css_first(".entry-content").text()  # type: ignore[union-attr]
    for sec in art.sections[:art.page_break]:
        assert sec.paragraphs[0] in t1 and sec.paragraphs[0] not in t2
    for sec in art.sections[art.page_break:]:
        assert sec.paragraphs[0] in t2 and sec.paragraphs[0] not in t1
    assert art.lead in t1 and art.lead not in t2


def test_bantenpos_source(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    _, links = _walk(client, base + "/bantenpos/")
    assert sorted(links) == sorted(site.article_urls(BANTENPOS))
    feed = ET.fromstring(client.get(base + "/bantenpos/feed/").content)
    assert {_strip_query(i.findtext("link") or "") for i in feed.findall("./channel/item")} == set(links)
    urlset = ET.fromstring(client.get(base + "/bantenpos/sitemap.xml").content)
    assert {u.findtext(SM + "loc") for u in urlset.findall(SM + "url")} == set(links)
    for copy_url, orig_url, mode in site.syndicated():
        tree = LexborHTMLParser(client.get(copy_url).text)
        assert tree.css_first("div.td-post-content") is not None and tree.css_first("div.entry-content") is None
        canon = tree.css_first('link[rel="canonical"]')
        assert canon is not None and canon.attributes["href"] == copy_url
        paras = [p.text() for p in tree.css("div.td-post-content > p")]
        orig = site.article(orig_url)
        if mode == "verbatim":
            assert paras[0] == "BANTENPOS – " + orig.lead
            assert tree.css_first("h1.entry-title").text(strip=True) == orig.title  # type: ignore[union-attr]
            undated = [p.removeprefix("BANTENPOS – ") for p in paras]
            assert sum(p != u for p, u in zip(paras, undated, strict=True)) == 1 + len(orig.sections)
            assert all(p in undated for s in orig.sections for p in s.paragraphs)
        else:
            assert paras[0].startswith("SERANG, BANTENPOS - ") and orig.lead not in paras[0]
            assert orig.sections[-1].paragraphs[-1] not in paras
            assert orig.sections[0].paragraphs[0] in paras


# ---- HTTP behaviour -----------------------------------------------------------------------------------


def test_every_page_has_validators_and_charset(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    paths = ["/", "/page/2/", "/kategori/hukum/", "/feed/", "/sitemap_index.xml", "/post-sitemap.xml",
             "/robots.txt", "/bantenpos/", "/bantenpos/feed/", "/bantenpos/sitemap.xml", "/redaksi/"]
    urls = [base + p for p in paths] + site.article_urls()[:3] + list(site.amp_urls())[:1]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert "charset=" in r.headers["content-type"].lower(), url
        assert re.fullmatch(r'"[0-9a-f]{20}"', r.headers["etag"]), url  # strong
        parsedate_to_datetime(r.headers["last-modified"])


def test_conditional_requests_get_304(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    for url in [site.article_urls()[5], base + "/feed/", base + "/post-sitemap2.xml", base + "/"]:
        r = client.get(url)
        etag, lm = r.headers["etag"], r.headers["last-modified"]
        r304 = client.get(url, headers={"If-None-Match": etag})
        assert r304.status_code == 304 and r304.content == b"" and r304.headers["etag"] == etag
        assert client.get(url, headers={"If-None-Match": f'"nope", {etag}'}).status_code == 304
        assert client.get(url, headers={"If-None-Match": '"nope"'}).status_code == 200
        assert client.get(url, headers={"If-Modified-Since": lm}).status_code == 304
        older = format_datetime(parsedate_to_datetime(lm).replace(year=2024), usegmt=True)
        assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200
        # If-None-Match wins over If-Modified-Since (RFC 9110)
        assert client.get(url, headers={"If-None-Match": '"nope"', "If-Modified-Since": lm}).status_code == 200
        assert client.get(url, headers={"If-Modified-Since": "garbage"}).status_code == 200
        head = client.head(url)
        assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag


def test_unknown_paths_are_404(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, base, client = served
    for path in ["/nope/", "/2025/05/tidak-ada/", "/kategori/cuaca/", "/bantenpos/2025/05/tidak-ada/",
                 "/wp-content/uploads/x.jpg"]:
        r = client.get(base + path)
        assert r.status_code == 404 and "charset=" in r.headers["content-type"]
    # a missing trailing slash redirects like WordPress does
    r = client.get(site.article_urls()[0].rstrip("/"))
    assert r.status_code == 301 and r.headers["location"] == site.article_urls()[0]


def test_request_log_records_conditional_headers(served: tuple[DemoSite, str, httpx.Client]) -> None:
    site, _, client = served
    url = site.article_urls()[7]
    etag = client.get(url).headers["etag"]
    client.get(url, headers={"If-None-Match": etag, "User-Agent": "kabar-test"})
    rec = [r for r in site.request_log() if r.user_agent == "kabar-test"][-1]
    assert rec.path == urlsplit(url).path and rec.status == 304 and rec.if_none_match == etag


def test_edit_bumps_etag_lastmod_and_sitemap() -> None:
    site = DemoSite.load()
    with serve_demo(site) as base, httpx.Client(timeout=10) as client:
        target = site.article_urls()[-3]
        other = site.article_urls()[0]
        before = client.get(target)
        other_etag = client.get(other).headers["etag"]
        sm_before = client.get(base + "/post-sitemap2.xml")
        added = "Pembaruan: redaksi menambahkan keterangan terbaru dari pemerintah daerah."
        new_etag = site.edit_article(target, added)
        after = client.get(target)
        assert new_etag == after.headers["etag"] != before.headers["etag"]
        assert (parsedate_to_datetime(after.headers["last-modified"])
                > parsedate_to_datetime(before.headers["last-modified"]))
        assert added in after.text and added not in before.text
        assert client.get(target, headers={"If-None-Match": before.headers["etag"]}).status_code == 200
        assert client.get(target, headers={"If-Modified-Since": before.headers["last-modified"]}).status_code == 200
        assert client.get(target, headers={"If-None-Match": new_etag}).status_code == 304
        assert client.get(other).headers["etag"] == other_etag
        sm_after = client.get(base + "/post-sitemap2.xml")
        assert sm_after.headers["etag"] != sm_before.headers["etag"]

        def lastmod(doc: bytes) -> str:
            for u in ET.fromstring(doc).findall(SM + "url"):
                if u.findtext(SM + "loc") == target:
                    return u.findtext(SM + "lastmod") or ""
            raise AssertionError("target not in sitemap")
        assert datetime.fromisoformat(lastmod(sm_after.content)) > datetime.fromisoformat(lastmod(sm_before.content))
        # a second edit in the same second still moves Last-Modified
        site.edit_article(target, "Pembaruan kedua.")
        again = client.get(target)
        assert (parsedate_to_datetime(again.headers["last-modified"])
                > parsedate_to_datetime(after.headers["last-modified"]))


def test_server_shuts_down() -> None:
    with serve_demo() as base:
        assert httpx.get(base + "/robots.txt", timeout=5).status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(base + "/robots.txt", timeout=2)


def test_demo_config() -> None:
    site = DemoSite.load()
    with serve_demo(site) as base:
        cfg = demo_config(base, "/tmp/kabar-demo-test.db")
        assert isinstance(cfg, Config)
        assert cfg.storage.path == "/tmp/kabar-demo-test.db"
        assert [s.name for s in cfg.sources] == [FAM68, BANTENPOS]
        http = cfg.http
        assert (http.per_host_delay, http.retries, http.timeout, http.respect_robots, http.concurrency,
                http.per_host_concurrency) == (0.0, 1, 5.0, True, 4, 4)
        for src in cfg.sources:
            assert src.allowed_domains == ("127.0.0.1",)
            assert all(u.startswith(base) for u in src.start_urls + src.feeds + src.sitemaps)
            pattern = re.compile(src.article_pattern or "")
            other = BANTENPOS if src.name == FAM68 else FAM68
            assert all(pattern.search(u) for u in site.article_urls(src.name))
            assert not any(pattern.search(u) for u in site.article_urls(other))
            listings = [base + "/", base + "/page/2/", base + "/kategori/hukum/", base + "/bantenpos/",
                        base + "/feed/", base + "/redaksi/", base + "/sitemap_index.xml"]
            assert not any(pattern.search(u) for u in listings)
        fam = cfg.source(FAM68)
        assert all(re.search(fam.article_pattern or "", u) for u in site.amp_urls())
