"""Promo, ad, dateline and sign-off removal over blocks of text (pure; the rules live in :mod:`rules`).

A *block* is one paragraph, list item, headline or table row as the walker in :mod:`scraper.walker` found it,
with its whitespace-normalised text and a few facts about its markup (link and bold coverage, tag). Every
decision here is taken per block, never by a regex over the joined article, and every removal is returned
as a :class:`~scraper.article.Removed` with its kind.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field

from scraper import headings, rules
from scraper.article import Removed, Segment


@dataclass(slots=True)
class Block:
    """One block of body text and what its markup said about it."""

    tag: str                     # "p", "h" (h2-h6), "li", "quote", "pre", "row", "div"
    text: str                    # whitespace-normalised
    links: list[tuple[int, int]] = field(default_factory=list)   # link spans in ``text``
    link_chars: int = 0
    bold_chars: int = 0
    chars: int = 0               # non-space characters
    lead_bold: int = 0           # end offset of a bold run that opens the block (0: none)
    list_id: int = 0             # the enclosing list (li blocks of one <ul> share it)
    href: str | None = None      # the only link of a block that is one link
    level: int = 0               # 2-6 for an h2-h6 heading

    @property
    def link_density(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0

    @property
    def bold_only(self) -> bool:
        return self.chars > 0 and self.bold_chars >= self.chars


@dataclass(frozen=True)
class Rules:
    """The block rules in force for one parse: the built-ins plus a source profile's additions."""

    promo_start: re.Pattern[str]
    dateline: re.Pattern[str] | None


#: A profile's dateline pattern (config, possibly backtracking) only ever sees a paragraph's first
#: characters: a dateline is short (DATELINE_MAX_CHARS) and remote text cannot feed it megabytes.
DATELINE_SPAN = 200


@functools.lru_cache(maxsize=64)
def make_rules(promo_phrases: tuple[str, ...] = (), dateline: str | None = None) -> Rules:
    """Compile the built-in rules with a profile's extra promo phrases and dateline regex."""
    promo = rules.PROMO_START_RE
    if promo_phrases:
        extra = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in promo_phrases if p.strip())
        if extra:
            promo = re.compile(r"^[\s\W_]{0,3}(?:" + rules.PROMO_BODY + "|" + extra + r")", re.IGNORECASE)
    dl = None
    if dateline:
        try:
            dl = re.compile(dateline)
        except re.error:
            dl = None
    return Rules(promo_start=promo, dateline=dl)


DEFAULT_RULES = make_rules()

# ---------------------------------------------------------------------------------------------------
# Single-line classification
# ---------------------------------------------------------------------------------------------------


#: line_kind answers remembered (a page asks it of one block several times, a site repeats its labels,
#: menus and sign-offs on every page): blocks up to KIND_CACHE_LEN characters, at most KIND_CACHE_SIZE
#: answers (then forgotten all at once), keyed by the text and the promo pattern (all line_kind reads of
#: the rules).
KIND_CACHE_LEN = 360
KIND_CACHE_SIZE = 2048
_kinds: dict[tuple[str, str, int], str | None] = {}
_UNKNOWN = object()


def line_kind(text: str, r: Rules = DEFAULT_RULES) -> str | None:
    """The boilerplate kind of a whole block by its text alone, or None for (possible) content."""
    if len(text) > KIND_CACHE_LEN:
        return _line_kind(text, r)
    promo = r.promo_start
    key = (text, promo.pattern, promo.flags)
    kind = _kinds.get(key, _UNKNOWN)
    if kind is _UNKNOWN:
        kind = _line_kind(text, r)
        if len(_kinds) >= KIND_CACHE_SIZE:
            _kinds.clear()
        _kinds[key] = kind
    return kind  # type: ignore[return-value]


def _line_kind(text: str, r: Rules) -> str | None:
    n = len(text)
    if n == 0:
        return None
    if n <= rules.AD_LINE_MAX and rules.AD_LINE_RE.match(text):
        return "ad"
    if rules.EMBED_LINE_RE.match(text):
        return "embed"
    if r.promo_start.match(text):
        return "promo"
    if n <= rules.RELATED_LINE_MAX and rules.RELATED_LINE_RE.match(text):
        return "related"
    if n <= rules.SIGNOFF_LINE_MAX and rules.SIGNOFF_LINE_RE.match(text):
        return "signoff"
    if n <= rules.DATE_LINE_MAX and is_date_line(text):
        return "signoff"
    if n <= rules.SHARE_LINE_MAX and rules.SHARE_LINE_RE.match(text):
        return "share"
    if n <= rules.NAV_LINE_MAX and rules.NAV_LINE_RE.match(text):
        return "nav"
    if n <= rules.CAPTION_MAX and (rules.CAPTION_LINE_RE.match(text) or (
            ")" in text[-3:] and rules.CAPTION_CREDIT_RE.search(text, max(0, n - rules.CAPTION_CREDIT_TAIL)))):
        return "caption"
    return None


