"""HTML in, :class:`~scraper.article.Article` out: the segmenting parser (pure functions).

The flow of :func:`parse_html`, each step a small function below:

1. decode (:mod:`scraper.encoding`), flatten absurdly deep markup, parse once with Lexbor;
2. read the head (:mod:`scraper.metadata`): JSON-LD, ``<meta>``, canonical link, then title and dates;
3. find the article container: every paragraph votes for its ancestors (readability's scoring); among
   them a known container of :data:`scraper.rules.CONTAINER_SELECTORS` wins when it holds enough of the
   text, else the best-scoring element (widened to a split body, narrowed to its text-holding child);
4. walk the container (iteratively: no recursion, so 100,000-deep markup is fine) into *blocks*, leaving
   out boilerplate elements (share bars, ads, related lists, captions, embeds) by tag and class;
5. clean the blocks (:mod:`scraper.clean`): promo, ad, sign-off and navigation lines and the link lists
   they introduce;
6. split segments at sub-headlines, strip datelines, find the article's further pages.

Every removal lands in ``Article.removed`` with its kind. Nothing here raises on bad input: an article
without a body carries a warning instead.
"""

from __future__ import annotations

import functools
import heapq
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import rules
from scraper.article import Article, Removed, Segment
from scraper.clean import Block, Rules, clean_blocks, line_kind, make_rules, segment_blocks
from scraper.config import ParseProfile
from scraper.encoding import decode_html
from scraper.metadata import (
    Meta,
    find_authors,
    find_canonical,
    find_dates,
    find_image,
    find_lang,
    find_section,
    find_tags,
    find_title,
    norm_space,
    read_head,
    read_headings,
)
from storage.urls import same_site

log = logging.getLogger(__name__)

NO_BODY_WARNING = "no article body found"

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
_ZERO_WIDTH = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\u200e": None,
                             "\u200f": None, "\ufeff": None, "\x00": None, "\u00ad": None})


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
        return text, text.encode("utf-8", "ignore")
    data = html.encode("utf-8", "ignore")
    if b"\x00" in data:                  # NULs in a str are dropped (decoded bytes keep theirs)
        html = html.replace("\x00", "")
        data = html.encode("utf-8", "ignore")
    return html, data


def _flatten_if_deep(text: str, data: bytes) -> tuple[str, bytes]:
    """flatten_deep_nesting, with its tag count taken on the bytes ('<' is one byte in UTF-8)."""
    if len(text) < 4 * _DEPTH_CHECK_TAGS or len(data) - len(data.replace(b"<", b"")) < _DEPTH_CHECK_TAGS:
        return text, data           # (the count by removal: memchr speed, a third of bytes.count's cost)
    flat = flatten_deep_nesting(text)
    return (text, data) if flat == text else (flat, flat.encode("utf-8", "ignore"))


# ---------------------------------------------------------------------------------------------------
# Container
# ---------------------------------------------------------------------------------------------------


def _css(node: LexborNode | LexborHTMLParser, selector: str) -> list[LexborNode]:
    try:
        return list(node.css(selector))
    except Exception:  # an invalid selector from a profile
        log.debug("invalid selector %r", selector)
        return []


def _ancestor_ids(node: LexborNode, limit: int = 200) -> set[int]:
    out = set()
    cur = node.parent
    while cur is not None and limit > 0:
        out.add(cur.mem_id)
        cur = cur.parent
        limit -= 1
    return out


def _outermost(nodes: list[LexborNode]) -> list[LexborNode]:
    """Drop nodes nested inside other nodes of the list (document order kept)."""
    if len(nodes) <= 1:
        return nodes
    ids = {n.mem_id for n in nodes}
    return [n for n in nodes if not (_ancestor_ids(n) & ids)]


def _text_len(node: LexborNode) -> int:
    return len(node.text().strip())


# A tiny matcher for the container selectors of :mod:`rules` (tag, #id, .class, [attr=value], descendant):
# the container is looked for among the ancestors of the page's paragraphs, in Python, instead of running
# dozens of selectors over the whole document.
_COMPOUND_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)=['\"]?([^'\"\]]+)['\"]?\]")


@dataclass(frozen=True, slots=True)
class _Compound:
    tag: str | None
    ident: str | None
    classes: frozenset[str]
    attr: tuple[str, str] | None


def _parse_selector(sel: str) -> tuple[_Compound, ...]:
    chain = []
    for part in sel.split():
        tag = ident = None
        classes: set[str] = set()
        attr = None
        for m in _COMPOUND_RE.finditer(part):
            if m.group(1):
                tag = m.group(1).lower()
            elif m.group(2):
                ident = m.group(2)
            elif m.group(3):
                classes.add(m.group(3))
            else:
                attr = (m.group(4).lower(), m.group(5))
        chain.append(_Compound(tag, ident, frozenset(classes), attr))
    return tuple(chain)


