"""The demo site: its articles, its rendered pages and the log of the requests it answered."""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from scraper.demo.bantenpos import _BantenposPages
from scraper.demo.data import (
    BANTENPOS,
    FAM68,
    SOURCES,
    DemoArticle,
    Page,
    RequestRecord,
    _bantenpos_articles,
    _fam68_articles,
)
from scraper.demo.fam68 import _Fam68Pages
from scraper.demo.render import _Templates, _utc_seconds

log = logging.getLogger("scraper.demo")


class DemoSite:
    """The demo site's articles and its rendered pages. Thread-safe; see the module docstring for URLs."""

    def __init__(self, articles: list[DemoArticle]) -> None:
        self.articles = articles
        self.base_url: str | None = None
        self._lock = threading.Lock()
        self._pages: dict[str, Page] = {}
        self._requests: list[RequestRecord] = []
        self._tpl = _Templates()

    @classmethod
    def load(cls) -> DemoSite:
        """Read the bundled articles (package data, so this works from a non-editable install)."""
        fam68 = _fam68_articles()
        return cls(fam68 + _bantenpos_articles(fam68))

    # ---- queries for tests and the demo command ---------------------------------------------------

    def published(self, source: str = FAM68) -> list[DemoArticle]:
        """Published (non-draft) articles of one source, oldest first."""
        if source not in SOURCES:
            raise ValueError(f"unknown demo source {source!r} (known: {', '.join(SOURCES)})")
        return [a for a in self.articles if a.source == source and not a.draft]

    def url(self, path: str) -> str:
        if self.base_url is None:
            raise RuntimeError("the demo site is not being served: use serve_demo()")
        return self.base_url + path

    def article_urls(self, source: str = FAM68) -> list[str]:
        """Canonical URLs of the published articles of ``source``, oldest first."""
        return [self.url(a.path) for a in self.published(source)]

    def amp_urls(self) -> dict[str, str]:
        """AMP URL -> canonical URL, for every article with an AMP variant."""
        return {self.url(a.amp_path): self.url(a.path) for a in self.published(FAM68) if a.amp_path}

    def multipage_urls(self) -> dict[str, list[str]]:
        """Canonical URL -> its further page URLs, for the multi-page article(s)."""
        return {self.url(a.path): [self.url(a.page2_path)]
                for a in self.published(FAM68) if a.page2_path}

    def syndicated(self) -> list[tuple[str, str, str]]:
        """(BANTENPOS copy URL, FAM68 original URL, "verbatim" | "rewrite") for every syndicated copy."""
        fam = {a.slug: a for a in self.published(FAM68)}
        return [(self.url(a.path), self.url(fam[a.origin].path), a.copy_mode or "")
                for a in self.published(BANTENPOS) if a.origin]

    def disallowed_urls(self) -> list[str]:
        """URLs that listings link to but robots.txt disallows (the draft preview)."""
        return [self.url(a.public_path) for a in self.articles if a.draft]

    def article(self, url_or_path: str) -> DemoArticle:
        """The article behind a URL or path (canonical, AMP, page 2 or with a query)."""
        parts = urlsplit(url_or_path)
        path = parts.path
        for a in self.articles:
            if path in (a.path, a.amp_path, a.page2_path):
                return a
        raise KeyError(f"no demo article at {url_or_path!r}")

    def page(self, path: str) -> Page | None:
        """The rendered page for a path (plus query for the draft preview), or None."""
        return self._pages.get(path)

    def request_log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def clear_request_log(self) -> None:
        with self._lock:
            self._requests.clear()

    def edit_article(self, url_or_path: str, new_paragraph: str, *, when: datetime | None = None) -> str:
        """Append a paragraph to an article's last section and move its modification time (so its
        ``Last-Modified``, ``article:modified_time``, JSON-LD ``dateModified`` and sitemap ``lastmod`` move).
        Returns the article page's new ETag."""
        art = self.article(url_or_path)
        now = _utc_seconds(when or datetime.now(UTC))
        with self._lock:
            art.sections[-1].paragraphs.append(new_paragraph)
            art.modified = max(now, _utc_seconds(art.modified) + timedelta(seconds=1))
        if self.base_url is not None:
            self.render(self.base_url)
        log.info("demo site: edited %s", art.path)
        page = self._pages.get(art.path)
        return page.etag if page else ""

    def _log_request(self, rec: RequestRecord) -> None:
        with self._lock:
            self._requests.append(rec)

    # ---- rendering ---------------------------------------------------------------------------------

    def render(self, base_url: str) -> None:
        """(Re-)render every page for ``base_url``. A page whose bytes changed never gets an older
        ``Last-Modified`` than before."""
        base_url = base_url.rstrip("/")
        with self._lock:
            self.base_url = base_url
            raw = _Renderer(self, base_url).pages()
            now = _utc_seconds(datetime.now(UTC))
            pages: dict[str, Page] = {}
            for path, (body, ctype, last_mod) in raw.items():
                etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
                last_mod = _utc_seconds(last_mod)
                old = self._pages.get(path)
                if old is not None and old.etag != etag and last_mod <= old.last_modified:
                    last_mod = max(now, old.last_modified + timedelta(seconds=1))
                pages[path] = Page(body, ctype, etag, last_mod)
            self._pages = pages


class _Renderer(_Fam68Pages, _BantenposPages):
    """Builds every page of the site as (body, content type, last modified)."""

    def pages(self) -> dict[str, tuple[bytes, str, datetime]]:
        for art in self.fam + self.drafts:
            self._fam68_article(art)
        self._fam68_listings()
        self._fam68_feed()
        self._fam68_sitemaps()
        self._static_pages()
        for art in self.bp:
            self._bantenpos_article(art)
        self._bantenpos_listings()
        self._robots()
        return self.out
