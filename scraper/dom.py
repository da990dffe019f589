"""Small helpers over the Lexbor tree shared by the parser's steps (container, walker, pages, metadata).

Each is called at most a few times per element or per page; none walks the document more than once.
"""

from __future__ import annotations

import logging

from selectolax.lexbor import LexborHTMLParser, LexborNode

from storage.util import squash_spaces

log = logging.getLogger(__name__)


def norm_space(text: str | None) -> str:
    """``" ".join(text.split())`` (:func:`storage.util.squash_spaces`); "" for None."""
    return squash_spaces(text) if text else ""


def select(node: LexborNode | LexborHTMLParser, selector: str) -> list[LexborNode]:
    """``node.css(selector)`` as a list; an invalid selector (from a profile) finds nothing."""
    try:
        return list(node.css(selector))
    except Exception:  # an invalid selector from a profile
        log.debug("invalid selector %r", selector)
        return []


def ancestor_ids(node: LexborNode, limit: int = 200) -> set[int]:
    out = set()
    cur = node.parent
    while cur is not None and limit > 0:
        out.add(cur.mem_id)
        cur = cur.parent
        limit -= 1
    return out


def outermost(nodes: list[LexborNode]) -> list[LexborNode]:
    """Drop nodes nested inside other nodes of the list (document order kept)."""
    if len(nodes) <= 1:
        return nodes
    ids = {n.mem_id for n in nodes}
    return [n for n in nodes if not (ancestor_ids(n) & ids)]


def text_len(node: LexborNode) -> int:
    return len(node.text().strip())


def link_len(node: LexborNode) -> int:
    return sum(len(a.text()) for a in node.css("a"))


def para_link_len(p: LexborNode) -> int:
    """link_len of a paragraph: its few elements walked in Python cost less than a selector search."""
    return sum(len(a.text()) for a in p.traverse() if a.tag == "a")
