"""Feeds (RSS 0.9x/1.0/2.0, RDF, Atom 0.3/1.0) -> article URLs with their dates.   (pure)

::

    parse_feed(data, base_url=None, problems=None) -> [(url, published_iso | None)]

Every document first goes through one expat pass with the DTD guard of ``scraper.xmlsafe``: a DOCTYPE
with an internal subset or any entity declaration refuses it, and a refused document never reaches
feedparser. That pass also finds where the root element starts and counts items and elements, so
feedparser (which resolves ``xml:base`` and relative links) gets a bounded, canonical document: an XML
declaration in UTF-8, then the document from its root element on, cut before the element that passes
``FEED_MAX_ITEMS`` items, ``FEED_MAX_ELEMENTS`` elements or ``FEED_MAX_DEPTH`` levels or carries an attribute
over 8 KB, or before the element whose text passes ``FEED_MAX_TEXT_PIECES`` pieces (the open elements closed). feedparser's own encoding sniffing and DOCTYPE
regexes, which backtrack on long first lines and blank prologs, then only ever see that short declaration.

A document expat cannot read (broken XML) is read by a linear scan instead (``xmlsafe.scan``): items'
``<link>`` text, Atom ``<link rel=alternate href>``, ``feedburner:origLink``, permalink ``<guid>``;
links resolved against ``base_url``. Dates: the raw ``published`` (else ``updated``) string, read by
``dates.parse_date`` (WIB/WITA/WIT, Indonesian names), returned as ISO 8601 UTC.
"""

from __future__ import annotations

import io
import logging
from typing import Any
from xml.parsers import expat

import feedparser

from scraper import xmlsafe
from scraper.sitemaps import Pairs, dedupe_pairs, http_url, utc_date
from scraper.urls import absolutize

log = logging.getLogger(__name__)

FEED_MAX_BYTES = 50_000_000      # decompressed
FEED_MAX_ITEMS = 500             # items/entries handed to feedparser (a real feed lists 10 to 100)
FEED_MAX_ELEMENTS = 5_000        # elements handed to feedparser (each costs it 20 to 60 µs)
FEED_MAX_DEPTH = 64              # element nesting handed to feedparser (it joins xml:base per level)
FEED_MAX_TEXT_PIECES = 200_000   # character-data callbacks (expat splits text at each entity reference)

_ITEMS = ("item", "entry")
_FIRST_DATES = ("pubdate", "published", "date", "issued")


class _Probe:
    """The guard pass: encoding, root offset, where to cut and what is open there."""

    def __init__(self) -> None:
        self.encoding: str | None = None
        self.root = -1
        self.cut = -1
        self.open_at_cut: list[str] = []
        self.items = 0
        self.elements = 0
        self.pieces = 0
        self.stack: list[tuple[str, int]] = []   # open elements: (name, byte offset of the start tag)
        self.parser: Any = None

    def decl(self, _version: str | None, encoding: str | None, _standalone: int) -> None:
        self.encoding = encoding

    def start(self, name: str, attrs: dict[str, str]) -> None:
        here = self.parser.CurrentByteIndex
        self.elements += 1
        if self.root < 0:
            self.root = here
        if name.rpartition(":")[2].lower() in _ITEMS:
            self.items += 1
        if (self.items > FEED_MAX_ITEMS or self.elements > FEED_MAX_ELEMENTS or len(self.stack) >= FEED_MAX_DEPTH
                or any(len(v) > xmlsafe.MAX_VALUE_CHARS for v in attrs.values())):
            self._cut(here, len(self.stack))
        self.stack.append((name, here))

    def end(self, _name: str) -> None:
        self.stack.pop()

    def text(self, _data: str) -> None:
        self.pieces += 1
        if self.pieces > FEED_MAX_TEXT_PIECES and self.stack:  # cut before the element holding the text
            self._cut(self.stack[-1][1], len(self.stack) - 1)

    def _cut(self, at: int, keep: int) -> None:
        self.cut = at
        self.open_at_cut = [name for name, _ in self.stack[:keep]]
        raise _Cut


class _Cut(Exception):
    pass


def _probe(data: bytes) -> tuple[_Probe, bool]:
    """``(probe, well_formed)``; raises ``xmlsafe.RefusedXML``."""
    probe = _Probe()
    parser = expat.ParserCreate()
    probe.parser = parser
    xmlsafe.guard(parser)
    parser.XmlDeclHandler = probe.decl
    parser.StartElementHandler = probe.start
    parser.EndElementHandler = probe.end
    parser.CharacterDataHandler = probe.text
    try:
        parser.Parse(data, True)
    except _Cut:
        return probe, True
    except expat.ExpatError:
        return probe, False
    return probe, probe.root >= 0


def _codec(data: bytes, declared: str | None) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if data.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if data.startswith(b"\xfe\xff"):
        return "utf-16-be"
    return declared or "utf-8"


def _canonical(data: bytes, probe: _Probe) -> bytes:
    """An XML declaration in UTF-8, the root element on (cut and closed when the probe cut it)."""
    end = probe.cut if probe.cut >= 0 else len(data)
    try:
        body = data[probe.root:end].decode(_codec(data, probe.encoding), "replace")
    except LookupError:
        body = data[probe.root:end].decode("utf-8", "replace")
    closers = "".join(f"</{name}>" for name in reversed(probe.open_at_cut))
    return ("<?xml version='1.0' encoding='utf-8'?>\n" + body + closers).encode("utf-8")


