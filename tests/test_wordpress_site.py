"""A WordPress portal served the way such sites really serve themselves, crawled as a user would.

Its articles are reachable only through robots.txt -> a Yoast SEO sitemap index -> post/page/category
sitemaps (posts with ``<image:image>`` children), an Atom feed whose links are relative to ``xml:base`` and
whose entries list ``<updated>`` before ``<published>``, and an RSS2 feed with a relative ``<link>`` and a
percent-encoded dot-segment link. The home page lists no article; it only advertises the feeds.
Expected: every article stored once, no image, page or taxonomy URL fetched, and a short windows-1252
``NewsArticle`` stored with its text decoded.
"""

from __future__ import annotations

import json
import posixpath
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.slow

SITEMAP_ONLY = [f"/imigrasi-banten-gelar-operasi-wilayah-{n}/" for n in ("satu", "dua", "tiga", "empat", "lima")]
ATOM_ONLY = ["/pemkot-serang-resmikan-pasar-rakyat-baru/", "/bupati-pandeglang-tinjau-jalan-rusak-desa/"]
RSS_RELATIVE = "/polda-banten-amankan-ribuan-petasan-ilegal/"
RSS_DOTSEG = "/warga-cilegon-gotong-royong-bersihkan-sungai/"
CP1252 = "/kilat-harga-cabai-naik-jelang-ramadan/"
PAGES = ["/pedoman-media-siber-dan-kode-etik-jurnalistik/", "/tentang-kami/", "/kontak/"]
CATEGORIES = ["/category/banten-raya/", "/category/hukum-dan-kriminal/"]
ARTICLES = [*SITEMAP_ONLY, *ATOM_ONLY, RSS_RELATIVE, RSS_DOTSEG, CP1252]


def _article(base: str, path: str, n: int) -> bytes:
    title = path.strip("/").replace("-", " ").title()
    paras = "".join(
        f"<p>{'FAM68 – ' if i == 0 else ''}Kabar nomor {n} paragraf {i}: petugas gabungan bergerak sejak pagi "
        f"di wilayah {title}, menurut keterangan resmi yang diterima redaksi pada hari Senin.</p>"
        for i in range(5))
    ld = json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "@id": base + path, "url": base + path, "name": title},
        {"@type": "NewsArticle", "headline": title, "datePublished": f"2025-01-{n + 1:02d}T08:00:00+07:00",
         "mainEntityOfPage": {"@id": base + path}}]})
    return (f'<!DOCTYPE html><html lang="id-ID"><head><meta charset="UTF-8"><title>{title} - FAM68</title>'
            f'<link rel="canonical" href="{base}{path}"><meta property="og:type" content="article">'
            f'<meta property="og:title" content="{title}">'
            f'<script type="application/ld+json" class="yoast-schema-graph">{ld}</script></head>'
            f'<body class="post-template-default single single-post"><article class="post">'
            f'<h1 class="entry-title">{title}</h1><div class="entry-content">{paras}'
            f'<p>Berita Terpercaya : <a href="{base}/">Beranda</a></p></div></article></body></html>'
            ).encode()


def _short_cp1252(base: str) -> bytes:
    text = ("FAM68 – Harga cabai rawit di Pasar Rau naik jadi Rp80.000 per kilo, kata pedagang “Bu Siti”. "
            "Pemkot menjanjikan operasi pasar pekan depan.")
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Harga Cabai Naik",
                     "datePublished": "2025-01-20T09:00:00+07:00"}, ensure_ascii=False)
    return (f'<html><head><meta charset="windows-1252"><title>Harga Cabai Naik</title>'
            f'<link rel="canonical" href="{base}{CP1252}">'
            f'<script type="application/ld+json">{ld}</script></head><body><article>'
            f'<h1>Harga Cabai Naik</h1><div class="entry-content"><p>{text[:96]}</p><p>{text[96:]}</p></div>'
            f'</article></body></html>').encode("cp1252")