_CONTAINER_CHAINS: tuple[tuple[_Compound, ...], ...] = tuple(_parse_selector(s) for s in rules.CONTAINER_SELECTORS)


class _NodeInfo:
    """Tag, classes, id and itemprop of one element, read once."""

    __slots__ = ("node", "tag", "classes", "ident", "attrs", "para", "count", "score", "unlikely", "up", "height",
                 "own_para", "own_count")

    def __init__(self, node: LexborNode) -> None:
        self.node = node
        self.tag = node.tag or ""
        attrs = node.attributes if self.tag not in ("body", "html") else {}
        self.attrs = attrs
        cls = attrs.get("class") if attrs else None
        self.classes = frozenset(cls.split()) if cls else frozenset()
        self.ident = attrs.get("id") if attrs else None
        self.para = 0            # characters of the paragraphs below
        self.count = 0           # how many paragraphs that is
        self.score = 0.0         # readability score
        self.unlikely = bool(attrs) and self.tag not in ("body", "article", "main") and _unlikely(
            attrs.get("class") or "", attrs.get("id") or "")
        self.up: _NodeInfo | None = None     # the parent element's info (once a walk has passed through)
        self.height = 0                      # elements from here to the top of the document
        self.own_para = 0                    # votes cast for this element itself (para/count sum these up)
        self.own_count = 0


@functools.lru_cache(maxsize=8192)
def _unlikely(cls: str, ident: str) -> bool:
    """Readability's "unlikely candidate": comments, sidebars, footers, menus (unless it also says content)."""
    key = cls + " " + ident
    return rules.UNLIKELY_CLASS_RE.search(key) is not None and rules.MAYBE_CLASS_RE.search(key) is None


def _compound_ok(info: _NodeInfo, c: _Compound) -> bool:
    if c.tag is not None and info.tag != c.tag:
        return False
    if c.ident is not None and info.ident != c.ident:
        return False
    if c.classes and not c.classes <= info.classes:
        return False
    if c.attr is not None and (info.attrs.get(c.attr[0]) if info.attrs else None) != c.attr[1]:
        return False
    return True


def _index_chains() -> dict[str, list[int]]:
    """Container selectors by a key of their last compound (a class, an id, an attribute or a tag)."""
    index: dict[str, list[int]] = {}
    for i, chain in enumerate(_CONTAINER_CHAINS):
        last = chain[-1]
        if last.classes:
            key = "." + min(last.classes)
        elif last.ident:
            key = "#" + last.ident
        elif last.attr:
            key = "[" + last.attr[0]
        else:
            key = last.tag or "*"
        index.setdefault(key, []).append(i)
    return index


_CHAIN_INDEX = _index_chains()
_CHAIN_ATTRS = tuple(sorted({k[1:] for k in _CHAIN_INDEX if k.startswith("[")}))


def _selector_rank(info: _NodeInfo, infos: dict[int, _NodeInfo] | None = None) -> int:
    """Index of the first container selector this element matches (a large number when none)."""
    candidates: list[int] = []
    index = _CHAIN_INDEX
    for c in info.classes:
        found = index.get("." + c)
        if found:
            candidates.extend(found)
    if info.ident:
        candidates.extend(index.get("#" + info.ident, ()))
    candidates.extend(index.get(info.tag, ()))
    if info.attrs:
        for a in _CHAIN_ATTRS:
            if a in info.attrs:
                candidates.extend(index.get("[" + a, ()))
    for i in sorted(candidates):
        chain = _CONTAINER_CHAINS[i]
        if not _compound_ok(info, chain[-1]):
            continue
        if len(chain) == 1:
            return i
        k = len(chain) - 2
        cur = info.node.parent
        hops = 0
        while cur is not None and k >= 0 and hops < 40:
            up = infos.get(cur.mem_id) if infos is not None else None     # (ancestors are mostly known)
            if _compound_ok(up if up is not None else _NodeInfo(cur), chain[k]):
                k -= 1
            cur = cur.parent
            hops += 1
        if k < 0:
            return i
    return 1 << 30


_TAG_BASE = {"div": 5.0, "article": 8.0, "main": 5.0, "section": 3.0, "td": 3.0, "blockquote": 3.0,
             "pre": 3.0, "form": -3.0, "ul": -3.0, "ol": -3.0, "li": -3.0, "dl": -3.0, "th": -5.0,
             "header": -5.0, "footer": -8.0, "aside": -8.0, "nav": -10.0, "p": 0.0}


def _class_weight(info: _NodeInfo) -> float:
    if not info.attrs:
        return 0.0
    return _weigh(info.attrs.get("class") or "", info.ident or "")


