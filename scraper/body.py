"""The article body, chosen so that it fails safe: the container's text, or a better rival's.

:func:`choose_body` extracts the chosen container (:class:`scraper.container.Candidates`) first. Only when
that text is poor (a consent, cookie or paywall notice; short; or a small part of the page's paragraph
text) are the rivals extracted too (the other container step's pick, the page's ``<article>`` and
``[itemprop=articleBody]`` elements, the element holding most paragraphs) and compared by content
quality: a rival replaces the chosen text when it carries clearly more article text
(:data:`scraper.rules.RIVAL_GAIN`). The JSON-LD ``articleBody`` comes last, its lines as paragraphs.
In the spirit of trafilatura, which compares its own result with its readability and jusText fallbacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

from scraper import rules
from scraper.article import Removed, Segment
from scraper.clean import Block, Rules, clean_blocks, segment_blocks
from scraper.container import Candidates, find_candidates
from scraper.dom import ancestor_ids

_TAG_RE = re.compile(r"<[^<>]{0,2000}>")
_BREAK_RE = re.compile(r"<(?:br|/p|/div|/h[1-6]|/li|/blockquote)\b[^<>]{0,200}>", re.IGNORECASE)
_ENTITY = {"&nbsp;": " ", "&amp;": "&", "&quot;": '"', "&#39;": "'", "&lt;": "<", "&gt;": ">"}
_ENTITY_RE = re.compile("|".join(map(re.escape, _ENTITY)))


@dataclass
class Body:
    """One candidate's extracted text: its segments, dateline and removals, and where it came from."""

    segments: list[Segment] = field(default_factory=list)
    dateline: str | None = None
    removed: list[Removed] = field(default_factory=list)
    roots: list[LexborNode] = field(default_factory=list)
    source: str = "container"      # "container", "rival" or "json-ld"

    @property
    def chars(self) -> int:
        return sum(len(p) for s in self.segments for p in s.paragraphs) + sum(
            len(s.headline) for s in self.segments if s.headline)


#: Extracts one candidate (its roots) into a Body.
Extract = Callable[[list[LexborNode]], Body]


def is_overlay(body: Body) -> bool:
    """A consent, cookie, CCPA or paywall notice rather than an article: short text whose paragraphs are
    mostly about cookies, consent, personal data or subscribing (:data:`scraper.rules.OVERLAY_RE`)."""
    chars = body.chars
    if not chars or chars > rules.OVERLAY_MAX_TEXT:
        return False
    paras = [p for s in body.segments for p in ([s.headline] if s.headline else []) + s.paragraphs]
    low = " " + "\n".join(paras).lower()
    if not any(stem in low for stem in rules.OVERLAY_STEMS):
        return False            # (substring tests first: the pattern costs a scan per paragraph)
    hit = sum(len(p) for p in paras if rules.OVERLAY_RE.search(p))
    return hit >= rules.OVERLAY_SHARE * chars


def quality(body: Body) -> int:
    """Content quality of an extracted body: its characters of text, without the teaser excerpts (paragraphs
    cut off with an ellipsis, as in a list of related posts); none for an overlay."""
    if is_overlay(body):
        return 0
    teaser = sum(len(p) for s in body.segments for p in s.paragraphs if p.endswith(rules.TEASER_ENDINGS))
    return body.chars - teaser


def caption_share(roots: list[LexborNode]) -> float:
    """Share of the paragraphs' characters under ``roots`` that sit right after a picture: a gallery's
    caption strip when most of them do."""
    total = under = 0
    for root in roots:
        for p in root.css("p")[:rules.CAPTION_STRIP_SCAN]:
            n = len(p.text(deep=True).strip())
            total += n
            prev = p.prev
            while prev is not None and prev.tag == "-text" and not (prev.text_content or "").strip():
                prev = prev.prev
            if prev is None or prev.tag is None:
                continue
            if prev.tag in ("img", "picture", "figure") or (
                    prev.tag in ("div", "a", "span") and not prev.text().strip()
                    and prev.css_first("img, picture") is not None):
                under += n
    return under / total if total else 0.0


