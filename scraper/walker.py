"""The block walk: the container's elements turned into :class:`~scraper.clean.Block` objects.

The walk is iterative (an explicit stack, no recursion, so 100,000-deep markup is fine) and leaves out
boilerplate elements by tag and class (share bars, ads, related lists, captions, embeds, hidden text) and
the elements a profile's ``remove`` selectors name; each removal is kept as a
:class:`~scraper.article.Removed` with its kind. This is the parser's hot loop: one visit per node, local
names for everything it touches per node.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import headings, rules
from scraper.article import Removed
from scraper.clean import Block, Rules, line_kind, make_rules
from scraper.dom import link_len, norm_space, select, text_len

_ZERO_WIDTH = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\u200e": None,
                             "\u200f": None, "\ufeff": None, "\x00": None, "\u00ad": None})
_EXIT_BLOCK, _EXIT_LINK, _EXIT_BOLD, _EXIT_LIST = 0, 1, 2, 3


def _guess_kind(selector: str) -> str:
    """The removal kind of a profile's ``remove`` selector (:data:`scraper.rules.SELECTOR_KIND_RE`)."""
    s = selector.lower()
    for kind, rx in rules.SELECTOR_KIND_RE:
        if rx.search(s):
            return kind
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


def _revealable(attrs: dict[str, str | None]) -> bool:
    """A hidden element that the reader opens: an accordion's or a tab's panel (``role="region"`` or
    ``"tabpanel"``, labelled by its heading) or ``hidden="until-found"`` (shown by find-in-page). Its text is
    part of the page (FAQ answers, the steps of a guide), unlike a menu or a modal that is merely not shown."""
    if attrs.get("hidden") == "until-found":
        return True
    return attrs.get("role") in ("region", "tabpanel") and bool(attrs.get("aria-labelledby"))


