"""Discovery: listing pages, feeds, sitemaps and robots.txt -> article URLs.     (pure)

Every function takes the bytes or text of one document and returns lists; none does I/O and none raises on
garbage (a broken document yields what could be salvaged, possibly nothing). The pipeline fetches the
documents and decides what to do with the URLs.

::

    links_from_listing(html, base_url, article_pattern=, allowed_domains=) -> (article_urls, listing_pages)
    section_links(html, base_url, allowed_domains=) -> section front pages (/kategori/<name>/ ...)
    feed_links(html, base_url)            -> feed URLs announced with <link rel=alternate type=rss/atom>
    parse_feed(data, base_url)            -> [(url, published_iso | None)]      scraper/feeds.py
    parse_sitemap(data)                   -> ([(url, lastmod_iso | None)], child_sitemaps)  scraper/sitemaps.py
    sitemaps_from_robots(text)            -> Sitemap: lines of a robots.txt
    is_article_url(url, article_pattern)  -> bool (the news-URL heuristic)

Dates come back as ISO 8601 UTC text with ``+00:00`` (the store's format) or None. Every regex here runs
on a bounded input: a URL (or href) longer than ``MAX_URL_CHARS`` is rejected before any regex sees it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from scraper.feeds import FEED_MAX_BYTES, FEED_MAX_ELEMENTS, FEED_MAX_ITEMS, parse_feed
from scraper.sitemaps import SITEMAP_MAX_BYTES, SITEMAP_MAX_URLS, parse_sitemap
from scraper.urls import absolutize, host_allowed
from scraper.xmlsafe import MAX_VALUE_CHARS

__all__ = [
    "FEED_MAX_BYTES", "FEED_MAX_ELEMENTS", "FEED_MAX_ITEMS", "MAX_URL_CHARS", "SITEMAP_MAX_BYTES",
    "SITEMAP_MAX_URLS", "feed_links", "is_article_sitemap", "is_article_url", "is_pagination_url",
    "links_from_listing",
    "parse_feed", "parse_sitemap", "section_links", "sitemaps_from_robots",
]

log = logging.getLogger(__name__)

# A URL (or href) longer than this is never an article or listing link; it is dropped before any regex.
MAX_URL_CHARS = MAX_VALUE_CHARS

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

# A dated path: /yyyy/mm/[dd/] (or /yy/mm/) followed somewhere by a letter (see _is_dated). The prefix is
# bounded (at most 14 characters), the letter is looked for once after the first prefix: linear.
_DATED_PREFIX_RE = re.compile(r"/(?:19|20)?\d{2}/(?:0?[1-9]|1[0-2])/(?:(?:0?[1-9]|[12]\d|3[01])/)?")
_LETTER_RE = re.compile(r"[a-z]", re.IGNORECASE)
# /read/123456/, /berita/daerah/123456: a section word, word-only segments, then an all-digit segment of at
# least 4 digits (see _has_read_id; one pass over the segments instead of a regex tried from every start).
READ_ID_SECTIONS = frozenset({"read", "berita", "news", "baca", "artikel", "detail"})
_SLUG_SEGMENT_RE = re.compile(r"[a-z-]+", re.IGNORECASE)
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


def _split(url: str) -> SplitResult | None:
    """``urlsplit`` for URLs of at most ``MAX_URL_CHARS`` characters that split; else None."""
    if len(url) > MAX_URL_CHARS:
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _is_social(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in SOCIAL_HOSTS)


def _dedupe(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))


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
    parts = _split(url)
    if parts is None or parts.scheme not in ("http", "https") or _is_social(url):
        return False
    path = parts.path or "/"
    query = parse_qsl(parts.query, keep_blank_values=True)
    query_keys = {k.lower() for k, _ in query}
    if query_keys & ACTION_QUERY_KEYS:
        return False
    segments = [s for s in path.split("/") if s]
    post = is_wordpress_post(path, query)
    if not segments and not post:
        return False
    last = segments[-1] if segments else ""
    ext = last.rsplit(".", 1)[1].lower() if "." in last else ""
    if ext in STATIC_EXTENSIONS:
        return False
    if is_pagination_url(url) and not _is_article_page(parts, query, article_pattern, strict):
        return False
    if article_pattern is not None:
        rx = re.compile(article_pattern) if isinstance(article_pattern, str) else article_pattern
        return rx.search(url) is not None
    if post:
        return True
    lowered = [s.lower() for s in segments]
    if any(s in NON_ARTICLE_SEGMENTS for s in lowered):
        return False
    if not strict:
        return True
    if _is_dated(path) or _has_read_id(path) or _NUMERIC_ID_RE.search(path):
        return True
    stem = last.rsplit(".", 1)[0] if ext in ("html", "htm", "php", "aspx") else last
    words = [w for w in stem.split("-") if _WORD_RE.fullmatch(w)]
    if len(words) >= 4:
        return True
    if ext in ("html", "htm") and len(words) >= 2 and stem.lower() not in ("index", "default"):
        return True
    return False


def is_wordpress_post(path: str, query: list[tuple[str, str]]) -> bool:
    """WordPress's plain permalinks: ``/?p=123`` (or ``/index.php?p=123``) is one post (a page is
    ``?page_id=``): an article by its address, whatever the rest of the page looks like."""
    return path in ("/", "/index.php") and any(k == "p" and v.isascii() and v.isdigit() for k, v in query)


def _is_article_page(parts: SplitResult, query: list[tuple[str, str]],
                     article_pattern: str | re.Pattern[str] | None, strict: bool) -> bool:
    """``/2025/11/some-story?page=2``: a further page of an article (not of a listing), when the address
    without its page number is an article's. A page in the path (``/page/2/``) is always a listing's."""
    if any(rx.search(parts.path) for rx in _PAGINATION_RES):
        return False
    rest = urlencode([(k, v) for k, v in query if k.lower() not in _PAGINATION_QUERY_KEYS])
    return is_article_url(urlunsplit(parts._replace(query=rest, fragment="")), article_pattern, strict=strict)


def _is_dated(path: str) -> bool:
    """``/2025/11/[20/]`` with a letter somewhere after it (``/2025/11/20/`` alone is an archive page).

    The text a prefix match covers holds no letter, so "a letter after some prefix match" is "a letter
    after the first one": one bounded search, then one scan, instead of ``.*[a-z]`` from every start.
    """
    m = _DATED_PREFIX_RE.search(path)
    return m is not None and _LETTER_RE.search(path, m.end()) is not None


def _has_read_id(path: str) -> bool:
    """``/read/123456/``, ``/berita/daerah/kota/2436773``: what ``/(?:read|berita|..)/(?:[a-z-]+/)*\\d{4,}(?:/|$)``
    matches, in one pass over the path's segments."""
    armed = False
    for seg in path.split("/")[1:]:
        if armed and len(seg) >= 4 and seg.isascii() and seg.isdigit():
            return True
        if seg.lower() in READ_ID_SECTIONS:
            armed = True
        elif not (armed and _SLUG_SEGMENT_RE.fullmatch(seg)):
            armed = False
    return False