_WORDS_RE = re.compile(r"[^\W\d_]+")


def is_date_line(text: str) -> bool:
    """A short byline/date line: a date (with a time or a weekday) and at most a name beside it."""
    m = rules.INDO_DATE_RE.search(text) or rules.NUMERIC_DATE_RE.search(text)
    if m is None:
        return False
    if m.re is rules.INDO_DATE_RE and m.group("m").lower().rstrip(".") not in rules.MONTHS:
        return False
    if not (m.group("H") or rules.WEEKDAY_RE.search(text)):
        return False
    rest = rules.WEEKDAY_RE.sub(" ", text[:m.start()] + " " + text[m.end():])
    words = [w for w in _WORDS_RE.findall(rest) if w.lower() not in ("wib", "wita", "wit", "pukul", "jam",
                                                                     "updated", "diperbarui", "published",
                                                                     "dipublikasikan", "oleh", "by")]
    return len(words) <= rules.DATE_LINE_WORDS_LEFT


# ---------------------------------------------------------------------------------------------------
# Datelines
# ---------------------------------------------------------------------------------------------------
_AGENCY_RE = re.compile(r"\([^)]*\)")
_SEPARATOR_CHARS = " \t-–—‒―|:：/,.»›>•·~"
_PART_SPLIT_RE = re.compile(r"\s*[,/]\s*")


def _dateline_ok(dl: str, sep: str) -> bool:
    """Does this prefix look like a city/brand dateline rather than the start of a sentence?"""
    if len(dl) > rules.DATELINE_MAX_CHARS or len(dl.split()) > rules.DATELINE_MAX_WORDS:
        return False
    if rules.BRAND_DOMAIN_RE.search(dl) or "(" in dl:
        return True
    parts = [p for p in _PART_SPLIT_RE.split(_AGENCY_RE.sub("", dl)) if p]
    if not parts:
        return False
    known = [p.lower() in rules.KNOWN_CITIES or p.lower() in rules.KNOWN_BRANDS for p in parts]
    caps = [sum(c.isalpha() for c in p) >= 2 and p.upper() == p for p in parts]
    digit_brand = [any(c.isdigit() for c in p) and any(c.isalpha() for c in p) and " " not in p for p in parts]
    colon = ":" in sep or "：" in sep
    glued_hyphen = sep == "-"
    if len(parts) >= 2:
        return any(known) or any(caps) or any(digit_brand)
    if known[0] or digit_brand[0]:
        return True
    if caps[0]:
        return not colon or sum(c.isalpha() for c in parts[0]) >= 5
    words = parts[0].split()
    if not colon and 2 <= len(words) <= 3 and len(words[0]) >= 2 and words[0].isupper() and words[0].isalpha():
        return True       # "VIVA Nasional –", "PR Bekasi -": a capitalised brand and its desk
    if colon:
        return False
    if glued_hyphen:
        return False
    # one title-case word before a dash: "Portalkota—", "Jakarta -"
    return " " not in parts[0] and parts[0][:1].isupper()


def strip_dateline(text: str, r: Rules = DEFAULT_RULES) -> tuple[str, str | None, str | None]:
    """Split a leading dateline off a paragraph: (rest, dateline without separator, removed prefix)."""
    if r.dateline is not None:
        m = r.dateline.match(text[:DATELINE_SPAN])
        if m and m.end() > 0:
            prefix = m.group(0)
            dl = prefix.strip().rstrip(_SEPARATOR_CHARS).strip()
            if dl:
                return text[m.end():].lstrip(), dl, prefix.strip()
    m2 = rules.DATELINE_RE.match(text)
    if not m2:
        return text, None, None
    dl, sep = m2.group("dl").strip(), m2.group("sep")
    if not _dateline_ok(dl, sep.strip() or sep):
        return text, None, None
    return text[m2.end():].lstrip(), dl, text[:m2.end()].strip()


