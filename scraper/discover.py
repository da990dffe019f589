"""Discovery: listing pages, feeds, sitemaps and robots.txt -> article URLs.     (pure)

Every function takes the bytes or text of one document and returns lists; none does I/O and none raises on
garbage (a broken document yields what could be salvaged, possibly nothing). The pipeline fetches the
documents and decides what to do with the URLs.

::

    links_from_listing(html, base_url, article_pattern=, allowed_domains=) -> (article_urls, listing_pages)
    section_links(html, base_url, allowed_domains=) -> section front pages (/kategori/<name>/ ...)
    feed_links(html, base_url)            -> feed URLs announced with <link rel=alternate type=rss/atom>
    parse_feed(data)                      -> [(url, published_iso | None)]      RSS 2.0, Atom, RDF
    parse_sitemap(data)                   -> ([(url, lastmod_iso | None)], child_sitemaps)
    sitemaps_from_robots(text)            -> Sitemap: lines of a robots.txt
    is_article_url(url, article_pattern)  -> bool (the news-URL heuristic)

Dates come back as ISO 8601 UTC text with ``+00:00`` (the store's format) or None.
"""

from __future__ import annotations

import email.utils
import io
import logging
import re
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from xml.etree import ElementTree as ET

from selectolax.lexbor import LexborHTMLParser

from scraper.urls import absolutize, host_allowed

log = logging.getLogger(__name__)

# A sitemap may hold 50 MB uncompressed (sitemaps.org); anything larger is not parsed.
MAX_XML_BYTES = 50 * 1024 * 1024

# ---- named data: what an article URL looks like, and what it does not ----------------------------

# Path segments that mark a non-article page (listing, taxonomy, account, site furniture).
NON_ARTICLE_SEGMENTS = frozenset({
    "category", "categories", "kategori", "kanal", "tag", "tags", "topik", "topic", "topics", "label",
    "author", "authors", "penulis", "editor", "reporter", "user", "users", "profile", "profil",
    "page", "halaman", "search", "cari", "pencarian", "feed", "feeds", "rss", "atom", "sitemap",
    "wp-admin", "wp-content", "wp-includes", "wp-json", "wp-login.php", "xmlrpc.php", "cdn-cgi",
    "login", "logout", "register", "daftar", "masuk", "signin", "signup", "account", "akun",
    "about", "about-us", "tentang", "tentang-kami", "contact", "contact-us", "kontak", "hubungi-kami",
    "redaksi", "privacy", "privacy-policy", "kebijakan-privasi", "pedoman-media-siber", "disclaimer",
    "terms", "syarat-dan-ketentuan", "iklan", "advertise", "karir", "career", "indeks", "index",
    "share", "sharer", "print", "cetak", "comment", "comments", "komentar", "amp-stories",
})
# First path segments of section (category) front pages.
SECTION_PREFIXES = frozenset({"category", "kategori", "kanal", "rubrik", "rubrikasi", "section", "sections"})
# File extensions that are never article pages.
STATIC_EXTENSIONS = frozenset({
    "jpg", "jpeg", "png", "gif", "webp", "svg", "ico", "bmp", "avif", "css", "js", "mjs", "json", "xml",
    "rss", "atom", "txt", "pdf", "zip", "gz", "rar", "7z", "mp3", "mp4", "m4a", "webm", "ogg", "wav",
    "mov", "avi", "woff", "woff2", "ttf", "eot", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "apk",
})
# Hosts of share buttons and social networks (excluded even when allowed_domains is empty).
SOCIAL_HOSTS = (
    "facebook.com", "fb.com", "twitter.com", "x.com", "t.co", "wa.me", "whatsapp.com", "api.whatsapp.com",
    "t.me", "telegram.me", "telegram.org", "linkedin.com", "pinterest.com", "reddit.com", "line.me",
    "instagram.com", "tiktok.com", "youtube.com", "youtu.be", "plus.google.com", "news.google.com",
)
# Query keys that make a link an action rather than a page.
ACTION_QUERY_KEYS = frozenset({"share", "replytocom", "s", "q", "action", "print", "output"})

_DATED_PATH_RE = re.compile(r"/(?:19|20)?\d{2}/(?:0?[1-9]|1[0-2])/(?:(?:0?[1-9]|[12]\d|3[01])/)?.*[a-z]",
                            re.IGNORECASE)
