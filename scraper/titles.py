"""The article's title: the ``<h1>`` that matches the page's meta titles, without the site's name.

Candidates: a profile selector, the ``<h1>`` elements, ``og:title`` / ``twitter:title``, the JSON-LD
``headline``, title metas and ``<title>``. The site's name is taken off a title part by part (parts split
at `` | ``, `` - ``, `` – ``, `` :: ``, ``｜``, ``_``, ``--``...; a ``Site: `` prefix too), and a part goes only
when it names the site: ``og:site_name`` / ``application-name``, a label of the host (``artlyst`` for
artlyst.com, or its initials: ``ers`` for "Economic Research Service"), or what the page repeats (the part
that ``<title>`` adds to its ``<h1>`` or ``og:title``), in any language. Real title words never match
those, so they stay. Pure functions over a Lexbor tree.
"""

from __future__ import annotations

import functools
import html
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import rules
from scraper.dom import norm_space
from scraper.head import Meta, ld_str
from scraper.urls import url_host

_WORD_RE = re.compile(r"\w+")
_NON_WORD_RE = re.compile(r"\W+")
_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _squash(text: str) -> str:
    return _NON_WORD_RE.sub("", text.lower())


def unescape_title(text: str) -> str:
    """A title whose markup escaped an entity twice (``SQL &#x26; AI``, ``Gold&#039;s``) reads as meant."""
    return norm_space(html.unescape(text)) if "&" in text and _ENTITY_RE.search(text) else text


class SiteKeys:
    """What names the site: squashed names (from meta and from the page's repetition) and host acronyms."""

    __slots__ = ("names", "acronyms", "repeated", "declared")

    def __init__(self, names: list[str], acronyms: list[str], repeated: list[str], declared: int = 0) -> None:
        self.names = names              # og:site_name, application-name, host labels
        self.declared = declared        # how many of the names the page declared (the first ones)
        self.acronyms = acronyms        # short host labels, compared with a part's initials
        self.repeated = repeated        # what the page's titles add to one another (matched strictly)

    def __bool__(self) -> bool:
        return bool(self.names or self.acronyms or self.repeated)

    def is_site_part(self, part: str, strict: bool = False, visible: bool = False) -> bool:
        """Does this title part name the site? ``strict`` (for an ``<h1>`` or a ``Site:`` prefix): only a
        name the page declares or repeats counts, not a host label (``Nintendo Switch`` on nintendo.com), and
        the part is that name and little else (a few letters of ``www``/``.com``). ``visible`` (an ``<h1>``
        that is the document title too): a host label names only a short part, not "comwrap auf der DMEXCO
        2018" on comwrap.com."""
        squashed = _squash(part)
        if not squashed:
            return True
        long_part = visible and len(part.split()) > rules.HOST_PART_MAX_WORDS
        for i, k in enumerate(self.names[:self.declared] if strict else self.names):
            if i >= self.declared and long_part:
                continue
            if k in squashed:
                if not strict or len(squashed) - len(k) <= rules.SITE_PART_SLACK:
                    return True
            elif not strict and len(squashed) >= 4 and squashed in k:
                return True
        for k in self.repeated:
            if k in squashed and len(squashed) - len(k) <= rules.SITE_PART_SLACK:
                return True
        if self.acronyms and not strict:
            initials = "".join(w[0] for w in part.split() if w[:1].isalpha()).lower()
            if len(initials) >= 2 and initials in self.acronyms:
                return True
        return False


def site_keys(site_name: str | None, url: str | None, repeated: list[str] | None = None) -> SiteKeys:
    names: list[str] = []
    acronyms: list[str] = []
    k = _squash(site_name) if site_name else ""
    if k:
        names.append(k)
    if url:
        host = url_host(url)
        labels = host.split(".")
        for i, label in enumerate(labels):
            if label in rules.SITE_NAME_SKIP_LABELS:
                continue
            if len(label) >= 4:
                names.append(label)
            elif len(label) >= 2 and i < len(labels) - 1 and label not in rules.HOST_NOT_ACRONYM:
                acronyms.append(label)
    return SiteKeys(names, acronyms, repeated or [], 1 if k else 0)