def _urlset(base: str, paths: list[str], *, images: bool) -> bytes:
    rows = []
    for i, p in enumerate(paths):
        img = (f"<image:image><image:loc>{base}/wp-content/uploads/2025/01/foto-{i}.jpg</image:loc>"
               f"</image:image>") if images else ""
        rows.append(f"\t<url>\n\t\t<loc>{base}{p}</loc>\n\t\t<lastmod>2025-01-{i + 2:02d}T01:02:03+00:00</lastmod>\n"
                    f"\t\t{img}\n\t</url>\n")
    return ('<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet type="text/xsl" '
            f'href="//{urlsplit(base).netloc}/main-sitemap.xsl"?>\n'
            '<urlset xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
            'xsi:schemaLocation="http://www.sitemaps.org/schemas/sitemap/0.9 '
            'http://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd '
            'http://www.google.com/schemas/sitemap-image/1.1 '
            'http://www.google.com/schemas/sitemap-image/1.1/sitemap-image.xsd" '
            'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "".join(rows) + "</urlset>\n"
            "<!-- XML Sitemap generated by Yoast SEO -->").encode()


def _site(base: str) -> dict[str, tuple[str, bytes]]:
    host = urlsplit(base).netloc
    index = ('<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet type="text/xsl" '
             f'href="//{host}/main-sitemap.xsl"?>\n'
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
             + "".join(f"\t<sitemap>\n\t\t<loc>{base}/{name}</loc>\n\t\t<lastmod>2025-01-20T09:00:00+00:00"
                       "</lastmod>\n\t</sitemap>\n"
                       for name in ("post-sitemap.xml", "page-sitemap.xml", "category-sitemap.xml"))
             + "</sitemapindex>\n<!-- XML Sitemap generated by Yoast SEO -->").encode()
    atom = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="id-ID" xml:base="{base}/wp-atom.php">\n'
            '<title type="text">FAM68</title><updated>2025-01-20T09:00:00Z</updated>\n'
            f'<link rel="alternate" type="text/html" href="{base}/" />\n'
            f'<id>{base}/feed/atom/</id><link rel="self" type="application/atom+xml" href="{base}/feed/atom/" />\n'
            + "".join(
                f'<entry><author><name>Redaksi</name></author><title type="html"><![CDATA[Berita {i}]]></title>'
                f'<link rel="alternate" type="text/html" href="{p.lstrip("/")}" />'
                f'<id>{base}/?p={100 + i}</id><updated>2025-01-2{i}T10:00:00Z</updated>'
                f'<published>2025-01-1{i}T03:00:00Z</published>'
                f'<summary type="html"><![CDATA[Ringkasan {i}]]></summary></entry>\n'
                for i, p in enumerate(ATOM_ONLY))
            + "</feed>").encode()
    rss = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
           'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/">'
           f'<channel><title>FAM68</title><atom:link href="{base}/feed/" rel="self" type="application/rss+xml" />'
           f'<link>{base}</link><description>Berita Banten</description>'
           '<lastBuildDate>Mon, 20 Jan 2025 09:00:00 +0000</lastBuildDate><language>id</language>'
           f'<item><title>Polda Banten</title><link>{RSS_RELATIVE}</link>'
           '<dc:creator><![CDATA[Redaksi]]></dc:creator><pubDate>Mon, 13 Jan 2025 14:00:00 WIB</pubDate>'
           f'<guid isPermaLink="false">{base}/?p=201</guid><description><![CDATA[Ringkas]]></description></item>'
           f'<item><title>Warga Cilegon</title><link>{base}/category/%2E%2E{RSS_DOTSEG}</link>'
           '<pubDate>Tue, 14 Jan 2025 08:00:00 +0700</pubDate>'
           f'<guid isPermaLink="false">{base}/?p=202</guid></item></channel></rss>').encode()
    home = (f'<html><head><title>FAM68</title><link rel="alternate" type="application/rss+xml" title="FAM68 &raquo; '
            f'Feed" href="{base}/feed/"><link rel="alternate" type="application/atom+xml" href="{base}/feed/atom/">'
            '</head><body><h1>FAM68</h1><p>Portal berita Banten.</p></body></html>').encode()
    site: dict[str, tuple[str, bytes]] = {
        "/robots.txt": ("text/plain", (f"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
                                       f"Sitemap: {base}/sitemap_index.xml\n").encode()),
        "/sitemap_index.xml": ("text/xml; charset=UTF-8", index),
        "/post-sitemap.xml": ("text/xml; charset=UTF-8", _urlset(base, [*SITEMAP_ONLY, CP1252], images=True)),
        "/page-sitemap.xml": ("text/xml; charset=UTF-8", _urlset(base, ["/", *PAGES], images=False)),
        "/category-sitemap.xml": ("text/xml; charset=UTF-8", _urlset(base, CATEGORIES, images=False)),
        "/feed/atom/": ("application/atom+xml; charset=UTF-8", atom),
        "/feed/": ("application/rss+xml; charset=UTF-8", rss),
        "/": ("text/html; charset=UTF-8", home),
        CP1252: ("text/html; charset=windows-1252", _short_cp1252(base)),
    }
    for n, p in enumerate(ARTICLES):
        site.setdefault(p, ("text/html; charset=UTF-8", _article(base, p, n)))
    for p in PAGES + CATEGORIES:
        site[p] = ("text/html; charset=UTF-8", f"<html><body><h1>{p}</h1><p>Halaman.</p></body></html>".encode())
    return site


