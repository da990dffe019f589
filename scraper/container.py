"""The article's container: the element(s) holding the text, chosen from the paragraphs' votes.

Among the voted-for elements a known container of :data:`scraper.rules.CONTAINER_SELECTORS` wins when it
holds enough of the text (several of them when the article is split into sibling boxes), else the
best-scoring element, widened to a split body and narrowed to its text-holding child. The selectors are
matched in Python against the ancestors of the paragraphs (a tiny matcher for tag, ``#id``, ``.class``,
``[attr=value]`` and descendant chains) instead of running dozens of selectors over the whole document.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import rules
from scraper.dom import link_len, outermost, para_link_len, select, text_len
from scraper.scoring import NodeInfo, class_weight, score_paragraphs

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


def _compound_ok(info: NodeInfo, c: _Compound) -> bool:
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


def _selector_rank(info: NodeInfo, infos: dict[int, NodeInfo] | None = None) -> int:
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
            if _compound_ok(up if up is not None else NodeInfo(cur), chain[k]):
                k -= 1
            cur = cur.parent
            hops += 1
        if k < 0:
            return i
    return 1 << 30


def _looks_boilerplate(info: NodeInfo) -> bool:
    key = " ".join(info.classes) + " " + (info.ident or "")
    return bool(key.strip()) and rules.BOILERPLATE_ANY_RE.search(key) is not None


def _tighten(info: NodeInfo, infos: dict[int, NodeInfo]) -> NodeInfo:
    """Descend into the one child that holds nearly all of the chosen element's paragraph text."""
    cur = info
    for _ in range(6):
        best_child: NodeInfo | None = None
        for child in cur.node.iter():
            ci = infos.get(child.mem_id)
            if ci is not None and (best_child is None or ci.para > best_child.para):
                best_child = ci
        if best_child is None or best_child.para < rules.TIGHTEN_SHARE * cur.para \
                or best_child.tag in ("p", "li", "ul", "ol", "table", "tbody", "tr", "blockquote"):
            break
        cur = best_child
    return cur


def _siblings_of(best: NodeInfo, infos: dict[int, NodeInfo], best_score: float) -> list[LexborNode]:
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
        if info is not None and class_weight(info) >= 0 and not _looks_boilerplate(info):
            bonus = best_score * 0.2 if best.classes and info.classes == best.classes else 0.0
            if info.score + bonus >= threshold:
                total = len(sib.text())
                if total and link_len(sib) / total < 0.33:
                    roots.append(sib)
                    continue
        if sib.tag == "p":
            text = sib.text().strip()
            ln = len(text)
            if not ln:
                continue
            ld = para_link_len(sib) / ln
            if (ln > 80 and ld < 0.25) or (ln <= 80 and ld == 0 and text.endswith(".")):
                roots.append(sib)
    return roots or [node]


def _pick_container(infos: dict[int, NodeInfo]) -> list[LexborNode] | None:
    if not infos:
        return None
    return _known_pick(infos) or _density_pick(infos)


def _known_pick(infos: dict[int, NodeInfo]) -> list[LexborNode] | None:
    """Step 1: a known container among the ancestors of the paragraphs."""
    total = max(i.para for i in infos.values())
    best: NodeInfo | None = None
    best_rank = 1 << 30
    floor = max(rules.MIN_CONTAINER_TEXT, 0.25 * total)
    known: list[tuple[int, NodeInfo]] = []
    for info in infos.values():
        if info.para < rules.MIN_CONTAINER_TEXT or info.tag in ("body", "html"):
            continue
        rank = _selector_rank(info, infos)
        known.append((rank, info))
        if info.para < floor:
            continue
        if rank < best_rank or (rank == best_rank and best is not None and info.para > best.para):
            best, best_rank = info, rank
    if best is None or best_rank >= (1 << 30):
        return None
    chain = _CONTAINER_CHAINS[best_rank][-1]
    splittable = bool(chain.classes or chain.ident)      # several <article>s are several posts
    if not splittable:
        # of several <article>s, the one with the headline in it is the page's own
        titled = [i for r, i in known if r == best_rank and i.node.css_first("h1") is not None]
        if titled:
            best = max(titled, key=lambda i: i.para)
    ranks = {id(i): r for r, i in known}

    def rank_of(i: NodeInfo) -> int:
        r = ranks.get(id(i))
        return r if r is not None else _selector_rank(i, infos)

    same = [i for i in infos.values() if splittable and i is not best and i.para >= 80
            and rank_of(i) == best_rank and _near(i.node, best.node)]
    if same:
        nodes = [best.node] + [i.node for i in same]
        return _in_document_order(outermost(nodes))
    return [best.node]