def _split(title: str) -> tuple[tuple[tuple[int, int], ...], tuple[bool, ...]]:
    """The title's parts (spans) between separators, and per separator whether it is a spaced one (one
    page asks it of the same few titles again and again: remembered for titles of a usual length)."""
    return _split_cached(title) if len(title) <= 400 else _split_spans(title)


def _split_spans(title: str) -> tuple[tuple[tuple[int, int], ...], tuple[bool, ...]]:
    seps = [(m.start(), m.end(), True) for m in rules.TITLE_SEP_RE.finditer(title)]
    spaced = [(a, b) for a, b, _ in seps]
    for m in rules.TITLE_SEP_TIGHT_RE.finditer(title):
        if not any(a <= m.start() < b or m.start() <= a < m.end() for a, b in spaced):
            seps.append((m.start(), m.end(), False))
    seps.sort()
    bounds = [0] + [x for a, b, _ in seps for x in (a, b)] + [len(title)]
    parts = tuple((bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2))
    return parts, tuple(s for _, _, s in seps)


_split_cached = functools.lru_cache(maxsize=1024)(_split_spans)


def strip_site_name(title: str, site_name: str | None, url: str | None) -> str:
    """Drop `` - SiteName`` / ``SiteName | `` / ``SiteName: `` parts of a document title."""
    return _strip_site_name(title, site_keys(site_name, url))


def _strip_site_name(title: str, keys: SiteKeys, strict: bool = False, visible: bool = False) -> str:
    title = norm_space(title)
    if not keys:
        return title
    parts, spaced = _split(title)
    if len(parts) == 1:
        return _strip_prefix(title, keys)
    lo, hi = 0, len(parts)
    dropped = False
    while hi - lo > 1 and keys.is_site_part(title[parts[hi - 1][0]:parts[hi - 1][1]], strict, visible):
        hi -= 1
        dropped = True
    while hi - lo > 1 and keys.is_site_part(title[parts[lo][0]:parts[lo][1]], strict, visible):
        lo += 1
        dropped = True
    # "Title - Section :: Site": a short section name left at the end after the site went
    # ("新闻标题--社会--人民网" the same, the section short beside a long headline)
    if dropped and hi - lo > 1:
        last = title[parts[hi - 1][0]:parts[hi - 1][1]]
        first = title[parts[lo][0]:parts[hi - 2][1]]
        if len(last.split()) <= 2 and (len(first.split()) >= 4 if spaced[hi - 2] else
                                       not last.isascii() and len(last) <= 12 and len(first) >= 3 * len(last)):
            hi -= 1
    return _strip_prefix(title[parts[lo][0]:parts[hi - 1][1]].strip(), keys)


def _strip_prefix(title: str, keys: SiteKeys) -> str:
    """``Site: Title`` (the colon without a space before it, which the separators leave alone), for a name
    the page declares or repeats: a host label is no evidence here ("Teaching Online: ..." on teaching.*)."""
    m = rules.TITLE_SITE_PREFIX_RE.match(title)
    if m and keys.is_site_part(m.group(1), strict=True) and len(m.group(2).split()) >= 2:
        return m.group(2).strip()
    return title


def _similarity(wa: list[str], nb: int, sb: set[str]) -> float:
    """Share of common words of a (its word list) and b (its word count and word set)."""
    if not wa or not nb:
        return 0.0
    common = sum(1 for w in wa if w in sb)
    return common / max(len(wa), nb)


#: The page's ``<h1>`` elements (the first 12) with their whitespace-normalised text: read once per page,
#: used for the title and for the date next to it.
Headings = list[tuple[LexborNode, str]]