@functools.lru_cache(maxsize=8192)
def _weigh(cls: str, ident: str) -> float:
    """Readability's class weight: -25 per negative and +25 per positive word, in class and in id."""
    weight = 0.0
    for v in (cls, ident):
        if v:
            if rules.NEGATIVE_CLASS_RE.search(v):
                weight -= 25
            if rules.POSITIVE_CLASS_RE.search(v):
                weight += 25
    return weight


def _link_len(node: LexborNode) -> int:
    return sum(len(a.text()) for a in node.css("a"))


def _para_link_len(p: LexborNode) -> int:
    """_link_len of a paragraph: its few elements walked in Python cost less than a selector search."""
    return sum(len(a.text()) for a in p.traverse() if a.tag == "a")


def _score_paragraphs(body: LexborNode) -> dict[int, _NodeInfo]:
    """One pass over the paragraphs: each votes for its ancestors (readability) and adds its length to
    every ancestor's paragraph total."""
    infos: dict[int, _NodeInfo] = {}
    chains: dict[int, list[_NodeInfo] | None] = {}     # start element -> its ancestors (None: silenced)
    # element -> (a complete chain, where the element sits in it): the walk up from a new paragraph stops at
    # the first element whose way to the top is already known
    known: dict[int, tuple[list[_NodeInfo], int]] = {}
    depth = rules.UNLIKELY_DEPTH

    def chain_of(start: LexborNode) -> list[_NodeInfo] | None:
        key0 = start.mem_id
        if key0 in chains:
            return chains[key0]
        walked: list[_NodeInfo] = []
        keys: list[int] = []
        rest: list[_NodeInfo] = []
        cur: LexborNode | None = start
        while cur is not None:
            tag = cur.tag
            if tag is None or tag == "html" or tag[0] in "-#":
                break
            key = cur.mem_id
            found = known.get(key)
            if found is not None:
                rest = found[0][found[1]:] if found[1] else found[0]
                break
            info = infos.get(key)
            if info is None:
                info = _NodeInfo(cur)
                info.score = _TAG_BASE.get(info.tag, 0.0) + _class_weight(info)
                infos[key] = info
            if info.unlikely and len(walked) < depth:
                # a paragraph of the comments, a sidebar, a footer: it votes for nothing (and the walk stops
                # here, before the elements above are even looked at)
                chains[key0] = None
                return None
            walked.append(info)
            keys.append(key)
            cur = cur.parent
        chain = walked + rest if rest else walked
        height = len(chain)
        for i, info in enumerate(walked):
            known[keys[i]] = (chain, i)
            info.up = chain[i + 1] if i + 1 < height else None
            info.height = height - i
        silenced = any(info.unlikely for info in chain[len(walked):depth])
        chains[key0] = None if silenced else chain
        return chains[key0]

    def vote(start: LexborNode | None, points: float, length: int) -> None:
        if start is None:
            return
        chain = chain_of(start)
        if not chain:
            return
        head = chain[0]
        head.own_para += length          # summed up the chain once all votes are in (_sum_votes)
        head.own_count += 1
        for level, info in enumerate(chain[:4]):
            info.score += points / (1 if level == 0 else 2 if level == 1 else level * 3)

    seen_br_parents: set[int] = set()
    for p in body.css(rules.DENSITY_TEXT_SELECTOR):
        if p.tag == "br":
            parent = p.parent
            if parent is None or parent.mem_id in seen_br_parents or parent.tag in ("p", "pre"):
                continue
            seen_br_parents.add(parent.mem_id)
            text = parent.text(deep=False)
            ln = len(text.strip())
            if ln < 100:
                continue
            # the text sits directly in this element: it is both the paragraph and its holder
            points = 1 + text.count(",") + min(ln / 100, 12.0)
            vote(parent, points, ln)
            continue
        text = p.text()
        if len(text) < rules.MIN_DENSITY_PARAGRAPH:
            continue
        ln = len(text.strip())
        if ln < rules.MIN_DENSITY_PARAGRAPH:
            continue
        if ln < 400 and _para_link_len(p) > ln * 0.5:
            continue
        vote(p.parent, 1 + text.count(",") + min(ln / 100, 3.0), ln)
    _sum_votes(infos)
    if not infos or max(i.para for i in infos.values()) < rules.MIN_PARAGRAPH_TEXT:
        _score_text_nodes(body, vote)
        _sum_votes(infos)
    return infos


def _sum_votes(infos: dict[int, _NodeInfo]) -> None:
    """Each element's paragraph text and count: its own votes plus those of the elements below it."""
    for info in infos.values():
        info.para = info.own_para
        info.count = info.own_count
    for info in sorted(infos.values(), key=lambda i: -i.height):     # the deepest first
        up = info.up
        if up is not None and (info.para or info.count):
            up.para += info.para
            up.count += info.count