def _strong_dateline(text: str, r: Rules) -> tuple[str, str | None, str | None]:
    """A dateline that cannot be the start of a sentence, anywhere in the body: the profile's pattern, or a
    domain-shaped brand before a dash (``KOMPAS.com -``)."""
    if r.dateline is not None:
        m = r.dateline.match(text[:DATELINE_SPAN])
        if m and m.end() > 0 and text[m.end():].strip():
            own = m.group(0).strip()
            return text[m.end():].lstrip(), own.rstrip(_SEPARATOR_CHARS).strip(), own
    if "." not in text[:rules.DATELINE_MAX_CHARS]:
        return text, None, None    # no room for a domain-shaped brand in a dateline (it opens the text)
    rest, dl, prefix = strip_dateline(text, DEFAULT_RULES)
    if dl is not None and prefix and rest and rules.BRAND_DOMAIN_RE.search(dl) and prefix[-1:] in "-–—":
        return rest, dl, prefix
    return text, None, None


def strip_bold_dateline(b: Block) -> tuple[str, str | None]:
    """A bold brand/city run that opens a paragraph without a separator (``<b>Liputan6.com, Jakarta</b>``)."""
    if b.lead_bold <= 0 or b.lead_bold >= len(b.text):
        return b.text, None
    lead = b.text[:b.lead_bold].strip().rstrip("-–—|:： ").strip()
    if not lead or len(lead) > rules.DATELINE_MAX_CHARS:
        return b.text, None
    m = rules.DATELINE_RE.match(lead + " - x")
    if not m or m.group("dl").strip() != lead:
        return b.text, None
    strong = bool(rules.BRAND_DOMAIN_RE.search(lead)) or "(" in lead
    if not strong:
        parts = [p for p in _PART_SPLIT_RE.split(lead) if p]
        known = [p.lower() in rules.KNOWN_CITIES or p.lower() in rules.KNOWN_BRANDS for p in parts]
        strong = any(known) and (len(parts) >= 2 or lead.upper() == lead)
    if not strong:
        return b.text, None
    return b.text[b.lead_bold:].lstrip(" -–—|:："), lead


# ---------------------------------------------------------------------------------------------------
# Inline promo and embeds inside prose
# ---------------------------------------------------------------------------------------------------


def split_inline_promo(b: Block) -> tuple[str, str] | None:
    """Cut a ``Baca juga: <link>`` part that leads or trails a paragraph of real prose.

    Returns (kept prose, removed promo text) or None when the paragraph has no such part.
    """
    t = b.text
    if not _has_inline_label(t):
        return None
    if not b.links:
        return _split_plain_promo(t)
    starts = [s[0] for s in b.links]
    in_order = all(a <= c for a, c in zip(starts, starts[1:], strict=False))
    for m in rules.INLINE_PROMO_RE.finditer(t):
        start, end = m.start(), m.end()
        # the label must be followed (after spaces/colons) by a link
        nxt = _link_after(t, end, b.links, starts) if in_order else [
            s for s in b.links if s[0] >= end and not t[end:s[0]].strip(" :：-–\u00a0")]
        if not nxt:
            continue
        link_end = nxt[0][1]
        # consecutive links after the label belong to it (several titles in one line)
        for s in b.links:
            if s[0] >= link_end and not t[link_end:s[0]].strip(" ,;|•·-–\u00a0"):
                link_end = s[1]
        before, after = t[:start].strip(), t[link_end:].strip(" \u00a0")
        if after and len(after) <= 3 and not any(c.isalnum() for c in after):
            after = ""
        if not before and not after:
            return None
        if before and after:
            kept = before + " " + after
        else:
            kept = before or after
        return kept, t[start:link_end].strip()
    return None


_LABEL_GAP_RE = re.compile("[^ :：\\-–\u00a0]")


def _link_after(t: str, end: int, links: list[tuple[int, int]], starts: list[int]) -> list[tuple[int, int]]:
    """The first link (of links sorted by start) after ``end`` with only spaces/colons/dashes between, as a
    one-element list, or []. Only the first link starting at or after ``end`` can qualify: a later one's
    gap holds the first one's. Binary search and a scan that stops at the first other character: linear
    over a paragraph with many labels and links."""
    i = bisect.bisect_left(starts, end)
    if i == len(links) or _LABEL_GAP_RE.search(t, end, links[i][0]):
        return []
    return [links[i]]


def _has_inline_label(t: str) -> bool:
    """Could INLINE_PROMO_RE match? (Substring tests cost a fraction of its search.)"""
    return any(w in t for w in rules.INLINE_PROMO_WORDS)