def read_headings(tree: LexborHTMLParser) -> Headings:
    # (a by-name lookup costs a third of the equivalent css("h1"))
    return [(h, norm_space(h.text(separator=" "))) for h in tree.tags("h1")[:12]]


def _repeated_parts(titles: list[str], h1s: list[str]) -> list[str]:
    """What one meta title adds to another (or to an ``<h1>``) as its last or first part (``Foo`` and
    ``Foo_人民网``): the site. (An ``<h1>`` that is the title's last part is the site's logo, not a title.)"""
    out: list[str] = []
    shorter = [(t, True) for t in titles] + [(h, False) for h in h1s]
    for b in titles:
        parts, _ = _split(b)
        if len(parts) < 2:
            continue
        lb = b.lower()
        for a, both_ways in shorter:
            la = a.lower()
            if len(la) < 8 or len(la) >= len(lb):
                continue
            name = None
            for k in range(1, len(parts)):
                if lb[:parts[k - 1][1]] == la:
                    name = b[parts[-1][0]:parts[-1][1]]
                elif both_ways and lb[parts[k][0]:] == la:
                    name = b[parts[0][0]:parts[0][1]]
                else:
                    continue
                break
            key = _squash(name) if name else ""
            if key and len(key) <= rules.SITE_NAME_MAX and key not in out:
                out.append(key)
    return out


_TITLE_FALLBACK_SELECTOR = ", ".join(rules.TITLE_FALLBACK_SELECTORS)


def find_title(tree: LexborHTMLParser, meta: Meta, url: str | None, selector: str | None = None,
               headings: Headings | None = None) -> str | None:
    """The headline: a profile selector, else the ``<h1>`` that matches the page's meta title, else meta."""
    if selector:
        try:
            node = tree.css_first(selector)
        except Exception:  # an invalid selector in a profile must not break parsing
            node = None
        if node is not None:
            text = norm_space(node.text(separator=" "))
            if text:
                return text
    site_name = meta.first("og:site_name", "application-name", "apple-mobile-web-app-title")
    candidates = [meta.first("og:title", "twitter:title"), ld_str(meta.ld.get("headline")),
                  meta.first("title", "dc.title", "sailthru.title", "parsely-title"), meta.doc_title]
    raw = [unescape_title(norm_space(c)) for c in dict.fromkeys(c for c in candidates if c)]
    if headings is None:
        headings = read_headings(tree)
    h1s = [unescape_title(h) for _, h in headings if 3 <= len(h) <= 400]
    logos = _host_named(h1s, url)
    if logos:                     # an <h1> that is the site's host name is its logo: "davidbau.com Title"
        h1s = [h for h in h1s if h not in logos]
        raw = [_without_prefix(c, logos) for c in raw]
    keys = site_keys(site_name, url, _repeated_parts(raw, h1s[:3]) if raw else None)
    meta_titles = [_strip_site_name(c, keys) for c in raw]
    raw = [c for c, m in zip(raw, meta_titles, strict=True) if m]
    meta_titles = [m for m in meta_titles if m]          # ("| Site" alone names no article)
    if not meta_titles:
        for h in h1s:
            if len(h.split()) >= 2:
                return _strip_site_name(h, keys, strict=True)
        return _strip_site_name(h1s[0], keys, strict=True) if h1s else None
    h1 = _matching_h1(h1s, meta_titles, keys)
    if h1 is not None:
        # an <h1> that is the document title itself is stripped like it; any other only of the bare name
        title = _strip_site_name(h1, keys, strict=h1 not in raw, visible=True)
        return _unframed(_cased_like_meta(title, meta_titles), meta_titles)
    # the headline may be an h2/h3 or a styled div on older templates
    wanted = [m.lower() for m in meta_titles + _heads(meta_titles) if m]
    for node in tree.css(_TITLE_FALLBACK_SELECTOR)[:60]:
        text = norm_space(node.text(separator=" "))
        low = text.lower()
        if not text or len(text) > 300:
            continue
        if any(w and low.endswith(w) and len(low) - len(w) <= 30 for w in wanted):
            return text
    return meta_titles[0] or None