def _score_text_nodes(body: LexborNode, vote: Callable[[LexborNode | None, float, int], None]) -> None:
    """Fallback for pages without paragraphs: every block element with direct text counts as one."""
    lengths: dict[int, list] = {}                  # block mem_id -> [node, text length, commas]
    holders: dict[int, tuple[LexborNode, int] | None] = {}   # parent mem_id -> its block element and its
    #                                                           mem_id (None: a link, a script)
    block_tags = rules.BLOCK_TAGS
    drop = rules.DROP_TAGS
    for node in body.traverse(include_text=True, skip_empty=True):
        if not node.is_text_node:
            continue
        text = node.text_content or ""
        if len(text) < 2:
            continue
        parent = node.parent
        if parent is None:
            continue
        pid = parent.mem_id
        if pid in holders:
            found = holders[pid]
        else:
            cur: LexborNode | None = parent
            tag = cur.tag if cur is not None else None
            hops = 0
            while cur is not None and tag not in block_tags and tag != "a" and tag not in drop and hops < 8:
                cur = cur.parent
                tag = cur.tag if cur is not None else None
                hops += 1
            found = (cur, cur.mem_id) if cur is not None and tag in block_tags else None
            holders[pid] = found
        if found is None:
            continue
        holder, hkey = found
        ln = len(text.strip())
        entry = lengths.get(hkey)
        if entry is None:
            lengths[hkey] = [holder, ln, text.count(",")]
        else:
            entry[1] += ln
            entry[2] += text.count(",")
    for node, ln, commas in lengths.values():
        if ln >= rules.MIN_DENSITY_PARAGRAPH:
            vote(node.parent, 1 + commas + min(ln / 100, 3.0), ln)


def _looks_boilerplate(info: _NodeInfo) -> bool:
    key = " ".join(info.classes) + " " + (info.ident or "")
    return bool(key.strip()) and rules.BOILERPLATE_ANY_RE.search(key) is not None


def _tighten(info: _NodeInfo, infos: dict[int, _NodeInfo]) -> _NodeInfo:
    """Descend into the one child that holds nearly all of the chosen element's paragraph text."""
    cur = info
    for _ in range(6):
        best_child: _NodeInfo | None = None
        for child in cur.node.iter():
            ci = infos.get(child.mem_id)
            if ci is not None and (best_child is None or ci.para > best_child.para):
                best_child = ci
        if best_child is None or best_child.para < rules.TIGHTEN_SHARE * cur.para \
                or best_child.tag in ("p", "li", "ul", "ol", "table", "tbody", "tr", "blockquote"):
            break
        cur = best_child
    return cur


def _siblings_of(best: _NodeInfo, infos: dict[int, _NodeInfo], best_score: float) -> list[LexborNode]:
    """Readability's sibling step: neighbours that carry more of the same article."""
    node = best.node
    parent = node.parent
    if parent is None or best.tag == "body":
        return [node]
    threshold = max(10.0, best_score * 0.2)
    roots: list[LexborNode] = []
    for sib in parent.iter():
        if sib.mem_id == node.mem_id:
            roots.append(sib)
            continue
        info = infos.get(sib.mem_id)
        if info is not None and _class_weight(info) >= 0 and not _looks_boilerplate(info):
            bonus = best_score * 0.2 if best.classes and info.classes == best.classes else 0.0
            if info.score + bonus >= threshold:
                total = len(sib.text())
                if total and _link_len(sib) / total < 0.33:
                    roots.append(sib)
                    continue
        if sib.tag == "p":
            text = sib.text().strip()
            ln = len(text)
            if not ln:
                continue
            ld = _para_link_len(sib) / ln
            if (ln > 80 and ld < 0.25) or (ln <= 80 and ld == 0 and text.endswith(".")):
                roots.append(sib)
    return roots or [node]