def _weak(q: int, page_text: int) -> bool:
    return q < rules.RIVAL_WEAK_TEXT or q * rules.RIVAL_GAIN < page_text


def ld_paragraphs(article_body: object) -> list[str]:
    """JSON-LD ``articleBody`` as paragraphs: split on newlines (and on ``<p>``/``<br>`` when it is HTML)."""
    if not isinstance(article_body, str):
        return []
    text = article_body[:rules.LD_BODY_MAX]
    if "<" in text:
        text = _TAG_RE.sub("", _BREAK_RE.sub("\n", text))
    if "&" in text:
        text = _ENTITY_RE.sub(lambda m: _ENTITY[m.group(0)], text)
    return [line for line in (" ".join(x.split()) for x in text.splitlines()) if line]


def ld_body(article_body: object, r: Rules, title: str | None) -> Body:
    """The JSON-LD body cleaned like any other: promo lines, datelines and sign-offs out."""
    blocks = [Block("p", p, chars=len(p) - p.count(" ")) for p in ld_paragraphs(article_body)]
    if not blocks:
        return Body(source="json-ld")
    kept, removed = clean_blocks(blocks, r, title=title)
    segments, dateline, removed2 = segment_blocks(kept, r)
    return Body(segments, dateline, removed + removed2, [], "json-ld")


def _without_overlay(cands: Candidates, extract: Extract, overlay: Body) -> tuple[Candidates, Body]:
    """The container chosen again with the overlay's elements out of the tree (its text no longer votes);
    the overlay's own text stays the answer only when nothing else is found."""
    for node in cands.primary:
        node.decompose()
    again = find_candidates(cands.tree)
    body = extract(again.primary) if again.primary else Body()
    if not body.segments:
        body = Body(overlay.segments, overlay.dateline, overlay.removed, again.primary)
    return again, body


def choose_body(cands: Candidates, extract: Extract, article_body: object, r: Rules,
                title: str | None) -> Body:
    """The best body of the page (see the module docstring); the chosen container's when it is good."""
    best = extract(cands.primary) if cands.primary else Body()
    if cands.trusted and best.segments:
        return best
    if cands.primary and cands.infos and all(n.tag not in ("body", "html") for n in cands.primary) \
            and is_overlay(best):
        cands, best = _without_overlay(cands, extract, best)
    best_q = quality(best)
    if best_q and not _weak(best_q, cands.page_text):
        return best
    if best_q and caption_share(cands.primary) >= rules.CAPTION_STRIP_SHARE:
        best_q //= 2            # a strip of captions: its text counts half against a rival's prose
    primary_q = best_q
    above = set().union(*(ancestor_ids(n) for n in cands.primary))
    for roots, size, _kind in cands.rivals():
        if size < rules.RIVAL_GAIN * best_q:
            break                   # (largest first: no smaller rival can win either)
        gain = rules.RIVAL_GAIN
        if any(n.mem_id in above for n in roots):
            # an element around the chosen one has all its text and more (a sidebar's, related posts'):
            # a rival only of a short text, and only with more of a gain
            if primary_q >= rules.HOLDER_WEAK_TEXT:
                continue
            gain = rules.ENCLOSING_GAIN
        body = extract(roots)
        q = quality(body)
        if q > best_q and (q >= gain * primary_q + rules.RIVAL_MIN_GAIN or not best.segments):
            body.source = "rival"
            best, best_q = body, q
    if article_body:
        ld = ld_body(article_body, r, title)
        q = quality(ld)
        if q and (q >= rules.RIVAL_GAIN * best_q + rules.RIVAL_MIN_GAIN or not best.segments):
            ld.roots = best.roots or cands.primary
            return ld
    return best