def _density_pick(infos: dict[int, NodeInfo]) -> list[LexborNode] | None:
    """Step 2: text density (readability's candidate with the best link-discounted score)."""
    ranked = heapq.nlargest(6, infos.values(), key=lambda i: i.score)
    top: NodeInfo | None = None
    top_score = float("-inf")
    for info in ranked:
        # the link penalty only lowers a positive score (and lifts a negative one at most to 0): a candidate
        # whose bound does not beat the best so far is not measured (its text and links cost a scan each)
        if max(info.score, 0.0) <= top_score:
            continue
        length = len(info.node.text())
        if not length:
            continue
        final = info.score * (1 - min(1.0, link_len(info.node) / length))
        if final > top_score:
            top, top_score = info, final
    if top is None or top_score <= 0:
        return None
    top = _widen(top, infos)
    roots = _siblings_of(top, infos, top_score)
    if len(roots) == 1:
        return [_tighten(top, infos).node]
    return roots


def _widen(top: NodeInfo, infos: dict[int, NodeInfo]) -> NodeInfo:
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
            if total and link_len(node) / total < rules.WIDEN_MAX_LINK_DENSITY:
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
        scored = [(text_len(n), n) for n in outermost(list(matches))]
        best_len, best = max(scored, key=lambda x: x[0])
        if best_len >= rules.MIN_CONTAINER_TEXT:
            return [best]
    return None


class Candidates:
    """The chosen container and, computed only when asked (:meth:`rivals`), the other elements that could
    hold the article: what :mod:`scraper.body` compares when the chosen one yields a poor text."""

    def __init__(self, tree: LexborHTMLParser, primary: list[LexborNode],
                 infos: dict[int, NodeInfo] | None = None, known: bool = False, trusted: bool = False) -> None:
        self.tree = tree
        self.primary = primary
        self.trusted = trusted       # a source profile's body selector chose it: no rival replaces its text
        self.infos = infos or {}
        self._known = known          # the primary came from a known container selector

    @property
    def page_text(self) -> int:
        """Characters of all the paragraphs that voted (the page's paragraph text)."""
        return max((i.para for i in self.infos.values()), default=0)

    def rivals(self) -> list[tuple[list[LexborNode], int, str]]:
        """Other containers with their raw size (paragraph or text characters), largest first: the other
        step's pick, the page's ``<article>`` / ``[itemprop=articleBody]`` elements, and the element that
        holds most of the page's paragraphs; each with its size and kind (``"step"``, the selector, or
        ``"holder"``)."""
        seen = {n.mem_id for n in self.primary}
        out: list[tuple[list[LexborNode], int, str]] = []

        def add(nodes: list[LexborNode] | None, kind: str) -> None:
            if not nodes or any(n.mem_id in seen for n in nodes):
                return
            seen.update(n.mem_id for n in nodes)
            size = 0
            for n in nodes:
                info = self.infos.get(n.mem_id)
                size += max(info.para if info is not None else 0, text_len(n))
            if size >= (1 if kind in rules.RIVAL_CONTAINER_SELECTORS else rules.MIN_CONTAINER_TEXT // 4):
                out.append((nodes, size, kind))      # (an <article> with any text is a body)

        if self.infos:
            add(_density_pick(self.infos) if self._known else _known_pick(self.infos), "step")
        for sel in rules.RIVAL_CONTAINER_SELECTORS:
            found = outermost(select(self.tree, sel))[:rules.RIVAL_MAX_PER_SELECTOR]
            for node in sorted(found, key=text_len, reverse=True)[:2]:
                add([node], sel)
        holder = _paragraph_holder(self.infos)
        if holder is not None:
            add([holder.node], "holder")
        out.sort(key=lambda x: -x[1])
        return out


def _paragraph_holder(infos: dict[int, NodeInfo]) -> NodeInfo | None:
    """The deepest element below ``<body>`` holding :data:`rules.HOLDER_SHARE` of the paragraph text."""
    if not infos:
        return None
    total = max(i.para for i in infos.values())
    best: NodeInfo | None = None
    for info in infos.values():
        if info.tag in ("body", "html") or info.para < rules.HOLDER_SHARE * total or info.unlikely:
            continue
        if best is None or info.height > best.height:
            best = info
    if best is not None and _looks_boilerplate(best):
        return None
    return best


def find_candidates(tree: LexborHTMLParser, body_selector: str | None = None) -> Candidates:
    """:func:`find_container`'s choice with what it was chosen from (a profile's selector has no rivals)."""
    if body_selector:
        found = outermost([n for n in select(tree, body_selector) if text_len(n) > 0])
        if found:
            return Candidates(tree, found, trusted=True)
    body = tree.body
    if body is None:
        return Candidates(tree, [])
    infos = score_paragraphs(body)
    if infos:
        known = _known_pick(infos)
        if known:
            return Candidates(tree, known, infos, known=True)
        density = _density_pick(infos)
        if density:
            return Candidates(tree, density, infos)
    return Candidates(tree, _known_container_slow(tree) or [], infos)


def find_container(tree: LexborHTMLParser, body_selector: str | None = None) -> list[LexborNode]:
    """The element(s) holding the article text, in document order (empty when nothing fits)."""
    return find_candidates(tree, body_selector).primary
