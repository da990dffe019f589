"""Rendering helpers and the page builder shared by both demo portals (feeds, sitemaps, robots.txt)."""

from __future__ import annotations

import html
import json
import re
import string
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

from scraper.demo.data import (
    _RSS,
    _TEXT,
    _XML,
    BANTENPOS,
    FAM68,
    FEED_SIZE,
    FEED_TRACKING,
    PREVIEW_QUERY,
    SECTIONS,
    SITE_EPOCH,
    SITEMAP_SPLIT,
    STATIC_PAGES,
    WIB,
    DemoArticle,
    _crc,
    _read_data,
)

if TYPE_CHECKING:
    from scraper.demo.site import DemoSite

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _date_id(dt: datetime) -> str:
    dt = dt.astimezone(WIB)
    return f"{_DAYS[dt.weekday()]}, {dt.day} {_MONTHS[dt.month - 1]} {dt.year}"


def _datetime_id(dt: datetime) -> str:
    dt = dt.astimezone(WIB)
    return f"{_date_id(dt)} - {dt:%H:%M} WIB"


def _iso(dt: datetime) -> str:
    return dt.astimezone(WIB).isoformat(timespec="seconds")


def _http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def _utc_seconds(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(microsecond=0)


def _excerpt(text: str, words: int = 28) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" [&hellip;]" if len(parts) > words else "")


class _Templates:
    def __init__(self) -> None:
        self._cache: dict[str, string.Template] = {}

    def render(self, name: str, **values: Any) -> str:
        tpl = self._cache.get(name)
        if tpl is None:
            tpl = string.Template(_read_data(f"templates/{name}"))
            self._cache[name] = tpl
        return tpl.substitute(values)


# --------------------------------------------------------------------------------------------------
# the site


