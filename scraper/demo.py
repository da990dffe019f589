"""The bundled demo site: a FAM68-style portal plus a syndicating second portal, served on loopback.

``kabar demo`` and the end-to-end tests crawl this site instead of the internet. The articles are hand-written
package data (``scraper/demo_site/articles.txt`` and ``bantenpos.txt``, every name and number fictional); the
markup comes from the templates in ``scraper/demo_site/templates/``. Every page is rendered into bytes once, when
the server starts (and again after :meth:`DemoSite.edit_article`), so serving costs one dict lookup.

URL layout, for ``base = serve_demo()``'s URL::

    /                              home listing, 10 per page; /page/2/ ... /page/7/ (/page/1/ -> 301 /)
    /kategori/<section>/           category listing (links the AMP variant of AMP articles); /kategori/<s>/page/2/
    /YYYY/MM/<slug>/               FAM68 article (WordPress markup); /YYYY/MM/<slug>/amp/ for AMP articles
    /YYYY/MM/<slug>/2/             page 2 of the one multi-page article
    /YYYY/MM/<draft>/?preview=true an unpublished draft linked from the home page, disallowed by robots.txt
    /feed/                         RSS 2.0, latest 20, links carry ?utm_source=feed&utm_medium=rss
    /sitemap_index.xml             -> /post-sitemap.xml, /post-sitemap2.xml, /page-sitemap.xml (/sitemap.xml -> 301)
    /robots.txt                    Disallow /wp-admin/ and /*?preview=, Sitemap lines for both portals
    /redaksi/ /pedoman-media-siber/ /kontak/   static pages (not articles)
    /bantenpos/ (+ /page/2/), /bantenpos/feed/, /bantenpos/sitemap.xml, /bantenpos/YYYY/MM/<slug>/
                                   the second portal (tagDiv "Newspaper" markup): syndicated copies of FAM68
                                   articles, verbatim or lightly rewritten, plus two articles of its own

Every 200 response carries a strong ``ETag`` (a hash of the body) and ``Last-Modified`` (the newest
modification of what the page shows); ``If-None-Match`` (checked first) and ``If-Modified-Since`` get a 304.
Unknown paths are 404. The server keeps a log of the requests it answered (:meth:`DemoSite.request_log`), so
tests can check that a crawler obeyed robots.txt and sent conditional requests.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import html
import json
import logging
import re
import string
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from scraper.config import Config, config_from_dict

log = logging.getLogger(__name__)

FAM68 = "fam68-demo"
BANTENPOS = "bantenpos-demo"
SOURCES = (FAM68, BANTENPOS)

WIB = timezone(timedelta(hours=7), "WIB")
SECTIONS: dict[str, str] = {
    "pemerintahan": "Pemerintahan",
    "hukum": "Hukum",
    "ekonomi": "Ekonomi",
    "pendidikan": "Pendidikan",
    "olahraga": "Olahraga",
    "kesehatan": "Kesehatan",
}
AUTHORS = ("Rina Marlina", "Dedi Supriatna", "Ahmad Fauzi", "Yuni Kartika", "Bagus Pranoto", "Redaksi FAM68")
BANTENPOS_AUTHORS = ("Tim Redaksi", "Hendra Gunadi", "Lina Marliana")
FIRST_DAY = datetime(2025, 5, 1, tzinfo=WIB)
SITE_EPOCH = datetime(2025, 4, 1, 9, 0, tzinfo=WIB)  # Last-Modified of pages that never change
PER_PAGE = 10
FEED_SIZE = 20
SITEMAP_SPLIT = 40  # post-sitemap.xml holds the oldest 40 articles, post-sitemap2.xml the rest
FEED_TRACKING = "utm_source=feed&utm_medium=rss"
PREVIEW_QUERY = "preview=true"
STATIC_PAGES: dict[str, tuple[str, str]] = {
    "/redaksi/": ("Redaksi", "FAM68 dikelola oleh tim redaksi kecil di Kota Serang. Pemimpin redaksi, redaktur "
                  "pelaksana dan para reporter bertugas di Serang, Cilegon, Pandeglang, Lebak dan Tangerang."),
    "/pedoman-media-siber/": ("Pedoman Media Siber", "Redaksi FAM68 berpedoman pada Pedoman Pemberitaan Media "
                              "Siber. Koreksi dan hak jawab dapat dikirim melalui halaman kontak."),
    "/kontak/": ("Kontak", "Kirim informasi, koreksi dan hak jawab kepada redaksi melalui surel "
                 "redaksi@fam68.example."),
}

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember")
_HTML = "text/html; charset=UTF-8"
_XML = "application/xml; charset=UTF-8"
_RSS = "application/rss+xml; charset=UTF-8"
_TEXT = "text/plain; charset=utf-8"


# --------------------------------------------------------------------------------------------------
# data


@dataclass
class DemoSection:
    headline: str
    paragraphs: list[str]


@dataclass
class DemoArticle:
    """One article of the demo site. Texts are stored without their brand dateline."""

    source: str
    post_id: int
    slug: str
    section: str
    title: str
    tags: list[str]
    lead: str
    sections: list[DemoSection]
    published: datetime
    modified: datetime
    author: str
    amp: bool = False
    page_break: int | None = None  # index of the first section shown on page 2
    draft: bool = False
    signoff: str | None = None
    origin: str | None = None  # FAM68 slug this article copies (BANTENPOS only)
    copy_mode: str | None = None  # "verbatim" | "rewrite"

    @property
    def path(self) -> str:
        prefix = "/bantenpos" if self.source == BANTENPOS else ""
        return f"{prefix}/{self.published:%Y}/{self.published:%m}/{self.slug}/"

    @property
    def amp_path(self) -> str | None:
        return self.path + "amp/" if self.amp else None

    @property
    def page2_path(self) -> str | None:
        return self.path + "2/" if self.page_break is not None else None

    @property
    def public_path(self) -> str:
        """The path listings link to: drafts are only reachable as a preview."""
        return self.path + "?" + PREVIEW_QUERY if self.draft else self.path

    def expected_segments(self) -> list[tuple[str | None, list[str]]]:
        """The clean segments a parser should produce: no dateline, no sign-off, no promo."""
        return [(None, [self.lead])] + [(s.headline, list(s.paragraphs)) for s in self.sections]

    @property
    def text(self) -> str:
        return "\n".join(line for head, paras in self.expected_segments()
                         for line in ([head] if head else []) + paras)

    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime  # UTC, whole seconds
    status: int = 200
    location: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # path plus query, as requested
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _read_data(name: str) -> str:
    return resources.files("scraper").joinpath("demo_site", name).read_text(encoding="utf-8")


def _parse_blocks(text: str) -> list[dict[str, Any]]:
    """Split articles.txt-style data into blocks (see the comment at the top of the file)."""
    blocks: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("=== "):
            fields = [f.strip() for f in line[4:].split("|")]
            flags: dict[str, str] = {}
            for tok in (fields[2] if len(fields) > 2 else "").split():
                key, _, value = tok.partition("=")
                flags[key] = value
            cur = {"slug": fields[0], "section": fields[1], "flags": flags, "title": None, "tags": [],
                   "lead": None, "sections": [], "page_break": None}
            blocks.append(cur)
            continue
        if cur is None or not line:
            continue  # file comments before the first block, blank lines
        if line.startswith("## "):
            cur["sections"].append(DemoSection(line[3:].strip(), []))
        elif line.startswith("# "):
            cur["title"] = line[2:].strip()
        elif line.startswith("~ "):
            cur["tags"] = [t.strip() for t in line[2:].split(",") if t.strip()]
        elif line == "%% page":
            cur["page_break"] = len(cur["sections"])
        elif not cur["sections"] and cur["lead"] is None:
            cur["lead"] = line
        elif cur["sections"]:
            cur["sections"][-1].paragraphs.append(line)
        else:
            raise ValueError(f"demo data: block {cur['slug']!r} has a second paragraph before its first section")
    return blocks


def _signoff(author: str) -> str:
    initials = "".join(w[0] for w in author.lower().split())[:3]
    return f"({author.split()[0][:3].lower()}/{initials})"


def _fam68_articles() -> list[DemoArticle]:
    blocks = _parse_blocks(_read_data("articles.txt"))
    section_order = list(SECTIONS)
    per_section: dict[str, int] = {}
    out: list[DemoArticle] = []
    for b in blocks:
        if b["section"] not in SECTIONS:
            raise ValueError(f"demo data: unknown section {b['section']!r} in {b['slug']!r}")
        flags = b["flags"]
        crc = _crc(b["slug"])
        if "draft" in flags:
            day = 70  # after every published article
        else:
            i = per_section.get(b["section"], 0)
            per_section[b["section"]] = i + 1
            day = 6 * i + section_order.index(b["section"])
        published = FIRST_DAY + timedelta(days=day, hours=6 + crc % 13, minutes=(crc >> 8) % 60,
                                          seconds=(crc >> 16) % 60)
        author = AUTHORS[(crc >> 4) % len(AUTHORS)]
        out.append(DemoArticle(
            source=FAM68, post_id=0, slug=b["slug"], section=b["section"], title=b["title"], tags=b["tags"],
            lead=b["lead"], sections=b["sections"], published=published,
            modified=published + timedelta(minutes=5 + crc % 170), author=author, amp="amp" in flags,
            page_break=b["page_break"], draft="draft" in flags,
            signoff=_signoff(author) if "signoff" in flags else None))
    out.sort(key=lambda a: a.published)
    for n, art in enumerate(out):
        art.post_id = 4101 + n
    return out


def _bantenpos_articles(fam68: list[DemoArticle]) -> list[DemoArticle]:
    by_slug = {a.slug: a for a in fam68}
    out: list[DemoArticle] = []
    for b in _parse_blocks(_read_data("bantenpos.txt")):
        flags = b["flags"]
        crc = _crc(b["slug"])
        author = BANTENPOS_AUTHORS[crc % len(BANTENPOS_AUTHORS)]
        if "copy" in flags:
            orig = by_slug[flags["copy"]]
            mode = flags["mode"]
            published = orig.published + timedelta(hours=int(flags["delay"]), minutes=crc % 50)
            sections = copy.deepcopy(orig.sections)
            title, lead = orig.title, orig.lead
            if mode == "rewrite":
                title, lead = b["title"], b["lead"]
                sections[-1].paragraphs.pop()  # the trimmed last paragraph
            elif mode != "verbatim":
                raise ValueError(f"demo data: unknown copy mode {mode!r}")
            out.append(DemoArticle(
                source=BANTENPOS, post_id=0, slug=b["slug"], section=b["section"], title=title,
                tags=list(orig.tags), lead=lead, sections=sections, published=published, modified=published,
                author=author, signoff=orig.signoff if mode == "verbatim" else None, origin=orig.slug,
                copy_mode=mode))
        else:
            published = datetime.fromisoformat(flags["at"]).replace(tzinfo=WIB)
            out.append(DemoArticle(
                source=BANTENPOS, post_id=0, slug=b["slug"], section=b["section"], title=b["title"],
                tags=b["tags"], lead=b["lead"], sections=b["sections"], published=published,
                modified=published + timedelta(minutes=12), author=author))
    out.sort(key=lambda a: a.published)
    for n, art in enumerate(out):
        art.post_id = 9101 + n
    return out


# --------------------------------------------------------------------------------------------------
# rendering helpers


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


class _Renderer:
    """Builds every page of the site as (body, content type, last modified)."""

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

    def _put(self, path: str, body: str, ctype: str, last_modified: datetime) -> None:
        self.out[path] = (body.encode("utf-8"), ctype, last_modified)

    def u(self, path: str) -> str:
        return self.base + path

    # ---- FAM68 ------------------------------------------------------------------------------------

    def _menu(self, current: str | None = None) -> str:
        items = [f'        <li class="menu-item"><a href="{self.u("/")}">Beranda</a></li>']
        for slug, name in SECTIONS.items():
            cls = "menu-item current-menu-item" if slug == current else "menu-item"
            items.append(f'        <li class="{cls}"><a href="{self.u(f"/kategori/{slug}/")}">{name}</a></li>')
        return "\n".join(items)

    def _sidebar(self, with_preview: bool = False) -> str:
        pop = "\n".join(f'          <li><a href="{self.u(a.path)}">{_esc(a.title)}</a></li>' for a in self.popular)
        cats = "\n".join(
            f'          <li class="cat-item cat-item-{i + 2}"><a href="{self.u(f"/kategori/{slug}/")}">{name}</a></li>'
            for i, (slug, name) in enumerate(SECTIONS.items()))
        out = (f'      <section id="fam68-popular-2" class="widget widget_popular">\n'
               f'        <h2 class="widget-title">Terpopuler</h2>\n        <ol>\n{pop}\n        </ol>\n'
               f'      </section>\n'
               f'      <section id="categories-2" class="widget widget_categories">\n'
               f'        <h2 class="widget-title">Kategori</h2>\n        <ul>\n{cats}\n        </ul>\n'
               f'      </section>')
        if with_preview and self.drafts:
            links = "\n".join(f'          <li><a href="{self.u(a.public_path)}">{_esc(a.title)}</a></li>'
                              for a in self.drafts)
            out += (f'\n      <section id="fam68-upcoming-2" class="widget widget_upcoming">\n'
                    f'        <h2 class="widget-title">Segera Tayang</h2>\n        <ul>\n{links}\n        </ul>\n'
                    f'      </section>')
        return out

    def _ticker(self) -> str:
        return " &bull; ".join(f'<a href="{self.u(a.path)}">{_esc(a.title)}</a>' for a in self.newest_first[:3])

    def _layout(self, *, title_tag: str, head_extra: str, body_class: str, main: str, current: str | None = None,
                with_preview: bool = False, today: datetime | None = None) -> str:
        return self.tpl.render(
            "fam68-layout.html", base=self.base, title_tag=_esc(title_tag), head_extra=head_extra,
            body_class=body_class, main=main, menu=self._menu(current), ticker=self._ticker(),
            sidebar=self._sidebar(with_preview), today=_date_id(today or self.newest_first[0].published))

    def _heading(self, art: DemoArticle, text: str) -> str:
        style = art.post_id % 3
        if style == 0:
            return f'<h2 class="wp-block-heading">{_esc(text)}</h2>'
        if style == 1:
            return f'<h3 class="wp-block-heading">{_esc(text)}</h3>'
        return f"<p><strong>{_esc(text)}</strong></p>"

    def _neighbours(self, art: DemoArticle) -> tuple[DemoArticle | None, DemoArticle | None]:
        pool = self.fam if art.source == FAM68 else self.bp
        if art not in pool:
            return None, None
        i = pool.index(art)
        return (pool[i - 1] if i > 0 else None), (pool[i + 1] if i + 1 < len(pool) else None)

    def _read_also(self, art: DemoArticle) -> DemoArticle:
        same = [a for a in self.fam if a.section == art.section and a is not art]
        older = [a for a in same if a.published < art.published]
        return older[-1] if older else same[0]

    def _promo_targets(self, art: DemoArticle) -> list[DemoArticle]:
        others = [a for a in self.fam if a.section != art.section]
        k = art.post_id
        return [others[(k * 7) % len(others)], others[(k * 13 + 5) % len(others)]]

    def _related(self, art: DemoArticle) -> list[DemoArticle]:
        same = [a for a in self.fam if a.section == art.section and a is not art]
        k = art.post_id % max(len(same), 1)
        return (same[k:] + same[:k])[:3]

    def _fam68_body(self, art: DemoArticle, page: int, *, amp: bool) -> str:
        """The inside of div.entry-content (or the AMP content div) for page 1 or 2."""
        url = self.u(art.path)
        parts: list[str] = []
        sections = art.sections
        if art.page_break is not None:
            sections = sections[:art.page_break] if page == 1 else sections[art.page_break:]
        if page == 1:
            parts.append(f"<p>FAM68 &#8211; {_esc(art.lead)}</p>")
            img = self.u(f"/wp-content/uploads/{art.published:%Y/%m}/{art.slug}-800x450.jpg")
            cap = (f"Suasana kegiatan terkait {_esc(art.tags[0] if art.tags else SECTIONS[art.section])}. "
                   f"(Foto: Dok. FAM68/{_esc(art.author.split()[0])})")
            if amp:
                parts.append(f'<figure class="wp-caption"><amp-img src="{img}" width="800" height="450" '
                             f'layout="responsive" alt=""></amp-img><figcaption class="wp-caption-text">{cap}'
                             f"</figcaption></figure>")
            else:
                parts.append(f'<figure id="attachment_{art.post_id + 50000}" class="wp-caption aligncenter">'
                             f'<img loading="lazy" decoding="async" src="{img}" alt="" width="800" height="450">'
                             f'<figcaption class="wp-caption-text">{cap}</figcaption></figure>')
        ad = ('<amp-ad width="300" height="250" type="adsense" data-ad-client="ca-pub-0000000000000068" '
              'data-ad-slot="6800000001"><div placeholder>ADVERTISEMENT</div></amp-ad>' if amp else
              '<div class="code-block code-block-2 ads-inline"><p class="ads-label">ADVERTISEMENT</p>'
              '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-0000000000000068" '
              'data-ad-slot="6800000001"></ins><p class="ads-label">SCROLL TO CONTINUE WITH CONTENT</p></div>')
        for n, sec in enumerate(sections):
            parts.append(self._heading(art, sec.headline))
            for m, para in enumerate(sec.paragraphs):
                parts.append(f"<p>FAM68 &#8211; {_esc(para)}</p>" if m == 0 else f"<p>{_esc(para)}</p>")
                if n == 0 and m == 0 and not art.draft:
                    also = self._read_also(art)
                    label = "Baca juga:" if art.post_id % 2 else "Baca Juga :"
                    parts.append(f'<p><strong>{label}</strong> <a href="{self.u(also.path)}">'
                                 f"{_esc(also.title)}</a></p>")
                if n == 0 and m == 1:
                    parts.append(ad)
        last_page = art.page_break is None or page == 2
        if art.signoff and last_page:
            parts.append(f"<p>{_esc(art.signoff)}</p>")
        if art.page_break is not None:
            p1 = f'<a href="{url}" class="post-page-numbers"><span class="screen-reader-text">Halaman </span>1</a>'
            p2 = (f'<a href="{self.u(art.page2_path or "")}" class="post-page-numbers">'
                  f'<span class="screen-reader-text">Halaman </span>2</a>')
            cur = '<span class="post-page-numbers current" aria-current="page">{n}</span>'
            links = (cur.format(n=1) + " " + p2) if page == 1 else (p1 + " " + cur.format(n=2))
            parts.append(f'<div class="page-links">Halaman: {links}</div>')
        if not art.draft:
            parts.append("<p><strong>Berita Terpercaya :</strong></p>")
            for t in self._promo_targets(art):
                parts.append(f'<p><a href="{self.u(t.path)}">{_esc(t.title)}</a></p>')
        if not amp:
            share = "".join(
                f'<li class="share-{k}"><a rel="nofollow noopener noreferrer" class="share-{k} sd-button share-icon" '
                f'href="{url}?share={k}" target="_blank"><span>{label}</span></a></li>'
                for k, label in (("facebook", "Facebook"), ("x", "X"), ("jetpack-whatsapp", "WhatsApp")))
            parts.append('<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block '
                         'sd-social sd-sharing"><h3 class="sd-title">Bagikan ini:</h3><div class="sd-content">'
                         f"<ul>{share}</ul></div></div></div>")
            if not art.draft:
                rel = "".join(
                    f'<div class="jp-relatedposts-post jp-relatedposts-post{i}" data-post-id="{r.post_id}">'
                    f'<h4 class="jp-relatedposts-post-title"><a class="jp-relatedposts-post-a" '
                    f'href="{self.u(r.path)}">{_esc(r.title)}</a></h4>'
                    f'<p class="jp-relatedposts-post-date">{_date_id(r.published)}</p>'
                    f'<p class="jp-relatedposts-post-context">Dalam &quot;{SECTIONS[r.section]}&quot;</p></div>'
                    for i, r in enumerate(self._related(art)))
                parts.append('<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">'
                             f'<em>Terkait</em></h3><div class="jp-relatedposts-items">{rel}</div></div>')
        return "\n".join(parts)

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

    def _fam68_article(self, art: DemoArticle) -> None:
        url = self.u(art.path)
        image = self.u(f"/wp-content/uploads/{art.published:%Y/%m}/{art.slug}.jpg")
        prev_a, next_a = self._neighbours(art)
        nav = ""
        if prev_a:
            nav += (f'<div class="nav-previous"><a href="{self.u(prev_a.path)}" rel="prev">'
                    f'<span class="nav-subtitle">Sebelumnya</span> <span class="nav-title">{_esc(prev_a.title)}</span></a></div>')
        if next_a:
            nav += (f'<div class="nav-next"><a href="{self.u(next_a.path)}" rel="next">'
                    f'<span class="nav-subtitle">Berikutnya</span> <span class="nav-title">{_esc(next_a.title)}</span></a></div>')
        tags = ", ".join(f'<a href="{self.u("/tag/" + _slugify(t) + "/")}" rel="tag">{_esc(t)}</a>' for t in art.tags)
        pages = [1, 2] if art.page_break is not None else [1]
        for page in pages:
            page_url = url if page == 1 else self.u(art.page2_path or "")
            head = [
                f'<meta name="description" content="FAM68 &#8211; {_esc(_excerpt(art.lead, 25).replace(" [&hellip;]", ""))}">',
                '<meta name="robots" content="noindex, nofollow">' if art.draft else
                '<meta name="robots" content="index, follow, max-image-preview:large">',
                f'<link rel="canonical" href="{page_url}">',
                '<meta property="og:locale" content="id_ID">',
                '<meta property="og:type" content="article">',
                f'<meta property="og:title" content="{_esc(art.title)} - FAM68">',
                f'<meta property="og:description" content="{_esc(art.lead)}">',
                f'<meta property="og:url" content="{page_url}">',
                '<meta property="og:site_name" content="FAM68">',
                f'<meta property="article:section" content="{SECTIONS[art.section]}">',
                *(f'<meta property="article:tag" content="{_esc(t)}">' for t in art.tags),
                f'<meta property="article:published_time" content="{_iso(art.published)}">',
                f'<meta property="article:modified_time" content="{_iso(art.modified)}">',
                f'<meta property="og:image" content="{image}">',
                '<meta property="og:image:width" content="1280">',
                '<meta property="og:image:height" content="720">',
                f'<meta name="author" content="{_esc(art.author)}">',
                '<meta name="twitter:card" content="summary_large_image">',
            ]
            if art.amp_path:
                head.append(f'<link rel="amphtml" href="{self.u(art.amp_path)}">')
            if art.page_break is not None:
                head.append(f'<link rel="next" href="{self.u(art.page2_path or "")}">' if page == 1
                            else f'<link rel="prev" href="{url}">')
            head.append(f'<link rel="shortlink" href="{self.u(f"/?p={art.post_id}")}">')
            head.append(f'<script type="application/ld+json" class="yoast-schema-graph">'
                        f'{self._jsonld(art, page_url, "FAM68", image)}</script>')
            main = self.tpl.render(
                "fam68-article.html", base=self.base, post_id=art.post_id, section_slug=art.section,
                section_name=SECTIONS[art.section], title=_esc(art.title), author=_esc(art.author),
                author_slug=_slugify(art.author), url=url, published_iso=_iso(art.published),
                modified_iso=_iso(art.modified), date_text=_datetime_id(art.published),
                modified_text=_datetime_id(art.modified), image=image,
                content=self._fam68_body(art, page, amp=False), tags=tags, post_nav=nav)
            title_tag = f"{art.title} - FAM68" if page == 1 else f"{art.title} - Halaman 2 - FAM68"
            body = self._layout(title_tag=title_tag, head_extra="\n".join(head),
                                body_class=f"post-template-default single single-post postid-{art.post_id} "
                                           f"single-format-standard", main=main, current=art.section,
                                today=art.published)
            path = art.path if page == 1 else (art.page2_path or "")
            if art.draft:
                path = art.public_path
            self._put(path, body, _HTML, art.modified)
        if art.amp_path:
            body = self.tpl.render(
                "fam68-amp.html", base=self.base, url=url, title=_esc(art.title), author=_esc(art.author),
                published_iso=_iso(art.published), modified_iso=_iso(art.modified),
                date_text=_datetime_id(art.published), image=image, section_slug=art.section,
                section_name=SECTIONS[art.section], jsonld=self._jsonld(art, url, "FAM68", image),
                content=self._fam68_body(art, 1, amp=True) + (
                    "\n" + self._fam68_body(art, 2, amp=True) if art.page_break is not None else ""))
            self._put(art.amp_path, body, _HTML, art.modified)

    def _listing_item(self, art: DemoArticle, *, link_amp: bool) -> str:
        href = self.u(art.amp_path if (link_amp and art.amp_path) else art.path)
        return (f'<article id="post-{art.post_id}" class="post-{art.post_id} post type-post status-publish hentry '
                f'category-{art.section}">\n'
                f'  <header class="entry-header">\n'
                f'    <span class="cat-links"><a href="{self.u(f"/kategori/{art.section}/")}" rel="category tag">'
                f"{SECTIONS[art.section]}</a></span>\n"
                f'    <h2 class="entry-title"><a href="{href}" rel="bookmark">{_esc(art.title)}</a></h2>\n'
                f'    <div class="entry-meta"><time class="entry-date published" datetime="{_iso(art.published)}">'
                f'{_date_id(art.published)}</time> <span class="byline">Oleh {_esc(art.author)}</span></div>\n'
                f"  </header>\n"
                f'  <div class="entry-summary"><p>FAM68 &#8211; {_excerpt(_esc(art.lead))}</p></div>\n'
                f'  <a class="more-link" href="{href}">Selengkapnya</a>\n'
                f"</article>")

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

    def _listing(self, prefix: str, items: list[DemoArticle], *, heading: str, current: str | None,
                 link_amp: bool, with_preview: bool) -> None:
        pages = max(1, -(-len(items) // PER_PAGE))
        for page in range(1, pages + 1):
            chunk = items[(page - 1) * PER_PAGE: page * PER_PAGE]
            nav, head = self._pagination(prefix, page, pages, self.u)
            path = prefix if page == 1 else f"{prefix}page/{page}/"
            head.insert(0, f'<link rel="canonical" href="{self.u(path)}">')
            head.insert(1, '<meta property="og:type" content="website">')
            main = (f'<header class="page-header"><h1 class="page-title">{_esc(heading)}</h1></header>\n'
                    + "\n".join(self._listing_item(a, link_amp=link_amp) for a in chunk) + "\n" + nav)
            title = heading if page == 1 else f"{heading} - Halaman {page}"
            body = self._layout(title_tag=f"{title} - FAM68", head_extra="\n".join(head),
                                body_class="home blog" if current is None else f"archive category category-{current}",
                                main=main, current=current, with_preview=with_preview and page == 1)
            last_mod = max(a.modified for a in chunk) if chunk else SITE_EPOCH
            self._put(path, body, _HTML, last_mod)

    def _fam68_listings(self) -> None:
        self._listing("/", self.newest_first, heading="Berita Terkini", current=None, link_amp=False,
                      with_preview=True)
        for slug, name in SECTIONS.items():
            items = [a for a in self.newest_first if a.section == slug]
            self._listing(f"/kategori/{slug}/", items, heading=f"Kategori: {name}", current=slug, link_amp=True,
                          with_preview=False)

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

    def _static_pages(self) -> None:
        for path, (title, text) in STATIC_PAGES.items():
            main = (f'<article class="page type-page status-publish hentry">\n'
                    f'  <header class="entry-header"><h1 class="entry-title">{_esc(title)}</h1></header>\n'
                    f'  <div class="entry-content"><p>{_esc(text)}</p></div>\n</article>')
            head = f'<link rel="canonical" href="{self.u(path)}">\n<meta property="og:type" content="website">'
            self._put(path, self._layout(title_tag=f"{title} - FAM68", head_extra=head,
                                         body_class="page-template-default page", main=main,
                                         today=SITE_EPOCH), _HTML, SITE_EPOCH)

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

    # ---- BANTENPOS ---------------------------------------------------------------------------------

    def _bp_layout(self, *, title_tag: str, head_extra: str, body_class: str, main: str, today: datetime) -> str:
        recent = "".join(
            f'<div class="td_module_6 td_module_wrap"><h3 class="entry-title td-module-title">'
            f'<a href="{self.u(a.path)}" rel="bookmark" title="{_esc(a.title)}">{_esc(a.title)}</a></h3></div>'
            for a in sorted(self.bp, key=lambda a: a.published, reverse=True)[:4])
        sidebar = (f'<div class="td_block_wrap td_block_7 td_block_widget"><div class="td-block-title-wrap">'
                   f'<h4 class="block-title"><span>TERBARU</span></h4></div><div class="td_block_inner">{recent}'
                   f"</div></div>")
        return self.tpl.render("bantenpos-layout.html", base=self.base, title_tag=_esc(title_tag),
                               head_extra=head_extra, body_class=body_class, main=main, sidebar=sidebar,
                               today=_date_id(today))

    def _bp_dateline(self, art: DemoArticle) -> tuple[str, bool]:
        """(lead dateline, whether section paragraphs carry one)."""
        if art.copy_mode == "verbatim":
            return "BANTENPOS &#8211; ", True
        return "SERANG, BANTENPOS - ", False

    def _bantenpos_article(self, art: DemoArticle) -> None:
        url = self.u(art.path)
        image = self.u(f"/bantenpos/wp-content/uploads/{art.published:%Y/%m}/{art.slug}-696x392.jpg")
        lead_dl, section_dl = self._bp_dateline(art)
        others = [a for a in self.bp if a is not art]
        also = others[art.post_id % len(others)]
        parts = [f"<p>{lead_dl}{_esc(art.lead)}</p>"]
        for n, sec in enumerate(art.sections):
            parts.append(f"<h3>{_esc(sec.headline)}</h3>")
            for m, para in enumerate(sec.paragraphs):
                dl = "BANTENPOS &#8211; " if (m == 0 and section_dl) else ""
                parts.append(f"<p>{dl}{_esc(para)}</p>")
                if n == 0 and m == 0:
                    parts.append(f'<p><strong>Baca Juga:</strong> <a href="{self.u(also.path)}">'
                                 f"{_esc(also.title)}</a></p>")
                    parts.append('<div class="td-a-rec td-a-rec-id-content_inline tdi_2 td_block_template_1">'
                                 '<span class="td-adspot-title">- Advertisement -</span><ins class="adsbygoogle" '
                                 'data-ad-client="ca-pub-0000000000000077" data-ad-slot="7700000002"></ins></div>')
        if art.signoff:
            parts.append(f"<p>{_esc(art.signoff)}</p>")
        parts.append('<div class="td-a-rec td-a-rec-id-content_bottom"><span class="td-adspot-title">ADVERTISEMENT'
                     '</span><ins class="adsbygoogle" data-ad-client="ca-pub-0000000000000077" '
                     'data-ad-slot="7700000003"></ins></div>')
        prev_a, next_a = self._neighbours(art)
        nav = ""
        if prev_a:
            nav += (f'<div class="td-block-span6 td-post-prev-post"><div class="td-post-next-prev-content">'
                    f'<span>Artikel sebelumnya</span><a href="{self.u(prev_a.path)}">{_esc(prev_a.title)}</a></div></div>')
        if next_a:
            nav += (f'<div class="td-block-span6 td-post-next-post"><div class="td-post-next-prev-content">'
                    f'<span>Artikel berikutnya</span><a href="{self.u(next_a.path)}">{_esc(next_a.title)}</a></div></div>')
        related = "".join(
            f'<div class="td-related-span4"><div class="td_module_related_posts td-animation-stack td_mod_related_posts">'
            f'<h3 class="entry-title td-module-title"><a href="{self.u(r.path)}" rel="bookmark" title="{_esc(r.title)}">'
            f"{_esc(r.title)}</a></h3></div></div>" for r in others[:3])
        tags = "".join(f'<li><a href="{self.u("/bantenpos/tag/" + _slugify(t) + "/")}">{_esc(t)}</a></li>'
                       for t in art.tags)
        main = self.tpl.render(
            "bantenpos-article.html", base=self.base, post_id=art.post_id, section_slug=art.section,
            section_name=SECTIONS.get(art.section, art.section), title=_esc(art.title), author=_esc(art.author),
            author_slug=_slugify(art.author), published_iso=_iso(art.published),
            date_text=f"{art.published.day} {_MONTHS[art.published.month - 1]} {art.published.year}",
            views=100 + _crc(art.slug) % 900, url_quoted=quote(url, safe=""), image=image,
            caption=_esc(f"Ilustrasi {art.tags[0] if art.tags else 'berita'} (Foto: BANTENPOS)"),
            content="\n".join(parts), tags=tags, post_nav=nav, related=related)
        head = "\n".join([
            f'    <link rel="canonical" href="{url}" />',
            f'    <meta property="og:title" content="{_esc(art.title)}" />',
            '    <meta property="og:type" content="article" />',
            f'    <meta property="og:url" content="{url}" />',
            f'    <meta property="og:image" content="{image}" />',
            '    <meta property="og:site_name" content="BANTENPOS" />',
            f'    <meta property="article:published_time" content="{_iso(art.published)}" />',
            f'    <meta property="article:modified_time" content="{_iso(art.modified)}" />',
            f'    <meta name="author" content="{_esc(art.author)}" />',
            f'    <script type="application/ld+json">{self._jsonld(art, url, "BANTENPOS", image)}</script>',
        ])
        body = self._bp_layout(title_tag=f"{art.title} | BANTENPOS", head_extra=head,
                               body_class=f"post-template-default single single-post postid-{art.post_id}",
                               main=main, today=art.published)
        self._put(art.path, body, _HTML, art.modified)

    def _bantenpos_listings(self) -> None:
        items = sorted(self.bp, key=lambda a: a.published, reverse=True)
        prefix = "/bantenpos/"
        pages = max(1, -(-len(items) // PER_PAGE))
        for page in range(1, pages + 1):
            chunk = items[(page - 1) * PER_PAGE: page * PER_PAGE]
            path = prefix if page == 1 else f"{prefix}page/{page}/"
            mods = []
            for a in chunk:
                lead_dl, _ = self._bp_dateline(a)
                mods.append(
                    f'<div class="td_module_10 td_module_wrap td-animation-stack">'
                    f'<div class="td-module-thumb"><a href="{self.u(a.path)}" rel="bookmark" title="{_esc(a.title)}">'
                    f'<img class="entry-thumb" src="{self.u("/bantenpos/wp-content/uploads/thumb-" + a.slug + ".jpg")}" '
                    f'alt="" width="218" height="150" /></a></div>'
                    f'<div class="item-details"><h3 class="entry-title td-module-title"><a href="{self.u(a.path)}" '
                    f'rel="bookmark" title="{_esc(a.title)}">{_esc(a.title)}</a></h3>'
                    f'<div class="td-module-meta-info"><span class="td-post-author-name"><a href="#">{_esc(a.author)}'
                    f'</a> <span>-</span> </span><span class="td-post-date"><time class="entry-date updated '
                    f'td-module-date" datetime="{_iso(a.published)}">{_date_id(a.published)}</time></span></div>'
                    f'<div class="td-excerpt">{lead_dl}{_excerpt(_esc(a.lead), 22)}</div></div></div>')
            nav_links = [f'<span class="current">{n}</span>' if n == page else
                         f'<a href="{self.u(prefix if n == 1 else f"{prefix}page/{n}/")}" class="page" title="{n}">{n}</a>'
                         for n in range(1, pages + 1)]
            head = [f'    <link rel="canonical" href="{self.u(path)}" />']
            if page < pages:
                nxt = self.u(f"{prefix}page/{page + 1}/")
                nav_links.append(f'<a href="{nxt}" aria-label="next-page"><i class="td-icon-menu-right"></i></a>')
                head.append(f'    <link rel="next" href="{nxt}" />')
            if page > 1:
                head.append(f'    <link rel="prev" href="{self.u(prefix if page == 2 else f"{prefix}page/{page - 1}/")}" />')
            main = ('<div class="td-category-header"><h1 class="entry-title td-page-title">Berita Terbaru</h1></div>'
                    + "".join(mods)
                    + f'<div class="page-nav td-pb-padding-side">{"".join(nav_links)}'
                      f'<span class="pages">Halaman {page} dari {pages}</span></div>')
            body = self._bp_layout(title_tag="BANTENPOS - Suara Warga Banten" if page == 1 else
                                   f"BANTENPOS - Halaman {page}", head_extra="\n".join(head),
                                   body_class="home blog", main=main, today=items[0].published)
            self._put(path, body, _HTML, max(a.modified for a in chunk))
        self._put(f"{prefix}feed/",
                  self._rss(items[:FEED_SIZE], title="BANTENPOS", link=self.u(prefix), self_url=self.u(f"{prefix}feed/"),
                            description="Suara Warga Banten",
                            tracking="utm_source=rss&utm_medium=rss&utm_campaign={slug}", dateline=""),
                  _RSS, max(a.modified for a in items))
        self._put(f"{prefix}sitemap.xml", self._urlset([(self.u(a.path), a.modified) for a in self.bp]), _XML,
                  max(a.modified for a in self.bp))


# --------------------------------------------------------------------------------------------------
# serving


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


__all__ = ["BANTENPOS", "FAM68", "DemoArticle", "DemoSection", "DemoSite", "Page", "RequestRecord", "demo_config",
           "serve_demo"]

