"""HTML in, :class:`~scraper.article.Article` out: the segmenting parser (pure functions).

:func:`parse_html` runs these steps in order, each in its own module:

1. decode (:mod:`scraper.encoding`), flatten absurdly deep markup (here), parse once with Lexbor;
2. read the head (:mod:`scraper.metadata`): JSON-LD, ``<meta>``, canonical link, then title, section,
   language and image;
3. find the article container (:mod:`scraper.container`, scored by :mod:`scraper.scoring`): every
   paragraph votes for its ancestors; a known container wins when it holds enough of the text;
4. walk the container into *blocks* (:mod:`scraper.walker`), leaving out boilerplate elements (share
   bars, ads, related lists, captions, embeds) by tag and class;
5. clean the blocks (:mod:`scraper.clean`): promo, ad, sign-off and navigation lines and the link lists
   they introduce; split segments at sub-headlines, strip the dateline;
6. find the article's further pages (:mod:`scraper.pages`) and its dates (:mod:`scraper.metadata`,
   :mod:`scraper.dates`).

Every removal lands in ``Article.removed`` with its kind. Nothing here raises on bad input: an article
without a body carries a warning instead.
"""

from __future__ import annotations

import logging
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import rules
from scraper.article import NO_BODY_WARNING, Article, Removed, Segment
from scraper.body import Body, choose_body
from scraper.clean import Rules, clean_blocks, make_rules, segment_blocks
from scraper.config import ParseProfile
from scraper.container import find_candidates
from scraper.dom import place_streamed
from scraper.encoding import decode_html, repair_double_utf8
from scraper.head import Meta, declared_type, read_head
from scraper.metadata import (
    find_authors,
    find_canonical,
    find_dates,
    find_image,
    find_lang,
    find_section,
    find_tags,
    find_title,
    read_headings,
)
from scraper.pages import find_next_pages
from scraper.urls import url_host
from scraper.walker import extract_blocks, forced_removals

__all__ = ["MAX_DEPTH", "NO_BODY_WARNING", "flatten_deep_nesting", "parse_html"]

log = logging.getLogger(__name__)

# Lexbor's tree building is quadratic in the depth of nested block elements; pages deeper than this are
# flattened before parsing (no real page comes near it).
MAX_DEPTH = 512
_DEPTH_CHECK_TAGS = 20_000       # only documents with this many '<' are scanned for depth
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                   "source", "track", "wbr"})
#: Tags that flatten_deep_nesting never drops (they close themselves or cost the parser nothing).
_FLAT_KEEP = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "a", "b", "strong", "em", "i", "u",
                        "span", "font", "small", "sup", "sub", "code", "q", "mark", "s", "abbr", "cite",
                        "time", "label", "html", "head", "body", "title", "script", "style"})


# ---------------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------------
def flatten_deep_nesting(html: str, max_depth: int = MAX_DEPTH) -> str:
    """Drop the wrapper tags (``div``, ``section``, lists, tables...) nested deeper than ``max_depth``.

    Their text stays, and so do paragraph, heading and inline tags, which cannot pile up in the parser's
    stack of open elements the way wrappers do. Documents with few tags are returned as they are.
    """
    if len(html) < 4 * _DEPTH_CHECK_TAGS or html.count("<") < _DEPTH_CHECK_TAGS:
        return html
    depth = deepest = 0
    for m in _TAG_RE.finditer(html):
        name = m.group(2).lower()
        if name in _VOID or name in _FLAT_KEEP or m.group(3):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    if deepest <= max_depth:
        return html
    out: list[str] = []
    pos = 0
    kept: list[bool] = []            # per open wrapper: kept in the output or dropped
    depth = 0                        # wrappers open in the output
    for m in _TAG_RE.finditer(html):
        name = m.group(2).lower()
        if name in _VOID or name in _FLAT_KEEP or m.group(3):
            continue
        if m.group(1):
            if not kept:
                continue
            if kept.pop():
                depth -= 1
                continue
        elif depth < max_depth:
            kept.append(True)
            depth += 1
            continue
        else:
            kept.append(False)
        out.append(html[pos:m.start()])
        pos = m.end()
    out.append(html[pos:])
    return "".join(out)


def _prepare(html: bytes | str | None, charset: str | None) -> tuple[str, bytes]:
    """The page as text and as the UTF-8 bytes Lexbor reads: what selectolax would encode the text to, done
    here once so that the byte-level tests below (NULs, the number of tags) run at memory speed."""
    if html is None:
        return "", b""
    if isinstance(html, bytes | bytearray | memoryview):
        text = decode_html(bytes(html), charset)
        return repair_double_utf8(text, text.encode("utf-8", "ignore"))
    data = html.encode("utf-8", "ignore")
    if b"\x00" in data:                  # NULs in a str are dropped (decoded bytes keep theirs)
        html = html.replace("\x00", "")
        data = html.encode("utf-8", "ignore")
    return repair_double_utf8(html, data)


def _flatten_if_deep(text: str, data: bytes) -> tuple[str, bytes]:
    """flatten_deep_nesting, with its tag count taken on the bytes ('<' is one byte in UTF-8)."""
    if len(text) < 4 * _DEPTH_CHECK_TAGS or len(data) - len(data.replace(b"<", b"")) < _DEPTH_CHECK_TAGS:
        return text, data           # (the count by removal: memchr speed, a third of bytes.count's cost)
    flat = flatten_deep_nesting(text)
    return (text, data) if flat == text else (flat, flat.encode("utf-8", "ignore"))