def is_pagination_url(url: str) -> bool:
    """``/page/2/``, ``/halaman/3``, ``?page=2`` and similar listing-pagination URLs."""
    parts = _split(url)
    if parts is None:
        return False
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


def _link(base: str, href: str | None) -> str | None:
    """``absolutize``, for hrefs and results of at most ``MAX_URL_CHARS`` characters only."""
    if not href or len(href) > MAX_URL_CHARS:
        return None
    url = absolutize(base, href)
    return url if url is not None and len(url) <= MAX_URL_CHARS else None


def _base_href(tree: LexborHTMLParser, base_url: str) -> str:
    node = tree.css_first("base[href]")
    if node is not None:
        href = node.attributes.get("href")
        if href:
            resolved = _link(base_url, href)
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
        url = _link(base, attrs.get("href"))
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
        url = _link(base, node.attributes.get("href"))
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
            url = _link(base, attrs.get("href"))
            if url:
                out.append(url)
    return _dedupe(out)


# Child sitemaps of an index that list no articles: WordPress pages, taxonomies, authors and media
# (Yoast SEO, Rank Math, All in One SEO: ``page-sitemap.xml``, ``category-sitemap2.xml``; WordPress core:
# ``wp-sitemap-posts-page-1.xml``, ``wp-sitemap-taxonomies-category-1.xml``, ``wp-sitemap-users-1.xml``).
_NON_ARTICLE_SITEMAP_RE = re.compile(
    r"(?:^|[/_-])(?:page|category|categories|post_tag|tag|tags|author|authors|attachment|product_cat|product_tag"
    r"|local|user|users)-sitemap\d*\.xml(?:\.gz)?$"
    r"|/wp-sitemap-(?:posts-page|taxonomies-[a-z0-9_-]+|users)-\d+\.xml$", re.IGNORECASE)


def is_article_sitemap(url: str) -> bool:
    """May a child sitemap of an index list articles? False for the page, taxonomy, author and media
    sitemaps that WordPress SEO plugins and WordPress core name by what they list."""
    if len(url) > MAX_URL_CHARS:
        return False
    return _NON_ARTICLE_SITEMAP_RE.search(urlsplit(url).path) is None


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
