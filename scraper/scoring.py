"""Container scoring: every paragraph votes for its ancestors (readability's scoring), in one pass.

:func:`score_paragraphs` returns a :class:`NodeInfo` per element that received votes: its readability
score, the characters and number of paragraphs below it, and its place in the tree, which
:mod:`scraper.container` uses to pick the article's container.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from selectolax.lexbor import LexborNode

from scraper import rules
from scraper.dom import para_link_len

#: How a paragraph votes: (the element it votes for, its points, its length).
Vote = Callable[[LexborNode | None, float, int], None]


class NodeInfo:
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
        self.up: NodeInfo | None = None     # the parent element's info (once a walk has passed through)
        self.height = 0                      # elements from here to the top of the document
        self.own_para = 0                    # votes cast for this element itself (para/count sum these up)
        self.own_count = 0


@functools.lru_cache(maxsize=8192)
def _unlikely(cls: str, ident: str) -> bool:
    """Readability's "unlikely candidate": comments, sidebars, footers, menus (unless it also says content)."""
    key = cls + " " + ident
    return rules.UNLIKELY_CLASS_RE.search(key) is not None and rules.MAYBE_CLASS_RE.search(key) is None


_TAG_BASE = {"div": 5.0, "article": 8.0, "main": 5.0, "section": 3.0, "td": 3.0, "blockquote": 3.0,
             "pre": 3.0, "form": -3.0, "ul": -3.0, "ol": -3.0, "li": -3.0, "dl": -3.0, "th": -5.0,
             "header": -5.0, "footer": -8.0, "aside": -8.0, "nav": -10.0, "p": 0.0}


def class_weight(info: NodeInfo) -> float:
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


def score_paragraphs(body: LexborNode) -> dict[int, NodeInfo]:
    """One pass over the paragraphs: each votes for its ancestors (readability) and adds its length to
    every ancestor's paragraph total."""
    infos: dict[int, NodeInfo] = {}
    chains: dict[int, list[NodeInfo] | None] = {}     # start element -> its ancestors (None: silenced)
    # element -> (a complete chain, where the element sits in it): the walk up from a new paragraph stops at
    # the first element whose way to the top is already known
    known: dict[int, tuple[list[NodeInfo], int]] = {}
    depth = rules.UNLIKELY_DEPTH

    def chain_of(start: LexborNode) -> list[NodeInfo] | None:
        key0 = start.mem_id
        if key0 in chains:
            return chains[key0]
        walked: list[NodeInfo] = []
        keys: list[int] = []
        rest: list[NodeInfo] = []
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
                info = NodeInfo(cur)
                info.score = _TAG_BASE.get(info.tag, 0.0) + class_weight(info)
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

    _vote_paragraphs(body, vote)
    _sum_votes(infos)
    if not infos or max(i.para for i in infos.values()) < rules.MIN_PARAGRAPH_TEXT:
        _score_text_nodes(body, vote)
        _sum_votes(infos)
    return infos


def _vote_paragraphs(body: LexborNode, vote: Vote) -> None:
    """Each paragraph (``<p>``, ``<pre>``, a text run split by ``<br>``) long enough votes for its holder."""
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
        if ln < 400 and para_link_len(p) > ln * 0.5:
            continue
        vote(p.parent, 1 + text.count(",") + min(ln / 100, 3.0), ln)


def _sum_votes(infos: dict[int, NodeInfo]) -> None:
    """Each element's paragraph text and count: its own votes plus those of the elements below it."""
    for info in infos.values():
        info.para = info.own_para
        info.count = info.own_count
    for info in sorted(infos.values(), key=lambda i: -i.height):     # the deepest first
        up = info.up
        if up is not None and (info.para or info.count):
            up.para += info.para
            up.count += info.count


def _score_text_nodes(body: LexborNode, vote: Vote) -> None:
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