# ---------------------------------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------------------------------


_TOKEN_RE = re.compile(r"\w+")


def _indonesian(meta: Meta, url: str | None, sample: str) -> bool:
    """Is this an Indonesian page (whose naive times are WIB)? Language tags, the host, then the words."""
    lang = (meta.html_lang or meta.first("og:locale", "content-language", "language") or "").lower()
    if lang.startswith(("id", "in")):
        return True
    host = url_host(url)
    if host.endswith(".id"):
        return True
    words = _TOKEN_RE.findall(sample[:3000].lower())
    if len(words) >= 20:
        return sum(map(rules.ID_STOPWORDS.__contains__, words)) >= rules.ID_STOPWORD_SHARE * len(words)
    return not lang.startswith("en") and not host


def _offset(meta: Meta, url: str | None, sample: str) -> str:
    return rules.DEFAULT_OFFSET_ID if _indonesian(meta, url, sample) else "+00:00"


def parse_html(html: bytes | str | None, url: str | None = None, *, profile: ParseProfile | None = None,
               charset: str | None = None) -> Article:
    """Parse one article page into an :class:`Article`. Never raises on bad input."""
    try:
        return _parse(html, url, profile, charset)
    except RecursionError:  # pragma: no cover - the walk is iterative; kept as a last line of defence
        return Article(url=url, warnings=["document too deeply nested", NO_BODY_WARNING])
    except Exception as exc:  # pragma: no cover - a bug must not stop a crawl; it is logged and reported
        log.exception("parser failed on %s", url)
        return Article(url=url, warnings=[f"parser error: {type(exc).__name__}: {exc}", NO_BODY_WARNING])


def _parse(html: bytes | str | None, url: str | None, profile: ParseProfile | None,
           charset: str | None) -> Article:
    text, data = _prepare(html, charset)
    art = Article(url=url)
    if not text or text.isspace():
        art.warnings.append("empty document")
        art.warnings.append(NO_BODY_WARNING)
        return art
    text, data = _flatten_if_deep(text, data)
    tree = LexborHTMLParser(data)
    if 'id="S:' in text:            # React's streamed parts, moved where a browser shows them
        place_streamed(tree, text)
    meta = read_head(tree)
    r: Rules = make_rules(profile.promo_phrases if profile else (), profile.dateline if profile else None)

    art.canonical_url = find_canonical(meta, url)
    base = url or art.canonical_url
    headings = read_headings(tree) if not (profile and profile.title) else None   # else read when needed
    art.title = find_title(tree, meta, base, profile.title if profile else None, headings)
    art.section = find_section(tree, meta, art.title, text)
    art.lang = find_lang(meta)
    art.image = find_image(meta, base)
    art.declared_type = declared_type(meta)

    cands = find_candidates(tree, profile.body if profile else None)
    forced = forced_removals(tree, profile.remove) if profile and profile.remove else {}

    def extract(roots: list[LexborNode]) -> Body:
        blocks, removed = extract_blocks(roots, forced, r)
        kept, removed2 = clean_blocks(blocks, r, title=art.title)
        segments, dateline, removed3 = segment_blocks(kept, r)
        segments, removed = _gallery(segments, removed)
        return Body(segments, dateline, removed + removed2 + removed3, roots)

    body = choose_body(cands, extract, meta.ld.get("articleBody"), r, art.title)
    roots = body.roots
    region = _region(roots) or tree
    page = tree if region is not tree else None
    art.authors = find_authors(region, meta, page)     # near the article first, then the whole page
    art.tags = find_tags(region, meta, page)
    art.segments = body.segments
    art.dateline = body.dateline
    art.removed = body.removed
    if roots:
        art.next_pages = find_next_pages(tree, roots, base)
    art.published_at, art.modified_at = find_dates(tree, meta, _offset(meta, url, art.text if roots or art.segments else art.title or ""),
                                                   region if roots else None, art.title, headings, text, art.lang)
    if not art.segments:
        art.warnings.append(NO_BODY_WARNING)
    return art


def _gallery(segments: list[Segment], removed: list[Removed]) -> tuple[list[Segment], list[Removed]]:
    """A photo page: almost no text but captions under every picture. The captions are its article."""
    text_len = sum(len(p) for s in segments for p in s.paragraphs)
    if text_len >= rules.GALLERY_MAX_TEXT:
        return segments, removed
    captions: list[str] = []
    for item in removed:
        if item.kind == "caption" and item.text not in captions and len(item.text) >= 40:
            captions.append(item.text)
    if len(captions) < 2 or sum(map(len, captions)) <= max(text_len, rules.GALLERY_MAX_TEXT):
        return segments, removed
    kept = [x for x in removed if not (x.kind == "caption" and x.text in captions)]
    lead = segments[0].paragraphs if segments and segments[0].headline is None else []
    return [Segment(None, lead + captions)] + (segments[1:] if lead else segments), kept


def _region(roots: list[LexborNode]) -> LexborNode | None:
    """The article's surroundings: a few levels above its container (byline, date, tags live there)."""
    if not roots:
        return None
    node = roots[0]
    for _ in range(rules.REGION_LEVELS):
        parent = node.parent
        if parent is None or parent.tag in ("body", "html", None):
            break
        node = parent
    return node
