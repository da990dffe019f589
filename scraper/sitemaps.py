"""Sitemaps (sitemaps.org, Google News) -> article URLs with their dates.   (pure)

::

    parse_sitemap(data, problems=None) -> ([(url, lastmod_iso | None)], child_sitemaps)

A streaming expat reader, namespace-aware, with the DTD guard of ``scraper.xmlsafe`` in the same parser:
only a ``loc`` (and ``lastmod``) that is a direct child of a ``url`` or ``sitemap`` entry counts, so
``image:loc``, ``video:*`` and ``news:*`` children never become pages; ``news:publication_date``
anywhere inside an entry stands in for a missing ``lastmod``. A document is read up to
``SITEMAP_MAX_BYTES`` (decompressed) and ``SITEMAP_MAX_URLS`` entries, the protocol's limits. Broken XML
is read again by the linear scanner of ``xmlsafe`` (the same rules); a document with a DTD subset or an
entity declaration is refused and yields nothing. Dates are read by ``metadata.parse_date`` and come
back as ISO 8601 UTC (``+00:00``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.parsers import expat

from scraper import xmlsafe
from scraper.dates import parse_date
from storage.urls import remove_dot_segments

log = logging.getLogger(__name__)

# The sitemaps.org limits for one document: 50 MB uncompressed, 50,000 URLs.
SITEMAP_MAX_BYTES = 50_000_000
SITEMAP_MAX_URLS = 50_000

_CHUNK = 1 << 20
_ENTRIES = ("url", "sitemap")
_FIELDS = ("loc", "lastmod")

Pairs = list[tuple[str, str | None]]


def utc_date(text: str | None) -> str | None:
    """A remote date (ISO 8601, RFC 822, Indonesian text; WIB/WITA/WIT) -> ISO 8601 UTC, or None."""
    if not text or len(text) > 200:
        return None
    iso = parse_date(text)
    if iso is None:
        return None
    try:
        return datetime.fromisoformat(iso).astimezone(UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError):
        return None


def http_url(s: str | None) -> str | None:
    """``s`` stripped when it is an absolute http(s) URL with a host of at most 8 KB, else None."""
    if not s:
        return None
    s = s.strip()
    if len(s) > xmlsafe.MAX_VALUE_CHARS:
        return None
    try:
        parts = urlsplit(s)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return None
    if not ok:
        return None
    path = remove_dot_segments(parts.path) if parts.path.startswith("/") else parts.path
    return s if path == parts.path else urlunsplit(parts._replace(path=path))


class _Entries:
    """What a reader collected: entries of a urlset and of a sitemap index, with the URL cap."""

    def __init__(self) -> None:
        self.urls: Pairs = []
        self.children: Pairs = []
        self.full = False

    def add(self, kind: str, loc: str | None, lastmod: str | None, news: str | None) -> None:
        url = http_url(loc)
        if url is None:
            return
        date = utc_date(lastmod) or utc_date(news)
        (self.children if kind == "sitemap" else self.urls).append((url, date))
        self.full = len(self.urls) + len(self.children) >= SITEMAP_MAX_URLS

    def result(self) -> tuple[Pairs, list[str]]:
        return dedupe_pairs(self.urls), newest_first(self.children)


class _Stop(Exception):
    """The URL cap was reached: the reader stops."""


class _ExpatReader:
    """expat handlers: depth 2 = an entry (url/sitemap), depth 3 = its direct children."""

    def __init__(self, out: _Entries) -> None:
        self.out = out
        self.depth = 0
        self.entry: tuple[str, str] | None = None  # (namespace, local) of the open entry
        self.fields: dict[str, str | None] = {}
        self.capture: xmlsafe.Capture | None = None

    def start(self, name: str, _attrs: Any) -> None:
        self.depth += 1
        ns, _, local = name.rpartition(" ")
        if self.depth == 2 and local in _ENTRIES:
            self.entry = (ns, local)
            self.fields = {}
        elif self.entry is not None and self.capture is None:
            if (self.depth == 3 and ns == self.entry[0] and local in _FIELDS) or local == "publication_date":
                self.capture = xmlsafe.Capture(local)

    def end(self, name: str) -> None:
        self.depth -= 1
        local = name.rpartition(" ")[2]
        if self.capture is not None and self.capture.name == local:
            self.fields.setdefault(local, self.capture.value())
            self.capture = None
        elif self.depth == 1 and self.entry is not None and local == self.entry[1]:
            f = self.fields
            self.out.add(local, f.get("loc"), f.get("lastmod"), f.get("publication_date"))
            self.entry = None
            if self.out.full:
                raise _Stop

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture.add(data)


def parse_sitemap(data: bytes | str, problems: list[str] | None = None) -> tuple[Pairs, list[str]]:
    """A sitemap: ``([(url, lastmod)], child_sitemaps)``.

    Reads ``<urlset>`` (plain, Yoast, Rank Math, WordPress core, Google News) and ``<sitemapindex>``
    (children newest ``lastmod`` first, to be fetched by the caller). Gzip bodies are detected by their
    magic bytes. ``problems``, when given, receives one line per problem: ``refused: ...`` (a DTD subset
    or an entity declaration: nothing is read), ``truncated: ...``, ``broken: ...``. Never raises.
    """
    notes: list[str] = [] if problems is None else problems
    raw = xmlsafe.body(data, SITEMAP_MAX_BYTES, "sitemap", notes)
    if not raw.strip():
        return [], []
    out = _Entries()
    try:
        _read_expat(raw, out)
    except xmlsafe.RefusedXML as exc:
        xmlsafe.refuse("sitemap", str(exc), notes)
        return [], []
    except _Stop:
        notes.append(f"truncated: more than {SITEMAP_MAX_URLS} URLs")
    except expat.ExpatError as exc:
        text = raw.decode("utf-8", "replace")
        if xmlsafe.declares_entities(text):
            xmlsafe.refuse("sitemap", "broken XML with an ENTITY declaration", notes)
            return [], []
        log.debug("broken sitemap XML (%s): read with the scanner", exc)
        notes.append(f"broken: {exc}")
        out = _Entries()
        _read_scan(text, out)
        if out.full:
            notes.append(f"truncated: more than {SITEMAP_MAX_URLS} URLs")
    return out.result()


def _read_expat(data: bytes, out: _Entries) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    xmlsafe.guard(parser)
    parser.buffer_text = True
    reader = _ExpatReader(out)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    view = memoryview(data)
    for i in range(0, len(data), _CHUNK):
        parser.Parse(bytes(view[i:i + _CHUNK]), False)
    parser.Parse(b"", True)


def _read_scan(text: str, out: _Entries) -> None:
    """The same rules over a broken document, with ``xmlsafe.scan`` (one linear pass)."""
    entry: str | None = None
    inner = 0  # elements open inside the entry
    fields: dict[str, str | None] = {}
    scanner = xmlsafe.Scanner()
    for _start, end, local, is_end in scanner.tags(text):
        capture = scanner.capture
        if not is_end:
            if capture is not None:
                continue  # markup inside a value: ignored
            if local in _ENTRIES:
                entry, inner, fields = local, 0, {}
            elif entry is not None and text[end - 1:end] != "/":
                inner += 1
                if (inner == 1 and local in _FIELDS) or local == "publication_date":
                    scanner.capture = xmlsafe.Capture(local)
            continue
        if capture is not None:
            if local != capture.name:
                continue  # markup inside a value: ignored
            fields.setdefault(local, capture.value())
            scanner.capture = None
            inner = max(inner - 1, 0)
        elif entry is not None and local == entry:
            out.add(entry, fields.get("loc"), fields.get("lastmod"), fields.get("publication_date"))
            entry = None
            if out.full:
                return
        elif entry is not None:
            inner = max(inner - 1, 0)


def dedupe_pairs(pairs: Pairs) -> Pairs:
    """First occurrence of each URL, with the latest date any occurrence gave."""
    seen: dict[str, str | None] = {}
    for url, date in pairs:
        if url not in seen or (date and (seen[url] is None or date > (seen[url] or ""))):
            seen[url] = date
    return list(seen.items())


def newest_first(children: Pairs) -> list[str]:
    """Child sitemaps by ``lastmod``, newest first (undated ones after, in document order).

    A caller that reads only the first N children then reads the ones with the latest articles, whatever
    order the index lists them in (Yoast lists the oldest first).
    """
    pairs = dedupe_pairs(children)
    return [u for u, _ in sorted(pairs, key=lambda p: p[1] or "", reverse=True)]