class _Server:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.site: dict[str, tuple[str, bytes]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append(self.path)
                # what a real server does: decode, then resolve dot segments
                path = posixpath.normpath(unquote(urlsplit(self.path).path))
                path = path if path == "/" else path + "/"
                found = outer.site.get(path) or outer.site.get(path.rstrip("/"))
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ctype, body = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.site = _site(self.base)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def wp(tmp_path: Path) -> Iterator[tuple[_Server, Path, Path]]:
    with _Server() as srv:
        db = tmp_path / "wp.db"
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'[storage]\npath = "{db}"\n[http]\nper_host_delay = 0.0\nretries = 0\n'
                       f'[[sources]]\nname = "fam68"\nstart_urls = ["{srv.base}/"]\n')
        yield srv, cfg, db


def _crawl(cfg: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scraper", "--config", str(cfg), "crawl"], capture_output=True,
                          text=True, timeout=120)


def test_every_article_once_and_nothing_else(wp: tuple[_Server, Path, Path]) -> None:
    srv, cfg, db = wp
    proc = _crawl(cfg)
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT canonical_url, title, text FROM articles ORDER BY canonical_url").fetchall()
    stored = sorted(urlsplit(r[0]).path for r in rows)
    assert stored == sorted(ARTICLES)
    fetched = [unquote(urlsplit(p).path) for p in srv.requests]
    assert not [p for p in fetched if p.endswith(".jpg")]
    assert not [p for p in fetched if p in PAGES or p in CATEGORIES]
    # each article requested once (the dot-segment link names the same page)
    for path in ARTICLES:
        assert sum(1 for p in fetched if posixpath.normpath(p) + "/" == path) == 1, path
    text = {urlsplit(r[0]).path: r[2] for r in rows}[CP1252]
    assert "“Bu Siti”" in text and "Rp80.000" in text


def test_crawl_after_sqlite_utils_disable_fts(wp: tuple[_Server, Path, Path]) -> None:
    srv, cfg, db = wp
    assert _crawl(cfg).returncode == 0
    sqlite_utils = Path(sys.executable).with_name("sqlite-utils")
    p = subprocess.run([str(sqlite_utils), "disable-fts", str(db), "articles"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    # an edited article and a new one: both written with the FTS table gone
    path = SITEMAP_ONLY[0]
    ctype, body = srv.site[path]
    srv.site[path] = (ctype, body.replace(b"paragraf 1:", b"paragraf satu (ralat):"))
    proc = _crawl(cfg)
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT revision FROM articles WHERE canonical_url LIKE ?",
                            (f"%{path}",)).fetchone() == (2,)
    search = subprocess.run([sys.executable, "-m", "scraper", "--db", str(db), "search", "cabai"],
                            capture_output=True, text=True)
    assert search.returncode != 0
    assert search.stderr.startswith("kabar: error:") and "enable-fts" in search.stderr
    assert len(search.stderr.strip().splitlines()) == 1