def _pick_container(infos: dict[int, _NodeInfo]) -> list[LexborNode] | None:
    if not infos:
        return None
    total = max(i.para for i in infos.values())
    # 1. a known container among the ancestors of the paragraphs
    best: _NodeInfo | None = None
    best_rank = 1 << 30
    floor = max(rules.MIN_CONTAINER_TEXT, 0.25 * total)
    known: list[tuple[int, _NodeInfo]] = []
    for info in infos.values():
        if info.para < rules.MIN_CONTAINER_TEXT or info.tag in ("body", "html"):
            continue
        rank = _selector_rank(info, infos)
        known.append((rank, info))
        if info.para < floor:
            continue
        if rank < best_rank or (rank == best_rank and best is not None and info.para > best.para):
            best, best_rank = info, rank
    if best is not None and best_rank < (1 << 30):
        chain = _CONTAINER_CHAINS[best_rank][-1]
        splittable = bool(chain.classes or chain.ident)      # several <article>s are several posts
        if not splittable:
            # of several <article>s, the one with the headline in it is the page's own
            titled = [i for r, i in known if r == best_rank and i.node.css_first("h1") is not None]
            if titled:
                best = max(titled, key=lambda i: i.para)
        ranks = {id(i): r for r, i in known}

        def rank_of(i: _NodeInfo) -> int:
            r = ranks.get(id(i))
            return r if r is not None else _selector_rank(i, infos)

        same = [i for i in infos.values() if splittable and i is not best and i.para >= 80
                and rank_of(i) == best_rank and _near(i.node, best.node)]
        if same:
            nodes = [best.node] + [i.node for i in same]
            return _in_document_order(_outermost(nodes))
        return [best.node]
    # 2. text density
    ranked = heapq.nlargest(6, infos.values(), key=lambda i: i.score)
    top: _NodeInfo | None = None
    top_score = float("-inf")
    for info in ranked:
        # the link penalty only lowers a positive score (and lifts a negative one at most to 0): a candidate
        # whose bound does not beat the best so far is not measured (its text and links cost a scan each)
        if max(info.score, 0.0) <= top_score:
            continue
        length = len(info.node.text())
        if not length:
            continue
        final = info.score * (1 - min(1.0, _link_len(info.node) / length))
        if final > top_score:
            top, top_score = info, final
    if top is None or top_score <= 0:
        return None
    top = _widen(top, infos)
    roots = _siblings_of(top, infos, top_score)
    if len(roots) == 1:
        return [_tighten(top, infos).node]
    return roots


def _widen(top: _NodeInfo, infos: dict[int, _NodeInfo]) -> _NodeInfo:
    """Climb to an ancestor that holds much more paragraph text of the same kind: an article split into
    sections by ads and figures. Teaser lists (short paragraphs) and link-heavy boxes do not pull it up."""
    cur = top
    node = top.node.parent
    hops = 0
    while node is not None and hops < rules.WIDEN_MAX_HOPS:
        hops += 1
        info = infos.get(node.mem_id)
        if info is None or info.tag in ("body", "html"):
            break
        extra = info.para - cur.para
        if info.para >= rules.WIDEN_RATIO * cur.para and extra >= rules.WIDEN_MIN_AVG * max(1, info.count - cur.count):
            total = len(node.text())
            if total and _link_len(node) / total < rules.WIDEN_MAX_LINK_DENSITY:
                cur = info
        node = node.parent
    return cur


def _near(a: LexborNode, b: LexborNode) -> bool:
    """Same parent or same grandparent."""
    pa, pb = a.parent, b.parent
    if pa is None or pb is None:
        return False
    if pa.mem_id == pb.mem_id:
        return True
    ga, gb = pa.parent, pb.parent
    return ga is not None and gb is not None and ga.mem_id == gb.mem_id


def _in_document_order(nodes: list[LexborNode]) -> list[LexborNode]:
    if len(nodes) <= 1:
        return nodes
    parent = nodes[0].parent
    if parent is not None and all(n.parent is not None and n.parent.mem_id == parent.mem_id for n in nodes):
        order = {c.mem_id: i for i, c in enumerate(parent.iter())}
        return sorted(nodes, key=lambda n: order.get(n.mem_id, 0))
    # cousins: order by the position of their parents under the common grandparent
    keyed = []
    for n in nodes:
        p = n.parent
        g = p.parent if p is not None else None
        if g is None or p is None:
            return nodes
        order = {c.mem_id: i for i, c in enumerate(g.iter())}
        keyed.append((order.get(p.mem_id, 0), n))
    keyed.sort(key=lambda x: x[0])
    return [n for _, n in keyed]


def _known_container_slow(tree: LexborHTMLParser) -> list[LexborNode] | None:
    """The selector-by-selector search, for pages whose text is not in paragraphs at all."""
    for sel in rules.CONTAINER_SELECTORS:
        matches = tree.css(sel)
        if not matches:
            continue
        scored = [(_text_len(n), n) for n in _outermost(list(matches))]
        best_len, best = max(scored, key=lambda x: x[0])
        if best_len >= rules.MIN_CONTAINER_TEXT:
            return [best]
    return None


def find_container(tree: LexborHTMLParser, body_selector: str | None = None) -> list[LexborNode]:
    """The element(s) holding the article text, in document order (empty when nothing fits)."""
    if body_selector:
        found = _outermost([n for n in _css(tree, body_selector) if _text_len(n) > 0])
        if found:
            return found
    body = tree.body
    if body is None:
        return []
    picked = _pick_container(_score_paragraphs(body))
    if picked:
        return picked
    return _known_container_slow(tree) or []