def _host_named(h1s: list[str], url: str | None) -> set[str]:
    """The ``<h1>`` texts that are the page's host name itself (``davidbau.com``, ``www.example.org``)."""
    host = url_host(url)
    if not host:
        return set()
    names = {host, host.removeprefix("www.")}
    return {h for h in h1s if h.strip().casefold() in names}


def _without_prefix(title: str, logos: set[str]) -> str:
    """``title`` without a leading logo text followed by a space, when at least two words are left."""
    for logo in logos:
        if title[:len(logo)].casefold() == logo.casefold() and title[len(logo):len(logo) + 1] == " ":
            rest = title[len(logo):].strip(" -|:")
            if len(rest.split()) >= 2:
                return rest
    return title


def _cased_like_meta(title: str | None, meta_titles: list[str]) -> str | None:
    """An <h1> typed in capitals (a theme's habit; CSS often shows mixed case as capitals too) is the meta
    title's words when they are the same letters: the meta title keeps the headline's own case."""
    if not title or title.upper() != title or title.lower() == title:
        return title
    for m in meta_titles:
        if m.casefold() == title.casefold() and m != m.upper():
            return m
    return title


def _unframed(title: str | None, meta_titles: list[str]) -> str | None:
    """An ``<h1>`` that is a meta title with a label or date before it, or a source and comment count
    after it (``rules.TITLE_FRAME_PREFIX_RE`` / ``TITLE_FRAME_SUFFIX_RE``), is that meta title."""
    if not title:
        return title
    low = title.casefold()              # (compared and cut casefolded: casefold may change the length)
    for m in meta_titles:
        wanted = m.casefold()
        if len(m.split()) < rules.TITLE_FRAME_MIN_WORDS or len(wanted) >= len(low):
            continue
        at = low.find(wanted)
        if at < 0:
            continue
        end = at + len(wanted)
        before, after = low[:at].strip(), low[end:].strip()
        if (before and not low[at - 1].isspace() and not before.endswith((":", "："))) or (
                after and not low[end].isspace()):
            continue                                   # inside a word: not a frame
        if (not before or rules.TITLE_FRAME_PREFIX_RE.match(before)) and (
                not after or rules.TITLE_FRAME_SUFFIX_RE.match(after)):
            return m
    return title


def _heads(meta_titles: list[str]) -> list[str]:
    """The part before the last `` - `` / `` | `` of each meta title: a site name we do not recognise."""
    heads = [m[:seps[-1].start()] for m in meta_titles if (seps := list(rules.TITLE_SEP_RE.finditer(m)))]
    return [h for h in heads if len(h.split()) >= 3]


def _matching_h1(h1s: list[str], meta_titles: list[str], keys: SiteKeys) -> str | None:
    """The ``<h1>`` most like a meta title (half of the words in common), one the meta title repeats as its
    first or last part, or the one real-looking ``<h1>`` of the page (an SEO title in the head)."""
    match_titles = meta_titles + _heads(meta_titles)
    best, best_score = None, 0.0
    match_words = []
    for m in dict.fromkeys(match_titles):        # distinct titles, each split into words once
        wb = _words(m)
        match_words.append((len(wb), set(wb)))
    for h in h1s:
        wa = _words(h)
        score = max(_similarity(wa, nb, sb) for nb, sb in match_words)
        if score > best_score:
            best, best_score = h, score
    if best is not None and best_score >= 0.5:
        return best
    for h in h1s:
        low = h.lower()
        for m in meta_titles:
            parts, _ = _split(m)
            if len(parts) > 1 and low in (m[parts[0][0]:parts[0][1]].lower(), m[parts[-1][0]:parts[-1][1]].lower()):
                return h
    if len(h1s) == 1 and len(h1s[0].split()) >= 4 and not keys.is_site_part(h1s[0]):
        return h1s[0]
    return None