class _RenderBase:
    """Builds pages as (body, content type, last modified) into ``self.out``; what both portals share."""

    def __init__(self, site: DemoSite, base: str) -> None:
        self.site = site
        self.base = base
        self.tpl = site._tpl
        self.fam = site.published(FAM68)
        self.bp = site.published(BANTENPOS)
        self.newest_first = sorted(self.fam, key=lambda a: a.published, reverse=True)
        self.drafts = [a for a in site.articles if a.draft]
        self.popular = sorted(self.fam, key=lambda a: _crc("popular" + a.slug))[:5]
        self.out: dict[str, tuple[bytes, str, datetime]] = {}

    def _put(self, path: str, body: str, ctype: str, last_modified: datetime) -> None:
        self.out[path] = (body.encode("utf-8"), ctype, last_modified)

    def u(self, path: str) -> str:
        return self.base + path

    def _neighbours(self, art: DemoArticle) -> tuple[DemoArticle | None, DemoArticle | None]:
        pool = self.fam if art.source == FAM68 else self.bp
        if art not in pool:
            return None, None
        i = pool.index(art)
        return (pool[i - 1] if i > 0 else None), (pool[i + 1] if i + 1 < len(pool) else None)

    def _jsonld(self, art: DemoArticle, url: str, site_name: str, image: str) -> str:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "headline": art.title,
            "description": art.lead,
            "image": [image],
            "datePublished": _iso(art.published),
            "dateModified": _iso(art.modified),
            "author": [{"@type": "Person", "name": art.author}],
            "publisher": {"@type": "Organization", "name": site_name,
                          "logo": {"@type": "ImageObject", "url": self.u("/wp-content/uploads/logo.png")}},
            "articleSection": SECTIONS.get(art.section, art.section),
            "keywords": ", ".join(art.tags),
            "inLanguage": "id-ID",
        }
        # "</" must not end the script element early
        return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")

    @staticmethod
    def _pagination(prefix: str, page: int, pages: int, u: Any) -> tuple[str, list[str]]:
        def href(n: int) -> str:
            return u(prefix if n == 1 else f"{prefix}page/{n}/")

        links = []
        if page > 1:
            links.append(f'<a class="prev page-numbers" href="{href(page - 1)}">&laquo; Sebelumnya</a>')
        for n in range(1, pages + 1):
            links.append(f'<span aria-current="page" class="page-numbers current">{n}</span>' if n == page else
                         f'<a class="page-numbers" href="{href(n)}">{n}</a>')
        if page < pages:
            links.append(f'<a class="next page-numbers" href="{href(page + 1)}">Berikutnya &raquo;</a>')
        head = []
        if page > 1:
            head.append(f'<link rel="prev" href="{href(page - 1)}">')
        if page < pages:
            head.append(f'<link rel="next" href="{href(page + 1)}">')
        nav = (f'<nav class="navigation pagination" aria-label="Pos"><h2 class="screen-reader-text">Navigasi pos</h2>'
               f'<div class="nav-links">{" ".join(links)}</div></nav>')
        return nav, head

    # ---- FAM68 feeds, sitemaps and robots.txt ------------------------------------------------------

    def _fam68_feed(self) -> None:
        items = self.newest_first[:FEED_SIZE]
        self._put("/feed/", self._rss(items, title="FAM68", link=self.u("/"), self_url=self.u("/feed/"),
                                      description="Berita Terpercaya dari Banten untuk Indonesia",
                                      tracking=FEED_TRACKING, dateline="FAM68 &#8211; "),
                  _RSS, max(a.modified for a in items))

    def _rss(self, items: list[DemoArticle], *, title: str, link: str, self_url: str, description: str,
             tracking: str, dateline: str) -> str:
        entries = []
        for a in items:
            entries.append(
                "  <item>\n"
                f"    <title>{xml_escape(a.title)}</title>\n"
                f"    <link>{xml_escape(self.u(a.path) + '?' + tracking.replace('{slug}', a.slug))}</link>\n"
                f"    <dc:creator><![CDATA[{a.author}]]></dc:creator>\n"
                f"    <pubDate>{format_datetime(a.published.astimezone(UTC), usegmt=True)}</pubDate>\n"
                f"    <category><![CDATA[{SECTIONS.get(a.section, a.section)}]]></category>\n"
                f'    <guid isPermaLink="false">{xml_escape(link)}?p={a.post_id}</guid>\n'
                f"    <description><![CDATA[{dateline}{_excerpt(_esc(a.lead), 40)}]]></description>\n"
                "  </item>")
        newest = max(a.modified for a in items)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
                'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">\n'
                "<channel>\n"
                f"  <title>{xml_escape(title)}</title>\n"
                f'  <atom:link href="{xml_escape(self_url)}" rel="self" type="application/rss+xml" />\n'
                f"  <link>{xml_escape(link)}</link>\n"
                f"  <description>{xml_escape(description)}</description>\n"
                f"  <lastBuildDate>{format_datetime(newest.astimezone(UTC), usegmt=True)}</lastBuildDate>\n"
                "  <language>id-ID</language>\n  <sy:updatePeriod>hourly</sy:updatePeriod>\n"
                + "\n".join(entries) + "\n</channel>\n</rss>\n")

    def _urlset(self, entries: list[tuple[str, datetime]]) -> str:
        rows = "\n".join(f"  <url>\n    <loc>{xml_escape(loc)}</loc>\n    <lastmod>{_iso(lm)}</lastmod>\n  </url>"
                         for loc, lm in entries)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "\n</urlset>\n")

    def _fam68_sitemaps(self) -> None:
        children: list[tuple[str, datetime]] = []
        for n, chunk in enumerate((self.fam[:SITEMAP_SPLIT], self.fam[SITEMAP_SPLIT:])):
            if not chunk:
                continue
            path = "/post-sitemap.xml" if n == 0 else f"/post-sitemap{n + 1}.xml"
            last = max(a.modified for a in chunk)
            self._put(path, self._urlset([(self.u(a.path), a.modified) for a in chunk]), _XML, last)
            children.append((path, last))
        self._put("/page-sitemap.xml", self._urlset([(self.u(p), SITE_EPOCH) for p in STATIC_PAGES]), _XML,
                  SITE_EPOCH)
        children.append(("/page-sitemap.xml", SITE_EPOCH))
        rows = "\n".join(f"  <sitemap>\n    <loc>{xml_escape(self.u(p))}</loc>\n    <lastmod>{_iso(lm)}</lastmod>\n"
                         f"  </sitemap>" for p, lm in children)
        self._put("/sitemap_index.xml",
                  '<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "\n</sitemapindex>\n",
                  _XML, max(lm for _, lm in children))

    def _robots(self) -> None:
        body = ("User-agent: *\n"
                "Disallow: /wp-admin/\n"
                "Allow: /wp-admin/admin-ajax.php\n"
                f"Disallow: /*?{PREVIEW_QUERY.split('=')[0]}=\n"
                "Disallow: /bantenpos/wp-admin/\n"
                "\n"
                f"Sitemap: {self.u('/sitemap_index.xml')}\n"
                f"Sitemap: {self.u('/bantenpos/sitemap.xml')}\n")
        self._put("/robots.txt", body, _TEXT, SITE_EPOCH)