# ---------------------------------------------------------------------------------------------------
# Walking the container into blocks
# ---------------------------------------------------------------------------------------------------
_EXIT_BLOCK, _EXIT_LINK, _EXIT_BOLD, _EXIT_LIST = 0, 1, 2, 3


def _guess_kind(selector: str) -> str:
    s = selector.lower()
    if re.search(r"(?:^|[^a-z])(?:ads?|adv\w*|iklan|banner|sponsor\w*)(?:$|[^a-z])", s):
        return "ad"
    if re.search(r"share|social|sosmed|comment|komentar", s):
        return "share"
    if re.search(r"related|terkait|rekomendasi|populer|popular|baca-?juga", s):
        return "related"
    if re.search(r"tag|breadcrumb|pagination|paging|nav", s):
        return "nav"
    if re.search(r"caption|credit|foto|photo", s):
        return "caption"
    if re.search(r"video|embed|iframe", s):
        return "embed"
    return "promo"


@functools.lru_cache(maxsize=8192)
def _class_kind(cls: str, ident: str) -> tuple[str | None, bool]:
    """(boilerplate kind or None; "" for hidden, whether a content word is present) of a class/id pair.

    Cached: class strings repeat on every element of a list and on every page of a site.
    """
    key = cls + " " + ident if ident else cls
    if not rules.BOILERPLATE_ANY_RE.search(key):
        if cls and rules.HIDDEN_CLASS_RE.search(cls):
            return "", False
        return None, False
    kind = "promo"
    for k, rx in rules.BOILERPLATE_CLASS_RE:
        if rx.search(key):
            kind = k
            break
    return kind, rules.CONTENT_CLASS_RE.search(key) is not None


#: The block kind of a block element (anything else is a "div").
_BLOCK_KIND = {"p": "p", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h", "li": "li", "dt": "li", "dd": "li",
               "tr": "row", "blockquote": "quote", "pre": "pre"}
_CAPTION_HOLDERS = frozenset({"div", "span", "small", "em", "i", "font"})


def _is_image_caption(node: LexborNode) -> bool:
    """A short text element right after an image (or a box holding only an image): its caption."""
    # the cheap test first: what precedes it (its own text can be a whole article)
    prev = node.prev
    ptag = prev.tag if prev is not None else None
    while prev is not None and ptag == "-text" and not (prev.text_content or "").strip():
        prev = prev.prev
        ptag = prev.tag if prev is not None else None
    if prev is None or ptag is None:
        return False
    image = ptag in ("img", "picture")
    if not image and ptag not in ("div", "a", "span", "p"):
        return False
    text = node.text()
    if not 0 < len(text) <= 2 * rules.CAPTION_MAX or not 0 < len(text.strip()) <= rules.CAPTION_MAX:
        return False
    if not image and (prev.text().strip() or prev.css_first("img") is None):
        return False
    me = node.mem_id     # (a node's css() includes the node itself)
    return not any(n.mem_id != me for n in node.css("p, div, br"))