def parse_feed(data: bytes | str, base_url: str | None = None,
               problems: list[str] | None = None) -> Pairs:
    """Item links of a feed: ``[(url, published)]`` in feed order, without duplicates.

    The link is ``feedburner:origLink`` when present, else the entry's alternate link (Atom
    ``rel=alternate``, RSS ``<link>``), else a permalink ``<guid>`` (RSS 1.0: ``rdf:about``); relative links
    resolve against ``xml:base`` and ``base_url`` (the feed's own URL). ``problems`` receives ``refused:``,
    ``truncated:`` and ``broken:`` lines as in ``parse_sitemap``. Garbage gives ``[]``; never raises.
    """
    notes: list[str] = [] if problems is None else problems
    data = xmlsafe.body(data, FEED_MAX_BYTES, "feed", notes)
    if not data.strip():
        return []
    try:
        probe, well_formed = _probe(data)
    except xmlsafe.RefusedXML as exc:
        xmlsafe.refuse("feed", str(exc), notes)
        return []
    if well_formed:
        if probe.cut >= 0:
            notes.append(f"truncated: feed cut at byte {probe.cut} (a limit on items, elements, depth, "
                         "attribute length or text pieces)")
        return _read_feedparser(_canonical(data, probe), base_url)
    text = data.decode(_codec(data, None), "replace")
    if xmlsafe.declares_entities(text):
        xmlsafe.refuse("feed", "broken XML with an ENTITY declaration", notes)
        return []
    notes.append("broken: not well-formed XML, read with the scanner")
    return _read_scan(text, base_url)


def _read_feedparser(doc: bytes, base_url: str | None) -> Pairs:
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base_url:
        headers["content-location"] = base_url
    try:
        parsed = feedparser.parse(io.BytesIO(doc), response_headers=headers,
                                  sanitize_html=False, resolve_relative_uris=False)
    except Exception:  # feedparser reports problems in .bozo; anything raised is a bug there
        log.debug("feedparser failed", exc_info=True)
        return []
    rdf = parsed.get("version") in ("rss090", "rss10")
    out: Pairs = []
    for entry in parsed.entries:
        url = _entry_link(entry, rdf)
        if url:
            out.append((url, utc_date(entry.get("published") or entry.get("updated"))))
    return dedupe_pairs(out)


def _entry_link(entry: Any, rdf: bool) -> str | None:
    candidates: list[str | None] = [entry.get("feedburner_origlink")]
    links = [lk for lk in entry.get("links") or () if (lk.get("rel") or "alternate") == "alternate"]
    links.sort(key=lambda lk: (lk.get("type") or "text/html") not in ("text/html", "application/xhtml+xml"))
    candidates += [lk.get("href") for lk in links]
    if entry.get("guidislink"):
        candidates.append(entry.get("link"))
    if rdf:
        candidates.append(entry.get("id"))
    for candidate in candidates:
        url = http_url(candidate)
        if url:
            return url
    return None


class _ScanItem:
    def __init__(self, about: str | None) -> None:
        self.fields: dict[str, str | None] = {"about": about}
        self.atom_link: str | None = None


def _read_scan(text: str, base_url: str | None) -> Pairs:
    """Items of a broken feed, in one linear pass over ``xmlsafe.scan``."""
    out: Pairs = []
    item: _ScanItem | None = None
    scanner = xmlsafe.Scanner()
    for start, end, local, is_end in scanner.tags(text):
        capture = scanner.capture
        if is_end:
            if capture is not None and local == capture.name:
                assert item is not None
                item.fields.setdefault(local, capture.value())
                scanner.capture = None
            elif item is not None and capture is None and local in _ITEMS:
                found = _scan_entry(item, base_url)
                if found:
                    out.append(found)
                item = None
            continue
        if capture is not None:
            continue
        if local in _ITEMS:
            item = _ScanItem(xmlsafe.tag_attrs(text[start:end]).get("rdf:about"))
        elif item is not None:
            scanner.capture = _scan_start(item, local, text[start:end])
    return dedupe_pairs(out)


def _scan_start(item: _ScanItem, local: str, tag: str) -> xmlsafe.Capture | None:
    """A start tag inside an item (``tag``: its attributes): take an Atom link, or capture a field's text."""
    empty = tag.endswith("/")
    attrs = xmlsafe.tag_attrs(tag) if "=" in tag else {}
    if local == "link" and "href" in attrs:
        rel = attrs.get("rel", "alternate").lower()
        ctype = attrs.get("type", "text/html").lower()
        if rel == "alternate" and ctype in ("text/html", "application/xhtml+xml") and item.atom_link is None:
            item.atom_link = attrs["href"]
        return None
    if empty:
        return None
    if local == "guid" and attrs.get("ispermalink", "true").lower() == "false":
        return None
    if local in ("link", "origlink", "guid", "updated", *_FIRST_DATES):
        return xmlsafe.Capture(local)
    return None


def _scan_entry(item: _ScanItem, base_url: str | None) -> tuple[str, str | None] | None:
    f = item.fields
    for candidate in (f.get("origlink"), f.get("link"), item.atom_link, f.get("guid"), f.get("about")):
        if not candidate:
            continue
        url = http_url(absolutize(base_url, candidate) if base_url else candidate)
        if url:
            raw = next((f[d] for d in _FIRST_DATES if f.get(d)), None) or f.get("updated")
            return url, utc_date(raw)
    return None
