"""Further pages of a multi-page article: find their links, fetch them, stitch them into one article.

:func:`find_next_pages` reads a parsed page's pagination ("2 3 4 ›", ``?page=2``, ``/2/``, "show all");
:func:`merge_pages` stitches parsed pages; :func:`fetch_and_stitch` follows the links through a caller's
fetch function (``kabar parse URL`` and the crawl both use it, each with its own fetcher).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import rules
from scraper.article import NO_BODY_WARNING, Article, Segment
from scraper.dom import norm_space
from scraper.urls import same_site

__all__ = ["fetch_and_stitch", "find_next_pages", "merge_pages"]

_TRAILING_NUM_RE = re.compile(r"^(?P<base>.*?)/(?P<n>\d{1,3})$")


def _page_of(url: str, base_path: str, base_host: str) -> tuple[str, int] | None:
    """('all', 0) / ('n', page) when ``url`` is a page of the article at base_path, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != base_host:
        return None
    path = parts.path.rstrip("/") or "/"
    query = parts.query
    if path == base_path:
        if query and rules.SHOW_ALL_QUERY_RE.search(query):
            return ("all", 0)
        for k, v in parse_qsl(query):
            if k.lower() in rules.PAGE_PARAMS and v.isdigit():
                return ("n", int(v))
        return None
    if path.startswith(base_path + "/"):
        tail = path[len(base_path) + 1:]
        if tail.isdigit() and 1 <= int(tail) <= 200:
            return ("n", int(tail))
        if tail in rules.SHOW_ALL_PATH_WORDS:
            return ("all", 0)
    return None


def find_next_pages(tree: LexborHTMLParser, roots: list[LexborNode], base_url: str | None) -> list[str]:
    """URLs of the further pages of this article (a single "show all" URL when the page offers one)."""
    if not base_url:
        return []
    try:
        cur = urlsplit(base_url)
    except ValueError:
        return []
    host = (cur.hostname or "").lower()
    path = cur.path.rstrip("/") or "/"
    current_page = 1
    for k, v in parse_qsl(cur.query):
        if k.lower() in rules.PAGE_PARAMS and v.isdigit():
            current_page = int(v)
    m = _TRAILING_NUM_RE.match(path)
    base_paths = [path]
    if m and m.group("base") and int(m.group("n")) <= 50:
        base_paths.append(m.group("base"))
    anchors: list[LexborNode] = []
    for r in roots:
        anchors.extend(r.css("a[href]"))
    # the pagination block right after the body, or after the body's wrapper
    last = roots[-1]
    for start, hops_max in ((last, 4), (last.parent, 3)):
        nxt = start.next if start is not None else None
        hops = 0
        while nxt is not None and hops < hops_max:
            if nxt.is_element_node:
                anchors.extend(nxt.css("a[href]"))
                hops += 1
            nxt = nxt.next
    show_all: str | None = None
    numbered: dict[int, str] = {}
    seen: set[str] = set()
    cur_norm = urlunsplit((cur.scheme, cur.netloc, cur.path, cur.query, ""))
    for a in anchors:
        href = (a.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")) or href in seen:
            continue
        seen.add(href)
        if not (rules.PAGE_HREF_TAIL_RE.search(href, max(0, len(href) - rules.PAGE_HREF_TAIL))
                or (("?" in href or "&" in href) and rules.PAGE_HREF_QUERY_RE.search(href))):
            text = a.text()
            if not text or len(text) > 60 or not rules.SHOW_ALL_TEXT_RE.match(norm_space(text)):
                continue
        try:
            absolute = urljoin(base_url, href)
        except ValueError:
            continue
        absolute = absolute.split("#", 1)[0]
        if absolute == cur_norm:
            continue
        found = None
        for bp in base_paths:
            found = _page_of(absolute, bp, host)
            if found:
                break
        if found is None:
            text = norm_space(a.text())
            if text and rules.SHOW_ALL_TEXT_RE.match(text) and same_site(absolute, base_url) and any(
                    urlsplit(absolute).path.rstrip("/").startswith(bp) for bp in base_paths if bp != "/"):
                found = ("all", 0)
            else:
                continue
        kind, n = found
        if kind == "all":
            show_all = show_all or absolute
        elif n > current_page and n not in numbered and (n > 1 or current_page > 1):
            numbered[n] = absolute
    if show_all:
        return [show_all]
    return [numbered[k] for k in sorted(numbered)][:rules.MAX_NEXT_PAGES]


def merge_pages(first: Article, rest: list[Article]) -> Article:
    """Stitch the pages of a multi-page article into one: segments in order, removals united.

    A page that opens without a headline continues the previous segment. Paragraphs already collected are
    not repeated, so stitching a "show all" page onto page one does not duplicate its text.
    """
    segments = [Segment(s.headline, list(s.paragraphs)) for s in first.segments]
    seen = {p for s in segments for p in s.paragraphs}
    removed = list(first.removed)
    warnings = list(first.warnings)
    for page in rest:
        for i, seg in enumerate(page.segments):
            fresh = [p for p in seg.paragraphs if p not in seen]
            seen.update(fresh)
            if not fresh and seg.paragraphs:
                continue                                          # a repeat of what we already have
            if seg.headline is None and segments and (i == 0 or not fresh):
                segments[-1].paragraphs.extend(fresh)             # the page break fell inside a section
            elif seg.headline is not None and segments and segments[-1].headline == seg.headline:
                segments[-1].paragraphs.extend(fresh)
            else:
                segments.append(Segment(seg.headline, fresh))
        removed.extend(page.removed)
        for w in page.warnings:
            if w not in warnings and w != NO_BODY_WARNING:
                warnings.append(w)
    if segments and NO_BODY_WARNING in warnings:
        warnings.remove(NO_BODY_WARNING)
    dateline = first.dateline or next((p.dateline for p in rest if p.dateline), None)
    return replace(first, segments=segments, removed=removed, pages=1 + len(rest), next_pages=[],
                   warnings=warnings, dateline=dateline)


def fetch_and_stitch(first: Article, fetch: Callable[[str], Article | None], *,
                     key: Callable[[str], str] = lambda u: u, max_pages: int = rules.MAX_NEXT_PAGES) -> Article:
    """``first`` with its further pages fetched and merged (:func:`merge_pages`); ``first`` itself when none
    could be had.

    The pages are followed breadth-first: ``first.next_pages``, then each fetched page's own
    ``next_pages``. A URL is fetched once per ``key`` (the crawl passes its canonical URL function; the
    first page's ``url`` and ``canonical_url`` count as seen), and at most ``max_pages`` further pages are
    fetched. ``fetch`` returns the parsed page, or None to skip it (the caller notes why); an exception
    from ``fetch`` propagates, so a caller can fail the whole article on one missing page.
    """
    if not first.next_pages:
        return first
    seen = {key(u) for u in (first.url, first.canonical_url) if u}
    queue = deque(first.next_pages)
    rest: list[Article] = []
    while queue and len(rest) < max_pages:
        url = queue.popleft()
        k = key(url)
        if k in seen:
            continue
        seen.add(k)
        page = fetch(url)
        if page is None:
            continue
        rest.append(page)
        queue.extend(page.next_pages)
    return merge_pages(first, rest) if rest else first
