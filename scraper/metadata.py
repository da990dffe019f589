"""Article metadata from one parsed document: title, dates, authors, section, tags, language, image, URL.

Sources, strongest first: JSON-LD, ``<meta>`` (Open Graph, article:*, Dublin Core, news_keywords),
``<link rel=canonical>``, visible markup (``<h1>``, ``<time>``, bylines, breadcrumbs, tag links) and finally
Indonesian date text such as ``Kamis, 20 November 2025 09:15 WIB``. Pure functions over a Lexbor tree.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import rules
from scraper.dates import parse_date, parse_date_text
from scraper.dom import norm_space
from scraper.head import Meta, Scope, ld_str
from scraper.titles import Headings, find_title, read_headings, strip_site_name
from scraper.urls import same_site

log = logging.getLogger(__name__)

__all__ = ["Headings", "find_authors", "find_canonical", "find_dates", "find_image", "find_lang",
           "find_section", "find_tags", "find_title", "read_headings", "strip_site_name"]


def find_dates(tree: LexborHTMLParser, meta: Meta, default_offset: str, region: Scope | None = None,
               title: str | None = None, headings: Headings | None = None, source: str | None = None,
               lang: str | None = None) -> tuple[str | None, str | None]:
    """(published_at, modified_at). ``region`` (the article's surroundings) is where date text is looked for;
    ``source`` (the page's HTML) lets a page without microdata dates skip that selector; ``lang`` (the
    page's language tag) says whether ``3/4/2025`` is March 4 (``en-US``) or 3 April."""
    month_first = (lang or "").lower().replace("_", "-") in rules.MONTH_FIRST_LANGS
    others = (k for k in meta.props if any(w in k for w in rules.PUBLISHED_META_WORDS)
              and not any(w in k for w in rules.PUBLISHED_META_SKIP))     # read only when still needed
    published = _declared_date(itertools.chain([ld_str(meta.ld.get("datePublished"))],
                                               map(meta.first, rules.PUBLISHED_META_KEYS), map(meta.first, others)),
                               default_offset, month_first)
    modified = _declared_date(itertools.chain([ld_str(meta.ld.get("dateModified"))],
                                              map(meta.first, rules.MODIFIED_META_KEYS)), default_offset, month_first)
    if published is None:
        if source is not None and "datePublished" not in source:
            # no itemprop=datePublished (its value matches case-sensitively): only <time datetime> is left,
            # found by tag name at a third of the cost
            stamped = [n for n in tree.tags("time") if "datetime" in n.attributes][:10]
        else:
            stamped = tree.css("time[datetime], [itemprop=datePublished]")[:10]
        for node in stamped:
            attrs = node.attributes
            published = parse_date(attrs.get("datetime") or attrs.get("content"), default_offset,
                                   month_first=month_first)
            if published:
                break
    if published is None:
        published = _date_from_text(tree, default_offset, region if region is not None else tree, title,
                                    headings, month_first)
    return published, modified


def _declared_date(values: Iterable[str | None], default_offset: str, month_first: bool) -> str | None:
    """The first of ``values`` (strongest first) that is a date, unless a later one gives the same day more
    precisely: with a time of day (JSON-LD ``November 19, 2019``, ``article:published_time`` with the time)
    or with a time zone where the first had none."""
    found: str | None = None
    found_rank = -1
    for value in values:
        got = parse_date(value, default_offset, month_first=month_first)
        if got is None or value is None:
            continue
        rank = _precision(value, got, month_first)
        if found is None:
            found, found_rank = got, rank
        elif rank > found_rank and got[:10] == found[:10]:
            found, found_rank = got, rank
        if found_rank == 2:
            break
    return found


_TIME_OF_DAY_RE = re.compile(r"\d[:.]\d\d")


def _precision(value: str, parsed: str, month_first: bool) -> int:
    """0: a date; 1: a date and time without a zone (the site's offset was assumed); 2: an instant."""
    if not _TIME_OF_DAY_RE.search(value):
        return 0
    other = parse_date(value, "+05:45" if parsed[-6:] != "+05:45" else "-03:30", month_first=month_first)
    same = other is not None and datetime.fromisoformat(other) == datetime.fromisoformat(parsed)
    return 2 if same else 1


def _date_from_text(tree: LexborHTMLParser, default_offset: str, region: Scope, title: str | None = None,
                    headings: Headings | None = None, month_first: bool = False) -> str | None:
    """A date shown as text: date elements first, then the title's surroundings, then the page; a date
    with a time of day beats a bare date (which is often today's date in a top bar)."""
    date_only: str | None = None
    for text in _date_texts(region):
        found = _element_date(text, default_offset, month_first, need_time=True)
        if found:
            return found
        if date_only is None:
            date_only = _element_date(text, default_offset, month_first)
    if headings is None:
        headings = read_headings(tree)
    h1 = next((h for h, text in headings if title and text == title), headings[0][0] if headings else None)
    around = h1.parent if h1 is not None else None
    for _ in range(2):
        if around is None:
            break
        text = around.text(separator="\n")[:4000]
        found = parse_date_text(norm_space(text), default_offset, need_time=True, month_first=month_first)
        if found:
            return found
        if date_only is None:
            date_only = _date_line(text, default_offset, month_first)
        around = around.parent
    body = tree.body
    if body is not None:
        found = parse_date_text(norm_space(body.text(separator=" ")[:rules.DATE_TEXT_SCAN]), default_offset,
                                need_time=True, month_first=month_first)
        if found:
            return found
    if date_only is None and region is not tree:      # a date element outside the article's surroundings
        for text in _date_texts(tree):
            date_only = _element_date(text, default_offset, month_first)
            if date_only:
                break
    return date_only


def _date_texts(scope: Scope) -> list[str]:
    """The texts of the first date elements of ``scope`` (``rules.DATE_TEXT_SELECTORS``)."""
    texts = []
    for node in scope.css(_DATE_TEXT_SELECTOR)[:30]:
        text = node.text(separator=" ")
        if text and len(text) <= 300:
            texts.append(norm_space(text))
    return texts


def _element_date(text: str, default_offset: str, month_first: bool, *, need_time: bool = False) -> str | None:
    """The date a date element shows: ISO 8601 (``2022-11-23T08:10+02:00``) or date text."""
    if text[:4].isdigit() and len(text) >= 10 and text[4] == "-":
        found = parse_date(text.split()[0], default_offset)
        if found and (not need_time or "T" in text[:11]):
            return found
    return parse_date_text(text, default_offset, need_time=need_time, month_first=month_first)


_DATE_TEXT_SELECTOR = ", ".join(rules.DATE_TEXT_SELECTORS)


def _date_line(text: str, default_offset: str, month_first: bool = False) -> str | None:
    """The date of the first short line of ``text`` (one text node per line, at most
    ``rules.DATE_LINE_WORDS`` words) that holds one (``November 2, 2022``, ``Published Apr 26, 2023``,
    ``By Dr. Jo Ng - Mar 27, 2024``): the date a page prints under its title; a date inside a sentence is
    in a longer line."""
    for line in text.splitlines():
        line = norm_space(line)
        if len(line) > rules.HEAD_META_MAX or not any(c.isdigit() for c in line):
            continue
        if len(line.split()) <= rules.DATE_LINE_WORDS:
            found = parse_date_text(line, default_offset, month_first=month_first)
            if found:
                return found
    return None


# ---------------------------------------------------------------------------------------------------
# Authors, section, tags, language, image, canonical URL
# ---------------------------------------------------------------------------------------------------
def _clean_authors(raw: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in raw:
        value = norm_space(html.unescape(value) if "&" in value else value)
        if not value or value.startswith(("http://", "https://", "/", "#")):
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
            s = ld_str(a)
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
_AUTHOR_PAGE_SELECTOR = "[rel~=author], [itemprop=author], .byline, a[href*='/author/']"


def find_section(tree: LexborHTMLParser, meta: Meta, title: str | None, source: str | None = None) -> str | None:
    """The section: meta tags, JSON-LD, then the last breadcrumb (``source``, the page's HTML, lets a page
    without any breadcrumb skip that search)."""
    section = meta.first("article:section", "section", "category")
    if section:
        return section
    ld_sec = meta.ld.get("articleSection")
    s = ld_str(ld_sec)
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
        lang = locale if locale else ld_str(meta.ld.get("inLanguage"))
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
        img = ld_str(meta.ld.get("image")) or ld_str(meta.ld.get("thumbnailUrl"))
    return _absolute(img, base)


def find_canonical(meta: Meta, url: str | None) -> str | None:
    """``rel=canonical``, else ``og:url``, made absolute; ignored when it points to another site."""
    for cand in (meta.canonical, meta.first("og:url"), ld_str(meta.ld.get("url"))):
        absolute = _absolute(cand, url)
        if not absolute or not absolute.startswith(("http://", "https://")):
            continue
        if url and not same_site(url, absolute):
            continue
        return absolute
    return url