_READ_ID_RE = re.compile(r"/(?:read|berita|news|baca|artikel|detail)/(?:[a-z-]+/)*\d{4,}(?:/|$)", re.IGNORECASE)
_NUMERIC_ID_RE = re.compile(r"(?:^|[/_-])(?:[a-z]-?)?\d{5,}(?:[/_.-]|$)", re.IGNORECASE)
_WORD_RE = re.compile(r"[a-z0-9]+", re.IGNORECASE)
_PAGINATION_RES = (
    re.compile(r"/(?:page|halaman|hal)/(\d{1,5})/?$", re.IGNORECASE),
)
_PAGINATION_QUERY_KEYS = ("page", "paged", "halaman", "hal", "pg")

_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                         "application/feed+xml", "text/xml+rss"})


# ---- helpers -------------------------------------------------------------------------------------

def _host_ok(url: str, allowed_domains: tuple[str, ...]) -> bool:
    """``host_allowed``, with an empty ``allowed_domains`` meaning any http(s) host."""
    if not allowed_domains:
        return urlsplit(url).scheme in ("http", "https")
    return host_allowed(url, allowed_domains)


def _is_social(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in SOCIAL_HOSTS)


def _dedupe(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))


def iso_date(text: str | None) -> str | None:
    """A W3C (ISO 8601) or RFC 822 date -> ISO 8601 UTC with ``+00:00``; None when unreadable.

    A date without a time is midnight UTC; a time without an offset is taken as UTC.
    """
    if not text:
        return None
    s = text.strip()
    if not s:
        return None
    dt: datetime | None = None
    iso = s.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        try:
            dt = email.utils.parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC).isoformat(timespec="seconds")
    except (OverflowError, ValueError):
        return None


# ---- article URL heuristic -----------------------------------------------------------------------

def is_article_url(url: str, article_pattern: str | re.Pattern[str] | None = None, *,
                   strict: bool = True) -> bool:
    """Does ``url`` look like one news article?

    With ``article_pattern`` (a regex searched in the whole URL) the pattern decides, after the
    exclusions (static files, social links, pagination). Without it, a heuristic: a dated path
    (``/2025/11/...``), ``/read/123456/``, a numeric id of at least 5 digits, a slug of at least 4
    hyphenated words, or a ``.html`` page with a hyphenated slug; never a taxonomy, author, search, feed,
    admin, static or share link. ``strict=False`` (for feed items, which are articles by definition)
    keeps only the exclusions.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or _is_social(url):
        return False
    path = parts.path or "/"
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    last = segments[-1]
    ext = last.rsplit(".", 1)[1].lower() if "." in last else ""
    if ext in STATIC_EXTENSIONS:
        return False
    if is_pagination_url(url):
        return False
    query_keys = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if query_keys & ACTION_QUERY_KEYS:
        return False
    if article_pattern is not None:
        rx = re.compile(article_pattern) if isinstance(article_pattern, str) else article_pattern
        return rx.search(url) is not None
    lowered = [s.lower() for s in segments]
    if any(s in NON_ARTICLE_SEGMENTS for s in lowered):
        return False
    if not strict:
        return True
    if _DATED_PATH_RE.search(path) or _READ_ID_RE.search(path) or _NUMERIC_ID_RE.search(path):
        return True
    stem = last.rsplit(".", 1)[0] if ext in ("html", "htm", "php", "aspx") else last
    words = [w for w in stem.split("-") if _WORD_RE.fullmatch(w)]
    if len(words) >= 4:
        return True
    if ext in ("html", "htm") and len(words) >= 2 and stem.lower() not in ("index", "default"):
        return True
    return False


def is_pagination_url(url: str) -> bool:
    """``/page/2/``, ``/halaman/3``, ``?page=2`` and similar listing-pagination URLs."""
    parts = urlsplit(url)
    if any(rx.search(parts.path) for rx in _PAGINATION_RES):
        return True
    return any(k.lower() in _PAGINATION_QUERY_KEYS and v.isdigit()
               for k, v in parse_qsl(parts.query, keep_blank_values=True))


def _pagination_base(url: str) -> tuple[str, str, str]:
    """The listing a pagination URL belongs to: host, path without ``/page/N``, query without ``page=N``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    for rx in _PAGINATION_RES:
        path = rx.sub("/", path)
    path = path.rstrip("/") or "/"
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True))
                     if k.lower() not in _PAGINATION_QUERY_KEYS)
    return ((parts.hostname or "").lower(), path, query)


# ---- listings and <link rel=alternate> -----------------------------------------------------------

def _html_tree(html: bytes | str) -> LexborHTMLParser | None:
    try:
        return LexborHTMLParser(html)
    except Exception:  # selectolax raises plain exceptions on undecodable input
        log.debug("unreadable HTML", exc_info=True)
        return None