#: The block kind of a block element (anything else is a "div").
_BLOCK_KIND = {"p": "p", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h5", "h6": "h6", "li": "li", "dt": "li", "dd": "li",
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
            printable = core.isprintable()
        else:
            # " ".join(s.split()) without the split when the stripped text is printable (no white space
            # but the ASCII space: str.isprintable excludes categories C and Z) with single spaces
            core = s.strip() if lead or trail else s
            printable = core.isprintable()
            if not printable or "  " in core:
                core = " ".join(core.split())
                printable = core.isprintable()
        if core and not printable:
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
            level = 0
            if kind[0] == "h" and len(kind) == 2:     # h2-h6: a heading of that level
                kind, level = "h", int(kind[1])
            b = Block(kind, text, self.links, min(self.link_chars, self.chars), self.bold_chars, self.chars,
                      self.lead_bold if self.lead_bold < len(text) else 0,
                      self.list_ids[-1] if kind == "li" else 0,
                      self.hrefs[0] if len(self.hrefs) == 1 else None, level)
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
            self._root_len = sum(text_len(root) for root in self.roots)
        return self._root_len

    def _boilerplate(self, node: LexborNode, tag: str, attrs: dict[str, str | None]) -> str | None:
        """The kind of boilerplate this element is, or None to walk into it."""
        if not attrs:
            return None
        if "hidden" in attrs or attrs.get("aria-hidden") == "true" and tag not in ("p", "div", "span"):
            if not _revealable(attrs):
                return ""
        style = attrs.get("style")
        if style and rules.HIDDEN_STYLE_RE.search(style) and not _revealable(attrs):
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
        if size > rules.NAV_PROSE_MIN and (kind == "nav" or kind == "embed" and not rules.EMBED_SERVICE_RE.search(
                cls + " " + ident)) and link_len(node) < rules.NAV_LINK_SHARE * size:
            # prose, not links or a player: a section whose anchor id says "toc_..." is no menu, a CMS's
            # "embed" block of a place or a product with its description is part of the article
            return None
        if size and size <= 300:
            # what the text says beats what the class says ("para_caption" holding "ADVERTISEMENT")
            said = line_kind(norm_space(node.text()), self.rules)
            if said in ("ad", "promo", "embed", "signoff"):
                return said
        elif kind in ("related", "share", "nav") and size and self.rules.promo_start.match(node.text()[:200].lstrip()):
            return "promo"
        return kind

    def _remove_tag(self, node: LexborNode, tag: str, kind: str) -> bool:
        """Leave out an element of :data:`scraper.rules.REMOVE_TAGS` (False: walk into it after all)."""
        if tag == "figure" and node.css_first("img, picture, video, iframe") is None and text_len(node) > 200:
            return False  # a figure that is really a text box (pull quote, table)
        self.flush()
        if tag == "figure":
            cap = node.css_first("figcaption")
            self.remove(node, kind, norm_space(cap.text(separator=" ")) if cap is not None else "")
        else:
            self.remove(node, kind)
        return True

    def _drop(self, node: LexborNode, kind: str) -> None:
        self.flush()
        self.remove(node, kind)

    def _remove_caption(self, node: LexborNode) -> None:
        self.flush()
        text = norm_space(node.text(separator=" "))
        self.remove(node, line_kind(text, self.rules) or "caption", text)

    def walk(self, roots: Iterable[LexborNode]) -> None:
        """Visit every node under the roots once, in document order (an explicit stack of nodes and of
        exit markers for the elements whose end matters)."""
        stack: list = []
        for r in reversed(list(roots)):
            stack += ((_EXIT_BLOCK, None), r, (-1, "div"))
        pop, push, extend = stack.pop, stack.append, stack.extend
        forced = self.forced
        block_tags = rules.BLOCK_TAGS
        drop = rules.DROP_TAGS
        remove_tags = rules.REMOVE_TAGS
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
                self._drop(node, forced[node.mem_id])
                continue
            rk = remove_tags.get(tag)
            if rk is not None and self._remove_tag(node, tag, rk):
                continue
            if tag == "br":
                if self.buf:
                    self.flush()
                continue
            attrs = node.attributes
            bk = self._boilerplate(node, tag, attrs) if attrs else None
            if bk is not None:
                self._drop(node, bk)
                continue
            if tag in _CAPTION_HOLDERS and _is_image_caption(node):
                self._remove_caption(node)
                continue
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
            extend(reversed(list(node.iter(include_text=True))))
        self.flush()


def forced_removals(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> dict[int, str]:
    forced: dict[int, str] = {}
    for sel in selectors:
        kind = _guess_kind(sel)
        for node in select(tree, sel):
            forced.setdefault(node.mem_id, kind)
    return forced


def extract_blocks(roots: list[LexborNode], forced: dict[int, str] | None = None,
                   r: Rules | None = None) -> tuple[list[Block], list[Removed]]:
    """The blocks of text under the container roots, and the elements left out as boilerplate."""
    rr = r or make_rules()
    walker = _Walker(forced or {}, roots, rr)
    walker.walk(roots)
    return drop_box_titles(walker.blocks, walker.removed, rr), walker.removed


def drop_box_titles(blocks: list[Block], removed: list[Removed], r: Rules) -> list[Block]:
    """Leave out the titles of boxes inside the container with the links under them
    (:func:`scraper.headings.box_title_kind`). Headings the block cleaner knows by their text
    (``Baca juga``, ``Berita Terkait``) are left to it, so their kind stays SPEC's."""
    heads = [i for i, b in enumerate(blocks) if headings.is_heading(b)]
    if not heads:
        return blocks
    drop: set[int] = set()
    for n, i in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(blocks)
        b = blocks[i]
        if line_kind(b.text, r) is not None:
            continue
        if headings.is_credit(b.text):
            drop.add(i)
            removed.append(Removed("caption", b.text))
            continue
        kind = headings.box_title_kind(blocks, i, end)
        if kind is None:
            continue
        drop.add(i)
        removed.append(Removed(kind, b.text))
        for k in range(i + 1, end):         # the links of the box (prose after them stays)
            if not headings.is_box_link(blocks[k]):
                break
            drop.add(k)
            removed.append(Removed(line_kind(blocks[k].text, r) or kind, blocks[k].text))
    return [b for i, b in enumerate(blocks) if i not in drop] if drop else blocks
