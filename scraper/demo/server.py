"""Serving the demo site on loopback, and the config ``kabar demo`` crawls it with."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterator
from datetime import UTC
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scraper.config import Config, config_from_dict
from scraper.demo.data import _HTML, BANTENPOS, FAM68, PREVIEW_QUERY, Page, RequestRecord
from scraper.demo.render import _http_date
from scraper.demo.site import DemoSite

log = logging.getLogger("scraper.demo")

_NOT_FOUND = (b"<!DOCTYPE html>\n<html lang=\"id-ID\"><head><meta charset=\"UTF-8\"><title>Halaman tidak ditemukan"
              b"</title></head><body><h1>404</h1><p>Halaman yang Anda cari tidak ditemukan.</p></body></html>\n")


def _resolve(site: DemoSite, target: str) -> tuple[int, Page | None, str | None]:
    """(status, page, redirect location) for a request target."""
    parts = urlsplit(target)
    path = parts.path or "/"
    query = parse_qs(parts.query)
    if query.get("preview") == ["true"]:
        page = site.page(f"{path}?{PREVIEW_QUERY}")
        return (200, page, None) if page else (404, None, None)
    if path == "/" and "p" in query:  # WordPress shortlinks
        for a in site.articles:
            if not a.draft and a.source == FAM68 and query["p"] == [str(a.post_id)]:
                return 301, None, site.url(a.path)
        return 404, None, None
    page = site.page(path)
    if page is not None:
        return 200, page, None
    m = re.fullmatch(r"(.*/)page/1/", path)
    if m and site.page(m.group(1)):
        return 301, None, site.url(m.group(1))
    if path == "/sitemap.xml":
        return 301, None, site.url("/sitemap_index.xml")
    if not path.endswith("/") and site.page(path + "/"):
        return 301, None, site.url(path + "/")
    return 404, None, None


def _not_modified(page: Page, if_none_match: str | None, if_modified_since: str | None) -> bool:
    if if_none_match is not None:  # RFC 9110 13.1.2: If-Modified-Since is ignored when If-None-Match is sent
        tags = [t.strip() for t in if_none_match.split(",")]
        weak = page.etag if page.etag.startswith("W/") else "W/" + page.etag
        return "*" in tags or page.etag in tags or weak in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return page.last_modified <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kabar-demo/0.1"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 30
    site: DemoSite  # set on the subclass made by serve_demo()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        status, page, location = _resolve(self.site, self.path)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if page is not None and _not_modified(page, inm, ims):
            status = 304
        self.site._log_request(RequestRecord(self.command, self.path, status, inm, ims,
                                             self.headers.get("User-Agent")))
        self.send_response(status)
        if status == 301:
            self.send_header("Location", location or "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if page is None:
            body = _NOT_FOUND
            self.send_header("Content-Type", _HTML)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        self.send_header("ETag", page.etag)
        self.send_header("Last-Modified", _http_date(page.last_modified))
        self.send_header("Cache-Control", "no-cache")
        if status == 304:
            self.end_headers()
            return
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        if not head:
            self.wfile.write(page.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        log.debug("demo site: " + format, *args)


@contextlib.contextmanager
def serve_demo(site: DemoSite | None = None, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the demo site from a daemon thread; yields its base URL ``http://127.0.0.1:PORT``.

    Pass your own :class:`DemoSite` to edit articles or read the request log while it is served.
    """
    site = site or DemoSite.load()
    handler = type("DemoHandler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    base_url = f"http://{host}:{server.server_address[1]}"
    site.render(base_url)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="kabar-demo-site", daemon=True)
    thread.start()
    log.info("demo site serving on %s", base_url)
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        log.info("demo site stopped")


def demo_config(base_url: str, db_path: str) -> Config:
    """The config ``kabar demo`` crawls with: both demo sources on ``base_url``, no politeness delay."""
    base = base_url.rstrip("/")
    data = {
        "storage": {"path": db_path},
        "http": {"per_host_delay": 0.0, "retries": 1, "timeout": 5.0, "respect_robots": True,
                 "concurrency": 4, "per_host_concurrency": 4, "backoff_base": 0.1, "backoff_max": 1.0},
        "sources": [
            {"name": FAM68, "start_urls": [f"{base}/"], "feeds": [f"{base}/feed/"],
             "sitemaps": [f"{base}/sitemap_index.xml"], "allowed_domains": ["127.0.0.1"],
             # the path, with or without scheme and host; never /bantenpos/...
             "article_pattern": r"^(?:https?://[^/]+)?/\d{4}/\d{2}/[a-z0-9-]+/"},
            {"name": BANTENPOS, "start_urls": [f"{base}/bantenpos/"], "feeds": [f"{base}/bantenpos/feed/"],
             "sitemaps": [f"{base}/bantenpos/sitemap.xml"], "allowed_domains": ["127.0.0.1"],
             "article_pattern": r"^(?:https?://[^/]+)?/bantenpos/\d{4}/\d{2}/[a-z0-9-]+/"},
        ],
    }
    return config_from_dict(data, path="<demo>")