class _Walker:
    """Turns container elements into :class:`Block` objects without recursion."""

    def __init__(self, forced: dict[int, str], roots: list[LexborNode], r: Rules) -> None:
        self.forced = forced
        self.rules = r
        self.roots = roots
        self._root_len = -1
        self.blocks: list[Block] = []
        self.removed: list[Removed] = []
        self._reset()
        self.block_tags: list[str] = ["div"]
        self.list_ids: list[int] = [0]
        self.link_depth = 0
        self.bold_depth = 0
        self.link_href: str | None = None

    def _reset(self) -> None:
        self.buf: list[str] = []
        self.pos = 0
        self.pending_space = False
        self.links: list[tuple[int, int]] = []
        self.link_start = -1
        self.link_chars = 0
        self.bold_chars = 0
        self.chars = 0
        self.lead_bold = 0
        self.lead_open = True
        self.hrefs: list[str] = []

    def text(self, s: str) -> None:
        if not s:
            return
        lead, trail = s[0].isspace(), s[-1].isspace()
        if not lead and not trail and " " not in s and "\n" not in s and "\t" not in s and "\u00a0" not in s:
            core = s
        else:
            core = " ".join(s.split())
        if core and not core.isprintable():
            core = core.translate(_ZERO_WIDTH)
        if not core:
            if self.buf:
                self.pending_space = True
            return
        if self.buf and (self.pending_space or lead):
            self.buf.append(" ")
            self.pos += 1
        start = self.pos
        self.buf.append(core)
        self.pos += len(core)
        n = len(core) - core.count(" ")
        self.chars += n
        if self.bold_depth:
            self.bold_chars += n
            if self.lead_open:
                self.lead_bold = self.pos
        else:
            self.lead_open = False
        if self.link_depth:
            self.link_chars += n
            if self.link_start < 0:
                self.link_start = start
        self.pending_space = trail

    def flush(self) -> None:
        if not self.buf:
            return
        if self.link_depth and self.link_start >= 0:
            self.links.append((self.link_start, self.pos))
            self.link_start = -1
        if self.chars:
            text = "".join(self.buf).rstrip()
            kind = self.block_tags[-1]
            b = Block(kind, text, self.links, min(self.link_chars, self.chars), self.bold_chars, self.chars,
                      self.lead_bold if self.lead_bold < len(text) else 0,
                      self.list_ids[-1] if kind == "li" else 0,
                      self.hrefs[0] if len(self.hrefs) == 1 else None)
            self.blocks.append(b)
        self._reset()
        if self.link_depth:
            self.link_start = -1

    def remove(self, node: LexborNode, kind: str, text: str | None = None) -> None:
        if not kind:
            return
        if text is None:
            text = norm_space(node.text(separator=" "))
        if not text and kind == "embed":
            text = (node.attributes.get("src") or node.attributes.get("data-src") or "").strip()
        if text:
            self.removed.append(Removed(kind, text))

    @property
    def root_len(self) -> int:
        """Text length of the container (only needed when a boilerplate class shows up)."""
        if self._root_len < 0:
            self._root_len = sum(_text_len(root) for root in self.roots)
        return self._root_len

    def _boilerplate(self, node: LexborNode, tag: str, attrs: dict[str, str | None]) -> str | None:
        """The kind of boilerplate this element is, or None to walk into it."""
        if not attrs:
            return None
        if "hidden" in attrs or attrs.get("aria-hidden") == "true" and tag not in ("p", "div", "span"):
            return ""
        style = attrs.get("style")
        if style and rules.HIDDEN_STYLE_RE.search(style):
            return ""
        cls = attrs.get("class") or ""
        ident = attrs.get("id") or ""
        if not cls and not ident:
            return None
        kind, content_word = _class_kind(cls, ident)
        if kind is None:
            return None
        if not kind:
            return ""
        # guard: a misfiring class word on the article itself (WordPress "tag-x", "has-video")
        size = len(node.text())
        if size > 0.6 * self.root_len and self.root_len > 200:
            return None
        if content_word and size > 0.35 * self.root_len and self.root_len > 200:
            return None
        if size and size <= 300:
            # what the text says beats what the class says ("para_caption" holding "ADVERTISEMENT")
            said = line_kind(norm_space(node.text()), self.rules)
            if said in ("ad", "promo", "embed", "signoff"):
                return said
        elif kind in ("related", "share", "nav") and size and self.rules.promo_start.match(node.text()[:200].lstrip()):
            return "promo"
        return kind

    def walk(self, roots: Iterable[LexborNode]) -> None:
        stack: list = []
        for r in reversed(list(roots)):
            stack.append((_EXIT_BLOCK, None))
            stack.append(r)
            stack.append((-1, "div"))
        pop, push = stack.pop, stack.append
        forced = self.forced
        block_tags = rules.BLOCK_TAGS
        drop = rules.DROP_TAGS
        while stack:
            item = pop()
            if type(item) is tuple:
                kind, val = item
                if kind == _EXIT_BLOCK:
                    self.flush()
                    if len(self.block_tags) > 1:
                        self.block_tags.pop()
                elif kind == -1:
                    self.flush()
                    self.block_tags.append(val)
                elif kind == _EXIT_LINK:
                    self.link_depth -= 1
                    if self.link_start >= 0:
                        self.links.append((self.link_start, self.pos))
                        self.link_start = -1
                elif kind == _EXIT_BOLD:
                    self.bold_depth -= 1
                elif kind == _EXIT_LIST:
                    self.list_ids.pop()
                continue
            node: LexborNode = item
            tag = node.tag
            if tag == "-text":
                self.text(node.text_content or "")
                continue
            if tag is None or tag[0] in "-!#" or tag in drop:
                continue
            if forced and node.mem_id in forced:
                self.flush()
                self.remove(node, forced[node.mem_id])
                continue
            rk = rules.REMOVE_TAGS.get(tag)
            if rk is not None:
                if tag == "figure" and node.css_first("img, picture, video, iframe") is None \
                        and _text_len(node) > 200:
                    pass  # a figure that is really a text box (pull quote, table)
                else:
                    self.flush()
                    if tag == "figure":
                        cap = node.css_first("figcaption")
                        self.remove(node, rk, norm_space(cap.text(separator=" ")) if cap is not None else "")
                    else:
                        self.remove(node, rk)
                    continue
            if tag == "br":
                if self.buf:
                    self.flush()
                continue
            attrs = node.attributes
            bk = self._boilerplate(node, tag, attrs) if attrs else None
            if bk is not None:
                self.flush()
                self.remove(node, bk)
                continue
            if tag in _CAPTION_HOLDERS and _is_image_caption(node):
                self.flush()
                text = norm_space(node.text(separator=" "))
                self.remove(node, line_kind(text, self.rules) or "caption", text)
                continue
            children = list(node.iter(include_text=True))
            if tag in block_tags:
                if self.buf:
                    self.flush()
                self.block_tags.append(_BLOCK_KIND.get(tag, "div"))
                push((_EXIT_BLOCK, None))
                if tag in rules.LIST_TAGS:
                    self.list_ids.append(node.mem_id)
                    push((_EXIT_LIST, None))
            elif tag == "a":
                self.link_depth += 1
                href = attrs.get("href")
                if href:
                    self.hrefs.append(href)
                push((_EXIT_LINK, None))
            elif tag in rules.BOLD_TAGS:
                self.bold_depth += 1
                push((_EXIT_BOLD, None))
            elif tag in rules.CELL_TAGS:
                if self.buf:
                    self.pending_space = True
            for child in reversed(children):
                push(child)
        self.flush()