def _base_href(tree: LexborHTMLParser, base_url: str) -> str:
    node = tree.css_first("base[href]")
    if node is not None:
        href = node.attributes.get("href")
        if href:
            resolved = absolutize(base_url, href)
            if resolved:
                return resolved
    return base_url


def links_from_listing(html: bytes | str, base_url: str, *,
                       article_pattern: str | re.Pattern[str] | None = None,
                       allowed_domains: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Article URLs and further listing pages (pagination) linked from one listing page.

    Both lists keep document order without duplicates; fragments are dropped, hosts outside
    ``allowed_domains`` (host or subdomain) are ignored. Listing pages are ``rel=next`` links and
    pagination links (``/page/N/``, ``?page=N``) of the same listing as ``base_url``.
    """
    tree = _html_tree(html)
    if tree is None:
        return [], []
    domains = tuple(allowed_domains)
    rx = re.compile(article_pattern) if isinstance(article_pattern, str) else article_pattern
    base = _base_href(tree, base_url)
    own_listing = _pagination_base(base_url)
    articles: list[str] = []
    listings: list[str] = []
    for node in tree.css("link[rel][href], a[href]"):
        attrs = node.attributes
        href = attrs.get("href")
        if not href:
            continue
        url = absolutize(base, href)
        if url is None or not _host_ok(url, domains) or _is_social(url):
            continue
        rel = (attrs.get("rel") or "").lower().split()
        if node.tag == "link":
            if "next" in rel and not is_article_url(url, rx):
                listings.append(url)
            continue
        if "next" in rel and not is_article_url(url, rx):
            listings.append(url)
        elif is_pagination_url(url) and _pagination_base(url) == own_listing:
            if not (rx is not None and rx.search(url)):
                listings.append(url)
                continue
        if is_article_url(url, rx):
            articles.append(url)
    own = urlunsplit(urlsplit(base_url)._replace(fragment=""))
    return _dedupe(articles), [u for u in _dedupe(listings) if u != own]


def section_links(html: bytes | str, base_url: str, *, allowed_domains: Iterable[str] = ()) -> list[str]:
    """Section front pages linked from a page: ``/kategori/<name>/``, ``/category/<name>/``, ``/kanal/..``.

    A portal's home page links its sections; their first pages list recent articles (and sometimes their
    AMP variants) that the home page may no longer show. Tags, authors and pagination are not sections.
    """
    tree = _html_tree(html)
    if tree is None:
        return []
    domains = tuple(allowed_domains)
    base = _base_href(tree, base_url)
    out: list[str] = []
    for node in tree.css("a[href]"):
        url = absolutize(base, node.attributes.get("href") or "")
        if url is None or not _host_ok(url, domains) or is_pagination_url(url):
            continue
        parts = urlsplit(url)
        segments = [seg.lower() for seg in parts.path.split("/") if seg]
        if 2 <= len(segments) <= 3 and segments[0] in SECTION_PREFIXES and not parts.query:
            out.append(url)
    return _dedupe(out)


def feed_links(html: bytes | str, base_url: str) -> list[str]:
    """Feed URLs announced by ``<link rel="alternate" type="application/rss+xml|atom+xml" href>``."""
    tree = _html_tree(html)
    if tree is None:
        return []
    base = _base_href(tree, base_url)
    out: list[str] = []
    for node in tree.css("link[href]"):
        attrs = node.attributes
        rel = (attrs.get("rel") or "").lower().split()
        ctype = (attrs.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and ctype in _FEED_TYPES:
            url = absolutize(base, attrs.get("href") or "")
            if url:
                out.append(url)
    return _dedupe(out)


def sitemaps_from_robots(text: str | bytes) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt (case-insensitive key, any position)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    out: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "sitemap":
            url = value.split("#", 1)[0].strip()
            if urlsplit(url).scheme in ("http", "https"):
                out.append(url)
    return _dedupe(out)


# ---- XML: feeds and sitemaps ---------------------------------------------------------------------

def _maybe_gunzip(data: bytes) -> bytes:
    """Decompress a gzip body (detected by its magic bytes), at most MAX_XML_BYTES; else return as is."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, MAX_XML_BYTES + 1)
    except zlib.error:
        log.debug("broken gzip body")
        return b""
    if len(out) > MAX_XML_BYTES:
        log.debug("gzip body decompresses beyond %d bytes: ignored", MAX_XML_BYTES)
        return b""
    return out


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