def _split_plain_promo(t: str) -> tuple[str, str] | None:
    """``... prose. Baca juga: Judul Berita Lain`` without a link: cut the label and the title after it."""
    if not _has_inline_label(t):
        return None
    # One pass over the matches with offsets (no slicing per match: a 4.5 MB paragraph with a label every
    # 200 characters was quadratic). Same result as stripping ``t[:start]`` and ``t[end:]`` for each match.
    first = len(t) - len(t.lstrip())         # text before a match is blank iff the match starts by here
    last = len(t.rstrip())                   # the stripped tail ends here
    for m in rules.INLINE_PROMO_RE.finditer(t):
        start = m.start()
        if start <= first:
            continue
        nonblank = _NONBLANK_RE.search(t, m.end(), last) if m.end() < last else None
        tail_start = nonblank.start() if nonblank else last
        if last - tail_start > rules.PLAIN_PROMO_TITLE_MAX:
            continue
        if rules.SENTENCE_INSIDE_RE.search(t, tail_start, last):
            continue
        return t[:start].strip(), t[start:].strip()
    return None


_NONBLANK_RE = re.compile(r"\S")


def strip_embeds(text: str) -> tuple[str, list[str]]:
    """Remove ``[Gambas:Video CNN]``-style placeholders inside a paragraph."""
    found = rules.EMBED_RE.findall(text)
    if not found:
        return text, []
    return " ".join(rules.EMBED_RE.sub(" ", text).split()), found


# ---------------------------------------------------------------------------------------------------
# The block pass
# ---------------------------------------------------------------------------------------------------


def _is_list_item_of_links(b: Block) -> bool:
    return b.link_density >= 0.6 or (b.tag == "li" and b.link_chars > 0 and b.link_density >= 0.3)


def _title_like(b: Block) -> bool:
    """A short line without sentence punctuation: a headline-only teaser in a promo list."""
    t = b.text
    return len(t) <= rules.TEASER_TITLE_MAX and not rules.SENTENCE_END_RE.search(t) and b.tag in ("p", "div", "li", "h")


def _prose(text: str) -> bool:
    """A sentence (rather than a kicker, a label or a heading): long, or ending like a sentence."""
    return len(text) > rules.HEAD_META_MAX or rules.SENTENCE_END_RE.search(text.rstrip()) is not None


