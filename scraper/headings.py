"""Which heading blocks are section headlines (pure; the phrases and limits live in :mod:`scraper.rules`).

A section headline is a heading inside the body flow (``h2``-``h6``, or a standalone short bold line) that
introduces the paragraphs after it. Not one:

* a widget or box title ("Related", "Baca juga", "Most read", "Newsletter", "Share", ... in any language:
  :data:`scraper.rules.WIDGET_TITLE_RE`), or any heading followed only by a list of links: the walker
  leaves those out with their box (:func:`box_title_kind`);
* a bold lead-in (the bold start of a longer paragraph is part of the paragraph, never a block of its own),
  a long or sentence-like bold paragraph, an image credit or a parenthesised caption;
* a heading with no paragraph after it (another heading follows): it stays as a line of text
  (:func:`headline_flags`); one at the very end is the label of something removed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scraper import rules

if TYPE_CHECKING:
    from scraper.clean import Block

_CAPTION_SHAPE_RE = re.compile(r"^\s*[(\[].*[)\]]\s*$|^\s*(?:photo|image|foto|gambar|credit|kredit|sumber)\b",
                               re.IGNORECASE)


def is_bold_line(b: Block) -> bool:
    """A standalone short bold paragraph that reads like a sub-headline, not a sentence (a short label
    ending in a colon, "Pros:", counts)."""
    if b.tag not in ("p", "div") or not b.bold_only or b.link_density > 0.5:
        return False
    t = b.text
    if len(t) > rules.BOLD_HEADLINE_MAX_CHARS or len(t) < 3:
        return False
    words = len(t.split())
    if words > rules.BOLD_HEADLINE_MAX_WORDS:
        return False
    if rules.SENTENCE_END_RE.search(t) and not (t[-1] in ":：" and words <= rules.BOLD_COLON_MAX_WORDS):
        return False
    return any(c.isalpha() for c in t)


def is_heading(b: Block) -> bool:
    """Does the block look like a heading at all (heading markup or a bold line)?"""
    return b.tag == "h" or is_bold_line(b)


def widget_kind(text: str) -> str | None:
    """The removal kind of a widget/box title ("Related", "Newsletter", ...), or None."""
    if len(text) > rules.WIDGET_TITLE_MAX:
        return None
    for kind, rx in rules.WIDGET_TITLE_RE:
        if rx.match(text):
            return kind
    return None


def is_credit(text: str) -> bool:
    """A photo credit standing as a heading or bold line (``Getty Images``, ``ANTARA FOTO/Asep F``)."""
    return len(text) <= rules.WIDGET_TITLE_MAX and rules.HEADING_CREDIT_RE.match(text) is not None


def is_box_link(b: Block) -> bool:
    """A line of a link box: mostly link text."""
    return b.link_density >= rules.BOX_LINK_DENSITY


def box_title_kind(blocks: list[Block], i: int, end: int) -> str | None:
    """The removal kind when heading ``blocks[i]`` is the title of a box (``blocks[i+1:end]`` is what
    follows it up to the next heading): a widget phrase, or a heading over a list of links (the prose after
    such a list is not the heading's: it goes on with the section before)."""
    kind = widget_kind(blocks[i].text)
    if kind is not None:
        return kind
    lead = 0                          # link lines right under the heading
    while i + 1 + lead < end and is_box_link(blocks[i + 1 + lead]):
        lead += 1
    if lead and (i + 1 + lead == end or all(blocks[k].tag == "li" for k in range(i + 1, i + 1 + lead))):
        return "related"
    return None


def opens_section(blocks: list[Block], i: int) -> bool:
    """Is the (linked) heading ``blocks[i]`` followed by prose rather than by a teaser or links? Linked
    headings of a related box carry at most a one-line teaser; a section's carry its paragraphs."""
    prose = 0
    for k in range(i + 1, min(len(blocks), i + 8)):
        b = blocks[k]
        if is_heading(b):
            break
        if b.link_density < 0.3:
            prose += len(b.text)
    return prose >= 2 * rules.SECTION_PROSE_MIN_CHARS


def _headline_text_ok(t: str) -> bool:
    if len(t) > rules.HEADLINE_MAX_CHARS or not any(c.isalpha() for c in t):
        return False
    return _CAPTION_SHAPE_RE.match(t) is None


def headline_flags(blocks: list[Block]) -> list[bool]:
    """Per kept block: does it open a segment as its headline? A heading followed directly by another
    heading that is not its sub-heading (an ``h3`` under an ``h2``) introduces no paragraph and stays a line
    of text; the last block, when a heading, keeps its flag
    (the segmenter removes a trailing headline as the label of something removed). A bold ``div`` line
    (not a ``p``) is a headline only over a paragraph of some length."""
    looks = [is_heading(b) and _headline_text_ok(b.text) for b in blocks]
    heads = list(looks)
    n = len(blocks)
    for i in range(n - 1):
        if looks[i] and looks[i + 1] and _rank(blocks[i + 1]) <= _rank(blocks[i]):
            heads[i] = False
        elif looks[i] and blocks[i].tag == "div" and len(blocks[i + 1].text) < rules.BOLD_DIV_NEXT_MIN_CHARS:
            heads[i] = False      # a bold div over a short line: a label of the page's furniture
    return heads


def _rank(b: Block) -> int:
    """How deep a heading sits: its h level, a bold line below every h level."""
    return b.level or 7
