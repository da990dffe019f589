"""syndication-dev served as real news portals on loopback: one outlet per host (127.0.0.N), for bench/clusters.py.

Each outlet's portal answers ``/`` (a front page with a menu and links to its articles), ``/sitemap.xml`` and
each item at its real URL's path: an HTML page with the excerpt's lines as paragraphs (page furniture and all,
as the excerpt has it), a title (the excerpt's first line when it reads as a headline, else the URL slug) and
one publication time for every item (the hidden check publishes everything the same day, so time cannot
separate stories). ``crawl`` runs kabar's crawl (``scraper.pipeline.crawl_source``) over every portal into a
store and returns each item's cluster (the ``cluster_id`` of the article its URL belongs to, via
``article_urls``), as score.py expects.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

PUBLISHED = "2026-12-01T09:00:00+07:00"
MENU = ("Beranda", "Nasional", "Daerah", "Hukum", "Ekonomi", "Olahraga", "Indeks")


@dataclass
class Portal:
    outlet: str
    host: str
    items: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def path_of(self, item: dict[str, Any]) -> str:
        parts = urlsplit(item["url"])
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return path if path != "/" else f"/item/{item['id']}"

    def url_of(self, item: dict[str, Any]) -> str:
        return self.base + self.path_of(item)


def title_of(item: dict[str, Any]) -> str:
    first = item["text"].split("\n", 1)[0].strip()
    first = re.sub(r"^\s*date \d{4}-\d{2}-\d{2}\s*", "", first)
    if 3 <= len(first.split()) <= 20 and not first.endswith("."):
        return first
    slug = urlsplit(item["url"]).path.rstrip("/").rsplit("/", 1)[-1]
    slug = re.sub(r"\.\w+$|-?\d{5,}", "", slug)
    return " ".join(slug.replace("_", "-").split("-")).strip().capitalize() or item["outlet"]


def page(portal: Portal, item: dict[str, Any]) -> str:
    title = html.escape(title_of(item))
    paras = "\n".join(f"<p>{html.escape(line)}</p>" for line in item["text"].split("\n") if line.strip())
    menu = "".join(f'<li><a href="/{m.lower()}/">{m}</a></li>' for m in MENU)
    return (f"<!doctype html><html lang=id><head><meta charset=utf-8><title>{title} - {portal.outlet}</title>"
            f'<meta property="og:title" content="{title}">'
            f'<meta property="article:published_time" content="{PUBLISHED}">'
            f'<link rel="canonical" href="{portal.url_of(item)}"></head><body>'
            f"<header><nav><ul>{menu}</ul></nav></header><main><article><h1>{title}</h1>"
            f'<time datetime="{PUBLISHED}">1 Desember 2026</time><div class="content">{paras}</div></article>'
            f"</main><footer><p>&copy; 2026 {html.escape(portal.outlet)}. Semua hak dilindungi.</p></footer>"
            f"</body></html>")


def front(portal: Portal) -> str:
    links = "".join(f'<li><a href="{portal.path_of(i)}">{html.escape(title_of(i))}</a></li>' for i in portal.items)
    return (f"<!doctype html><html lang=id><head><meta charset=utf-8><title>{portal.outlet}</title></head>"
            f"<body><h1>{portal.outlet}</h1><ul>{links}</ul></body></html>")


def sitemap(portal: Portal) -> str:
    urls = "".join(f"<url><loc>{html.escape(portal.url_of(i))}</loc><lastmod>{PUBLISHED}</lastmod></url>"
                   for i in portal.items)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def portals_for(items: Sequence[dict[str, Any]]) -> list[Portal]:
    """One portal per host of the items' URLs (``www.`` kept: the same page under both hosts is two
    addresses), on 127.0.0.2, 127.0.0.3, ... in order of first appearance."""
    by_host: dict[str, Portal] = {}
    for item in items:
        host = urlsplit(item["url"]).netloc.lower()
        if host not in by_host:
            n = len(by_host) + 2
            by_host[host] = Portal(host, f"127.0.{n // 250}.{n % 250}")
        by_host[host].items.append(item)
    return list(by_host.values())


def _pages(portal: Portal) -> dict[str, dict[str, Any]]:
    """Request path (with query) -> item: each item's own path, and the canonical form of it a crawler may
    ask for instead (an AMP page's non-AMP address, unless that is another item's)."""
    from storage.urls import canonical_url

    pages: dict[str, dict[str, Any]] = {}
    for item in portal.items:
        pages.setdefault(portal.path_of(item), item)
    for item in portal.items:
        canon = urlsplit(canonical_url(portal.url_of(item)))
        pages.setdefault((canon.path or "/") + (f"?{canon.query}" if canon.query else ""), item)
    return pages


def article_pattern(portal: Portal) -> str:
    """The source's ``article_pattern``: its items' paths (as a user would write a pattern for a portal whose
    addresses kabar's heuristic does not recognise, e.g. ``/news/...`` sections)."""
    paths = {portal.path_of(i).split("?", 1)[0] for i in portal.items} | {
        urlsplit(u).path for u in _pages(portal) if u.startswith("/")}
    posts = {portal.path_of(i) for i in portal.items if portal.path_of(i).startswith("/?")}   # /?p=123
    alternatives = [re.escape(x) for x in sorted(paths) if x != "/"] + [re.escape(x) + "$" for x in sorted(posts)]
    return "^https?://[^/]+(?:" + "|".join(alternatives) + ")(?:[?#]|$)"


def _handler(portal: Portal) -> type[BaseHTTPRequestHandler]:
    pages = _pages(portal)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path
            ctype = "text/html; charset=utf-8"
            if path in pages:
                status, body = 200, page(portal, pages[path])
            elif path == "/":
                status, body = 200, front(portal)
            elif path == "/sitemap.xml":
                status, body, ctype = 200, sitemap(portal), "application/xml"
            else:
                status, body = 404, "<html><body><p>tidak ditemukan</p></body></html>"
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(portals: Sequence[Portal]) -> Iterator[list[Portal]]:
    servers = []
    try:
        for p in portals:
            server = ThreadingHTTPServer((p.host, 0), _handler(p))
            server.daemon_threads = True
            p.port = server.server_address[1]
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        yield list(portals)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def crawl(items: Sequence[dict[str, Any]], db_path: str) -> dict[str, int | None]:
    """Serve the items as portals, crawl each with kabar into ``db_path``; item id -> cluster (None: not stored)."""
    from scraper.config import config_from_dict
    from scraper.pipeline import crawl_source
    from storage.store import Store

    portals = portals_for(items)
    with serve(portals):
        data = {"storage": {"path": db_path},
                "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 5.0, "respect_robots": False,
                         "concurrency": 4, "per_host_concurrency": 4},
                "sources": [{"name": p.outlet, "start_urls": [f"{p.base}/"], "sitemaps": [f"{p.base}/sitemap.xml"],
                             "allowed_domains": [p.host], "max_pages": 50, "article_pattern": article_pattern(p)}
                            for p in portals]}
        config = config_from_dict(data, path="<syndication-dev>")
        with Store.open(db_path) as store:
            for source in config.sources:
                crawl_source(source, config, store)
            out: dict[str, int | None] = {}
            for p in portals:
                for item in p.items:
                    row = store.conn.execute(
                        "SELECT a.cluster_id FROM article_urls u JOIN articles a ON a.id = u.article_id "
                        "WHERE u.url = ?", (p.url_of(item),)).fetchone()
                    out[item["id"]] = row[0] if row else None
    return out