_DOCTYPE_RE = re.compile(rb"<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.DOTALL | re.IGNORECASE)


def _iter_xml(data: bytes) -> Iterable[tuple[str, ET.Element]]:
    """(event, element) pairs of a document; raises ET.ParseError on broken XML.

    A DOCTYPE (and any internal entity declarations, the billion-laughs vector) is removed first.
    """
    if len(data) > MAX_XML_BYTES:
        raise ET.ParseError("document too large")
    data = _DOCTYPE_RE.sub(b"", data, count=1)
    return ET.iterparse(io.BytesIO(data), events=("start", "end"))


def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


_LOC_RE = re.compile(rb"<(?:\w+:)?loc>\s*(?:<!\[CDATA\[)?\s*(.*?)\s*(?:\]\]>)?\s*</(?:\w+:)?loc>",
                     re.IGNORECASE | re.DOTALL)
_SITEMAP_BLOCK_RE = re.compile(rb"<(?:\w+:)?sitemap>(.*?)</(?:\w+:)?sitemap>", re.IGNORECASE | re.DOTALL)
_LASTMOD_RE = re.compile(rb"<(?:\w+:)?lastmod>\s*(.*?)\s*</(?:\w+:)?lastmod>", re.IGNORECASE | re.DOTALL)
_URL_BLOCK_RE = re.compile(rb"<(?:\w+:)?url>(.*?)</(?:\w+:)?url>", re.IGNORECASE | re.DOTALL)


def _decode_entities(raw: bytes) -> str:
    s = raw.decode("utf-8", "replace").strip()
    return (s.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&#38;", "&"))


def _http_url(s: str) -> str | None:
    s = s.strip()
    try:
        parts = urlsplit(s)
    except ValueError:
        return None
    return s if parts.scheme in ("http", "https") and parts.hostname else None


def parse_sitemap(data: bytes | str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """A sitemap: ``([(url, lastmod)], child_sitemaps)``.

    Reads ``<urlset>`` (plain and Google News: ``news:publication_date`` stands in for a missing
    ``lastmod``, and the later of the two wins) and ``<sitemapindex>`` (children returned newest ``lastmod``
    first, to be fetched by the caller). Gzip bodies are detected by their magic bytes. Broken XML falls back to a regex over
    ``<loc>``. Garbage gives ``([], [])``.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = _maybe_gunzip(data)
    if not data.strip():
        return [], []
    urls: list[tuple[str, str | None]] = []
    children: list[tuple[str, str | None]] = []
    try:
        loc = lastmod = news_date = None
        for event, el in _iter_xml(data):
            name = _local(el.tag)
            if event == "start":
                if name in ("url", "sitemap"):
                    loc = lastmod = news_date = None
                continue
            if name == "loc":
                loc = _text(el)
            elif name == "lastmod":
                lastmod = iso_date(_text(el))
            elif name == "publication_date":
                news_date = iso_date(_text(el))
            elif name in ("url", "sitemap"):
                url = _http_url(loc or "")
                if url:
                    if name == "sitemap":
                        children.append((url, lastmod))
                    else:
                        dates = [d for d in (lastmod, news_date) if d]
                        urls.append((url, max(dates) if dates else None))
                el.clear()
    except ET.ParseError:
        log.debug("broken sitemap XML: falling back to <loc> regex")
        return _sitemap_regex(data)
    return _dedupe_pairs(urls), _newest_first(children)


def _newest_first(children: list[tuple[str, str | None]]) -> list[str]:
    """Child sitemaps by ``lastmod``, newest first (undated ones after, in document order).

    A caller that reads only the first N children then reads the ones with the latest articles, whatever
    order the index lists them in (Yoast lists the oldest first).
    """
    pairs = _dedupe_pairs(children)
    return [u for u, _ in sorted(pairs, key=lambda p: p[1] or "", reverse=True)]


def _sitemap_regex(data: bytes) -> tuple[list[tuple[str, str | None]], list[str]]:
    children: list[tuple[str, str | None]] = []
    for block in _SITEMAP_BLOCK_RE.findall(data):
        m = _LOC_RE.search(block)
        url = _http_url(_decode_entities(m.group(1))) if m else None
        if url:
            lm = _LASTMOD_RE.search(block)
            children.append((url, iso_date(_decode_entities(lm.group(1))) if lm else None))
    urls: list[tuple[str, str | None]] = []
    blocks = _URL_BLOCK_RE.findall(data)
    if blocks:
        for block in blocks:
            m = _LOC_RE.search(block)
            url = _http_url(_decode_entities(m.group(1))) if m else None
            if url:
                lm = _LASTMOD_RE.search(block)
                urls.append((url, iso_date(_decode_entities(lm.group(1))) if lm else None))
    elif not children:
        for raw in _LOC_RE.findall(data):
            url = _http_url(_decode_entities(raw))
            if url:
                urls.append((url, None))
    return _dedupe_pairs(urls), _newest_first(children)


def _dedupe_pairs(pairs: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    seen: dict[str, str | None] = {}
    for url, date in pairs:
        if url not in seen or (date and (seen[url] is None or date > (seen[url] or ""))):
            seen[url] = date
    return list(seen.items())


_FEED_LINK_RE = re.compile(rb"<(?:\w+:)?link>\s*(?:<!\[CDATA\[)?\s*(.*?)\s*(?:\]\]>)?\s*</(?:\w+:)?link>",
                           re.IGNORECASE | re.DOTALL)
_FEED_GUID_RE = re.compile(rb"<guid[^>]*>\s*(?:<!\[CDATA\[)?\s*(.*?)\s*(?:\]\]>)?\s*</guid>",
                           re.IGNORECASE | re.DOTALL)
_ATOM_HREF_RE = re.compile(rb"<(?:\w+:)?link\b([^>]*)/?>", re.IGNORECASE)
_HREF_ATTR_RE = re.compile(rb"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_REL_ATTR_RE = re.compile(rb"""rel\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_ITEM_BLOCK_RE = re.compile(rb"<(?:\w+:)?(item|entry)\b[^>]*>(.*?)</(?:\w+:)?\1>", re.IGNORECASE | re.DOTALL)
_FEED_DATE_RE = re.compile(
    rb"<(?:\w+:)?(pubDate|published|updated|date|issued)>\s*(.*?)\s*</(?:\w+:)?\1>", re.IGNORECASE | re.DOTALL)

_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"


def parse_feed(data: bytes | str) -> list[tuple[str, str | None]]:
    """Item links of an RSS 2.0, Atom or RSS 1.0 (RDF) feed: ``[(url, published)]`` in feed order.

    The link is the item's ``<link>`` (Atom: ``rel=alternate`` or no rel), ``feedburner:origLink`` when
    present, else a permalink ``<guid>``. Broken XML falls back to regexes over item blocks. Garbage: ``[]``.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = _maybe_gunzip(data)
    if not data.strip():
        return []
    out: list[tuple[str, str | None]] = []
    try:
        depth_item = 0
        link = orig = guid = about = None
        published: str | None = None
        for event, el in _iter_xml(data):
            name = _local(el.tag)
            if event == "start":
                if name in ("item", "entry"):
                    depth_item += 1
                    link = orig = guid = None
                    published = None
                    about = el.get(_RDF_ABOUT)
                continue
            if not depth_item:
                continue
            if name == "link":
                href = el.get("href")
                rel = (el.get("rel") or "alternate").lower()
                if href is not None:
                    if rel == "alternate" and link is None:
                        link = href.strip()
                elif link is None:
                    link = _text(el)
            elif name == "origlink":
                orig = _text(el)
            elif name == "guid":
                if (el.get("isPermaLink") or "true").lower() != "false":
                    guid = _text(el)
            elif name in ("pubdate", "published", "date", "issued"):
                published = published or iso_date(_text(el))
            elif name == "updated":
                if published is None:
                    published = iso_date(_text(el))
            elif name in ("item", "entry"):
                depth_item -= 1
                for candidate in (orig, link, guid, about):
                    url = _http_url(candidate or "")
                    if url:
                        out.append((url, published))
                        break
                el.clear()
    except ET.ParseError:
        log.debug("broken feed XML: falling back to <link>/<guid> regex")
        return _feed_regex(data)
    return _dedupe_pairs(out)


def _feed_regex(data: bytes) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for _tag, block in _ITEM_BLOCK_RE.findall(data):
        url = None
        m = _FEED_LINK_RE.search(block)
        if m:
            url = _http_url(_decode_entities(m.group(1)))
        if url is None:
            for attrs in _ATOM_HREF_RE.findall(block):
                rel = _REL_ATTR_RE.search(attrs)
                href = _HREF_ATTR_RE.search(attrs)
                if href and (rel is None or rel.group(1).lower() == b"alternate"):
                    url = _http_url(_decode_entities(href.group(1)))
                    break
        if url is None:
            g = _FEED_GUID_RE.search(block)
            if g:
                url = _http_url(_decode_entities(g.group(1)))
        if url:
            d = _FEED_DATE_RE.search(block)
            out.append((url, iso_date(_decode_entities(d.group(2))) if d else None))
    if not out:  # no recognisable item blocks: any <link> with a URL will do
        for raw in _FEED_LINK_RE.findall(data):
            url = _http_url(_decode_entities(raw))
            if url:
                out.append((url, None))
    return _dedupe_pairs(out)
