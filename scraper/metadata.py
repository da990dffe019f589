"""Article metadata from one parsed document: title, dates, authors, section, tags, language, image, URL.

Sources, strongest first: JSON-LD, ``<meta>`` (Open Graph, article:*, Dublin Core, news_keywords),
``<link rel=canonical>``, visible markup (``<h1>``, ``<time>``, bylines, breadcrumbs, tag links) and finally
Indonesian date text such as ``Kamis, 20 November 2025 09:15 WIB``. Pure functions over a Lexbor tree.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import rules
from storage.urls import same_site

log = logging.getLogger(__name__)

_ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                  "opinionnewsarticle", "backgroundnewsarticle", "liveblogposting", "report", "webpage",
                  "scholarlyarticle", "techarticle")


#: Where selectors run: the whole document or one element (the article's region).
Scope = LexborHTMLParser | LexborNode


@dataclass
class Meta:
    """What the head of a page (and its JSON-LD) says, before the body is looked at."""

    props: dict[str, list[str]] = field(default_factory=dict)   # meta name/property/itemprop -> contents
    ld: dict[str, Any] = field(default_factory=dict)            # the article's JSON-LD object
    canonical: str | None = None
    html_lang: str | None = None
    doc_title: str | None = None

    def first(self, *keys: str) -> str | None:
        for k in keys:
            for v in self.props.get(k, ()):
                v = " ".join(v.split())
                if v:
                    return v
        return None

    def all(self, key: str) -> list[str]:
        return [" ".join(v.split()) for v in self.props.get(key, ()) if v.strip()]


def norm_space(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _iter_ld(obj: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(obj, list):
        for x in obj:
            yield from _iter_ld(x, depth + 1)
    elif isinstance(obj, dict):
        yield obj
        graph = obj.get("@graph")
        if graph is not None:
            yield from _iter_ld(graph, depth + 1)
        main = obj.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _iter_ld(main, depth + 1)


def _ld_types(obj: dict[str, Any]) -> list[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return [t.lower()]
    if isinstance(t, list):
        return [x.lower() for x in t if isinstance(x, str)]
    return []


_META_KEY_ATTRS = frozenset({"property", "name", "itemprop", "http-equiv"})


def read_head(tree: LexborHTMLParser) -> Meta:
    """Collect ``<meta>``, canonical link, ``<html lang>``, ``<title>`` and the article's JSON-LD."""
    meta = Meta()
    props = meta.props
    head = tree.head
    scope: Scope = head if head is not None and head.css_first("meta") is not None else tree
    for node in scope.css("meta, link[rel], title"):
        tag = node.tag
        attrs = node.attributes
        if tag == "meta":
            content = attrs.get("content")
            if content is None:
                continue
            for name, key in attrs.items():          # (a meta has two or three attributes)
                if key and name in _META_KEY_ATTRS:
                    key = key.strip().lower()
                    found = props.get(key)
                    if found is None:
                        props[key] = [content]
                    else:
                        found.append(content)
        elif tag == "link":
            if meta.canonical is None and "canonical" in (attrs.get("rel") or "").lower().split():
                href = (attrs.get("href") or "").strip()
                if href:
                    meta.canonical = href
        elif meta.doc_title is None:
            meta.doc_title = norm_space(node.text()) or None
    root = tree.root
    if root is not None and root.tag == "html":
        lang = root.attributes.get("lang") or root.attributes.get("xml:lang")
        if lang and lang.strip():
            meta.html_lang = lang.strip()
    best: dict[str, Any] | None = None
    best_rank = 99
    for node in tree.css('script[type="application/ld+json"]'):
        raw = node.text()
        if not raw or len(raw) > 500_000:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:  # a common breakage: raw newlines inside strings
                data = json.loads(raw.replace("\n", " ").replace("\r", " "))
            except ValueError:
                continue
        for obj in _iter_ld(data):
            types = _ld_types(obj)
            rank = min((_ARTICLE_TYPES.index(t) for t in types if t in _ARTICLE_TYPES), default=99)
            if rank < 99 and "headline" not in obj and "datePublished" not in obj and types == ["webpage"]:
                rank = 98
            if rank < best_rank:
                best, best_rank = obj, rank
    if best is not None:
        meta.ld = best
    return meta


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------
_TZ_COMPACT_RE = re.compile(r"([+-]\d{2})(\d{2})$")


