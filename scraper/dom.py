"""Small helpers over the Lexbor tree shared by the parser's steps (container, walker, pages, metadata).

Each is called at most a few times per element or per page; none walks the document more than once.
"""

from __future__ import annotations

import itertools
import logging
import re

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


STREAMED_MAX = 500              # streamed segments put in place per page (a hostile page may have more)
STREAMED_SIBLINGS = 200         # siblings scanned for a fallback's end
_STREAM_CALL_RE = re.compile(r'\$R([CS])\("([BPS]:[0-9A-Za-z]{1,12})","([BPS]:[0-9A-Za-z]{1,12})"')


def place_streamed(tree: LexborHTMLParser, page: str) -> int:
    """React's streamed server rendering, put where a browser shows it. A part that was not ready when the
    page's shell was sent arrives later as ``<div hidden id="S:n">`` at the end of the body, and the page's
    script moves its content into the shell: ``$RC("B:n","S:n")`` to a Suspense boundary's
    ``<template id="B:n">``, replacing the fallback ("Loading...") up to the boundary's end comment
    ``<!--/$-->``; ``$RS("S:n","P:n")`` to a placeholder ``<template id="P:n">``. Without this the article
    of such a page is hidden text. The calls in ``page`` say which part goes where; without them (a saved
    page whose scripts were removed) ``S:n`` goes to ``B:n``, else ``P:n``. The caller tests for ``id="S:``
    in the page first. Returns the parts placed.

    Parts are placed last first: a placeholder inside a part belongs to a part sent after it, so the inner
    part is in place before the outer one is moved (a copy of its content, the original removed)."""
    targets: dict[str, str] = {}
    if "$R" in page:
        for kind, first, second in (m.groups() for m in itertools.islice(_STREAM_CALL_RE.finditer(page), STREAMED_MAX)):
            part, target = (second, first) if kind == "C" else (first, second)
            targets.setdefault(part, target)
    templates: dict[str | None, LexborNode] = {}
    for t in tree.css("template[id]")[:4 * STREAMED_MAX]:
        ident = t.attributes.get("id") or ""
        if ident[:2] in ("B:", "P:"):
            templates.setdefault(ident, t)
    placed = 0
    for part in reversed(tree.css("div[hidden][id^='S:']")[:STREAMED_MAX]):
        ident = part.attributes.get("id") or ""
        target = targets.get(ident)
        if target is None:
            target = "B:" + ident[2:] if "B:" + ident[2:] in templates else "P:" + ident[2:]
        template = templates.pop(target, None)
        if template is None:
            continue
        if target.startswith("B:"):
            _drop_fallback(template)
        for child in part.iter(include_text=True):
            template.insert_before(child)
        for inner in part.css("template[id]"):      # removed with the part: no longer targets
            templates.pop(inner.attributes.get("id"), None)
        template.decompose()
        part.decompose()
        placed += 1
    return placed


def _drop_fallback(template: LexborNode) -> None:
    """The fallback after a streamed part's placeholder, up to the boundary's end comment (none when the
    comments are not there: then nothing is removed)."""
    fallback: list[LexborNode] = []
    depth = 0
    node = template.next
    for _ in range(STREAMED_SIBLINGS):
        if node is None:
            return
        if node.tag == "-comment":
            mark = (node.html or "")[4:-3].strip()
            if mark.startswith("$"):
                depth += 1
            elif mark == "/$":
                if depth == 0:
                    for n in fallback:
                        n.decompose()
                    return
                depth -= 1
        fallback.append(node)
        node = node.next