def clean_blocks(blocks: list[Block], r: Rules = DEFAULT_RULES, *, title: str | None = None
                 ) -> tuple[list[Block], list[Removed]]:
    """Drop promo, ad, share, nav, caption, embed and sign-off blocks, and the link lists promos introduce."""
    kept: list[Block] = []
    removed: list[Removed] = []
    list_mode: str | None = None   # kind of the promo/related list being consumed
    list_id = 0                    # the <ul>/<ol> that list mode swallows whole
    title_norm = " ".join(title.split()).lower() if title else None
    n = len(blocks)
    for i in range(n):
        b = blocks[i]
        t = b.text
        if not t:
            continue
        if list_mode is not None:
            if (list_id and b.list_id == list_id) or _is_list_item_of_links(b):
                removed.append(Removed(line_kind(t, r) or list_mode, t))
                continue
            # a plain title line right after the label, when the list is the end of the article
            own = line_kind(t, r)
            if own is not None and own not in ("promo", "related"):
                removed.append(Removed(own, t))
                continue
            if _title_like(b) and all(_title_like(x) or _is_list_item_of_links(x) or line_kind(x.text, r)
                                      for x in blocks[i:i + 6]):
                removed.append(Removed(list_mode, t))
                continue
            list_mode, list_id = None, 0
        # (lower() never shortens a string: a longer block cannot be the title, and is not lower-cased)
        if title_norm and len(t) <= len(title_norm) and t.lower() == title_norm:
            continue  # the title repeated in the body
        kind = line_kind(t, r)
        if kind is None and len(t) <= rules.HEAD_META_MAX and len(kept) < rules.HEAD_META_BLOCKS \
                and not any(_prose(k.text) for k in kept) and rules.HEAD_META_RE.match(t):
            kind = "signoff"        # a byline or date line at the head of the body (before any prose)
        if kind is None and (len(t) <= rules.PUBLISHED_LINE_MAX and rules.PUBLISHED_LINE_RE.match(t) or (
                n - i <= rules.TAIL_NOTE_BLOCKS and len(t) <= rules.TAIL_NOTE_MAX and rules.TAIL_NOTE_RE.match(t))):
            kind = "signoff"        # a story's credits, contacts and publication time
        if kind is None and b.tag == "h" and b.link_density >= 0.8 and not headings.opens_section(blocks, i):
            kind = "related"
        if kind == "promo" and b.links and len(t) > rules.PROMO_INTRO_MAX:
            split = split_inline_promo(b)          # "Baca juga: <a>..</a>" glued to real prose
            if split is not None and len(split[0]) >= rules.MIN_PROSE_AFTER_PROMO:
                removed.append(Removed("promo", split[1]))
                b.text = split[0]
                b.links = []
                kept.append(b)
                continue
        if kind in ("promo", "related"):
            removed.append(Removed(kind, t))
            # a label alone on its line (or a label with one link): the links that follow go with it
            label_only = len(t) <= rules.PROMO_INTRO_MAX and b.link_chars == 0
            if label_only or b.tag == "h" or t.rstrip().endswith((":", "：")):
                list_mode = kind
                nxt = blocks[i + 1] if i + 1 < n else None
                list_id = nxt.list_id if nxt is not None and nxt.tag == "li" and nxt.list_id else 0
            continue
        if kind is not None:
            removed.append(Removed(kind, t))
            continue
        if (b.link_density >= rules.LINK_DENSITY_REMOVE and len(t) <= rules.LINK_BLOCK_MAX_CHARS
                and b.tag != "h"):
            removed.append(Removed("related", t))
            continue
        split = split_inline_promo(b) if "aca" in t or "ihat" in t or "imak" in t or "ead" in t else None
        if split is not None:
            kept_text, promo_text = split
            removed.append(Removed("promo", promo_text))
            b.text = kept_text
            b.links = []
        if "[" in b.text:
            new_text, embeds = strip_embeds(b.text)
            if embeds:
                removed.extend(Removed("embed", e) for e in embeds)
                b.text = new_text
                if not new_text:
                    continue
        if any(w in b.text for w in rules.AD_MARKER_WORDS) and rules.AD_MARKER_RE.search(b.text):
            new_text = " ".join(rules.AD_MARKER_RE.sub(" ", b.text).split())
            removed.append(Removed("ad", "ADVERTISEMENT"))
            b.text = new_text
            if not new_text:
                continue
        kept.append(b)
    return kept, removed


def segment_blocks(blocks: list[Block], r: Rules = DEFAULT_RULES
                   ) -> tuple[list[Segment], str | None, list[Removed]]:
    """Split kept blocks into segments at sub-headlines; strip datelines and the trailing sign-off."""
    segments: list[Segment] = []
    removed: list[Removed] = []
    dateline: str | None = None
    current = Segment(None, [])
    first_para_pending = True          # the next paragraph opens a segment: check its dateline
    for b, head in zip(blocks, headings.headline_flags(blocks), strict=True):
        if head:
            if current.headline is not None or current.paragraphs:
                segments.append(current)
            current = Segment(b.text, [])
            first_para_pending = True
            continue
        text = b.text
        if first_para_pending:
            first_para_pending = False
            rest, dl, prefix = strip_dateline(text, r)
            if dl is None:
                rest, dl = strip_bold_dateline(b)
                prefix = dl
            if dl is not None and prefix is not None:
                removed.append(Removed("dateline", prefix))
                if dateline is None:
                    dateline = dl
                text = rest
                if not text:          # the dateline stood alone: the next paragraph opens the segment
                    first_para_pending = True
        elif text[:1].isupper() or text[:1].isdigit():
            rest, dl, prefix = _strong_dateline(text, r)
            if dl is not None and prefix is not None:
                removed.append(Removed("dateline", prefix))     # "KOMPAS.com -" is never a sentence start
                text = rest
        if text:
            current.paragraphs.append(text)
    if current.headline is not None or current.paragraphs:
        segments.append(current)
    # a trailing headline with nothing under it is a label of something we removed
    while segments and not segments[-1].paragraphs and segments[-1].headline:
        removed.append(Removed("nav", segments[-1].headline))
        segments.pop()
    # reporter initials at the end of the last paragraph
    if segments and segments[-1].paragraphs:
        last = segments[-1].paragraphs[-1]
        m = rules.TRAILING_SIGNOFF_RE.search(last)
        if m and m.start() > 0:
            removed.append(Removed("signoff", last[m.start():].strip()))
            segments[-1].paragraphs[-1] = last[:m.start()].rstrip()
    return segments, dateline, removed