def _fmt(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat()


def _with_offset(dt: datetime, default_offset: str) -> datetime:
    """Naive times get the site's offset; UTC stamps of a local site are shown in its local time."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=_offset_tz(default_offset))
    if dt.utcoffset() == timedelta(0) and default_offset != "+00:00":
        return dt.astimezone(_offset_tz(default_offset))
    return dt


def _offset_tz(offset: str) -> timezone:
    sign = 1 if offset[0] == "+" else -1
    hh, mm = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hh), minutes=int(mm)))


def parse_date(value: str | None, default_offset: str = rules.DEFAULT_OFFSET_ID) -> str | None:
    """An ISO 8601 timestamp with offset from ISO, RFC 2822 or Indonesian date text, else None."""
    if not value:
        return None
    s = value.strip()
    if not s or len(s) > 200:
        return None
    if s[:4].isdigit() and len(s) >= 8:
        iso = s.replace(" ", "T", 1) if len(s) > 10 and s[10] == " " else s
        iso = iso.replace(" ", "")
        if iso.endswith(("z", "Z")):
            iso = iso[:-1] + "+00:00"
        iso = _TZ_COMPACT_RE.sub(r"\1:\2", iso) if re.search(r"T\d.*[+-]\d{4}$", iso) else iso
        try:
            dt = datetime.fromisoformat(iso)
        except ValueError:
            dt = None
        if dt is not None and 1990 <= dt.year <= 2100:
            return _fmt(_with_offset(dt, default_offset))
    if "," in s[:5] or re.match(r"^[A-Za-z]{3},? \d", s):
        try:
            dt2 = email.utils.parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            dt2 = None
        if dt2 is not None and 1990 <= dt2.year <= 2100:
            return _fmt(_with_offset(dt2, default_offset))
    return parse_date_text(s, default_offset)


def parse_date_text(text: str, default_offset: str = rules.DEFAULT_OFFSET_ID, *,
                    need_time: bool = False) -> str | None:
    """Indonesian (or English) date text: ``Kamis, 20 November 2025 09:15 WIB``, ``19/06/2015 11:58``.

    With ``need_time`` only a date that carries a time of day counts.
    """
    for m in rules.INDO_DATE_RE.finditer(text):
        if need_time and not m.group("H"):
            continue
        month = rules.MONTHS.get(m.group("m").lower().rstrip("."))
        if month is None:
            continue
        out = _build(m, month, default_offset)
        if out:
            return out
    for m2 in rules.NUMERIC_DATE_RE.finditer(text):
        if need_time and not m2.group("H"):
            continue
        out = _build(m2, int(m2.group("m")), default_offset)
        if out:
            return out
    return None


def _build(m: re.Match[str], month: int, default_offset: str) -> str | None:
    try:
        year, day = int(m.group("y")), int(m.group("d"))
        hour = int(m.group("H") or 0)
        minute = int(m.group("M") or 0)
        second = int(m.group("S") or 0)
        tzname = (m.group("tz") or "").lower()
        offset = rules.TIMEZONES.get(tzname, default_offset)
        dt = datetime(year, month, day, hour, minute, second, tzinfo=_offset_tz(offset))
    except (ValueError, TypeError):
        return None
    if not 1990 <= dt.year <= 2100:
        return None
    return _fmt(dt)


def _ld_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return _ld_str(value[0])
    if isinstance(value, dict):
        for k in ("name", "url", "@id", "contentUrl"):
            v = value.get(k)
            if isinstance(v, str):
                return v
    return None


def find_dates(tree: LexborHTMLParser, meta: Meta, default_offset: str, region: Scope | None = None,
               title: str | None = None, headings: Headings | None = None, source: str | None = None
               ) -> tuple[str | None, str | None]:
    """(published_at, modified_at). ``region`` (the article's surroundings) is where date text is looked for;
    ``source`` (the page's HTML) lets a page without microdata dates skip that selector."""
    published = parse_date(_ld_str(meta.ld.get("datePublished")), default_offset)
    modified = parse_date(_ld_str(meta.ld.get("dateModified")), default_offset)
    if published is None:
        for key in ("article:published_time", "og:published_time", "article:published", "datepublished",
                    "pubdate", "publishdate", "publish-date", "publish_date", "date", "dc.date.issued",
                    "dc.date", "dcterms.created", "sailthru.date", "parsely-pub-date", "content_publisheddate",
                    "dtm_publish", "article_date_original", "original-publish-date", "publication_date",
                    "release_date", "cxenseparse:recs:publishtime"):
            published = parse_date(meta.first(key), default_offset)
            if published:
                break
    if modified is None:
        for key in ("article:modified_time", "og:updated_time", "article:updated_time", "datemodified",
                    "last-modified", "dcterms.modified", "lastmod", "dc.date.modified"):
            modified = parse_date(meta.first(key), default_offset)
            if modified:
                break
    if published is None:
        if source is not None and "datePublished" not in source:
            # no itemprop=datePublished (its value matches case-sensitively): only <time datetime> is left,
            # found by tag name at a third of the cost
            stamped = [n for n in tree.tags("time") if "datetime" in n.attributes][:10]
        else:
            stamped = tree.css("time[datetime], [itemprop=datePublished]")[:10]
        for node in stamped:
            attrs = node.attributes
            published = parse_date(attrs.get("datetime") or attrs.get("content"), default_offset)
            if published:
                break
    if published is None:
        published = _date_from_text(tree, default_offset, region if region is not None else tree, title,
                                    headings)
    return published, modified


def _date_from_text(tree: LexborHTMLParser, default_offset: str, region: Scope, title: str | None = None,
                    headings: Headings | None = None) -> str | None:
    """A date shown as text: date elements first, then the title's surroundings, then the page; a date
    with a time of day beats a bare date (which is often today's date in a top bar)."""
    date_only: str | None = None
    texts = []
    for node in region.css(_DATE_TEXT_SELECTOR)[:30]:
        text = node.text(separator=" ")
        if text and len(text) <= 300:
            texts.append(norm_space(text))
    for text in texts:
        found = parse_date_text(text, default_offset, need_time=True)
        if found:
            return found
        if date_only is None:
            date_only = parse_date_text(text, default_offset)
    if headings is None:
        headings = read_headings(tree)
    h1 = next((h for h, text in headings if title and text == title), headings[0][0] if headings else None)
    around = h1.parent if h1 is not None else None
    for _ in range(2):
        if around is None:
            break
        found = parse_date_text(norm_space(around.text(separator=" ")[:4000]), default_offset, need_time=True)
        if found:
            return found
        around = around.parent
    body = tree.body
    if body is not None:
        found = parse_date_text(norm_space(body.text(separator=" ")[:rules.DATE_TEXT_SCAN]), default_offset,
                                need_time=True)
        if found:
            return found
    return date_only


_DATE_TEXT_SELECTOR = ", ".join(rules.DATE_TEXT_SELECTORS)


# ---------------------------------------------------------------------------------------------------
# Title
# ---------------------------------------------------------------------------------------------------
_WORD_RE = re.compile(r"\w+")
_NON_WORD_RE = re.compile(r"\W+")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _site_keys(site_name: str | None, url: str | None) -> list[str]:
    keys: list[str] = []
    if site_name:
        k = _NON_WORD_RE.sub("", site_name.lower())
        if k:
            keys.append(k)
    if url:
        host = (urlsplit(url).hostname or "").lower()
        for label in host.split("."):
            if len(label) >= 4 and label not in ("www", "com", "news", "berita", "html"):
                keys.append(label)
    return keys


def _is_site_part(part: str, keys: list[str]) -> bool:
    squashed = _NON_WORD_RE.sub("", part.lower())
    if not squashed:
        return True
    return any(k in squashed or (len(squashed) >= 4 and squashed in k) for k in keys)


def strip_site_name(title: str, site_name: str | None, url: str | None) -> str:
    """Drop `` - SiteName`` / ``SiteName | `` parts of a document title."""
    return _strip_site_name(title, _site_keys(site_name, url))


def _strip_site_name(title: str, keys: list[str]) -> str:
    title = norm_space(title)
    seps = list(rules.TITLE_SEP_RE.finditer(title))
    if not seps:
        return title
    if not keys:
        return title
    bounds = [0] + [x for m in seps for x in (m.start(), m.end())] + [len(title)]
    parts = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    lo, hi = 0, len(parts)
    dropped = False
    while hi - lo > 1 and _is_site_part(title[parts[hi - 1][0]:parts[hi - 1][1]], keys):
        hi -= 1
        dropped = True
    while hi - lo > 1 and _is_site_part(title[parts[lo][0]:parts[lo][1]], keys):
        lo += 1
        dropped = True
    # "Title - Section :: Site": a short section name left at the end after the site went
    if dropped and hi - lo > 1:
        last = title[parts[hi - 1][0]:parts[hi - 1][1]]
        first = title[parts[lo][0]:parts[hi - 2][1]]
        if len(last.split()) <= 2 and len(first.split()) >= 4:
            hi -= 1
    return title[parts[lo][0]:parts[hi - 1][1]].strip()


def _similarity(wa: list[str], nb: int, sb: set[str]) -> float:
    """Share of common words of a (its word list) and b (its word count and word set)."""
    if not wa or not nb:
        return 0.0
    common = sum(1 for w in wa if w in sb)
    return common / max(len(wa), nb)


#: The page's ``<h1>`` elements (the first 12) with their whitespace-normalised text: read once per page,
#: used for the title and for the date next to it.
Headings = list[tuple[LexborNode, str]]


def read_headings(tree: LexborHTMLParser) -> Headings:
    # (a by-name lookup costs a third of the equivalent css("h1"))
    return [(h, norm_space(h.text(separator=" "))) for h in tree.tags("h1")[:12]]


_TITLE_FALLBACK_SELECTOR = ", ".join(rules.TITLE_FALLBACK_SELECTORS)


def find_title(tree: LexborHTMLParser, meta: Meta, url: str | None, selector: str | None = None,
               headings: Headings | None = None) -> str | None:
    """The headline: a profile selector, else the ``<h1>`` that matches the page's meta title, else meta."""
    if selector:
        try:
            node = tree.css_first(selector)
        except Exception:  # an invalid selector in a profile must not break parsing
            node = None
        if node is not None:
            text = norm_space(node.text(separator=" "))
            if text:
                return text
    site_name = meta.first("og:site_name", "application-name", "apple-mobile-web-app-title")
    candidates = [meta.first("og:title", "twitter:title"), _ld_str(meta.ld.get("headline")),
                  meta.first("title", "dc.title", "sailthru.title", "parsely-title"), meta.doc_title]
    keys = _site_keys(site_name, url)
    stripped: dict[str, str] = {}          # the candidates often repeat one another
    meta_titles: list[str] = []
    for c in candidates:
        if c:
            t = stripped.get(c)
            if t is None:
                t = stripped[c] = _strip_site_name(c, keys)
            meta_titles.append(t)
    # the part before the last " - " / " | " too: the site name may be one we do not recognise
    heads = [m[:seps[-1].start()] for m in meta_titles if (seps := list(rules.TITLE_SEP_RE.finditer(m)))]
    match_titles = meta_titles + [h for h in heads if len(h.split()) >= 3]
    if headings is None:
        headings = read_headings(tree)
    h1s = [h for _, h in headings if 3 <= len(h) <= 400]
    if meta_titles:
        best, best_score = None, 0.0
        match_words = []
        for m in dict.fromkeys(match_titles):        # distinct titles, each split into words once
            wb = _words(m)
            match_words.append((len(wb), set(wb)))
        for h in h1s:
            wa = _words(h)
            score = max(_similarity(wa, nb, sb) for nb, sb in match_words)
            if score > best_score:
                best, best_score = h, score
        if best is not None and best_score >= 0.5:
            return best
        # one real-looking <h1> that the meta title does not echo (an SEO title in the head)
        if len(h1s) == 1 and len(h1s[0].split()) >= 4 and not _is_site_part(h1s[0], keys):
            return h1s[0]
        # the headline may be an h2/h3 or a styled div on older templates
        wanted = [m.lower() for m in match_titles if m]
        for node in tree.css(_TITLE_FALLBACK_SELECTOR)[:60]:
            text = norm_space(node.text(separator=" "))
            low = text.lower()
            if not text or len(text) > 300:
                continue
            if any(w and low.endswith(w) and len(low) - len(w) <= 30 for w in wanted):
                return text
        return meta_titles[0] or None
    for h in h1s:
        if len(h.split()) >= 2:
            return h
    return h1s[0] if h1s else None


# ---------------------------------------------------------------------------------------------------
# Authors, section, tags, language, image, canonical URL
# ---------------------------------------------------------------------------------------------------


def _clean_authors(raw: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in raw:
        value = norm_space(value)
        if not value or value.startswith(("http://", "https://", "/")):
            continue
        value = rules.AUTHOR_PREFIX_RE.sub("", value)
        for name in rules.AUTHOR_SPLIT_RE.split(value):
            name = name.strip(" .-–|:")
            name = rules.AUTHOR_PREFIX_RE.sub("", name).strip()
            if not name or len(name) > 60 or len(name.split()) > 6 or "@" in name:
                continue
            if any(c.isdigit() for c in name):
                continue
            if name.lower() not in (x.lower() for x in out):
                out.append(name)
    return out[:10]


def find_authors(tree: Scope, meta: Meta, page: LexborHTMLParser | None = None) -> list[str]:
    """Authors from JSON-LD, author meta tags, then bylines in ``tree`` (the page or the article's region)."""
    author = meta.ld.get("author")
    raw: list[str] = []
    if author is not None:
        for a in author if isinstance(author, list) else [author]:
            s = _ld_str(a)
            if s:
                raw.append(s)
    authors = _clean_authors(raw)
    if authors:
        return authors
    authors = _clean_authors(meta.all("author") + meta.all("article:author") + meta.all("dc.creator")
                             + meta.all("sailthru.author") + meta.all("parsely-author"))
    if authors:
        return authors
    texts = [n.text(separator=" ") for n in tree.css(_AUTHOR_SELECTOR)[:4]]
    authors = _clean_authors(t for t in texts if t and len(t) < 120)
    if not authors and page is not None:
        texts = [n.text(separator=" ") for n in page.css(_AUTHOR_PAGE_SELECTOR)[:4]]
        authors = _clean_authors(t for t in texts if t and len(t) < 120)
    return authors


_AUTHOR_SELECTOR = ", ".join(rules.AUTHOR_SELECTORS)
_AUTHOR_PAGE_SELECTOR = "[rel~=author], [itemprop=author], .byline"


def find_section(tree: LexborHTMLParser, meta: Meta, title: str | None, source: str | None = None) -> str | None:
    """The section: meta tags, JSON-LD, then the last breadcrumb (``source``, the page's HTML, lets a page
    without any breadcrumb skip that search)."""
    section = meta.first("article:section", "section", "category")
    if section:
        return section
    ld_sec = meta.ld.get("articleSection")
    s = _ld_str(ld_sec)
    if s and s.strip():
        return norm_space(s)
    if source is not None and rules.BREADCRUMB_HINT not in source:
        return None
    items = [norm_space(n.text(separator=" ")) for n in tree.css(_BREADCRUMB_SELECTOR)[:12]]
    items = [i for i in items if i and i.lower() not in rules.BREADCRUMB_SKIP and len(i) <= 60
             and (not title or i.lower() != title.lower())]
    return items[-1] if items else None


_BREADCRUMB_SELECTOR = ", ".join(rules.BREADCRUMB_SELECTORS)


def _split_keywords(value: str) -> list[str]:
    return [norm_space(k) for k in value.split(",") if norm_space(k)]


_CLASS_NAME_RE = re.compile(r"\.([\w-]+)")


class LinkSelector:
    """Links inside holders (``.tags a``) or links of their own (``a[rel~=tag]``), found the cheap way.

    Lexbor checks a descendant selector by walking up from every link, through every holder selector,
    which is costly. The holders are rare, so they are looked for first (the scope itself, the elements
    in it, and its ancestors, whose class words are compared without regard to case: right in quirks mode,
    a superset otherwise); only where one exists does the full selector run. The result is the same.
    """

    def __init__(self, selectors: tuple[str, ...]) -> None:
        self.full = ", ".join(selectors)
        direct: list[str] = []
        holders: list[str] = []
        classes: set[str] = set()
        simple = True
        for sel in selectors:
            parts = sel.split()
            if len(parts) == 1 and sel.startswith("a["):
                direct.append(sel)
            elif len(parts) == 2 and parts[1] == "a" and (m := _CLASS_NAME_RE.fullmatch(parts[0])):
                holders.append(parts[0])
                classes.add(m.group(1).lower())
            else:
                simple = False
        self.simple = simple and bool(holders)
        self.direct = ", ".join(direct)
        self.holders = ", ".join(holders)
        self.classes = frozenset(classes)

    def find(self, scope: Scope) -> list[LexborNode]:
        if not self.simple or self._holder_around(scope):
            return list(scope.css(self.full))
        return list(scope.css(self.direct)) if self.direct else []

    def _holder_around(self, scope: Scope) -> bool:
        cur = scope.parent if isinstance(scope, LexborNode) else None
        while cur is not None:
            if cur.is_element_node:
                cls = cur.attributes.get("class")
                if cls and not self.classes.isdisjoint(cls.lower().split()):
                    return True
            cur = cur.parent
        return scope.css_first(self.holders) is not None      # (a node's css includes the node itself)


_TAG_LINKS = LinkSelector(rules.TAG_LINK_SELECTORS)


def find_tags(tree: Scope, meta: Meta, page: LexborHTMLParser | None = None) -> list[str]:
    """Tags from article:tag, news_keywords/keywords, JSON-LD keywords, then tag links in ``tree``."""
    tags: list[str] = []
    for v in meta.all("article:tag"):
        tags.extend(_split_keywords(v))
    if not tags:
        for key in ("news_keywords", "keywords"):
            for v in meta.all(key):
                tags.extend(_split_keywords(v))
            if tags:
                break
    if not tags:
        kw = meta.ld.get("keywords")
        if isinstance(kw, str):
            tags.extend(_split_keywords(kw))
        elif isinstance(kw, list):
            tags.extend(norm_space(k) for k in kw if isinstance(k, str) and k.strip())
    if not tags:
        found = [norm_space(n.text(separator=" ")) for n in _TAG_LINKS.find(tree)[:30]]
        tags.extend(f.lstrip("#").strip() for f in found if f and len(f) <= 60)
        if not tags and page is not None:
            return find_tags(page, meta)
    out: list[str] = []
    seen: set[str] = set()
    for t in tags:
        if t and t.lower() not in seen and len(t) <= 80:
            seen.add(t.lower())
            out.append(t)
    return out[:50]


def find_lang(meta: Meta) -> str | None:
    lang = meta.html_lang or meta.first("content-language", "language", "dc.language")
    if not lang:
        locale = meta.first("og:locale")
        lang = locale if locale else _ld_str(meta.ld.get("inLanguage"))
    if not lang:
        return None
    lang = lang.strip().replace("_", "-").split(",")[0].strip()
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", lang):
        return None
    head, _, rest = lang.partition("-")
    return head.lower() + ("-" + rest.upper() if rest and len(rest) == 2 else ("-" + rest if rest else ""))


def _absolute(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("data:", "javascript:")):
        return None
    if base:
        try:
            href = urljoin(base, href)
        except ValueError:
            return None
    if href.startswith("//"):
        href = "https:" + href
    return href


def find_image(meta: Meta, base: str | None) -> str | None:
    img = meta.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src",
                     "thumbnailurl", "image")
    if not img:
        img = _ld_str(meta.ld.get("image")) or _ld_str(meta.ld.get("thumbnailUrl"))
    return _absolute(img, base)


def find_canonical(meta: Meta, url: str | None) -> str | None:
    """``rel=canonical``, else ``og:url``, made absolute; ignored when it points to another site."""
    for cand in (meta.canonical, meta.first("og:url"), _ld_str(meta.ld.get("url"))):
        absolute = _absolute(cand, url)
        if not absolute or not absolute.startswith(("http://", "https://")):
            continue
        if url and not same_site(url, absolute):
            continue
        return absolute
    return url