def _forced_removals(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> dict[int, str]:
    forced: dict[int, str] = {}
    for sel in selectors:
        kind = _guess_kind(sel)
        for node in _css(tree, sel):
            forced.setdefault(node.mem_id, kind)
    return forced


def extract_blocks(roots: list[LexborNode], forced: dict[int, str] | None = None,
                   r: Rules | None = None) -> tuple[list[Block], list[Removed]]:
    """The blocks of text under the container roots, and the elements left out as boilerplate."""
    walker = _Walker(forced or {}, roots, r or make_rules())
    walker.walk(roots)
    return walker.blocks, walker.removed


# ---------------------------------------------------------------------------------------------------
# Pagination
# ---------------------------------------------------------------------------------------------------
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
        if tail in ("all", "full", "semua", "lengkap"):
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


# ---------------------------------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------------------------------


_ID_STOPWORDS = frozenset({"yang", "dan", "di", "dengan", "untuk", "ini", "itu", "dari", "dalam", "tidak",
                           "akan", "pada", "juga", "ke", "karena", "bahwa", "oleh", "adalah", "kata", "saat"})
_TOKEN_RE = re.compile(r"\w+")


def _indonesian(meta: Meta, url: str | None, sample: str) -> bool:
    """Is this an Indonesian page (whose naive times are WIB)? Language tags, the host, then the words."""
    lang = (meta.html_lang or meta.first("og:locale", "content-language", "language") or "").lower()
    if lang.startswith(("id", "in")):
        return True
    host = (urlsplit(url).hostname or "") if url else ""
    if host.endswith(".id"):
        return True
    words = _TOKEN_RE.findall(sample[:3000].lower())
    if len(words) >= 20:
        return sum(map(_ID_STOPWORDS.__contains__, words)) >= 0.06 * len(words)
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
    meta = read_head(tree)
    r: Rules = make_rules(profile.promo_phrases if profile else (), profile.dateline if profile else None)

    art.canonical_url = find_canonical(meta, url)
    base = url or art.canonical_url
    headings = read_headings(tree) if not (profile and profile.title) else None   # else read when needed
    art.title = find_title(tree, meta, base, profile.title if profile else None, headings)
    art.section = find_section(tree, meta, art.title, text)
    art.lang = find_lang(meta)
    art.image = find_image(meta, base)

    roots = find_container(tree, profile.body if profile else None)
    region = _region(roots) or tree
    page = tree if region is not tree else None
    art.authors = find_authors(region, meta, page)     # near the article first, then the whole page
    art.tags = find_tags(region, meta, page)
    if not roots:
        art.published_at, art.modified_at = find_dates(tree, meta, _offset(meta, url, art.title or ""),
                                                       title=art.title, headings=headings, source=text)
        art.warnings.append(NO_BODY_WARNING)
        return art
    forced = _forced_removals(tree, profile.remove) if profile and profile.remove else {}
    blocks, removed = extract_blocks(roots, forced, r)
    kept, removed2 = clean_blocks(blocks, r, title=art.title)
    segments, dateline, removed3 = segment_blocks(kept, r)
    segments, removed = _gallery(segments, removed)
    art.segments = segments
    art.dateline = dateline
    art.removed = removed + removed2 + removed3
    art.next_pages = find_next_pages(tree, roots, base)
    art.published_at, art.modified_at = find_dates(tree, meta, _offset(meta, url, art.text), region, art.title,
                                                   headings, text)
    if not segments:
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
